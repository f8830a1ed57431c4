// Lua scripts of the job lifecycle. Each moves a job's record, its event stream, the tenant's
// active set, the retention schedule, the dispatch outbox and the per-job pub/sub notice in one
// step, so a cancel racing a worker's start, two API replicas racing on one Idempotency-Key, or a
// process dying half-way through a transition, cannot leave a half-changed job.
//
// Quotas, deadlines and usage metering (fair-scripts.ts) run inside these scripts too.
//
import { QUOTA_CHECK, QUOTA_RESERVE_AND_DEADLINE, TERMINAL_EFFECTS } from '../fair-scripts.js';
import { FAIR_ASSIGN_FUNCTION } from '../fair-share.js';

// The record is a hash `<prefix>:job:<id>`: status, progress, attempt, worker, times, outputs,
// error... and `request`, the pipeline request the worker renders (BullMQ only carries the id).

// The job's BullMQ token (KEYS[10]) with priority `prio`, as bullmq 5's addPrioritizedJob stores a
// job with a given id: the hash (name, data, opts with jobId and priority, timestamp, delay,
// priority), the "added" and "waiting" events, the prioritized entry (priority · 2³² + the
// queue's priority counter) and the marker that wakes a blocked worker unless the queue is
// paused or at its global concurrency.
const WRITE_TOKEN = `
if redis.call('EXISTS', KEYS[10]) == 0 then
  local token = cjson.decode(ARGV[14])
  redis.call('INCR', KEYS[19])
  local maxEvents = redis.call('HGET', KEYS[16], 'opts.maxLenEvents')
  if not maxEvents then
    maxEvents = token.maxEvents
    redis.call('HSET', KEYS[16], 'opts.maxLenEvents', maxEvents)
  end
  local opts = cjson.decode(token.opts)
  opts.jobId = ARGV[1]
  opts.priority = prio
  redis.call('HMSET', KEYS[10], 'name', token.name, 'data', token.data, 'opts', cjson.encode(opts), 'timestamp', ARGV[7], 'delay', 0, 'priority', prio)
  redis.call('XADD', KEYS[22], '*', 'event', 'added', 'jobId', ARGV[1], 'name', token.name)
  local counter = redis.call('INCR', KEYS[20])
  redis.call('ZADD', KEYS[14], string.format('%.0f', prio * 4294967296 + counter % 4294967296), ARGV[1])
  local meta = redis.call('HMGET', KEYS[16], 'paused', 'concurrency')
  if not meta[1] and not (meta[2] and redis.call('LLEN', KEYS[23]) >= tonumber(meta[2])) then redis.call('ZADD', KEYS[21], 0, '0') end
  redis.call('XADD', KEYS[22], 'MAXLEN', '~', maxEvents, '*', 'event', 'waiting', 'jobId', ARGV[1])
end
`;

/**
 * A job channel's notice is the id of the event it announces; the one that ends the job carries
 * this word after it and then the job's final record (its hash as a flat JSON array), so a client
 * waiting only for the end (Prefer: wait) skips the steps and answers without reading the job.
 */
export const TERMINAL_NOTICE = 'end';

/**
 * KEYS: idem (or job when unused), active, job, tenantJobs, events, tenantPolicy, dayQuota,
 *       monthQuota, deadlines, BullMQ token (`<queue prefix><id>`), retention, fairState,
 *       fairTenantQueue, BullMQ prioritized, BullMQ wait, BullMQ meta, audit stream, the model's
 *       waiting set (submit time of jobs not claimed yet, for the oldest-wait gauge), BullMQ id
 *       counter, BullMQ priority counter (pc), BullMQ marker, BullMQ events, BullMQ active.
 * ARGV: id, useIdem, bodyHash, maxActive, idemTtlSec, fields (flat JSON array), createdMs,
 *       terminalEventJson ('' for a queued job), retentionScore, extrasJson (quota and deadline,
 *       fair-scripts.ts), retentionMember, fairJson (`{rank, cost, unit, queuePrefix, tenant}`, or ''
 *       for first in, first out), appendJson (`{minId, fields}` of an entry for the stream
 *       KEYS[17], the audit log; '' for none), tokenJson (`{name, data, opts, maxEvents}`:
 *       RenderQueues.tokenFields).
 * A queued job gets its dispatch priority here (the fair-share slot, fair-share.ts, or 1), kept
 * in the record as `prio`, its queue position (the tokens that run before it — lower priority, or
 * the same and added earlier — plus the wait list), and its BullMQ token: written here as
 * BullMQ's own addPrioritizedJob writes one (bullmq 5; checked field by field against
 * queue.add by render-token.test.ts), so record and token exist together or not at all, in one
 * round trip.
 * Returns {'created', id, priority, position, jumped (1: first in line ahead of waiting jobs)}, {'existing'|'conflict', id}, {'full', activeCount}
 * or {'quota', ...breach}.
 */
