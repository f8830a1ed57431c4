// `flowfarm workers` — live workers (by heartbeat), their models and busy state. Admin key.

import { runListCommand } from '../farm/list-command.js';
import { formatDuration, secondsSince } from '../farm/print-output.js';

export function run(argv: string[]): Promise<number> {
  return runListCommand(argv, {
    name: 'workers',
    usage: 'usage: flowfarm workers [--json] [--api URL]   (uses FLOWFARM_ADMIN_KEY)\n',
    fetch: (farm) => farm.admin().workers(),
    columns: ['WORKER', 'PROCESS', 'MODELS', 'BUSY', 'CURRENT JOBS', 'UP'],
    row: (worker) => [
      worker.id,
      `${worker.host}:${worker.pid}`,
      worker.models.map((model) => (model.provider ? `${model.name}@${model.provider}` : model.name)).join(','),
      `${worker.busy}/${worker.concurrency}${worker.draining ? ' draining' : ''}`,
      worker.current_jobs.join(',') || '-',
      formatDuration(secondsSince(worker.started_at)),
    ],
    empty: 'no live worker',
  });
}
