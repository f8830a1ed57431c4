// `flowfarm generate "<prompt>" --api URL`: the same command as local generation, but the job
// runs on a farm. Shows the queue position, then each step, then the saved file(s).

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { JobEvent, JobInput, JobView } from '@flowfarm/client';
import { JOB_PRIORITIES, parseCancelAfter } from '@flowfarm/contracts/plain';
import { EXIT_FAILED, EXIT_OK, UsageError, farmContext, parseCommandArgs, runFarmCommand } from '../farm/farm-command.js';
import { printJson } from '../farm/print-output.js';
import { aspectRatioFlags, extensionOf, jobAspectRatio, jobOutputFormat, outputFormatFlags, paletteFlag } from './output-format-flags.js';
import { ProgressReporter } from '../farm/progress-reporter.js';
import { imageField, imageFlags } from './image-flags.js';
import { stageFlags, stagePaths } from './stage-flags.js';

const USAGE = `usage: flowfarm generate "<prompt>" --api URL [--out FILE] [--model M] [--width W] [--height H]
         [--steps N] [--seed N] [--guidance G] [--num-images N] [--format png|jpeg|webp] [--quality Q]
         [--aspect-ratio R] [--ultra] [--palette #rrggbb,…] [--style NAME] [--raw]
         [--image FILE|RESULT_URL [--strength S]] [--stage PROMPT [--stage-strength S]]… | [--stages FILE]
         [--priority high|normal|low] [--start-timeout SECONDS] [--cancel-after 5m]
         [--timeout SECONDS] [--json]
(uses FLOWFARM_API_KEY; --out defaults to <job id>.png, .jpg or .webp)
`;

