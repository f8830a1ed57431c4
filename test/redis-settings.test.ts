// The farm's recommended Redis settings: a server started with them (as docker-compose, `npm
// start` and .ci/run start theirs) meets them; one with Redis's defaults gets the advice the API
// logs at start. And they matter: a queued job's hashes take less memory with them.
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { redisServerArgs, redisSettingsBelowRecommended } from '@flowfarm/queue';
import { startRedisServer, type RedisServer } from './farm/support/redis-servers.js';

const servers: RedisServer[] = [];
const clients: Redis[] = [];
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await Promise.all(servers.map((s) => s.close()));
});

async function serverWith(args: string[]): Promise<Redis> {
  const server = await startRedisServer({ args });
  servers.push(server);
  const client = new Redis(server.url);
  clients.push(client);
  return client;
}

describe('recommended Redis settings', () => {
  it('are met by a server started with them; a server with the defaults gets one line of advice per setting', async () => {
    const recommended = await serverWith([]); // startRedisServer passes redisServerArgs()
    expect(await redisSettingsBelowRecommended(recommended)).toEqual([]);
    const defaults = await serverWith(['--hash-max-listpack-value', '64']);
    const advice = await redisSettingsBelowRecommended(defaults);
    expect(advice).toHaveLength(1);
    expect(advice[0]).toMatch(/^hash-max-listpack-value is 64; 1024 /);
  });

  it("keep a hash with a job record's long fields compact", async () => {
    const fields = { status: 'queued', model: 'tiny-shapes', input: JSON.stringify({ prompt: 'a large red circle in the center on a blue background', width: 64, height: 64, steps: 4, seed: 1, output_format: 'png' }) };
    const sizes: number[] = [];
    for (const args of [redisServerArgs(), ['--hash-max-listpack-value', '64']]) {
      const redis = await serverWith(args);
      await redis.hset('job', fields);
      sizes.push(Number(await redis.memory('USAGE', 'job')));
    }
    expect(sizes[0]).toBeLessThan(sizes[1] * 0.75);
  });
});
