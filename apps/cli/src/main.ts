// `flowfarm` entry point: picks a subcommand and lazily imports only its module, so a
// quick command never pays for loading onnxruntime or BullMQ.
// Each command module exports `run(argv: string[]): Promise<number>` returning the exit code
// (0 ok, 1 job failed, 2 usage error).

type CommandModule = { run(argv: string[]): Promise<number> };

const commands: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  generate: { summary: 'generate images locally (or through a farm with --api)', load: () => import('./commands/generate.js') },
  up: { summary: 'start the farm: api + workers (+ a private Redis if needed)', load: () => import('./commands/up.js') },
  api: { summary: 'run one API process', load: () => import('./commands/api.js') },
  worker: { summary: 'run one worker process', load: () => import('./commands/worker.js') },
  webhooks: { summary: 'run a webhook delivery process', load: () => import('./commands/webhooks.js') },
  jobs: { summary: 'jobs list|get|cancel', load: () => import('./commands/jobs.js') },
  dataset: { summary: 'dataset create spec.json --out dir | get | cancel | list', load: () => import('./commands/dataset.js') },
  models: { summary: 'models served by live workers', load: () => import('./commands/models.js') },
  workers: { summary: 'live workers, their models and busy state', load: () => import('./commands/workers.js') },
  queues: { summary: 'queue depth and oldest wait per model', load: () => import('./commands/queues.js') },
  keys: { summary: 'keys create|list|revoke (admin)', load: () => import('./commands/keys.js') },
  tenants: { summary: 'tenants list|get|set: fair-share weight, highest priority, quotas (admin)', load: () => import('./commands/tenants.js') },
  usage: { summary: 'metered usage per day or model, as a table, JSON or CSV (--all: every tenant, admin)', load: () => import('./commands/usage.js') },
  verify: { summary: 'check an image: signed provenance (valid|tampered|unsigned|unknown key) and watermark', load: () => import('./commands/verify.js') },
  audit: { summary: 'the audit log: who submitted what, from where, moderation outcome (admin)', load: () => import('./commands/audit.js') },
  moderation: { summary: 'prompt moderation policies: show|add-term|set-cap|check … (admin)', load: () => import('./commands/moderation.js') },
};

/** Commands that run until they are stopped; every other command ends its process when it is done. */
const LONG_RUNNING = new Set(['up', 'api', 'worker', 'webhooks']);

/** Resolves once what was written to the stream has been handed to the system. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: flowfarm <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`flowfarm: unknown command "${name}" (try flowfarm --help)\n`);
    return 2;
  }
  const mod = await command.load();
  return mod.run(rest);
}

main(process.argv.slice(2)).then(
  async (code) => {
    process.exitCode = code;
    // A finished one-shot command exits now rather than when its last handle closes: fetch keeps
    // the farm's connection open for reuse, which held `flowfarm jobs list` up to a second longer
    // than its request (bench/process-start.ts).
    if (!LONG_RUNNING.has(process.argv[2] ?? '')) {
      await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
      process.exit(code);
    }
  },
  (err: unknown) => {
    process.stderr.write(`flowfarm: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
