// `flowfarm moderation …` — the farm's prompt moderation policies (admin key): show them, add
// or remove terms and patterns, cap a tenant's safety_tolerance, and dry-run a prompt.

import { readFile } from 'node:fs/promises';
import type { FlowfarmAdmin, ModerationPolicy } from '@flowfarm/client';
import { EXIT_FAILED, EXIT_OK, UsageError, farmContext, parseCommandArgs, runFarmCommand } from '../farm/farm-command.js';
import { printJson, printTable } from '../farm/print-output.js';

const USAGE = `usage: flowfarm moderation show [--tenant T] [--json]
       flowfarm moderation add-term TERM [--tenant T] [--category C] [--allowed-from N]
       flowfarm moderation remove-term TERM [--tenant T]
       flowfarm moderation add-pattern REGEX [--tenant T] [--category C] [--allowed-from N]
       flowfarm moderation set-cap N [--tenant T]      highest safety_tolerance (0-6) jobs may use
       flowfarm moderation set --file POLICY.json [--tenant T]
       flowfarm moderation reset [--tenant T]          global: back to the built-in policy
       flowfarm moderation check PROMPT [--tenant T] [--tolerance N]   exit 1 when blocked
(uses FLOWFARM_ADMIN_KEY; without --tenant the global policy; TERM "porn*" matches prefixes;
 --allowed-from N lets the rule through from safety_tolerance N up, default 7 = never)
`;

function intFlag(value: string | undefined, name: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) > max) throw new UsageError(`${name} must be an integer from 0 to ${max}`);
  return Number(value);
}

async function current(admin: FlowfarmAdmin, tenant: string | undefined): Promise<ModerationPolicy> {
  if (!tenant) {
    const { terms, patterns, max_safety_tolerance } = await admin.moderationPolicy();
    return { terms, patterns, ...(max_safety_tolerance === undefined ? {} : { max_safety_tolerance }) };
  }
  try {
    const { terms, patterns, max_safety_tolerance } = await admin.tenantModerationPolicy(tenant);
    return { terms, patterns, ...(max_safety_tolerance === undefined ? {} : { max_safety_tolerance }) };
  } catch (error) {
    if ((error as { status?: number }).status === 404) return { terms: [], patterns: [] };
    throw error;
  }
}

const save = (admin: FlowfarmAdmin, tenant: string | undefined, policy: ModerationPolicy) =>
  tenant ? admin.setTenantModerationPolicy(tenant, policy) : admin.setModerationPolicy(policy);

export function run(argv: string[]): Promise<number> {
  return runFarmCommand('moderation', USAGE, async () => {
    const { values, positionals } = parseCommandArgs(argv, {
      tenant: { type: 'string' },
      category: { type: 'string' },
      'allowed-from': { type: 'string' },
      tolerance: { type: 'string' },
      file: { type: 'string' },
    });
    if (values.help) {
      process.stdout.write(USAGE);
      return EXIT_OK;
    }
    const [action, arg, ...extra] = positionals;
    if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')} (quote a prompt with spaces)`);
    const allowedFrom = intFlag(values['allowed-from'], '--allowed-from', 7);
    const farm = farmContext(values);
    const admin = () => farm.admin();
    const tenant = values.tenant;
    const scope = tenant ? `tenant ${tenant}` : 'the global policy';

    switch (action) {
      case 'show': {
        const policy = tenant ? await current(admin(), tenant) : await admin().moderationPolicy();
        if (farm.json) printJson(policy);
        else {
          const cap = policy.max_safety_tolerance ?? (tenant ? 'global cap' : 6);
          process.stdout.write(`${scope}${'builtin' in policy && policy.builtin ? ' (built-in default)' : ''}: max safety_tolerance ${cap}\n`);
          const rows = [
            ...policy.terms.map((t) => ['term', t.term, t.category, String(t.allowed_from)]),
            ...policy.patterns.map((p) => ['pattern', p.pattern, p.category, String(p.allowed_from)]),
          ];
          printTable(['KIND', 'RULE', 'CATEGORY', 'ALLOWED FROM'], rows, 'no rules');
          const tenants = (policy as { tenants?: string[] }).tenants ?? [];
          if (tenants.length) process.stdout.write(`tenants with their own policy: ${tenants.join(', ')}\n`);
        }
        return EXIT_OK;
      }
      case 'add-term':
      case 'add-pattern': {
        if (!arg) throw new UsageError(`${action} needs a ${action === 'add-term' ? 'term' : 'regular expression'}`);
        const policy = await current(admin(), tenant);
        const rule = { category: values.category ?? 'blocked', allowed_from: allowedFrom ?? 7 };
        if (action === 'add-term') policy.terms.push({ term: arg, ...rule });
        else policy.patterns.push({ pattern: arg, ...rule });
        await save(admin(), tenant, policy);
        process.stdout.write(`added ${action === 'add-term' ? 'term' : 'pattern'} to ${scope}\n`);
        return EXIT_OK;
      }
      case 'remove-term': {
        if (!arg) throw new UsageError('remove-term needs a term');
        const policy = await current(admin(), tenant);
        const before = policy.terms.length + policy.patterns.length;
        policy.terms = policy.terms.filter((t) => t.term !== arg);
        policy.patterns = policy.patterns.filter((p) => p.pattern !== arg);
        if (policy.terms.length + policy.patterns.length === before) throw new UsageError(`"${arg}" is not a rule of ${scope}`);
        await save(admin(), tenant, policy);
        process.stdout.write(`removed "${arg}" from ${scope}\n`);
        return EXIT_OK;
      }
      case 'set-cap': {
        const cap = intFlag(arg, 'the cap', 6);
        if (cap === undefined) throw new UsageError('set-cap needs a number from 0 to 6');
        const policy = await current(admin(), tenant);
        await save(admin(), tenant, { ...policy, max_safety_tolerance: cap });
        process.stdout.write(`${scope}: safety_tolerance capped at ${cap}\n`);
        return EXIT_OK;
      }
      case 'set': {
        if (!values.file) throw new UsageError('set needs --file POLICY.json');
        let policy: ModerationPolicy;
        try {
          policy = JSON.parse(await readFile(values.file, 'utf8')) as ModerationPolicy;
        } catch (error) {
          throw new UsageError(`cannot read ${values.file}: ${error instanceof Error ? error.message : String(error)}`);
        }
        await save(admin(), tenant, policy);
        process.stdout.write(`replaced ${scope}\n`);
        return EXIT_OK;
      }
      case 'reset': {
        if (tenant) await admin().deleteTenantModerationPolicy(tenant);
        else await admin().resetModerationPolicy();
        process.stdout.write(tenant ? `removed the policy of tenant ${tenant}\n` : 'the global policy is the built-in default again\n');
        return EXIT_OK;
      }
      case 'check': {
        if (!arg) throw new UsageError('check needs a prompt');
        const tolerance = intFlag(values.tolerance, '--tolerance', 6);
        const result = await admin().checkPrompt({ prompt: arg, ...(tenant ? { tenant } : {}), ...(tolerance === undefined ? {} : { safety_tolerance: tolerance }) });
        if (farm.json) printJson(result);
        else if (result.blocked) process.stdout.write(`blocked (safety_tolerance ${result.safety_tolerance}): ${result.rule?.kind} "${result.rule?.value}" of ${result.rule?.scope} category "${result.rule?.category}"\n`);
        else process.stdout.write(`allowed (safety_tolerance ${result.safety_tolerance})\n`);
        return result.blocked ? EXIT_FAILED : EXIT_OK;
      }
      default:
        throw new UsageError(action ? `unknown action "${action}"` : 'missing action');
    }
  });
}
