// `flowfarm api`: one API process (settings from the environment; see docs/configuration.md).
// The CLI is the farm's launcher, so it starts the api app's entry rather than re-wiring it.
const USAGE = `usage: flowfarm api

Runs one API process. Settings come from the environment (PORT, REDIS_URL, API_KEYS,
ADMIN_API_KEY, STORAGE, …; see docs/configuration.md).
`;

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (argv.length > 0) {
    process.stderr.write(USAGE);
    return 2;
  }
  const { runApiProcess } = await import('@flowfarm/api');
  const code = await runApiProcess(process.env);
  // Exit even if a library left a handle open; unref'd, so a clean exit is not delayed.
  setTimeout(() => process.exit(code), 2000).unref();
  return code;
}
