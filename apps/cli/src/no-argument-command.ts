// The commands that take no arguments (`api`, `worker`, `webhooks`, `up`): `--help` prints the
// usage (exit 0), anything else given is a usage error (exit 2).

/** Returns the exit code to stop with, or undefined when the command should run. */
export function checkNoArguments(argv: string[], usage: string): number | undefined {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage);
    return 0;
  }
  if (argv.length > 0) {
    process.stderr.write(usage);
    return 2;
  }
  return undefined;
}

/**
 * Runs an app's process entry (settings from the environment, parsed by the app's
 * loadConfig) and exits with its code even if a library left a handle open; the timer is
 * unref'd, so a clean exit is not delayed.
 */
export async function runProcessEntry(entry: (env: NodeJS.ProcessEnv) => Promise<number>): Promise<number> {
  const code = await entry(process.env);
  setTimeout(() => process.exit(code), 2000).unref();
  return code;
}
