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

