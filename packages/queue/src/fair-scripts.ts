// Lua pieces of quotas, deadlines and usage metering that run inside the job scripts
// (job-scripts.ts), so they happen in the same atomic step as the job change they belong to:
// a quota is reserved with the record it pays for, released with the terminal change of a job
// that did not succeed, and usage is counted with the change to succeeded — exactly once,
// whatever a worker's crash or a retry does around it.

/**
 * Lua function `checkQuotas(policy, dayKey, monthKey, extras)`: nil when `extras.images` and
 * `extras.px` fit every quota the tenant policy sets, else {'quota', name, limit, used,
 * requested, resetsAtMs}. Job submit and dataset create both use it.
 */
export const CHECK_QUOTAS = `
local function checkQuotas(policy, dayKey, monthKey, extras)
  local checks = {
    { 'q_daily_images', dayKey, 'images', extras.images, 'daily_images', extras.dayResetMs, 1 },
    { 'q_daily_mps', dayKey, 'px', extras.px, 'daily_megapixel_steps', extras.dayResetMs, 1000000 },
    { 'q_monthly_images', monthKey, 'images', extras.images, 'monthly_images', extras.monthResetMs, 1 },
    { 'q_monthly_mps', monthKey, 'px', extras.px, 'monthly_megapixel_steps', extras.monthResetMs, 1000000 },
  }
  for _, c in ipairs(checks) do
    local limit = redis.call('HGET', policy, c[1])
    if limit and limit ~= '' then
      local used = tonumber(redis.call('HGET', c[2], c[3]) or '0')
      if used + c[4] > tonumber(limit) * c[7] + 1e-6 then
        return { 'quota', c[5], limit, string.format('%.17g', used / c[7]), string.format('%.17g', c[4] / c[7]), string.format('%.0f', c[6]) }
      end
    end
  end
  return nil
end
`;

/**
 * Inside CREATE_JOB, after the idempotency and active-job checks. KEYS[6] tenant policy,
 * KEYS[7] day counter, KEYS[8] month counter; ARGV[10] extras JSON `{images, px, dayResetMs,
 * monthResetMs}` (quota fields absent: nothing reserved). Returns early with
 * {'quota', name, limit, used, requested, resetsAtMs} when the job does not fit.
 */
export const QUOTA_CHECK = `${CHECK_QUOTAS}
local extras = cjson.decode(ARGV[10])
if extras.images then
  local breach = checkQuotas(KEYS[6], KEYS[7], KEYS[8], extras)
  if breach then return breach end
end
`;

/** Inside CREATE_JOB, once the record exists: reserve the quota, schedule the start deadline (KEYS[9]). */
export const QUOTA_RESERVE_AND_DEADLINE = `
if extras.images then
  for _, c in ipairs({ { KEYS[7], extras.dayTtlSec }, { KEYS[8], extras.monthTtlSec } }) do
    redis.call('HINCRBY', c[1], 'images', string.format('%.0f', extras.images))
    redis.call('HINCRBY', c[1], 'px', string.format('%.0f', extras.px))
    redis.call('EXPIRE', c[1], string.format('%.0f', c[2]))
  end
end
if extras.deadlineMs then redis.call('ZADD', KEYS[9], string.format('%.0f', extras.deadlineMs), ARGV[1]) end
`;

/**
 * A Lua function for the terminal changes: `applyEffects(jobKey, effectsJson, key1, key2)`.
 * Effects JSON: `{release: {images, px}}` (key1/key2: the day and month quota counters) for a
 * job that ends without succeeding, or `{usage: {tenant, fields, ttlSec}}` (key1: the tenant's
 * usage hash of the day, key2: the day's tenant set) for one that succeeded. A flag on the job
 * record makes each effect happen at most once.
 */
export const TERMINAL_EFFECTS = `
local function applyEffects(jobKey, effectsJson, key1, key2)
  if effectsJson == nil or effectsJson == '' then return end
  local e = cjson.decode(effectsJson)
  if e.release and redis.call('HSETNX', jobKey, 'reserve_released', '1') == 1 then
    for _, k in ipairs({ key1, key2 }) do
      if redis.call('EXISTS', k) == 1 then
        redis.call('HINCRBY', k, 'images', string.format('%.0f', 0 - e.release.images))
        redis.call('HINCRBY', k, 'px', string.format('%.0f', 0 - e.release.px))
      end
    end
  end
  if e.usage and redis.call('HSETNX', jobKey, 'metered', '1') == 1 then
    for field, amount in pairs(e.usage.fields) do redis.call('HINCRBY', key1, field, string.format('%.0f', amount)) end
    redis.call('EXPIRE', key1, e.usage.ttlSec)
    redis.call('SADD', key2, e.usage.tenant)
    redis.call('EXPIRE', key2, e.usage.ttlSec)
  end
end
`;
