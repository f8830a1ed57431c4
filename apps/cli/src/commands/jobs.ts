// `flowfarm jobs list|get|cancel` — the tenant's jobs on a farm.

import type { JobStatus, JobView } from '@flowfarm/client';
import { EXIT_OK, UsageError, farmContext, parseCommandArgs, runFarmCommand } from '../farm/farm-command.js';
import { printJson, printTable } from '../farm/print-output.js';

const USAGE = `usage: flowfarm jobs list [--status S] [--limit N] [--cursor C] [--json] [--api URL]
       flowfarm jobs get <id> [--json] [--api URL]
       flowfarm jobs cancel <id> [--json] [--api URL]
(uses FLOWFARM_API_KEY)
`;

const STATUSES: readonly JobStatus[] = ['queued', 'running', 'succeeded', 'failed', 'canceled', 'moderated', 'expired'];

export function run(argv: string[]): Promise<number> {
  return runFarmCommand('jobs', USAGE, async () => {
    const { values, positionals } = parseCommandArgs(argv, {
      status: { type: 'string' },
      limit: { type: 'string' },
      cursor: { type: 'string' },
    });
    if (values.help) {
      process.stdout.write(USAGE);
      return EXIT_OK;
    }
    const [action, id, ...extra] = positionals;
    if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    const farm = farmContext(values);
    if (action === 'list') {
      if (id) throw new UsageError(`unexpected argument: ${id}`);
      const status = values.status as JobStatus | undefined;
      if (status && !STATUSES.includes(status)) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`);
      const limit = values.limit === undefined ? undefined : Number(values.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 100)) throw new UsageError('--limit must be 1-100');
      const page = await farm.client().list({ status, limit, cursor: values.cursor });
      if (farm.json) printJson(page);
      else printJobTable(page.data, page.next_cursor);
      return EXIT_OK;
    }
    if (action !== 'get' && action !== 'cancel') throw new UsageError(action ? `unknown action "${action}"` : 'missing action');
    if (!id) throw new UsageError(`jobs ${action} needs a job id`);
    const job = action === 'get' ? await farm.client().get(id) : await farm.client().cancel(id);
    if (farm.json) printJson(job);
    else printJobDetails(job);
    return EXIT_OK;
  });
}

function printJobTable(jobs: JobView[], nextCursor: string | null): void {
  const rows = jobs.map((job) => [job.id, job.status, job.model, `${job.input.width ?? '?'}x${job.input.height ?? '?'}`, job.created_at, truncate(job.input.prompt, 40)]);
  printTable(['ID', 'STATUS', 'MODEL', 'SIZE', 'CREATED', 'PROMPT'], rows, 'no jobs');
  if (nextCursor) process.stdout.write(`more: flowfarm jobs list --cursor ${nextCursor}\n`);
}

function printJobDetails(job: JobView): void {
  const lines = [
    `id        ${job.id}`,
    `status    ${job.status}${job.status === 'queued' && job.queue_position !== null ? ` (${job.queue_position} ahead)` : ''}`,
    `model     ${job.model}`,
    `prompt    ${job.input.prompt}`,
    `size      ${job.input.width ?? '?'}x${job.input.height ?? '?'}, ${job.input.steps ?? '?'} steps, seed ${job.input.seed ?? 'random'}`,
    `progress  ${job.progress.step}/${job.progress.total}`,
    `created   ${job.created_at}`,
  ];
  if (job.finished_at) lines.push(`finished  ${job.finished_at}`);
  if (job.error) lines.push(`error     ${job.error.code}: ${job.error.message}`);
  for (const output of job.outputs) lines.push(`output    ${output.url}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}
