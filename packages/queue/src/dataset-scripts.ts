// Lua scripts of the dataset store: each change of a dataset and what it owes the tenant's
// quotas and usage happen in one atomic step, as they do for jobs (fair-scripts.ts).
import { CHECK_QUOTAS } from './fair-scripts.js';

/** Adds `images` and `px` (may be negative) to both quota counters, when they still exist. */
const ADJUST_QUOTAS = `
local function adjustQuotas(dayKey, monthKey, images, px)
  for _, k in ipairs({ dayKey, monthKey }) do
    if redis.call('EXISTS', k) == 1 then
      redis.call('HINCRBY', k, 'images', string.format('%.0f', images))
      redis.call('HINCRBY', k, 'px', string.format('%.0f', px))
    end
  end
end
`;

export const DATASET_SCRIPTS = {
  /**
   * KEYS: 1 dataset hash, 2 the tenant's dataset list, 3 tenant policy, 4 day and 5 month quota
   * counters. ARGV: 1 record fields (JSON), 2 created at (ms), 3 id, 4 `{images, px, dayResetMs,
   * monthResetMs, dayTtlSec, monthTtlSec}`. Reserves the whole set or stores nothing:
   * {'quota', name, limit, used, requested, resetsAtMs} when it does not fit, else {'ok'}.
   */
  create: `${CHECK_QUOTAS}
local extras = cjson.decode(ARGV[4])
local breach = checkQuotas(KEYS[3], KEYS[4], KEYS[5], extras)
if breach then return breach end
local fields = cjson.decode(ARGV[1])
for name, value in pairs(fields) do redis.call('HSET', KEYS[1], name, value) end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
for _, c in ipairs({ { KEYS[4], extras.dayTtlSec }, { KEYS[5], extras.monthTtlSec } }) do
  redis.call('HINCRBY', c[1], 'images', string.format('%.0f', extras.images))
  redis.call('HINCRBY', c[1], 'px', string.format('%.0f', extras.px))
  redis.call('EXPIRE', c[1], string.format('%.0f', c[2]))
end
return { 'ok' }
`,

  /**
   * KEYS: 1 item records, 2 done bitmap, 3 failed bitmap, 4 dataset hash, 5 the tenant's usage
   * hash of the day, 6 the day's tenant set, 7 day and 8 month quota counters (of the create),
   * 9 the list of item indexes in the order they were recorded (the streaming manifest). ARGV: 1 index, 2 manifest line, 3 '1' when the item failed, 4 usage `{tenant, ttlSec,
   * fields}`, 5 the item's pixel-steps. Returns 1 when recorded now, 0 when it was recorded
   * before (the line is rewritten, nothing is counted again), -1 when the dataset is gone.
   */
  recordItem: `${ADJUST_QUOTAS}
if redis.call('EXISTS', KEYS[4]) == 0 then return -1 end
local index = tonumber(ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if redis.call('GETBIT', KEYS[2], index) == 1 then return 0 end
redis.call('SETBIT', KEYS[2], index, 1)
redis.call('RPUSH', KEYS[9], ARGV[1])
local status = redis.call('HGET', KEYS[4], 'status')
-- once the dataset ended (canceled with a chunk still rendering), the reservation of every item
-- not done then was given back: an item rendered after that is charged again
local ended = status ~= 'queued' and status ~= 'running'
local px = tonumber(ARGV[5])
if ARGV[3] == '1' then
  redis.call('SETBIT', KEYS[3], index, 1)
  if not ended then adjustQuotas(KEYS[7], KEYS[8], -1, -px) end
  return 1
end
local usage = cjson.decode(ARGV[4])
for field, amount in pairs(usage.fields) do redis.call('HINCRBY', KEYS[5], field, string.format('%.0f', amount)) end
redis.call('EXPIRE', KEYS[5], usage.ttlSec)
redis.call('SADD', KEYS[6], usage.tenant)
redis.call('EXPIRE', KEYS[6], usage.ttlSec)
if ended then adjustQuotas(KEYS[7], KEYS[8], 1, px) end
return 1
`,

  /**
   * KEYS: 1 dataset hash, 2 done bitmap, 3 day and 4 month quota counters, 5 usage hash of the
   * day, 6 the day's tenant set, 7 retention set. ARGV: 1 status, 2 now (ms), 3 error, 4 count,
   * 5 usage `{tenant, ttlSec, field}` (the jobs field), 6 expiry (ms). Returns 1 when the dataset
   * moved to the status now, 0 when it had already ended.
   */
  finish: `${ADJUST_QUOTAS}
local s = redis.call('HGET', KEYS[1], 'status')
if s ~= 'queued' and s ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'finished_at', ARGV[2], 'error', ARGV[3])
local pending = tonumber(ARGV[4]) - redis.call('BITCOUNT', KEYS[2])
if pending > 0 then
  local px = tonumber(redis.call('HGET', KEYS[1], 'item_px') or '0')
  adjustQuotas(KEYS[3], KEYS[4], -pending, -pending * px)
end
if ARGV[1] == 'succeeded' then
  local usage = cjson.decode(ARGV[5])
  redis.call('HINCRBY', KEYS[5], usage.field, 1)
  redis.call('EXPIRE', KEYS[5], usage.ttlSec)
  redis.call('SADD', KEYS[6], usage.tenant)
  redis.call('EXPIRE', KEYS[6], usage.ttlSec)
end
redis.call('ZADD', KEYS[7], ARGV[6], redis.call('HGET', KEYS[1], 'id'))
return 1
`,

  /** KEYS: 1 retention set. ARGV: 1 now (ms), 2 limit. Removes and returns the ids past their time. */
  claimExpired: `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do redis.call('ZREM', KEYS[1], id) end
return ids
`,
};