/** --priority and --start-timeout as job fields. */
function priorityFlags(priority: string | undefined, startTimeout: string | undefined): Pick<JobInput, 'priority' | 'start_timeout'> {
  if (priority !== undefined && !(JOB_PRIORITIES as readonly string[]).includes(priority)) throw new UsageError(`--priority must be high, normal or low (got "${priority}")`);
  const seconds = integer('start-timeout', startTimeout);
  if (seconds === 0) throw new UsageError('--start-timeout must be at least 1 second');
  return { ...(priority ? { priority: priority as JobInput['priority'] } : {}), ...(seconds === undefined ? {} : { start_timeout: seconds }) };
}

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a non-negative integer (got "${value}")`);
  return Number(value);
}

/** x.png → x-0.png, x-1.png … when a job made more than one image (as local generate does). */
function outputPaths(out: string, count: number): string[] {
  if (count === 1) return [out];
  const ext = path.extname(out) || '.png';
  const stem = path.extname(out) ? out.slice(0, -ext.length) : out;
  return Array.from({ length: count }, (_, k) => `${stem}-${k}${ext}`);
}

export function runRemote(argv: string[]): Promise<number> {
  return runFarmCommand('generate', USAGE, async () => {
    const { values, positionals } = parseCommandArgs(argv, {
      out: { type: 'string', short: 'o' },
      seed: { type: 'string' },
      steps: { type: 'string' },
      width: { type: 'string' },
      height: { type: 'string' },
      guidance: { type: 'string' },
      'num-images': { type: 'string', short: 'n' },
      format: { type: 'string' },
      quality: { type: 'string' },
      'aspect-ratio': { type: 'string' },
      ultra: { type: 'boolean' },
      palette: { type: 'string' },
      style: { type: 'string' },
      raw: { type: 'boolean' },
      image: { type: 'string' },
      strength: { type: 'string' },
      stage: { type: 'string', multiple: true },
      'stage-strength': { type: 'string', multiple: true },
      stages: { type: 'string' },
      model: { type: 'string', short: 'm' },
      'models-dir': { type: 'string' },
      timeout: { type: 'string' },
      priority: { type: 'string' },
      'start-timeout': { type: 'string' },
      'cancel-after': { type: 'string' },
    });
    if (values.help) {
      process.stdout.write(USAGE);
      return EXIT_OK;
    }
    if (positionals.length !== 1) throw new UsageError('expected exactly one prompt (quote it)');
    if (values['models-dir'] !== undefined) throw new UsageError('--models-dir is for local generation; the farm uses its own models');
    const guidance = values.guidance === undefined ? undefined : Number(values.guidance);
    if (guidance !== undefined && !Number.isFinite(guidance)) throw new UsageError('--guidance must be a number');
    const timeoutSeconds = integer('timeout', values.timeout);
    const image = imageFlags(values.image, values.strength, UsageError, true);
    const stages = await stageFlags(values.stage as string[] | undefined, values['stage-strength'] as string[] | undefined, values.stages as string | undefined, UsageError);
    const input: JobInput = {
      prompt: positionals[0]!,
      model: values.model,
      width: integer('width', values.width),
      height: integer('height', values.height),
      steps: integer('steps', values.steps),
      seed: integer('seed', values.seed),
      num_images: integer('num-images', values['num-images']),
      guidance,
      ...jobOutputFormat(outputFormatFlags(values.format, values.quality, UsageError)),
      ...jobAspectRatio(aspectRatioFlags(values['aspect-ratio'], values.ultra, UsageError)),
      ...paletteFlag(values.palette, UsageError),
      ...(values.style === undefined ? {} : { style: values.style }),
      ...(values.raw ? { raw: true } : {}),
      // a chain's first stage may carry its own strength (--stages FILE); then the job gives none
      ...(image ? { image: imageField(image, UsageError), ...(stages?.[0]?.strength === undefined ? { strength: image.strength } : {}) } : {}),
      ...(stages ? { stages } : {}),
      ...priorityFlags(values.priority, values['start-timeout']),
    };
    const cancelAfter = values['cancel-after'];
    if (cancelAfter !== undefined && parseCancelAfter(cancelAfter) === null) throw new UsageError(`--cancel-after must be a duration such as 30, 90s, 5m or 1h30m (got "${cancelAfter}")`);
    const farm = farmContext(values);
    const client = farm.client();
    const progress = new ProgressReporter(process.stderr, { quiet: farm.json });

    const submitted = await client.submit(input, cancelAfter === undefined ? {} : { cancelAfter });
    progress.queued(submitted.id, submitted.queue_position);
    const job = await client.wait(submitted.id, {
      timeoutMs: timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000,
      onEvent: (event: JobEvent) => progress.event(event),
    });
    progress.done();

    const files = job.status === 'succeeded' ? await saveOutputs(job, values.out ?? `${job.id}.${extensionOf(job.input.output_format)}`, (output) => client.download(output)) : [];
    if (farm.json) printJson(summary(job, files));
    else if (job.status === 'succeeded') {
      for (const [k, file] of files.entries()) process.stdout.write(`wrote ${file} (seed ${job.outputs[k]?.seed})\n`);
    } else {
      process.stderr.write(`flowfarm generate: job ${job.id} ${job.status}${job.error ? `: ${job.error.message}` : ''}\n`);
    }
    return job.status === 'succeeded' ? EXIT_OK : EXIT_FAILED;
  });
}

async function saveOutputs(job: JobView, out: string, download: (output: { url: string }) => Promise<Uint8Array>): Promise<string[]> {
  // a prompt chain: the final stage to --out, the stages before it beside it (as locally)
  const files = job.input.stages ? stagePaths(out, job.outputs.length) : outputPaths(out, job.outputs.length);
  await mkdir(path.dirname(path.resolve(files[0] ?? out)), { recursive: true });
  for (const [k, output] of job.outputs.entries()) await writeFile(files[k]!, await download(output));
  return files;
}

function summary(job: JobView, files: string[]) {
  return {
    id: job.id,
    status: job.status,
    outputs: files.map((file) => path.resolve(file)),
    seeds: job.outputs.map((output) => output.seed),
    model: job.model,
    prompt: job.input.prompt,
    width: job.input.width,
    height: job.input.height,
    steps: job.input.steps,
    error: job.error,
    job,
  };
}
