// The CLI's environment, parsed once. This is the only file of the CLI that reads
// process.env; commands receive the parsed object. Checked by hand rather than with zod: the
// farm commands (`jobs list`, …) would otherwise load zod for three variables, a third of
// their start-up time (bench/process-start.ts). The rules are what zod's z.url({ protocol:
// /^https?$/ }) and an optional string checked before (the same messages).

export interface CliConfig {
  // Base URL of the farm's API for `generate --api`, `jobs`, `models`, `workers`, `queues`,
  // `keys` (a `--api URL` flag overrides it). Default http://localhost:8080.
  FLOWFARM_API_URL: string;
  // A tenant API key (what `npm start` prints or `flowfarm keys create` returns); sent as
  // `Authorization: Bearer` by the tenant commands. An empty variable means "not set".
  FLOWFARM_API_KEY?: string;
  // The farm's ADMIN_API_KEY, for `workers`, `queues` and `keys`. An empty variable means "not set".
  FLOWFARM_ADMIN_KEY?: string;
}

/** A variable with a bad value: `issues` name the variable and what is wrong. */
export class CliEnvError extends Error {
  override readonly name = 'CliEnvError';
  constructor(readonly issues: { path: string; message: string }[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  }
}

/** An http(s) URL as given (trimmed, tabs and newlines dropped), or undefined when it is not one. */
function httpUrl(value: string): string | undefined {
  const trimmed = value.trim();
  if (!/^https?:\/\//i.test(trimmed)) return undefined;
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return trimmed.replace(/[\t\n\r]/g, '');
}

/** Parses the CLI's variables; a bad value (CliEnvError) is a usage error reported by the caller. */
export function loadConfig(env: Record<string, string | undefined> = process.env): CliConfig {
  const rawUrl = env.FLOWFARM_API_URL;
  const apiUrl = rawUrl === undefined ? 'http://localhost:8080' : httpUrl(rawUrl);
  if (apiUrl === undefined) throw new CliEnvError([{ path: 'FLOWFARM_API_URL', message: 'Invalid URL' }]);
  const config: CliConfig = { FLOWFARM_API_URL: apiUrl };
  // An empty variable (`FLOWFARM_API_KEY=`) means "not set", as shells and .env files use it.
  if (env.FLOWFARM_API_KEY) config.FLOWFARM_API_KEY = env.FLOWFARM_API_KEY;
  if (env.FLOWFARM_ADMIN_KEY) config.FLOWFARM_ADMIN_KEY = env.FLOWFARM_ADMIN_KEY;
  return config;
}
