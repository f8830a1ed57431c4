// Seeded property-based fuzzing of a real farm (API with every router, one worker process,
// real Redis, local storage) from outside, over raw sockets: FUZZ_REQUESTS generated requests
// (2,000 in CI) across every route, method and header the API reads. The properties: every
// request gets an answer (a status line before the socket closes), none is a 5xx, and the farm
// still renders a valid job afterwards. Replay a failure with the FUZZ_SEED it reports.
import net from 'node:net';
import fc from 'fast-check';
import { decode } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookNotifierFor } from '@flowfarm/api';
import { KEYS, startFarm, type Farm } from '../farm/support/farm.js';
import { testConfig } from '../support/test-config.js';
import { describeRequest, fuzzRequest, serialize, type FuzzRequest } from './http-requests.js';

/** Routes the API serves that the OpenAPI document may not list (files, probes, web UI, operator views). */
const EXTRA_ROUTES = ['/files/{key}', '/files/local/{id}/0.png', '/metrics', '/healthz', '/readyz', '/openapi.json', '/', '/ops', '/index.html', '/assets/{file}', '/v1/admin/queues', '/v1/admin/jobs', '/v1/admin/jobs/{id}/cancel', '/v1/admin/jobs/{id}/retry', '/v1/admin/workers', '/v1/admin/keys', '/v1/admin/keys/{id}'];

let farm: Farm;
let routes: string[];
let ownJob: string;
let otherJob: string;

beforeAll(async () => {
  farm = await startFarm({
    workers: 1,
    apiOptions: { notifier: webhookNotifierFor },
    apiEnv: { MAX_WAIT_SECONDS: '1', RATE_LIMIT_PER_MINUTE: '100000000', WEBHOOK_DELIVERY: 'false', SSE_HEARTBEAT_SECONDS: '1' },
  });
  const doc = (await (await fetch(`${farm.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
  routes = [...new Set([...Object.keys(doc.paths), ...EXTRA_ROUTES])];
  const submit = async (key: string) =>
    ((await (await farm.call('POST', '/v1/jobs', { key, body: { prompt: 'a large red circle in the center on a blue background', width: 64, height: 64 } })).json()) as { id: string }).id;
  ownJob = await submit(KEYS.acme);
  otherJob = await submit(KEYS.globex);
}, 180_000);

afterAll(async () => {
  // The worker drains the job it is rendering (the fuzz queued dozens) before it exits.
  await farm?.close();
}, 180_000);

interface Outcome {
  status: number | null;
  /** Bytes received (0 and no status: closed without an answer). */
  bytes: number;
}

/** Sends the request and reads the status line; event streams count as answered once their head arrives. */
function send(request: FuzzRequest, port: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(noAnswer);
      socket.destroy();
      const match = /^HTTP\/1\.1 (\d{3}) /.exec(received.subarray(0, 20).toString('latin1'));
      resolve({ status: match ? Number(match[1]) : null, bytes: received.length });
    };
    // A request the server must answer without waiting for anything else.
    const noAnswer = setTimeout(finish, 20_000);
    // write, not end: Node's HTTP server treats a client's half-close as an abort.
    socket.on('connect', () => socket.write(serialize(request)));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      // Streams (SSE) stay open: their head is the answer.
      if (received.includes('\r\n\r\n') && received.includes('text/event-stream')) finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
  });
}

describe(`HTTP fuzzing (${testConfig.FUZZ_REQUESTS} requests, seed ${testConfig.FUZZ_SEED})`, () => {
  it('answers every request, never with a 5xx, and still renders a valid job afterwards', async () => {
    const port = Number(new URL(farm.url).port);
    const requests = fc.sample(
      fuzzRequest({ routes, ids: [ownJob, otherJob, 'job_doesnotexist', 'job_%2e%2e'], keys: { tenant: KEYS.acme, other: KEYS.globex, admin: KEYS.admin } }),
      { numRuns: testConfig.FUZZ_REQUESTS, seed: testConfig.FUZZ_SEED },
    );
    const outcomes: Outcome[] = new Array(requests.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        while (next < requests.length) {
          const index = next++;
          outcomes[index] = await send(requests[index], port);
        }
      }),
    );

    const byClass: Record<string, number> = {};
    for (const o of outcomes) {
      const key = o.status === null ? 'no answer' : `${String(o.status)[0]}xx`;
      byClass[key] = (byClass[key] ?? 0) + 1;
    }
    const statuses: Record<string, number> = {};
    for (const o of outcomes) statuses[String(o.status)] = (statuses[String(o.status)] ?? 0) + 1;
    console.log(`fuzz: ${requests.length} requests, seed ${testConfig.FUZZ_SEED}: ${JSON.stringify(byClass)}; by status ${JSON.stringify(statuses)}`);

    const bad = outcomes.flatMap((o, i) => (o.status === null || o.status >= 500 ? [`#${i} → ${o.status ?? `no answer (${o.bytes} bytes)`}: ${describeRequest(requests[i])}`] : []));
    expect(bad.slice(0, 10), `${bad.length} requests failed (FUZZ_SEED=${testConfig.FUZZ_SEED})`).toEqual([]);

    // The farm still works: a fresh job renders and its image downloads and decodes.
    const res = await farm.call('POST', '/v1/jobs', {
      body: { prompt: 'a small green triangle at the bottom right on a white background', width: 64, height: 64, seed: 7 },
      headers: { 'Idempotency-Key': `after-fuzz-${testConfig.FUZZ_SEED}` },
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const job = (await farm.waitForJob(id, (j) => ['succeeded', 'failed', 'canceled'].includes(j.status), 120_000)) as { status: string; outputs: Array<{ url: string }> };
    expect(job.status).toBe('succeeded');
    const image = decode(new Uint8Array(await (await fetch(job.outputs[0].url)).arrayBuffer()));
    expect([image.width, image.height]).toEqual([64, 64]);
  }, 900_000);
});
