// `flowfarm models` — models served by live workers, with their limits and defaults.

import { runListCommand } from '../farm/list-command.js';

export function run(argv: string[]): Promise<number> {
  return runListCommand(argv, {
    name: 'models',
    usage: 'usage: flowfarm models [--json] [--api URL]   (uses FLOWFARM_API_KEY)\n',
    fetch: (farm) => farm.client().models(),
    columns: ['MODEL', 'VARIANT', 'DEFAULT SIZE', 'SIDES', 'STEPS', 'WORKERS', 'PROVIDERS'],
    row: (model) => [
      model.name,
      model.variant,
      `${model.default_size.width}x${model.default_size.height}`,
      `${model.resolution.min}-${model.resolution.max} /${model.resolution.multiple}`,
      `${model.steps.default} (${model.steps.min}-${model.steps.max})`,
      String(model.workers),
      (model.providers ?? []).join(',') || '-',
    ],
    empty: 'no model is served (no live worker)',
  });
}
