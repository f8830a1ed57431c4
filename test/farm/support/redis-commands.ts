// Counts the commands clients send to a Redis while something runs, through MONITOR: what a
// test or bench needs to say "this costs N Redis commands". A Lua script is one EVALSHA, as
// clients pay for it (INFO commandstats would also count every redis.call inside scripts).
// MONITOR sees every client of the server, so use a private redis-server (redis-servers.ts).
// MONITOR is read from a plain socket: ioredis' monitor mode can take the first MONITOR line for
// the answer to a command when both arrive in one packet on a busy server ("Command queue state
// error"), which ends the process.
import net from 'node:net';

export interface CommandCount {
  /** Calls per command name (lowercase). */
  calls: Map<string, number>;
  seconds: number;
}

export async function countRedisCommands(redisUrl: string, during: () => Promise<void>): Promise<CommandCount> {
  const url = new URL(redisUrl);
  const socket = net.connect(Number(url.port || 6379), url.hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => {}); // the socket is ours to close; a late error changes no count
  if (url.password) socket.write(`AUTH ${url.username ? `${decodeURIComponent(url.username)} ` : ''}${decodeURIComponent(url.password)}\r\n`);
  socket.write('MONITOR\r\n');
  const calls = new Map<string, number>();
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf('\r\n')) >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      // +1700000000.123456 [0 127.0.0.1:5000] "set" "key" ...; commands scripts run show `[0 lua]`
      const m = /^\+\d+\.\d+ \[\d+ ([^\]]+)\] "((?:[^"\\]|\\.)*)"/.exec(line);
      if (!m || m[1] === 'lua') continue;
      const name = m[2].toLowerCase();
      calls.set(name, (calls.get(name) ?? 0) + 1);
    }
  });
  // MONITOR starts reporting a moment after it answers.
  await new Promise((r) => setTimeout(r, 200));
  const t0 = performance.now();
  try {
    await during();
  } finally {
    await new Promise((r) => setTimeout(r, 200));
    socket.destroy();
  }
  return { calls, seconds: (performance.now() - t0) / 1000 };
}

export const totalCommands = (calls: Map<string, number>): number => [...calls.values()].reduce((a, b) => a + b, 0);
