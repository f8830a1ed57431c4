import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

const SHAS = new Map<string, string>();

/** EVALSHA with the script's hash (sent once, then cached by Redis); EVAL when Redis lost it. */
export async function runScript(redis: Redis, script: string, keys: string[], args: string[]): Promise<unknown> {
  let sha = SHAS.get(script);
  if (!sha) {
    sha = createHash('sha1').update(script).digest('hex');
    SHAS.set(script, sha);
  }
  try {
    return await redis.evalsha(sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (!String((err as Error).message).includes('NOSCRIPT')) throw err;
    return redis.eval(script, keys.length, ...keys, ...args);
  }
}
