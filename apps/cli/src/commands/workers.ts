// `flowfarm workers` — live workers (by heartbeat), their models and busy state. Admin key.

import { EXIT_OK, UsageError, farmContext, parseCommandArgs, runFarmCommand } from '../farm/farm-command.js';
import { formatDuration, printJson, printTable, secondsSince } from '../farm/print-output.js';

const USAGE = 'usage: flowfarm workers [--json] [--api URL]   (uses FLOWFARM_ADMIN_KEY)\n';

export function run(argv: string[]): Promise<number> {
  return runFarmCommand('workers', USAGE, async () => {
    const { values, positionals } = parseCommandArgs(argv, {});
    if (values.help) {
      process.stdout.write(USAGE);
      return EXIT_OK;
    }
    if (positionals.length) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
    const farm = farmContext(values);
    const workers = await farm.admin().workers();
    if (farm.json) {
      printJson({ data: workers });
      return EXIT_OK;
    }
    const rows = workers.map((worker) => [
      worker.id,
      `${worker.host}:${worker.pid}`,
      worker.models.map((model) => model.name).join(','),
      `${worker.busy}/${worker.concurrency}${worker.draining ? ' draining' : ''}`,
      worker.current_jobs.join(',') || '-',
      formatDuration(secondsSince(worker.started_at)),
    ]);
    printTable(['WORKER', 'PROCESS', 'MODELS', 'BUSY', 'CURRENT JOBS', 'UP'], rows, 'no live worker');
    return EXIT_OK;
  });
}