export const SUBMIT = `
${FAIR_ASSIGN_FUNCTION}
if ARGV[2] == '1' then
  local prev = redis.call('GET', KEYS[1])
  if prev then
    local sep = string.find(prev, '|', 1, true)
    local prevId = string.sub(prev, 1, sep - 1)
    if string.sub(prev, sep + 1) == ARGV[3] then return {'existing', prevId} end
    return {'conflict', prevId}
  end
end
local active = redis.call('SCARD', KEYS[2])
if active >= tonumber(ARGV[4]) then return {'full', tostring(active)} end
${QUOTA_CHECK}
redis.call('HSET', KEYS[3], unpack(cjson.decode(ARGV[6])))
redis.call('ZADD', KEYS[4], ARGV[7], ARGV[1])
if ARGV[2] == '1' then redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[3], 'EX', ARGV[5]) end
local prio, position, jumped = 0, -1, 0
if ARGV[8] == '' then
  redis.call('SADD', KEYS[2], ARGV[1])
  prio = 1
  if ARGV[12] ~= '' then
    local f = cjson.decode(ARGV[12])
    prio = fairAssign({KEYS[12], KEYS[13], KEYS[14], KEYS[6]}, {ARGV[1], tostring(f.rank), tostring(f.cost), tostring(f.unit), f.queuePrefix, f.tenant})
  end
  redis.call('HSET', KEYS[3], 'prio', prio)
  redis.call('ZADD', KEYS[18], ARGV[7], ARGV[1])
  position = redis.call('ZCOUNT', KEYS[14], '-inf', '(' .. string.format('%.0f', (prio + 1) * 4294967296)) + redis.call('LLEN', KEYS[15])
  -- first in line ahead of jobs already waiting: every worker is busy, and this job jumped them
  if position == 0 and redis.call('ZCARD', KEYS[14]) > 0 then jumped = 1 end
  ${WRITE_TOKEN}
else
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', '10000', '*', 'e', ARGV[8])
  redis.call('ZADD', KEYS[11], ARGV[9], ARGV[11])
end
${QUOTA_RESERVE_AND_DEADLINE}
if ARGV[13] ~= '' then
  local a = cjson.decode(ARGV[13])
  redis.call('XADD', KEYS[17], 'MINID', '~', a.minId, '*', unpack(a.fields))
end
return {'created', ARGV[1], prio, position, jumped}
`;

// Claim and begin. A worker takes a token from BullMQ (claim) before the model is free to render
// it: a batching worker collects the next batch while the current one renders. The claim records
// that this worker holds the job (fast takeover finds it when the worker dies) but leaves it
// `queued`; the job becomes `running` (started_at, job.started) when its batch starts (begin).
// START does both at once (tests, and tools that render at once).
const CLAIM_BODY = `
local cur = redis.call('HGET', KEYS[1], 'status')
if not cur then return {'missing'} end
if cur ~= 'queued' and cur ~= 'running' then
  local out = {'terminal', cur, ''}
  for _, v in ipairs(redis.call('HGETALL', KEYS[1])) do out[#out + 1] = v end
  return out
end
if cur == 'queued' and not redis.call('HGET', KEYS[1], 'started_at') then
  local startBy = redis.call('HGET', KEYS[1], 'start_by')
  if startBy and tonumber(startBy) < tonumber(ARGV[3]) then
    local out = {'overdue', cur, ''}
    for _, v in ipairs(redis.call('HGETALL', KEYS[1])) do out[#out + 1] = v end
    return out
  end
end
local id = redis.call('HGET', KEYS[1], 'id')
local held = redis.call('HGETALL', KEYS[3])
for i = 1, #held, 2 do
  if string.find(held[i + 1], ' done', 1, true) then redis.call('HDEL', KEYS[3], held[i]) end
end
redis.call('HSET', KEYS[3], id, redis.call('HGET', KEYS[1], 'model'))
redis.call('HSET', KEYS[1], 'worker', ARGV[1], 'claimed_at', ARGV[3])
redis.call('SADD', KEYS[4], ARGV[1])
redis.call('ZREM', KEYS[5], id)
redis.call('ZREM', KEYS[6], id)
redis.call('ZREM', KEYS[7], id)
`;

