import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { FarmKeys } from './keys.js';
import { renderQueueName } from './keys.js';

/** BullMQ's highest priority value (lower runs first; 0 means "no priority" and runs before all). */
export const BULLMQ_PRIORITY_LIMIT = 2 ** 21 - 1;

/** Priority steps one default-sized job of a model spans at weight 1 (the resolution of fair tags). */
export const STEPS_PER_DEFAULT_JOB = 64;

/**
 * Start-time fair queueing on BullMQ priorities, in one script per submit.
 *
 * Every tenant has a finish tag F per model queue. A job of cost c (megapixel-steps) from a
 * tenant of weight w starts at S = max(V, F) and moves F to S + c/w; V, the virtual time, is the
 * tag of the job that runs next (the head of BullMQ's `prioritized` set, or of the pending set
 * of jobs recorded whose tokens may not be there yet). The job's BullMQ priority is S in steps of `unit` above
 * `base`, so workers take jobs in start-tag order: competing tenants interleave in proportion to
 * their weights, a lone tenant takes every worker (nothing else is queued), and a tenant coming
 * back from idle starts at V (no credit saved up while away). When nothing waits, V is the
 * largest finish tag handed out (SFQ's rule for an idle server), so every tenant starts level:
 * no credit for being away, no charge for work already done.
 *
 * A job whose tenant is not backlogged (S = V) is placed one step before V, ahead of the job
 * that shares its tag, so a tenant coming back to a flooded queue waits only for a free worker.
 *
 * Priority classes reorder a tenant's jobs inside its own slots: the tenant's queued jobs (its
 * fair-queue set, by tag) keep their slots, and a job of a higher class takes the slot of the
 * tenant's first queued job of a lower class, which moves one slot back, and so on; the last
 * takes the new slot. Other tenants see the same slots as before.
 *
 * BullMQ priorities end at 2^21: when a tag would pass it, every queued job's priority moves
 * down so the head sits at 2 (a rebase, O(queued jobs), once per ~2^21 steps of virtual time).
 *
 * KEYS: 1 fair state hash, 2 the tenant's fair-queue set, 3 BullMQ prioritized set, 4 tenant policy hash,
 *       5 (optional) the model's pending set: start tags of jobs not started yet (the lifecycle's
 *       submit script assigns before the token is added; the start script removes the entry).
 * ARGV: 1 job id, 2 class rank (0 high, 1 normal, 2 low), 3 cost, 4 unit (fixed at first use),
 *       5 BullMQ job key prefix (`<prefix>:render.<model>:`), 6 tenant.
 * Returns the BullMQ priority for the job.
 */
