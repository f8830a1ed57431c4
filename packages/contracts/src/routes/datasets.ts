// Datasets: create (a whole set reserved against the quotas at once), list, one dataset, its
// streaming manifest (NDJSON), one image (a redirect to its signed URL), cancel.
import { z } from 'zod';
import { DatasetSpec } from '../dataset-spec.js';
import { DatasetList, DatasetView } from '../dataset-view.js';
import { defineRoute, jsonBodyErrors, needsKey, ok, problem, retryAfterHeader } from './declare.js';

const id = z.object({ id: z.string() });
const notFound = problem('no such dataset for this tenant', { codes: ['not_found'] });
/** A list size out of range is brought into it (as it always was), never refused. */
const clampedLimit = z.coerce
  .number()
  .int()
  .min(1)
  .max(100)
  .default(20)
  .catch(({ input }) => Math.min(100, Math.max(1, Number(input) || 20)));
const wholeLines = 'must be a whole number of lines already read (0 or more)';
const anIndex = 'must be the index of an item (0 to count − 1)';

export const DATASET_ROUTES = {
  create: defineRoute({
    method: 'post',
    path: '/v1/datasets',
    summary: 'Create a dataset: a prompt template or layout generator expanded into count labelled images',
    auth: 'tenant',
    body: DatasetSpec,
    responses: {
      '202': ok('dataset accepted', DatasetView, { Location: { description: 'URL of the dataset' } }),
      ...jsonBodyErrors(),
      '401': problem('missing or invalid API key', { codes: ['unauthorized'] }),
      '422': problem('invalid fields (with field paths), unknown model, or a webhook URL the SSRF guard refuses', { codes: ['validation_failed', 'unknown_model'] }),
      '429': problem('rate limit, or the whole set does not fit a quota (`quota_exceeded`: a dataset reserves all its items at create)', {
        codes: ['rate_limited', 'quota_exceeded'],
        headers: retryAfterHeader,
      }),
      '503': problem('no worker has announced a model yet', { codes: ['unavailable'], headers: retryAfterHeader }),
    },
  }),
  list: defineRoute({
    method: 'get',
    path: '/v1/datasets',
    summary: "The tenant's datasets, newest first",
    auth: 'tenant',
    query: z.object({ limit: clampedLimit.describe('1-100 (a value out of range is brought into it)') }),
    responses: { '200': ok('datasets', DatasetList), ...needsKey },
  }),
  get: defineRoute({
    method: 'get',
    path: '/v1/datasets/{id}',
    summary: 'Get a dataset: progress, counts, file links',
    auth: 'tenant',
    params: id,
    responses: { '200': ok('the dataset', DatasetView), '404': notFound, ...needsKey },
  }),
  manifest: defineRoute({
    method: 'get',
    path: '/v1/datasets/{id}/manifest',
    summary: 'The streaming manifest: one JSON line per item recorded so far, in the order items finished (readable while the dataset runs)',
    auth: 'tenant',
    params: id,
    query: z.object({
      from: z.coerce
        .number({ error: wholeLines })
        .int({ error: wholeLines })
        .min(0, { error: wholeLines })
        .default(0)
        .describe('lines the reader already has (only newer ones are sent)'),
    }),
    responses: {
      '200': {
        description: 'NDJSON, one manifest line per item',
        content: { 'application/x-ndjson': { schema: { type: 'string' } } },
        headers: { 'Dataset-Status': { description: "the dataset's status when the manifest was read (succeeded, failed, canceled: no more lines will come)" }, 'Cache-Control': { description: 'no-store' } },
      },
      '404': notFound,
      '422': problem('from is not a whole number', { codes: ['validation_failed'] }),
      ...needsKey,
    },
  }),
  image: defineRoute({
    method: 'get',
    path: '/v1/datasets/{id}/images/{index}',
    summary: 'Redirect to the signed URL of one image of the set',
    auth: 'tenant',
    // checked against the dataset's count once the dataset is loaded
    params: z.object({ id: z.string(), index: z.coerce.number({ error: anIndex }).int({ error: anIndex }).min(0, { error: anIndex }).describe('0 to count − 1') }),
    responses: {
      '302': { description: 'to the image', headers: { Location: { description: 'signed URL of the image' } } },
      '404': problem('no such dataset, or the item is not rendered yet', { codes: ['not_found'] }),
      '422': problem('index not a whole number or out of range', { codes: ['validation_failed'] }),
      ...needsKey,
    },
  }),
  cancel: defineRoute({
    method: 'post',
    path: '/v1/datasets/{id}/cancel',
    summary: 'Cancel a dataset (no more chunks start; unrendered items give their quota back; one dataset.canceled webhook)',
    auth: 'tenant',
    params: id,
    responses: { '202': ok('canceled', DatasetView), '404': notFound, '409': problem('dataset already finished', { codes: ['dataset_finished'] }), ...needsKey },
  }),
};
