// Counts the commands clients send to a Redis while something runs, through MONITOR: what a
// test or bench needs to say "this costs N Redis commands". A Lua script is one EVALSHA, as
// clients pay for it (INFO commandstats would also count every redis.call inside scripts).
// MONITOR sees every client of the server, so use a private redis-server (redis-servers.ts).
import { Redis } from 'ioredis';

export interface CommandCount {
  /** Calls per command name (lowercase). */
  calls: Map<string, number>;
  seconds: number;
}

export async function countRedisCommands(redisUrl: string, during: () => Promise<void>): Promise<CommandCount> {
  // monitor() opens a connection of its own; the client it came from is closed with it.
  const client = new Redis(redisUrl);
  const monitor = await client.monitor();
  const calls = new Map<string, number>();
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source === 'lua') return;
    const name = String(args[0]).toLowerCase();
    calls.set(name, (calls.get(name) ?? 0) + 1);
  });
  // MONITOR starts reporting a moment after it answers.
  await new Promise((r) => setTimeout(r, 200));
  const t0 = performance.now();
  try {
    await during();
  } finally {
    await new Promise((r) => setTimeout(r, 200));
    monitor.disconnect();
    client.disconnect();
  }
  return { calls, seconds: (performance.now() - t0) / 1000 };
}

export const totalCommands = (calls: Map<string, number>): number => [...calls.values()].reduce((a, b) => a + b, 0);
