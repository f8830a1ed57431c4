// --stage, --stage-strength and --stages (prompt chaining), shared by local and farm generation:
// the same checks, the same stages, the same file names.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { JobStage } from '@flowfarm/contracts';

type UsageErrorClass = new (message: string) => Error;

/**
 * The job's `stages` from the flags: each `--stage PROMPT` adds a stage after the first (the
 * command's prompt), `--stage-strength S` gives one strength for all of them or one per
 * `--stage`; `--stages FILE` is the whole list as JSON (`[{prompt?, strength?, steps?, seed?}, …]`).
 * The contracts (zod) load only when there are stages to check: a command without them starts faster.
 */
export async function stageFlags(stage: string[] | undefined, strength: string[] | undefined, file: string | undefined, UsageError: UsageErrorClass): Promise<JobStage[] | undefined> {
  if (file !== undefined) {
    if (stage?.length || strength?.length) throw new UsageError('give --stages FILE or --stage/--stage-strength, not both');
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new UsageError(`--stages: cannot read ${file} as JSON (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    return checked(value, UsageError);
  }
  if (!stage?.length) {
    if (strength?.length) throw new UsageError('--stage-strength needs --stage');
    return undefined;
  }
  if (strength?.length && strength.length !== 1 && strength.length !== stage.length) {
    throw new UsageError(`give one --stage-strength for all stages or one per --stage (got ${strength.length} for ${stage.length})`);
  }
  const strengths = (strength ?? []).map((s) => {
    const n = Number(s);
    if (!(Number.isFinite(n) && n > 0 && n <= 1)) throw new UsageError(`--stage-strength must be a number in (0, 1] (got "${s}")`);
    return n;
  });
  const later = stage.map((prompt, k) => {
    const s = strengths.length === 1 ? strengths[0] : strengths[k];
    return { prompt, ...(s === undefined ? {} : { strength: s }) };
  });
  return checked([{}, ...later], UsageError);
}

async function checked(value: unknown, UsageError: UsageErrorClass): Promise<JobStage[]> {
  const { JobInput, MAX_STAGES } = await import('@flowfarm/contracts');
  const parsed = JobInput.shape.stages.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`stages${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${issue.message} (at most ${MAX_STAGES} stages)`);
  }
  return parsed.data!;
}

/** Where a chain's images go: the final stage to `out`, stage k before it to `<out>-stage<k>.<ext>`. */
export function stagePaths(out: string, count: number): string[] {
  const ext = path.extname(out) || '.png';
  const stem = path.extname(out) ? out.slice(0, -ext.length) : out;
  return Array.from({ length: count }, (_, k) => (k === count - 1 ? out : `${stem}-stage${k}${ext}`));
}