// queued|running (held by this worker) → running: attempt, started_at (first run), job.started.
const BEGIN_BODY = `
local progress = cjson.decode(redis.call('HGET', KEYS[1], 'progress') or '{"step":0,"total":0}')
-- a prompt chain's later stage starts where the stages done so far left its progress (stages.ts)
redis.call('HSET', KEYS[1], 'status', 'running', 'attempt', ARGV[2], 'worker', ARGV[1],
  'progress', '{"step":' .. (redis.call('HGET', KEYS[1], 'stage_step') or '0') .. ',"total":' .. (progress.total or 0) .. '}')
redis.call('HSETNX', KEYS[1], 'started_at', ARGV[3])
local eid = redis.call('XADD', KEYS[2], 'MAXLEN', '~', '10000', '*', 'e', ARGV[4])
redis.call('PUBLISH', ARGV[5], eid)
`;

/**
 * KEYS: job, events, workerJobs, holders, dispatch, fairPending, waiting (of the job's model).
 * ARGV: workerId, attempt, nowMs, eventJson, channel.
 * Claim and begin in one step: queued|running → running for this worker (a first run, a retry,
 * or a re-run after the previous holder died). A started job was dispatched: its outbox, fair
 * pending and waiting entries (if still there) go. Returns {'ok', eventId, cancelRequested,
 * record...} with the whole record as flat field/value pairs, {'terminal', status, '', record...}
 * when the job already ended, {'overdue', ...} past its start deadline, {'missing'}.
 */
export const START = `
${CLAIM_BODY}
${BEGIN_BODY}
local out = {'ok', eid, redis.call('HGET', KEYS[1], 'cancel_requested') or ''}
for _, v in ipairs(redis.call('HGETALL', KEYS[1])) do out[#out + 1] = v end
return out
`;

/**
 * KEYS: job, events, workerJobs, holders, dispatch, fairPending, waiting (of the job's model).
 * ARGV: workerId, (unused), nowMs.
 * The worker holds the job from now on (`worker`, `claimed_at`; its entry in the worker's jobs, so
 * takeover hands it back when the worker dies), but it is not running: its status stays as it was
 * (queued; running for a re-run whose previous holder died, until it begins again). Returns
 * {'ok', '', cancelRequested, record...}, {'terminal'|'overdue', status, '', record...} or {'missing'}.
 */
export const CLAIM = `
${CLAIM_BODY}
local out = {'ok', '', redis.call('HGET', KEYS[1], 'cancel_requested') or ''}
for _, v in ipairs(redis.call('HGETALL', KEYS[1])) do out[#out + 1] = v end
return out
`;

/**
 * KEYS: job, events, workerJobs. ARGV: workerId, attempt, nowMs, eventJson, channel, model.
 * The claimed job's batch starts: queued|running → running, if this worker still holds it (not
 * taken over after a missed heartbeat, not canceled or expired meanwhile). Returns {'ok', eventId,
 * cancelRequested} or {'refused', status, cancelRequested}; a refused job's entry in the worker's
 * jobs is marked done (the worker tells BullMQ next).
 */
export const BEGIN = `
local cur = redis.call('HMGET', KEYS[1], 'status', 'worker', 'cancel_requested')
if not cur[1] then return {'refused', 'missing', ''} end
if (cur[1] ~= 'queued' and cur[1] ~= 'running') or cur[2] ~= ARGV[1] then
  if redis.call('HEXISTS', KEYS[3], redis.call('HGET', KEYS[1], 'id')) == 1 then
    redis.call('HSET', KEYS[3], redis.call('HGET', KEYS[1], 'id'), ARGV[6] .. ' done')
  end
  return {'refused', cur[1], cur[3] or ''}
end
${BEGIN_BODY}
return {'ok', eid, cur[3] or ''}
`;

/**
 * KEYS: job, events. ARGV: workerId, progressJson, eventJson, channel.
 * Records a step of a run this worker holds. Returns {'ok', eventId, cancelRequested} or
 * {'refused', status, cancelRequested} (the job was taken over, canceled, or ended).
 */
export const PROGRESS = `
local cur = redis.call('HMGET', KEYS[1], 'status', 'worker', 'cancel_requested')
if cur[1] ~= 'running' or cur[2] ~= ARGV[1] then return {'refused', cur[1] or 'missing', cur[3] or ''} end
redis.call('HSET', KEYS[1], 'progress', ARGV[2])
local eid = redis.call('XADD', KEYS[2], 'MAXLEN', '~', '10000', '*', 'e', ARGV[3])
redis.call('PUBLISH', ARGV[4], eid)
return {'ok', eid, cur[3] or ''}
`;

