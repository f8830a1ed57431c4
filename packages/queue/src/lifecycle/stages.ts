// Prompt chaining: one job renders its `stages` in order, each refining the previous stage's
// output with image-to-image. Between stages the job's record is the only state: after a stage
// the worker stores that stage's image, then one script records the stage as done (the output,
// the next stage's index, progress so far) and puts the job back to `queued` with an outbox
// entry, and the worker dispatches the token of the next stage. Any worker continues from the
// stored image; a worker killed between stages loses nothing (the reconciler dispatches the next
// stage's token from the outbox; a killed worker's own token is handed back by the takeover).
import type { Redis } from 'ioredis';
import type { JobEventType, JobStreamEvent } from '@flowfarm/contracts';
import type { FarmKeys } from '../keys.js';
import type { JobRecord, RenderRequest, RenderStage, StoredOutput } from '../job-record.js';
import { runScript } from '../lua.js';
import { crashAt, type FaultPoint } from './faults.js';

/** Strength of a stage after the first when it gives none (the job API's default, contracts' plain.ts). */
export { DEFAULT_STAGE_STRENGTH } from '@flowfarm/contracts/plain';
import { stepsAtStrength } from '@flowfarm/contracts/plain';

/**
 * The dispatch token's BullMQ id for a job's stage: the job id for the first stage (and every
 * job that is not a chain), `<id>-s<k>` for stage k, so the next stage's token can be added while
 * the current one is still active, and adding one twice is a no-op.
 */
export function dispatchTokenId(jobId: string, stage?: number | null): string {
  return stage ? `${jobId}-s${stage}` : jobId;
}

/** Steps a stage runs: image-to-image starts part way down the schedule (pipeline's partialSchedule). */
export function stageRunSteps(steps: number, strength: number | undefined, fromImage: boolean): number {
  if (!fromImage || strength === undefined) return steps;
  return stepsAtStrength(steps, strength);
}

/** Steps every stage of a chain runs before stage `upTo` (all stages when absent): overall progress. */
export function chainSteps(request: RenderRequest, upTo?: number): number {
  const stages = request.stages ?? [];
  let sum = 0;
  for (let k = 0; k < (upTo ?? stages.length); k++) sum += stageRunSteps(stages[k].steps, stages[k].strength, k > 0 || request.image !== undefined);
  return sum;
}

/** Total steps of a job's progress: all stages of a chain, else the job's steps (image-to-image: its partial schedule). */
export function progressTotal(request: RenderRequest): number {
  return request.stages?.length ? chainSteps(request) : request.steps;
}

/**
 * The request of stage `k`: the job's request with the stage's prompt, steps, seed and strength.
 * Stage 0 starts from the job's image (if any); later stages from `previous`, the stored output of
 * stage k - 1.
 */
export function stageRequest(request: RenderRequest, k: number, previous?: { key: string; sha256: string }): RenderRequest {
  const stage: RenderStage = request.stages![k];
  const { stages: _stages, strength: _strength, image, ...rest } = request;
  const from = k === 0 ? image : previous;
  return {
    ...rest,
    prompt: stage.prompt,
    steps: stage.steps,
    seed: stage.seed,
    numImages: 1,
    ...(from ? { image: from, ...(stage.strength === undefined ? {} : { strength: stage.strength }) } : {}),
  };
}

/**
 * KEYS: job, events, workerJobs, dispatch.
 * ARGV: workerId, stage done (index), outputs (JSON, every stage so far), progressJson,
 *       steps done, eventJson, channel, nowMs, renderMs, gpuMs.
 * running (held by this worker, at this stage) → queued for the next stage, in one step: the
 * outputs so far, the next stage's index, where its progress starts, the time spent, an outbox
 * entry (the reconciler dispatches the next token if the worker dies before it does), the
 * holder's entry marked done with the stage it ran (`<model> done <k>`: takeover.ts hands that
 * stage's token back if the worker dies before BullMQ hears of the end). Returns {'ok', eventId, ''}, {'cancel', status, '1'} when a cancel
 * was requested during the stage (the worker cancels the job), or {'refused', status|'stage', c}.
 */
