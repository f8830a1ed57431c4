// `flowfarm audit` — the farm's audit log (admin key): who submitted which job, from where,
// with which key, and what moderation decided; newest first.

import { EXIT_OK, UsageError, farmContext, parseCommandArgs, runFarmCommand } from '../farm/farm-command.js';
import { printJson, printTable } from '../farm/print-output.js';

const USAGE = `usage: flowfarm audit [--tenant T] [--limit N] [--before ID] [--json] [--api URL]
(uses FLOWFARM_ADMIN_KEY; --before takes the last ID of a page for older entries)
`;

export function run(argv: string[]): Promise<number> {
  return runFarmCommand('audit', USAGE, async () => {
    const { values, positionals } = parseCommandArgs(argv, { tenant: { type: 'string' }, limit: { type: 'string' }, before: { type: 'string' } });
    if (values.help) {
      process.stdout.write(USAGE);
      return EXIT_OK;
    }
    if (positionals.length) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
    if (values.limit !== undefined && !/^\d+$/.test(values.limit)) throw new UsageError('--limit must be a number');
    const farm = farmContext(values);
    const page = await farm.admin().audit({ tenant: values.tenant, limit: values.limit === undefined ? undefined : Number(values.limit), before: values.before });
    if (farm.json) printJson(page);
    else {
      printTable(
        ['ID', 'AT', 'TENANT', 'KEY', 'CLIENT', 'JOB', 'OUTCOME'],
        page.data.map((e) => [e.id, e.at, e.tenant, e.key_id, e.client, e.job_id, e.outcome === 'moderated' ? `moderated (${e.stage}: ${e.reason})` : 'allowed']),
        'no entries',
      );
    }
    return EXIT_OK;
  });
}