/**
 * KEYS: job, events, active, retention, workerJobs, failures, effectKey1, effectKey2, the model's
 *       failed set, then index keys to set with it.
 * ARGV: allowedFrom (comma list), fields (flat JSON array), eventJson, id, terminal ('1'|'0'),
 *       retentionScore, retentionMember, channel, workerId ('' = whoever holds it), failuresCap,
 *       nowMs, status, index values and TTLs (JSON array of [value, ttlSec], one per index key),
 *       effectsJson (quota release or usage, fair-scripts.ts), leadingEventJson (an event appended
 *       just before this one, e.g. the final step's progress; '' for none).
 * Any transition after the start: finish (succeeded/failed/canceled/moderated) or back to queued
 * for a retry. A worker's transition is refused once another worker took the job over (or claimed it).
 * Returns {'ok', eventId, cancelRequested} | {'refused', status, cancelRequested} | {'missing'}.
 */
export const TRANSITION = `
${TERMINAL_EFFECTS}
local cur = redis.call('HMGET', KEYS[1], 'status', 'worker', 'cancel_requested')
if not cur[1] then return {'missing', '', ''} end
local ok = false
for s in string.gmatch(ARGV[1], '[^,]+') do if s == cur[1] then ok = true end end
if ARGV[9] ~= '' and (cur[1] == 'running' or cur[1] == 'queued') and cur[2] ~= ARGV[9] then ok = false end
if not ok then return {'refused', cur[1], cur[3] or ''} end
redis.call('HSET', KEYS[1], unpack(cjson.decode(ARGV[2])))
if ARGV[15] and ARGV[15] ~= '' then redis.call('XADD', KEYS[2], 'MAXLEN', '~', '10000', '*', 'e', ARGV[15]) end
local eid = redis.call('XADD', KEYS[2], 'MAXLEN', '~', '10000', '*', 'e', ARGV[3])
if ARGV[5] == '1' then
  redis.call('SREM', KEYS[3], ARGV[4])
  redis.call('ZADD', KEYS[4], ARGV[6], ARGV[7])
  applyEffects(KEYS[1], ARGV[14], KEYS[7], KEYS[8])
end
if ARGV[12] == 'failed' then
  redis.call('ZADD', KEYS[6], ARGV[11], ARGV[4])
  redis.call('ZREMRANGEBYRANK', KEYS[6], 0, -1 - tonumber(ARGV[10]))
  -- the model's failed jobs still kept: scored by failure time, older than the retention go
  redis.call('ZADD', KEYS[9], ARGV[11], ARGV[4])
  redis.call('ZREMRANGEBYSCORE', KEYS[9], '-inf', '(' .. (2 * tonumber(ARGV[11]) - tonumber(ARGV[6])))
end
-- the holder keeps the entry, marked done, until its next start: a worker that dies before
-- BullMQ hears of the end still has its token handed back at once
if cur[2] and redis.call('HEXISTS', KEYS[5], ARGV[4]) == 1 then
  redis.call('HSET', KEYS[5], ARGV[4], redis.call('HGET', KEYS[1], 'model') .. ' done')
end
for i, entry in ipairs(cjson.decode(ARGV[13])) do redis.call('SET', KEYS[9 + i], entry[1], 'EX', entry[2]) end
redis.call('PUBLISH', ARGV[8], ARGV[5] == '1' and (eid .. ' ${TERMINAL_NOTICE} ' .. cjson.encode(redis.call('HGETALL', KEYS[1]))) or eid)
return {'ok', eid, cur[3] or ''}
`;

/**
 * KEYS: job, events, active, retention, dayQuota, monthQuota. ARGV: id, nowMs, canceledEventJson,
 * retentionScore, retentionMember, jobChannel, cancelChannel, releaseEffectsJson.
 * A queued job is canceled at once (a worker that claimed it hears it on the cancel channel); a
 * running one gets a cancel request its worker honours at the next step. Returns 'canceled_now' | 'requested' | 'missing' | the terminal status.
 */
