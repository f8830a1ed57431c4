// `flowfarm worker`: one worker process (settings from the environment; see
// docs/configuration.md). The first SIGTERM drains; exit 0 once the running jobs finished.
const USAGE = `usage: flowfarm worker

Runs one worker process: loads the models in MODELS_DIR (or MODELS), serves their queues,
exposes /healthz /readyz /metrics on METRICS_PORT. Settings come from the environment.
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
  const { runWorkerProcess } = await import('@flowfarm/worker');
  const code = await runWorkerProcess(process.env);
  // Exit even if a library left a handle open; unref'd, so a clean exit is not delayed.
  setTimeout(() => process.exit(code), 2000).unref();
  return code;
}
