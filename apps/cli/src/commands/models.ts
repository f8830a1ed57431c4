// `flowfarm models` — models served by live workers, with their limits and defaults.

import { EXIT_OK, UsageError, farmContext, parseCommandArgs, runFarmCommand } from '../farm/farm-command.js';
import { printJson, printTable } from '../farm/print-output.js';

const USAGE = 'usage: flowfarm models [--json] [--api URL]   (uses FLOWFARM_API_KEY)\n';

export function run(argv: string[]): Promise<number> {
  return runFarmCommand('models', USAGE, async () => {
    const { values, positionals } = parseCommandArgs(argv, {});
    if (values.help) {
      process.stdout.write(USAGE);
      return EXIT_OK;
    }
    if (positionals.length) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
    const farm = farmContext(values);
    const models = await farm.client().models();
    if (farm.json) {
      printJson({ data: models });
      return EXIT_OK;
    }
    const rows = models.map((model) => [
      model.name,
      model.variant,
      `${model.default_size.width}x${model.default_size.height}`,
      `${model.resolution.min}-${model.resolution.max} /${model.resolution.multiple}`,
      `${model.steps.default} (${model.steps.min}-${model.steps.max})`,
      String(model.workers),
    ]);
    printTable(['MODEL', 'VARIANT', 'DEFAULT SIZE', 'SIDES', 'STEPS', 'WORKERS'], rows, 'no model is served (no live worker)');
    return EXIT_OK;
  });
}
