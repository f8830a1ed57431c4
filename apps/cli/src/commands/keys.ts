// `flowfarm keys create|list|revoke` — tenant API keys (the farm stores only a hash). Admin key.

import { EXIT_OK, UsageError, farmContext, parseCommandArgs, runFarmCommand } from '../farm/farm-command.js';
import { printJson, printTable } from '../farm/print-output.js';

const USAGE = `usage: flowfarm keys create --tenant T [--name N] [--max-priority high|normal|low] [--json] [--api URL]
       flowfarm keys list [--json] [--api URL]
       flowfarm keys revoke <id> [--json] [--api URL]
(uses FLOWFARM_ADMIN_KEY)
`;

export function run(argv: string[]): Promise<number> {
  return runFarmCommand('keys', USAGE, async () => {
    const { values, positionals } = parseCommandArgs(argv, { tenant: { type: 'string' }, name: { type: 'string' }, 'max-priority': { type: 'string' } });
    if (values.help) {
      process.stdout.write(USAGE);
      return EXIT_OK;
    }
    const [action, id, ...extra] = positionals;
    if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    const farm = farmContext(values);
    if (action === 'create') {
      if (!values.tenant) throw new UsageError('keys create needs --tenant');
      const max = values['max-priority'];
      if (max !== undefined && !['high', 'normal', 'low'].includes(max)) throw new UsageError(`--max-priority must be high, normal or low (got "${max}")`);
      const key = await farm.admin().createKey({ tenant: values.tenant, name: values.name, ...(max ? { max_priority: max as 'high' | 'normal' | 'low' } : {}) });
      if (farm.json) printJson(key);
      else process.stdout.write(`created key ${key.id} for tenant ${key.tenant}\n${key.key}\n(shown once: store it now)\n`);
      return EXIT_OK;
    }
    if (action === 'list') {
      const keys = await farm.admin().listKeys();
      if (farm.json) printJson({ data: keys });
      else printTable(['ID', 'TENANT', 'NAME', 'CREATED'], keys.map((key) => [key.id, key.tenant, key.name ?? '', key.created_at]), 'no keys');
      return EXIT_OK;
    }
    if (action === 'revoke') {
      if (!id) throw new UsageError('keys revoke needs a key id (see keys list)');
      await farm.admin().revokeKey(id);
      if (farm.json) printJson({ id, revoked: true });
      else process.stdout.write(`revoked key ${id}\n`);
      return EXIT_OK;
    }
    throw new UsageError(action ? `unknown action "${action}"` : 'missing action');
  });
}