export const REQUEST_CANCEL = `
${TERMINAL_EFFECTS}
local cur = redis.call('HGET', KEYS[1], 'status')
if not cur then return 'missing' end
if cur == 'queued' then
  redis.call('HSET', KEYS[1], 'status', 'canceled', 'finished_at', ARGV[2], 'cancel_requested', '1')
  local eid = redis.call('XADD', KEYS[2], 'MAXLEN', '~', '10000', '*', 'e', ARGV[3])
  redis.call('SREM', KEYS[3], ARGV[1])
  redis.call('ZADD', KEYS[4], ARGV[4], ARGV[5])
  applyEffects(KEYS[1], ARGV[8], KEYS[5], KEYS[6])
  redis.call('PUBLISH', ARGV[6], eid .. ' ${TERMINAL_NOTICE} ' .. cjson.encode(redis.call('HGETALL', KEYS[1])))
  -- a worker that claimed it for its next batch lets it go at once
  if redis.call('HGET', KEYS[1], 'claimed_at') then redis.call('PUBLISH', ARGV[7], ARGV[1]) end
  return 'canceled_now'
end
if cur == 'running' then
  redis.call('HSET', KEYS[1], 'cancel_requested', '1')
  redis.call('PUBLISH', ARGV[7], ARGV[1])
  return 'requested'
end
return cur
`;

/**
 * KEYS: prioritized (zset), wait (list). ARGV: ids (one or more).
 * Jobs ahead of each: BullMQ serves its `wait` list (re-runs of jobs whose worker died) before
 * the prioritized set, so a prioritized job's position is its rank plus the wait list's length.
 * O(log n) per id; -1 for a job in neither (delayed for a retry, or not dispatched yet). One
 * call answers a whole list page.
 */
export const QUEUE_POSITION = `
local waiting = redis.call('LLEN', KEYS[2])
local out = {}
for i = 1, #ARGV do
  local rank = redis.call('ZRANK', KEYS[1], ARGV[i])
  if rank then
    out[i] = rank + waiting
  else
    local pos = redis.call('LPOS', KEYS[2], ARGV[i], 'RANK', -1, 'MAXLEN', 1000)
    if pos then out[i] = waiting - 1 - pos else out[i] = -1 end
  end
end
return out
`;

/**
 * KEYS: the model's waiting set (submit time of jobs not claimed yet), BullMQ wait list.
 * ARGV: job key prefix (`<prefix>:job:`), BullMQ job key prefix (`<prefix>:render.<model>:`).
 * Submit time (epoch ms) of the oldest job waiting for a worker, or false: the head of the waiting
 * set (whatever its fair-share place in line), skipping (and dropping) entries of jobs canceled,
 * expired or failed before a worker claimed them, and the tokens BullMQ serves first (`wait`: jobs
 * handed back from a dead worker). O(log n) plus the entries dropped (at most 100 per call).
 */
export const OLDEST_WAITING = `
local oldest = nil
for i = 1, 100 do
  local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if not head[1] then break end
  local h = redis.call('HMGET', ARGV[1] .. head[1], 'status', 'claimed_at')
  if h[1] == 'queued' and not h[2] then oldest = tonumber(head[2]) break end
  redis.call('ZREM', KEYS[1], head[1])
end
for _, at in ipairs({0, -1}) do
  local id = redis.call('LINDEX', KEYS[2], at)
  if id then
    local ts = tonumber(redis.call('HGET', ARGV[2] .. id, 'timestamp') or '')
    if ts and (not oldest or ts < oldest) then oldest = ts end
  end
end
if not oldest then return false end
return tostring(oldest)
`;

/**
 * KEYS: job, events, the model's waiting set. ARGV: deadWorkerId, queuedEventJson, channel.
 * A job of a worker whose heartbeat expired goes back to waiting in its record (its token is
 * handed back to the queue next): a running one → queued with a job.queued event (error
 * worker_lost), a claimed one is released (back in the waiting set if it never ran). Either way it
 * is held by nobody, so cancel and Cancel-After end it at once, and the dead worker's own late
 * reports are refused. Returns 'requeued', 'released', or 'refused' (another worker holds it, or
 * it ended).
 */
export const REQUEUE_ABANDONED = `
local cur = redis.call('HMGET', KEYS[1], 'status', 'worker', 'created_at', 'started_at', 'id')
if not cur[1] or cur[2] ~= ARGV[1] then return 'refused' end
if cur[1] == 'running' then
  redis.call('HSET', KEYS[1], 'status', 'queued')
  redis.call('HDEL', KEYS[1], 'worker', 'claimed_at')
  local eid = redis.call('XADD', KEYS[2], 'MAXLEN', '~', '10000', '*', 'e', ARGV[2])
  redis.call('PUBLISH', ARGV[3], eid)
  return 'requeued'
end
if cur[1] == 'queued' then
  redis.call('HDEL', KEYS[1], 'worker', 'claimed_at')
  if not cur[4] then redis.call('ZADD', KEYS[3], cur[3], cur[5]) end
  return 'released'
end
return 'refused'
`;
