// Webhook deliveries against a real receiver on loopback and the real Redis: signatures the
// `standardwebhooks` library verifies, retries with a stable webhook-id, outages, 410, timeout,
// redirects, Retry-After, rotation and de-duplication of repeated notifies.
import { afterEach, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { createHarness, fakeJobView, type Harness } from './harness.js';
import { startReceiver, waitUntil, type Receiver, type Script } from './receiver.js';

let harness: Harness | undefined;
let receivers: Receiver[] = [];

afterEach(async () => {
  await Promise.all(receivers.map((r) => r.stop().catch(() => undefined)));
  receivers = [];
  await harness?.close();
  harness = undefined;
});

async function setup(script?: Script, options?: Parameters<typeof createHarness>[0]) {
  harness = await createHarness(options);
  const receiver = await startReceiver(script);
  receivers.push(receiver);
  return { h: harness, receiver };
}

async function deliveryOf(h: Harness, tenant: string, jobId: string) {
  const list = await h.deliveries.listForJob(tenant, jobId);
  expect(list).toHaveLength(1);
  return list[0];
}

async function waitForStatus(h: Harness, tenant: string, jobId: string, status: string) {
  await waitUntil(async () => (await h.deliveries.listForJob(tenant, jobId))[0]?.status === status, `delivery ${status}`);
  return deliveryOf(h, tenant, jobId);
}

describe('webhook delivery', () => {
  it('delivers job.succeeded with a signature the standardwebhooks library verifies', async () => {
    const { h, receiver } = await setup();
    const job = fakeJobView({ url: '' });
    job.input.webhook = { url: receiver.url };
    await h.notifier.notify({ type: 'job.succeeded', tenant: 'acme', job });
    await waitUntil(() => receiver.requests.length === 1, 'one request');

    const [req] = receiver.requests;
    const secret = await h.secrets.current('acme');
    const verified = new Webhook(secret).verify(req.body, req.headers) as { type: string; data: { id: string } };
    expect(verified.type).toBe('job.succeeded');
    expect(verified.data.id).toBe(job.id);
    expect(req.headers['webhook-id']).toContain(job.id);
    // Another tenant's secret does not verify it.
    expect(() => new Webhook(Buffer.from('x'.repeat(32)).toString('base64')).verify(req.body, req.headers)).toThrow();
    const record = await waitForStatus(h, 'acme', job.id, 'delivered');
    expect(record.attempts).toHaveLength(1);
    expect(record.attempts[0].status_code).toBe(200);
  });

  it('sends only the events the job asked for (default: terminal ones)', async () => {
    const { h, receiver } = await setup();
    const job = fakeJobView({ url: '' });
    job.input.webhook = { url: receiver.url };
    for (const type of ['job.queued', 'job.started', 'job.progress', 'job.succeeded'] as const) {
      await h.notifier.notify({ type, tenant: 'acme', job });
    }
    await waitForStatus(h, 'acme', job.id, 'delivered');
    expect(receiver.requests.map((r) => JSON.parse(r.body).type)).toEqual(['job.succeeded']);
  });

  it('retries 500, 500 then delivers on the third try with the same webhook-id', async () => {
    const { h, receiver } = await setup((_req, i) => ({ status: i < 2 ? 500 : 200 }));
    const job = fakeJobView({ url: '' });
    job.input.webhook = { url: receiver.url };
    await h.notifier.notify({ type: 'job.succeeded', tenant: 'acme', job });
    const record = await waitForStatus(h, 'acme', job.id, 'delivered');

    expect(receiver.requests).toHaveLength(3);
    expect(new Set(receiver.requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(record.attempts.map((a) => a.status_code)).toEqual([500, 500, 200]);
    expect(record.attempts[0].next_try_at).not.toBeNull();
    expect(record.attempts[2].next_try_at).toBeNull();
    const secret = await h.secrets.current('acme');
    for (const req of receiver.requests) expect(() => new Webhook(secret).verify(req.body, req.headers)).not.toThrow();
  });

  it('keeps retrying while the receiver is down and delivers every event once it is back', async () => {
    const { h, receiver } = await setup();
    await receiver.stop();
    const jobs = Array.from({ length: 10 }, () => {
      const job = fakeJobView({ url: receiver.url });
      job.input.webhook = { url: receiver.url };
      return job;
    });
    for (const job of jobs) await h.notifier.notify({ type: 'job.succeeded', tenant: 'acme', job });
    // Down long enough that every delivery has failed at least twice.
    await waitUntil(async () => {
      const all = await Promise.all(jobs.map((j) => h.deliveries.listForJob('acme', j.id)));
      return all.every((l) => (l[0]?.attempts.length ?? 0) >= 2);
    }, 'two failed attempts each');
    await receiver.start();
    await waitUntil(async () => {
      const all = await Promise.all(jobs.map((j) => h.deliveries.listForJob('acme', j.id)));
      return all.every((l) => l[0]?.status === 'delivered');
    }, 'all delivered after the outage');
    const ids = receiver.requests.map((r) => JSON.parse(r.body).data.id as string);
    expect(new Set(ids)).toEqual(new Set(jobs.map((j) => j.id)));
    expect(ids).toHaveLength(jobs.length);
  });

  it('disables the endpoint on 410 and sends nothing more to it', async () => {
    const { h, receiver } = await setup(() => ({ status: 410 }));
    const first = fakeJobView({ url: '' });
    first.input.webhook = { url: receiver.url };
    await h.notifier.notify({ type: 'job.succeeded', tenant: 'acme', job: first });
    const record = await waitForStatus(h, 'acme', first.id, 'endpoint_disabled');
    expect(record.attempts).toHaveLength(1);
    expect(record.status_detail).toContain('410');
    expect(await h.endpoints.disabledInfo('acme', receiver.url)).not.toBeNull();

    const second = fakeJobView({ url: '' });
    second.input.webhook = { url: receiver.url };
    await h.notifier.notify({ type: 'job.succeeded', tenant: 'acme', job: second });
    const skipped = await waitForStatus(h, 'acme', second.id, 'endpoint_disabled');
    expect(skipped.attempts).toHaveLength(0);
    expect(receiver.requests).toHaveLength(1);
  });

  it('counts a receiver slower than the timeout as a failed attempt and retries', async () => {
    const { h, receiver } = await setup((_req, i) => ({ status: 200, delayMs: i === 0 ? 3_000 : 0 }), { timeoutMs: 300 });
    const job = fakeJobView({ url: '' });
    job.input.webhook = { url: receiver.url };
    await h.notifier.notify({ type: 'job.succeeded', tenant: 'acme', job });
    const record = await waitForStatus(h, 'acme', job.id, 'delivered');
    expect(record.attempts[0].error).toContain('timed out after 300 ms');
    expect(record.attempts[0].status_code).toBeNull();
    expect(record.attempts.at(-1)?.status_code).toBe(200);
  });

  it('does not follow redirects', async () => {
    const { h, receiver } = await setup((req, i) =>
      i === 0 ? { status: 302, headers: { location: '/elsewhere' } } : { status: 200 },
    );
    const job = fakeJobView({ url: '' });
    job.input.webhook = { url: receiver.url };
    await h.notifier.notify({ type: 'job.succeeded', tenant: 'acme', job });
    const record = await waitForStatus(h, 'acme', job.id, 'delivered');
    expect(record.attempts[0].status_code).toBe(302);
    expect(record.attempts[0].error).toContain('not followed');
    expect(receiver.requests.map((r) => r.path)).toEqual(['/hook', '/hook']);
  });

  it('waits at least Retry-After on a 503', async () => {
    const { h, receiver } = await setup((_req, i) => (i === 0 ? { status: 503, headers: { 'retry-after': '1' } } : { status: 200 }));
    const job = fakeJobView({ url: '' });
    job.input.webhook = { url: receiver.url };
    await h.notifier.notify({ type: 'job.succeeded', tenant: 'acme', job });
    const record = await waitForStatus(h, 'acme', job.id, 'delivered');
    const first = record.attempts[0];
    expect(Date.parse(first.next_try_at!) - Date.parse(first.at)).toBeGreaterThanOrEqual(1_000);
    expect(receiver.requests[1].at - receiver.requests[0].at).toBeGreaterThanOrEqual(950);
  });

  it('signs with the old and the new secret after a rotation', async () => {
    const { h, receiver } = await setup();
    const old = await h.secrets.current('acme');
    const rotated = await h.secrets.rotate('acme');
    expect(rotated.secret).not.toBe(old);
    expect(rotated.previous_valid_until).not.toBeNull();
    const job = fakeJobView({ url: '' });
    job.input.webhook = { url: receiver.url };
    await h.notifier.notify({ type: 'job.succeeded', tenant: 'acme', job });
    await waitUntil(() => receiver.requests.length === 1, 'one request');
    const [req] = receiver.requests;
    expect(req.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(old).verify(req.body, req.headers)).not.toThrow();
    expect(() => new Webhook(rotated.secret).verify(req.body, req.headers)).not.toThrow();
  });

  it('uses the tenant default endpoint when the job names none', async () => {
    const { h, receiver } = await setup();
    await h.endpoints.setDefault('acme', receiver.url, ['job.started', 'job.failed']);
    const job = fakeJobView(undefined, 'failed');
    await h.notifier.notify({ type: 'job.started', tenant: 'acme', job });
    await h.notifier.notify({ type: 'job.failed', tenant: 'acme', job });
    await h.notifier.notify({ type: 'job.succeeded', tenant: 'other', job: fakeJobView() });
    await waitUntil(() => receiver.requests.length === 2, 'two requests');
    expect(receiver.requests.map((r) => JSON.parse(r.body).type).sort()).toEqual(['job.failed', 'job.started']);
  });
});
