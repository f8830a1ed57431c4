// SSRF guard: loopback, private, link-local, metadata and names resolving to them are refused
// at submit (assertWebhookUrlAllowed) and at delivery time, unless WEBHOOK_ALLOW_PRIVATE.
import { afterEach, describe, expect, it } from 'vitest';
import { assertWebhookUrlAllowed, postWebhook, resolveWebhookTarget, WebhookUrlRefusedError } from '@flowfarm/webhooks';
import { createHarness, fakeJobView, type Harness } from './harness.js';
import { startReceiver, waitUntil, type Receiver } from './receiver.js';

const REFUSED = [
  'http://127.0.0.1/hook',
  'http://10.0.0.1/hook',
  'http://192.168.1.20:8080/hook',
  'http://[::1]/hook',
  'http://[::ffff:10.0.0.1]/',
  'http://[64:ff9b::a00:1]/',
  'http://224.0.0.1/',
  'http://localhost:8080/hook',
];

// Cloud metadata and link-local addresses, in every spelling that reaches one: refused even
// with WEBHOOK_ALLOW_PRIVATE=true.
const ALWAYS_REFUSED = [
  'http://169.254.169.254/latest/meta-data',
  'http://[::ffff:169.254.169.254]/',
  'http://0xa9fea9fe/',
  'http://2852039166/',
  'http://0251.0376.0251.0376/',
  'http://169.254.43518/',
  'http://[fd00:ec2::254]/',
  'http://100.100.100.200/',
  'http://169.254.170.2/v2/credentials',
  'http://169.254.1.1/',
  'http://[fe80::1]/',
  'http://[::ffff:a9fe:a9fe]/',
  'http://[64:ff9b::a9fe:a9fe]/',
  'http://[2002:a9fe:a9fe::1]/',
  'http://[::169.254.169.254]/',
];

describe('SSRF guard', () => {
  for (const url of ALWAYS_REFUSED) {
    it(`refuses ${url} even with allowPrivate`, async () => {
      await expect(assertWebhookUrlAllowed(url, { allowPrivate: true })).rejects.toThrow(/metadata|link-local/);
      await expect(assertWebhookUrlAllowed(url, { allowPrivate: false })).rejects.toThrow(/metadata|link-local/);
    });
  }

  for (const url of REFUSED) {
    it(`refuses ${url} by default and allows it with allowPrivate`, async () => {
      await expect(assertWebhookUrlAllowed(url, { allowPrivate: false })).rejects.toBeInstanceOf(WebhookUrlRefusedError);
      await expect(assertWebhookUrlAllowed(url, { allowPrivate: true })).resolves.toBeUndefined();
    });
  }

  it('names the metadata address and what a host name resolved to', async () => {
    await expect(assertWebhookUrlAllowed('http://169.254.169.254/', { allowPrivate: false })).rejects.toThrow(/metadata/);
    await expect(assertWebhookUrlAllowed('http://localhost/', { allowPrivate: false })).rejects.toThrow(/localhost resolves to .*loopback/);
  });

  it('refuses schemes other than http(s) even when private targets are allowed', async () => {
    for (const url of ['ftp://example.com/x', 'file:///etc/passwd', 'gopher://example.com/', 'not a url']) {
      await expect(assertWebhookUrlAllowed(url, { allowPrivate: true })).rejects.toBeInstanceOf(WebhookUrlRefusedError);
    }
  });

  it('accepts public addresses and pins the connection to the checked one', async () => {
    await expect(assertWebhookUrlAllowed('https://93.184.215.14/hook', { allowPrivate: false })).resolves.toBeUndefined();
    await expect(assertWebhookUrlAllowed('https://[2606:4700::1111]/hook', { allowPrivate: false })).resolves.toBeUndefined();
    const target = await resolveWebhookTarget('http://localhost:9/x', { allowPrivate: true });
    expect(['127.0.0.1', '::1']).toContain(target.address);
  });
});

describe('SSRF guard at delivery time', () => {
  let harness: Harness | undefined;
  let receiver: Receiver | undefined;
  afterEach(async () => {
    await receiver?.stop();
    await harness?.close();
  });

  it('never connects to a loopback receiver when private targets are not allowed', async () => {
    harness = await createHarness({ allowPrivate: false });
    receiver = await startReceiver();
    const job = fakeJobView({ url: receiver.url });
    await harness.notifier.notify({ type: 'job.succeeded', tenant: 'acme', job });
    const h = harness;
    await waitUntil(async () => (await h.deliveries.listForJob('acme', job.id))[0]?.status === 'refused', 'refused delivery');
    const [record] = await h.deliveries.listForJob('acme', job.id);
    expect(record.attempts).toHaveLength(1);
    expect(record.attempts[0].error).toMatch(/loopback/);
    expect(receiver.requests).toHaveLength(0);
  });
});

describe('metadata and link-local at delivery time, private networks allowed', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
  });

  it('refuses the delivery without connecting, whatever WEBHOOK_ALLOW_PRIVATE says', async () => {
    harness = await createHarness({ allowPrivate: true });
    const job = fakeJobView({ url: 'http://0xa9fea9fe/latest/meta-data' });
    await harness.notifier.notify({ type: 'job.succeeded', tenant: 'acme', job });
    const h = harness;
    await waitUntil(async () => (await h.deliveries.listForJob('acme', job.id))[0]?.status === 'refused', 'refused delivery');
    const [record] = await h.deliveries.listForJob('acme', job.id);
    expect(record.attempts).toHaveLength(1);
    expect(record.attempts[0].error).toMatch(/169\.254\.169\.254 is a cloud metadata address/);
  });
});

describe('connection pinning', () => {
  it('connects to the checked address whatever DNS would say for the host name', async () => {
    const receiver = await startReceiver();
    try {
      // `rebind.invalid` resolves nowhere; the request still reaches the checked address.
      const target = { url: new URL(`http://rebind.invalid:${receiver.port}/hook`), address: '127.0.0.1', family: 4 as const };
      const result = await postWebhook(target, {}, '{}', 2_000);
      expect(result.statusCode).toBe(200);
      expect(receiver.requests[0].headers.host).toBe(`rebind.invalid:${receiver.port}`);
    } finally {
      await receiver.stop();
    }
  });
});
