// Style presets: GET /v1/styles, GET/PUT/DELETE /v1/styles/{name} (tenant-scoped).
import { z } from 'zod';
import { StyleList, StyleName, StylePreset, StylePresetInput } from '../styles.js';
import { defineRoute, jsonBodyErrors, needsKey, ok, problem } from './declare.js';

const name = z.object({ name: StyleName });

export const STYLE_ROUTES = {
  list: defineRoute({
    method: 'get',
    path: '/v1/styles',
    summary: 'Style presets a job may name in `style`: the built-in ones, then the tenant\'s own',
    auth: 'tenant',
    responses: { '200': ok('presets', StyleList), ...needsKey },
  }),
  get: defineRoute({
    method: 'get',
    path: '/v1/styles/{name}',
    summary: 'One style preset',
    auth: 'tenant',
    params: name,
    responses: { '200': ok('the preset', StylePreset), '404': problem('no such preset for this tenant', { codes: ['not_found'] }), ...needsKey },
  }),
  put: defineRoute({
    method: 'put',
    path: '/v1/styles/{name}',
    summary: 'Create or replace one of the tenant\'s style presets',
    auth: 'tenant',
    params: name,
    body: StylePresetInput,
    responses: {
      '200': ok('replaced', StylePreset),
      '201': ok('created', StylePreset),
      ...jsonBodyErrors(),
      '409': problem('a built-in name, or 100 presets already', { codes: ['style_builtin', 'too_many_styles'] }),
      '422': problem('invalid fields (field paths)', { codes: ['validation_failed'] }),
      ...needsKey,
    },
  }),
  delete: defineRoute({
    method: 'delete',
    path: '/v1/styles/{name}',
    summary: 'Delete one of the tenant\'s style presets',
    auth: 'tenant',
    params: name,
    responses: { '204': ok('deleted'), '404': problem('no such preset', { codes: ['not_found'] }), '409': problem('a built-in preset', { codes: ['style_builtin'] }), ...needsKey },
  }),
};