export const STAGE_DONE = `
local cur = redis.call('HMGET', KEYS[1], 'status', 'worker', 'cancel_requested', 'stage')
if not cur[1] then return {'refused', 'missing', ''} end
if cur[1] ~= 'running' or cur[2] ~= ARGV[1] then return {'refused', cur[1], cur[3] or ''} end
if tonumber(cur[4] or '-1') ~= tonumber(ARGV[2]) then return {'refused', 'stage', cur[3] or ''} end
if cur[3] == '1' then return {'cancel', cur[1], '1'} end
redis.call('HSET', KEYS[1], 'status', 'queued', 'stage', tonumber(ARGV[2]) + 1, 'stage_step', ARGV[5], 'outputs', ARGV[3], 'progress', ARGV[4])
redis.call('HINCRBY', KEYS[1], 'stage_render_ms', ARGV[9])
redis.call('HINCRBY', KEYS[1], 'stage_gpu_ms', ARGV[10])
local eid = redis.call('XADD', KEYS[2], 'MAXLEN', '~', '10000', '*', 'e', ARGV[6])
local id = redis.call('HGET', KEYS[1], 'id')
redis.call('ZADD', KEYS[4], ARGV[8], id)
if redis.call('HEXISTS', KEYS[3], id) == 1 then
  redis.call('HSET', KEYS[3], id, redis.call('HGET', KEYS[1], 'model') .. ' done ' .. ARGV[2])
end
redis.call('PUBLISH', ARGV[7], eid)
return {'ok', eid, ''}
`;

/** What the lifecycle lends the stage transition (job-lifecycle.ts keeps its own helpers private). */
export interface StageContext {
  redis: Redis;
  keys: FarmKeys;
  fault?: FaultPoint;
  event(type: JobEventType, jobId: string, extra: Partial<JobStreamEvent>): JobStreamEvent;
  notify(type: JobEventType, record: JobRecord): Promise<void>;
  dispatch(record: JobRecord): Promise<void>;
  onError?: (err: unknown, context: string) => void;
}

export type StageOutcome =
  | { kind: 'ok'; record: JobRecord }
  | { kind: 'cancel' }
  | { kind: 'refused'; status: string };

/**
 * Records stage `done.stage` of a chain as done (outputs already stored) and dispatches the next
 * stage's token. A crash between the two leaves an outbox entry: the reconciler dispatches it.
 */
export async function completeStage(
  ctx: StageContext,
  record: JobRecord,
  workerId: string,
  outputs: StoredOutput[],
  done: { stage: number; stepsDone: number; renderMs: number; gpuMs: number },
): Promise<StageOutcome> {
  crashAt(ctx.fault, 'stage:before-record');
  const k = ctx.keys;
  const next = done.stage + 1;
  const progress = { step: done.stepsDone, total: record.progress.total };
  const [kind, value] = (await runScript(
    ctx.redis,
    STAGE_DONE,
    [k.job(record.id), k.jobEvents(record.id), k.workerJobs(workerId), k.dispatch],
    [
      workerId, String(done.stage), JSON.stringify(outputs), JSON.stringify(progress), String(done.stepsDone),
      JSON.stringify(ctx.event('job.queued', record.id, { progress, stage: next })), k.jobChannel(record.id), String(Date.now()),
      String(Math.round(done.renderMs)), String(Math.round(done.gpuMs)),
    ],
  )) as [string, string, string];
  if (kind === 'cancel') return { kind };
  if (kind !== 'ok') return { kind: 'refused', status: value };
  const queued: JobRecord = {
    ...record, status: 'queued', outputs, progress, stage: next, stageStep: done.stepsDone,
    stageRenderMs: (record.stageRenderMs ?? 0) + done.renderMs, stageGpuMs: (record.stageGpuMs ?? 0) + done.gpuMs,
  };
  crashAt(ctx.fault, 'stage:after-record');
  // The outbox entry is there: a dispatch that fails now is retried by the reconciler.
  await ctx.dispatch(queued).catch((err: unknown) => ctx.onError?.(err, 'next stage not dispatched; the reconciler retries it'));
  await ctx.notify('job.queued', queued);
  return { kind: 'ok', record: queued };
}