export const FAIR_ASSIGN = `
local LIMIT = ${BULLMQ_PRIORITY_LIMIT}
local TWO32 = 4294967296
local state, mine, prioritized = KEYS[1], KEYS[2], KEYS[3]
local jobId, rank, cost, tenant = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[6]
local unit = tonumber(redis.call('HGET', state, 'unit') or '0')
if not unit or unit <= 0 then
  unit = tonumber(ARGV[4])
  redis.call('HSET', state, 'unit', ARGV[4])
end
local base = tonumber(redis.call('HGET', state, 'base') or '0')
local weight = tonumber(redis.call('HGET', KEYS[4], 'weight') or '1')
if not weight or weight <= 0 then weight = 1 end
local fmt = function(x) return string.format('%.17g', x) end
local prioOf = function(score) return math.floor(score / TWO32) end
local tagOf = function(p) return base + (p - 1) * unit end
local prioFor = function(tag) return math.max(1, math.floor((tag - base) / unit + 1e-9) + 1) end

local V
local head = redis.call('ZRANGE', prioritized, 0, 0, 'WITHSCORES')
if head[2] then V = tagOf(prioOf(tonumber(head[2]))) end
-- KEYS[5] (the submit script's): start tags of jobs recorded whose tokens may not be in the
-- prioritized set yet; the next job to run may be one of them
if KEYS[5] then
  local pending = redis.call('ZRANGE', KEYS[5], 0, 0, 'WITHSCORES')
  if pending[2] and (not V or tonumber(pending[2]) < V) then V = tonumber(pending[2]) end
end
-- nothing waits: as in SFQ, the virtual time of an idle queue is the largest finish tag handed
-- out, so every tenant starts level (no credit, and no charge for work already done)
if not V then V = tonumber(redis.call('HGET', state, 'fmax') or '0') end
if V < base then V = base end
local start = math.max(V, tonumber(redis.call('HGET', state, 'f:' .. tenant) or '0'))
local finish = start + cost / weight
redis.call('HSET', state, 'f:' .. tenant, fmt(finish))
if finish > tonumber(redis.call('HGET', state, 'fmax') or '0') then redis.call('HSET', state, 'fmax', fmt(finish)) end

local p = prioFor(start)
-- A tenant that is not backlogged (its start is V itself) goes just before the head's ties: it
-- waits for a free worker, not for the job that happens to share its tag.
if start <= V and p > 1 then p = p - 1 end
if p > LIMIT then
  local delta = (head[2] and prioOf(tonumber(head[2])) or prioFor(V)) - 2
  if delta > 0 then
    local all = redis.call('ZRANGE', prioritized, 0, -1, 'WITHSCORES')
    for i = 1, #all, 2 do
      local score = tonumber(all[i + 1]) - delta * TWO32
      redis.call('ZADD', prioritized, string.format('%.0f', score), all[i])
      redis.call('HSET', ARGV[5] .. all[i], 'priority', prioOf(score))
    end
    base = base + delta * unit
    redis.call('HSET', state, 'base', fmt(base))
    p = p - delta
  end
  if p > LIMIT then p = LIMIT end
end

-- the tenant's jobs that already ran (tags before V) leave its fair-queue set
redis.call('ZREMRANGEBYSCORE', mine, '-inf', '(' .. fmt(V))
local tag = start
local lower = {}
local tail = redis.call('ZRANGE', mine, -1, -1)
if tail[1] and tonumber(string.sub(tail[1], 1, 1)) > rank then
  -- walk back over the tenant's queued jobs of a lower class (they sit last: classes stay in order)
  local n = redis.call('ZCARD', mine)
  local i = n - 1
  while i >= 0 do
    local entry = redis.call('ZRANGE', mine, i, i, 'WITHSCORES')
    if tonumber(string.sub(entry[1], 1, 1)) <= rank then break end
    local id = string.sub(entry[1], 3)
    local score = redis.call('ZSCORE', prioritized, id)
    if score then table.insert(lower, 1, { member = entry[1], id = id, score = tonumber(score), tag = tonumber(entry[2]) })
    else redis.call('ZREM', mine, entry[1]) end
    i = i - 1
  end
end
if #lower > 0 then
  -- the new job takes the first lower-class slot; each lower-class job moves to the next slot
  local newP, newTag = p, tag
  p, tag = prioOf(lower[1].score), lower[1].tag
  for k = 1, #lower do
    local nextP, nextTag = newP, newTag
    if k < #lower then nextP, nextTag = prioOf(lower[k + 1].score), lower[k + 1].tag end
    local score = nextP * TWO32 + lower[k].score % TWO32
    redis.call('ZADD', prioritized, string.format('%.0f', score), lower[k].id)
    redis.call('HSET', ARGV[5] .. lower[k].id, 'priority', nextP)
    redis.call('ZADD', mine, fmt(nextTag), lower[k].member)
  end
end
redis.call('ZADD', mine, fmt(tag), rank .. '|' .. jobId)
if KEYS[5] then redis.call('ZADD', KEYS[5], fmt(tag), jobId) end
return p
`;

/**
 * FAIR_ASSIGN as a Lua function, `fairAssign(KEYS, ARGV)` with the script's keys and arguments,
 * for the submit script (lifecycle/scripts.ts): the record and its fair-share slot in one step.
 */
export const FAIR_ASSIGN_FUNCTION = `
local function fairAssign(KEYS, ARGV)
${FAIR_ASSIGN}
end
`;

/** Priority steps of one default job (`unit` of FAIR_ASSIGN). */
export const fairUnit = (defaultJobCost: number): number => Math.max(defaultJobCost, 1e-9) / STEPS_PER_DEFAULT_JOB;

export interface FairAssignment {
  model: string;
  tenant: string;
  jobId: string;
  /** 0 high, 1 normal, 2 low. */
  rank: number;
  /** The job's cost in megapixel-steps (images × width × height × steps / 10⁶). */
  cost: number;
  /** Cost of the model's default job: sets the tag resolution the first time the queue is used. */
  defaultJobCost: number;
}

/** The job's cost in megapixel-steps: what fair share, quotas and usage count. */
export function megapixelSteps(r: { width: number; height: number; steps: number; numImages: number }): number {
  return (r.width * r.height * r.steps * r.numImages) / 1e6;
}

/** Gives each render job the BullMQ priority that weighted fair share (and its class) calls for. */
export class FairScheduler {
  private static readonly sha = createHash('sha1').update(FAIR_ASSIGN).digest('hex');

  constructor(
    private readonly redis: Redis,
    private readonly keys: FarmKeys,
  ) {}

  /** The BullMQ priority to add the job with (call once per job, after its record is created). */
  async assign(a: FairAssignment): Promise<number> {
    const queueKey = `${this.keys.bullPrefix}:${renderQueueName(a.model)}:`;
    const unit = fairUnit(a.defaultJobCost);
    const args = [
      4,
      this.keys.fairState(a.model),
      this.keys.fairTenantQueue(a.model, a.tenant),
      `${queueKey}prioritized`,
      this.keys.tenantPolicy(a.tenant),
      a.jobId,
      String(a.rank),
      String(a.cost),
      String(unit),
      queueKey,
      a.tenant,
    ] as const;
    try {
      return Number(await this.redis.evalsha(FairScheduler.sha, ...args));
    } catch (err) {
      if (!String((err as Error).message).includes('NOSCRIPT')) throw err;
      return Number(await this.redis.eval(FAIR_ASSIGN, ...args));
    }
  }
}
