// `flowfarm queues` — depth and oldest wait per model queue. Admin key.

import { runListCommand } from '../farm/list-command.js';
import { formatDuration } from '../farm/print-output.js';

export function run(argv: string[]): Promise<number> {
  return runListCommand(argv, {
    name: 'queues',
    usage: 'usage: flowfarm queues [--json] [--api URL]   (uses FLOWFARM_ADMIN_KEY)\n',
    fetch: (farm) => farm.admin().queues(),
    columns: ['MODEL', 'WAITING', 'ACTIVE', 'DELAYED', 'FAILED', 'OLDEST WAIT', 'WORKERS'],
    row: (queue) => [
      queue.model,
      String(queue.waiting),
      String(queue.active),
      String(queue.delayed),
      String(queue.failed),
      formatDuration(queue.oldest_wait_seconds),
      String(queue.workers),
    ],
    empty: 'no model queue yet',
  });
}
