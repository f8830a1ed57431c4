// Lua scripts that change a job atomically: the record, its event stream, the tenant's
// active set, the retention schedule and the pub/sub notice move together, so a cancel racing
// a worker's start, or two API replicas racing on one Idempotency-Key, cannot half-happen.
import { QUOTA_CHECK, QUOTA_RESERVE_AND_DEADLINE, TERMINAL_EFFECTS } from './fair-scripts.js';

/**
 * KEYS: idem, active, job, tenantJobs, events, tenantPolicy, dayQuota, monthQuota, deadlines.
 * ARGV: id, useIdem, bodyHash, maxActive, idemTtlSec, fieldsJson, createdMs, eventJson, channel, extrasJson (fair-scripts.ts)
 */
export const CREATE_JOB = `
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
local fields = cjson.decode(ARGV[6])
for k, v in pairs(fields) do redis.call('HSET', KEYS[3], k, v) end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[7], ARGV[1])
redis.call('XADD', KEYS[5], '*', 'e', ARGV[8])
if ARGV[2] == '1' then redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[3], 'EX', ARGV[5]) end
${QUOTA_RESERVE_AND_DEADLINE}
redis.call('PUBLISH', ARGV[9], ARGV[1])
return {'created', ARGV[1]}
`;

/**
 * KEYS: job, events, active, retention, effectKey1, effectKey2. ARGV: allowedFrom (comma list),
 * fieldsJson, eventJson, id, terminal ('1'|'0'), retentionScore, retentionMember, channel,
 * effectsJson (quota release or usage, fair-scripts.ts).
 * Returns {outcome, eventIdOrStatus, cancelRequested}.
 */
export const TRANSITION = `
${TERMINAL_EFFECTS}
local cur = redis.call('HGET', KEYS[1], 'status')
if not cur then return {'missing', '', ''} end
local cancel = redis.call('HGET', KEYS[1], 'cancel_requested') or ''
local ok = false
for s in string.gmatch(ARGV[1], '[^,]+') do if s == cur then ok = true end end
if not ok then return {'refused', cur, cancel} end
local fields = cjson.decode(ARGV[2])
for k, v in pairs(fields) do redis.call('HSET', KEYS[1], k, v) end
local eid = redis.call('XADD', KEYS[2], 'MAXLEN', '~', '10000', '*', 'e', ARGV[3])
if ARGV[5] == '1' then
  redis.call('SREM', KEYS[3], ARGV[4])
  redis.call('ZADD', KEYS[4], ARGV[6], ARGV[7])
  applyEffects(KEYS[1], ARGV[9], KEYS[5], KEYS[6])
end
redis.call('PUBLISH', ARGV[8], ARGV[4])
return {'ok', eid, cancel}
`;

/**
 * KEYS: job, events, active, retention, dayQuota, monthQuota. ARGV: id, nowMs, canceledEventJson,
 * retentionScore, retentionMember, eventsChannel, cancelChannel, releaseEffectsJson.
 * A queued job is canceled at once; a running one gets a cancel request its worker honours at
 * the next step. Returns 'canceled_now' | 'requested' | 'missing' | the terminal status.
 */
export const REQUEST_CANCEL = `
${TERMINAL_EFFECTS}
local cur = redis.call('HGET', KEYS[1], 'status')
if not cur then return 'missing' end
if cur == 'queued' then
  redis.call('HSET', KEYS[1], 'status', 'canceled', 'finished_at', ARGV[2], 'cancel_requested', '1')
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', '10000', '*', 'e', ARGV[3])
  redis.call('SREM', KEYS[3], ARGV[1])
  redis.call('ZADD', KEYS[4], ARGV[4], ARGV[5])
  applyEffects(KEYS[1], ARGV[8], KEYS[5], KEYS[6])
  redis.call('PUBLISH', ARGV[6], ARGV[1])
  return 'canceled_now'
end
if cur == 'running' then
  redis.call('HSET', KEYS[1], 'cancel_requested', '1')
  redis.call('PUBLISH', ARGV[7], ARGV[1])
  return 'requested'
end
return cur
`;
