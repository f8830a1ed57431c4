// OpenAPI entries of the style-preset routes, kept apart from openapi.ts as the trust routes are.
import type { z } from 'zod';
import { AppliedStyle, StyleList, StylePreset, StylePresetInput } from './styles.js';

export const STYLE_SCHEMAS: Record<string, z.ZodType> = { StylePreset, StylePresetInput, StyleList, AppliedStyle };

type Helpers = {
  json: (name: string, description: string) => unknown;
  problem: (description: string) => unknown;
  body: (name: string) => unknown;
};

export function stylePaths({ json, problem, body }: Helpers): Record<string, unknown> {
  const name = { name: 'name', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,39}$' } };
  const auth = { '401': problem('missing or invalid API key') };
  return {
    '/v1/styles': {
      get: { summary: 'Style presets a job may name in `style`: the built-in ones, then the tenant\'s own', responses: { '200': json('StyleList', 'presets'), ...auth } },
    },
    '/v1/styles/{name}': {
      get: { summary: 'One style preset', parameters: [name], responses: { '200': json('StylePreset', 'the preset'), '404': problem('no such preset for this tenant'), ...auth } },
      put: {
        summary: 'Create or replace one of the tenant\'s style presets',
        parameters: [name],
        requestBody: body('StylePresetInput'),
        responses: { '200': json('StylePreset', 'replaced'), '201': json('StylePreset', 'created'), '409': problem('a built-in name, or 100 presets already'), '422': problem('invalid fields (field paths)'), ...auth },
      },
      delete: { summary: 'Delete one of the tenant\'s style presets', parameters: [name], responses: { '204': { description: 'deleted' }, '404': problem('no such preset'), '409': problem('a built-in preset'), ...auth } },
    },
  };
}
