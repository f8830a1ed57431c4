// What every command that talks to a farm shares: argument parsing with the common flags
// (--api, --json, --help), building the SDK client from the config, and turning any failure
// into one clear line and the right exit code (0 ok, 1 failed, 2 usage error).

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { FlowfarmAdmin, FlowfarmClient, FlowfarmError, UNREACHABLE_CODE } from '@flowfarm/client';
import { CliEnvError, loadConfig, type CliConfig } from '../config.js';
import { httpFetch } from './http-fetch.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A mistake in how the command was called: printed with the usage hint, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

const COMMON_OPTIONS = {
  api: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies Options;

export interface FarmContext {
  config: CliConfig;
  apiUrl: string;
  json: boolean;
  /** A tenant client; throws UsageError when FLOWFARM_API_KEY is missing. */
  client(): FlowfarmClient;
  /** An admin client; throws UsageError when FLOWFARM_ADMIN_KEY is missing. */
  admin(): FlowfarmAdmin;
}

/** What parseCommandArgs returns: typed values of the command's flags plus the common ones. */
export type ParsedCommandArgs<T extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: typeof COMMON_OPTIONS & T; allowPositionals: true; strict: true }>
>;

/** Parses argv strictly (unknown flags are usage errors) with the common flags added. */
export function parseCommandArgs<T extends Options>(argv: string[], options: T): ParsedCommandArgs<T> {
  try {
    return parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

export function farmContext(values: { api?: string; json?: boolean }): FarmContext {
  let config: CliConfig;
  try {
    config = loadConfig();
  } catch (error) {
    const detail = error instanceof CliEnvError ? error.message : String(error);
    throw new UsageError(`bad environment: ${detail}`);
  }
  const apiUrl = values.api ?? config.FLOWFARM_API_URL;
  if (!/^https?:\/\//.test(apiUrl)) throw new UsageError(`--api must be an http(s) URL, got "${apiUrl}"`);
  return {
    config,
    apiUrl,
    json: values.json ?? false,
    client() {
      if (!config.FLOWFARM_API_KEY) throw new UsageError('set FLOWFARM_API_KEY to an API key of the farm (npm start prints one)');
      return new FlowfarmClient({ baseUrl: apiUrl, apiKey: config.FLOWFARM_API_KEY, fetch: httpFetch });
    },
    admin() {
      if (!config.FLOWFARM_ADMIN_KEY) throw new UsageError("set FLOWFARM_ADMIN_KEY to the farm's ADMIN_API_KEY");
      return new FlowfarmAdmin({ baseUrl: apiUrl, adminKey: config.FLOWFARM_ADMIN_KEY, fetch: httpFetch });
    },
  };
}

/** Runs a command body and maps failures to one line on stderr plus the exit code. */
export async function runFarmCommand(name: string, usage: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`flowfarm ${name}: ${error.message}\n${usage}`);
      return EXIT_USAGE;
    }
    process.stderr.write(`flowfarm ${name}: ${describeFailure(error)}\n`);
    // Invalid parameters the farm refused are the caller's mistake, like a bad flag.
    if (error instanceof FlowfarmError && (error.status === 400 || error.status === 422)) return EXIT_USAGE;
    return EXIT_FAILED;
  }
}

/** One line a person can act on, for the failures people actually hit. */
export function describeFailure(error: unknown): string {
  if (!(error instanceof FlowfarmError)) return error instanceof Error ? error.message : String(error);
  if (error.code === UNREACHABLE_CODE) return `${error.message} — is the farm running? (npm start, or set FLOWFARM_API_URL / --api)`;
  if (error.status === 401) return 'the farm rejected the API key (check FLOWFARM_API_KEY / FLOWFARM_ADMIN_KEY)';
  if (error.status === 403) return 'this needs the admin key (set FLOWFARM_ADMIN_KEY to the farm\'s ADMIN_API_KEY)';
  const fields = error.problem?.errors?.map((field) => `${field.path}: ${field.message}`).join('; ');
  return fields ? `${error.message} [${fields}]` : error.message;
}
