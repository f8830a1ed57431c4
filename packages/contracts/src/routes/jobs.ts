// Jobs: submit (POST /v1/jobs, with Idempotency-Key, Prefer: wait and Cancel-After), the
// tenant's list (keyset cursor), one job, cancel, and the job's Server-Sent Events.
import { z } from 'zod';
import { JobInput } from '../job-input.js';
import { JobList, JobListQuery, JobView } from '../job-view.js';
import { defineRoute, jsonBodyErrors, keyErrors, needsKey, ok, problem, retryAfterHeader, type HeaderSpec } from './declare.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
/** A job's id; an id that cannot be one is a 404 like an unknown one (another tenant's job is a 404 too). */
const id = z.object({ id: z.string() });

/** Headers of a submit's answer. */
const submitHeaders: Record<string, HeaderSpec> = {
  Location: { description: 'URL of the job' },
  'Idempotent-Replayed': { description: '`true` when an Idempotency-Key replay returned an earlier job' },
  'Preference-Applied': { description: '`wait=N` when Prefer: wait was honoured' },
};

export const JOB_ROUTES = {
  submit: defineRoute({
    method: 'post',
    path: '/v1/jobs',
    summary: 'Submit a job',
    auth: 'tenant',
    headers: [
      { name: 'Idempotency-Key', schema: { type: 'string', minLength: 1, maxLength: 255 }, description: 'same key and body within 24 h returns the same job; another body → 409' },
      { name: 'Prefer', schema: { type: 'string', example: 'wait=30' }, description: 'wait=N (N ≤ MAX_WAIT_SECONDS, at most 60): hold the request until the job ends' },
      {
        name: 'Cancel-After',
        schema: { type: 'string', example: '5m' },
        description: 'deadline from submit, as Replicate defines it (30, 90s, 5m, 1h30m; at least 5 s): not started by then → expired; still running then → canceled',
      },
    ],
    body: JobInput,
    responses: {
      '200': ok('finished job (only with Prefer: wait; a moderated prompt is a finished job too)', JobView, submitHeaders),
      '202': ok('job accepted (or unfinished when Prefer: wait ran out)', JobView, submitHeaders),
      ...jsonBodyErrors('JOB_BODY_LIMIT (default 9 MB)'),
      '409': problem('Idempotency-Key reused with another body, or its job no longer exists', { codes: ['idempotency_key_reused'] }),
      '422': problem(
        "invalid fields (with field paths), unknown model or style, a priority above the key's or tenant's max_priority (priority_not_allowed), a bad Idempotency-Key or Cancel-After, or a webhook URL the SSRF guard refuses",
        { codes: ['validation_failed', 'unknown_model'] },
      ),
      ...keyErrors,
      '503': problem('no worker has announced a model yet, or the queue is not reachable', { codes: ['unavailable'], headers: retryAfterHeader }),
    },
  }),
  list: defineRoute({
    method: 'get',
    path: '/v1/jobs',
    summary: "List the tenant's recent jobs, newest first (keyset pages: pass next_cursor as cursor)",
    auth: 'tenant',
    query: JobListQuery,
    responses: {
      '200': ok('a page of jobs', JobList),
      '400': problem('a cursor that is not a next_cursor of this list', { codes: ['bad_request'] }),
      '422': problem('invalid status or limit', { codes: ['validation_failed'] }),
      ...needsKey,
    },
  }),
  get: defineRoute({
    method: 'get',
    path: '/v1/jobs/{id}',
    summary: 'Get a job',
    auth: 'tenant',
    params: id,
    responses: { '200': ok('the job', JobView), '404': problem('no such job for this tenant', { codes: ['not_found'] }), ...needsKey },
  }),
  cancel: defineRoute({
    method: 'post',
    path: '/v1/jobs/{id}/cancel',
    summary: 'Cancel a job (queued: at once; running: at the next step)',
    auth: 'tenant',
    params: id,
    responses: {
      '202': ok('cancel accepted', JobView),
      '404': problem('no such job (or it expired while being canceled: no body)', { codes: ['not_found'] }),
      '409': problem('job already finished (`status` says how)', { codes: ['job_finished'] }),
      ...needsKey,
    },
  }),
  events: defineRoute({
    method: 'get',
    path: '/v1/jobs/{id}/events',
    summary: 'Server-Sent Events: status changes and per-step progress; ends after the terminal event',
    auth: 'tenant',
    params: id,
    // for clients that cannot set headers (EventSource's first connection); an unusable value starts from the beginning
    query: z.object({ last_event_id: z.string().optional().catch(undefined).describe('resume after this event (Last-Event-ID wins)') }),
    headers: [{ name: 'Last-Event-ID', description: 'resume after this event (an unusable id starts from the first event)' }],
    responses: {
      '200': {
        description: 'event stream; each message has the event id as `id:`, its type as `event:` and a JobStreamEvent as `data:` (terminal events carry the finished job); idle streams get a comment every SSE_HEARTBEAT_SECONDS',
        content: { 'text/event-stream': { schema: ref('JobStreamEvent') } },
        headers: { 'Cache-Control': { description: 'no-cache, no-transform' } },
      },
      '404': problem('no such job', { codes: ['not_found'] }),
      ...needsKey,
    },
  }),
};
