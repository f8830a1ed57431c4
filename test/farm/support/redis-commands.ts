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

/** One command a client sent, as MONITOR shows it: the client's address ('lua' for a script's own calls) and its arguments. */
export interface MonitoredCommand {
  source: string;
  args: string[];
}

/** Starts reading MONITOR on its own socket; `stop` ends it and returns every command seen. */
export async function monitorRedis(redisUrl: string): Promise<{ stop(): Promise<MonitoredCommand[]> }> {
  const url = new URL(redisUrl);
  const socket = net.connect(Number(url.port || 6379), url.hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => {}); // the socket is ours to close; a late error changes no count
  if (url.password) socket.write(`AUTH ${url.username ? `${decodeURIComponent(url.username)} ` : ''}${decodeURIComponent(url.password)}\r\n`);
  socket.write('MONITOR\r\n');
  const seen: MonitoredCommand[] = [];
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf('\r\n')) >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      // +1700000000.123456 [0 127.0.0.1:5000] "set" "key" ...; commands scripts run show `[0 lua]`
      const head = /^\+\d+\.\d+ \[\d+ ([^\]]+)\] /.exec(line);
      if (!head) continue;
      const args = [...line.slice(head[0].length).matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1].replace(/\\(["\\])/g, '$1'));
      if (args.length) seen.push({ source: head[1], args });
    }
  });
  // MONITOR starts reporting a moment after it answers.
  await new Promise((r) => setTimeout(r, 200));
  return {
    async stop() {
      // and its output trails the commands a little
      await new Promise((r) => setTimeout(r, 200));
      socket.destroy();
      return seen;
    },
  };
}

export async function countRedisCommands(redisUrl: string, during: () => Promise<void>): Promise<CommandCount> {
  const monitor = await monitorRedis(redisUrl);
  const t0 = performance.now();
  let seen: MonitoredCommand[];
  try {
    await during();
  } finally {
    seen = await monitor.stop();
  }
  const calls = new Map<string, number>();
  for (const { source, args } of seen) {
    if (source === 'lua') continue;
    const name = args[0].toLowerCase();
    calls.set(name, (calls.get(name) ?? 0) + 1);
  }
  return { calls, seconds: (performance.now() - t0) / 1000 };
}

export const totalCommands = (calls: Map<string, number>): number => [...calls.values()].reduce((a, b) => a + b, 0);
