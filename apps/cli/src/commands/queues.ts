// `flowfarm queues` — depth and oldest wait per model queue. Admin key.

import { EXIT_OK, UsageError, farmContext, parseCommandArgs, runFarmCommand } from '../farm/farm-command.js';
import { formatDuration, printJson, printTable } from '../farm/print-output.js';

const USAGE = 'usage: flowfarm queues [--json] [--api URL]   (uses FLOWFARM_ADMIN_KEY)\n';

export function run(argv: string[]): Promise<number> {
  return runFarmCommand('queues', USAGE, async () => {
    const { values, positionals } = parseCommandArgs(argv, {});
    if (values.help) {
      process.stdout.write(USAGE);
      return EXIT_OK;
    }
    if (positionals.length) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
    const farm = farmContext(values);
    const queues = await farm.admin().queues();
    if (farm.json) {
      printJson({ data: queues });
      return EXIT_OK;
    }
    const rows = queues.map((queue) => [
      queue.model,
      String(queue.waiting),
      String(queue.active),
      String(queue.delayed),
      String(queue.failed),
      formatDuration(queue.oldest_wait_seconds),
      String(queue.workers),
    ]);
    printTable(['MODEL', 'WAITING', 'ACTIVE', 'DELAYED', 'FAILED', 'OLDEST WAIT', 'WORKERS'], rows, 'no model queue yet');
    return EXIT_OK;
  });
}
