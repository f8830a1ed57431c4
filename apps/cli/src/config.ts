// The CLI's environment, parsed once with zod. This is the only file of the CLI that reads
// process.env; commands receive the parsed object.
import { z } from 'zod';

// An empty variable (`FLOWFARM_API_KEY=`) means "not set", as shells and .env files use it.
const optionalSecret = z.preprocess((value) => (value === '' ? undefined : value), z.string().optional());

export const CliEnv = z.object({
  // Base URL of the farm's API for `generate --api`, `jobs`, `models`, `workers`, `queues`,
  // `keys` (a `--api URL` flag overrides it).
  FLOWFARM_API_URL: z.url({ protocol: /^https?$/ }).default('http://localhost:8080'),
  // A tenant API key (what `npm start` prints or `flowfarm keys create` returns); sent as
  // `Authorization: Bearer` by the tenant commands.
  FLOWFARM_API_KEY: optionalSecret,
  // The farm's ADMIN_API_KEY, for `workers`, `queues` and `keys`.
  FLOWFARM_ADMIN_KEY: optionalSecret,
});
export type CliConfig = z.infer<typeof CliEnv>;

/** Parses the CLI's variables; a bad value is a usage error reported by the caller. */
export function loadConfig(env: Record<string, string | undefined> = process.env): CliConfig {
  return CliEnv.parse(env);
}
