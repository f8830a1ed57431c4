// The SDK's verifyWebhook accepts what flowfarm signs and rejects anything altered.
import { describe, expect, it } from 'vitest';
import { verifyWebhook } from '@flowfarm/client';
import { generateWebhookSecret, signWebhook } from '@flowfarm/webhooks';

const body = JSON.stringify({ type: 'job.succeeded', timestamp: new Date().toISOString(), data: { id: 'job_1' } });

describe('verifyWebhook', () => {
  it('returns the event for a valid signature, from Node headers or a fetch Headers', () => {
    const secret = generateWebhookSecret();
    const headers = signWebhook('wh.job_1.job.succeeded', body, [secret]);
    expect(verifyWebhook(body, headers, secret).data.id).toBe('job_1');
    expect(verifyWebhook(new TextEncoder().encode(body), new Headers({ ...headers }), secret).type).toBe('job.succeeded');
  });

  it('rejects a changed body, another secret, a stale timestamp and missing headers', () => {
    const secret = generateWebhookSecret();
    const headers = signWebhook('wh.job_1.job.succeeded', body, [secret]);
    expect(() => verifyWebhook(body.replace('job_1', 'job_2'), headers, secret)).toThrow();
    expect(() => verifyWebhook(body, headers, generateWebhookSecret())).toThrow();
    const stale = signWebhook('wh.job_1.job.succeeded', body, [secret], new Date(Date.now() - 10 * 60_000));
    expect(() => verifyWebhook(body, stale, secret)).toThrow();
    expect(() => verifyWebhook(body, { 'webhook-id': headers['webhook-id'] }, secret)).toThrow(/webhook-timestamp/);
  });

  it('accepts a message signed during a rotation with either secret, and a receiver holding both', () => {
    const [oldSecret, newSecret] = [generateWebhookSecret(), generateWebhookSecret()];
    const headers = signWebhook('wh.job_1.job.succeeded', body, [newSecret, oldSecret]);
    expect(verifyWebhook(body, headers, oldSecret).data.id).toBe('job_1');
    expect(verifyWebhook(body, headers, newSecret).data.id).toBe('job_1');
    const onlyNew = signWebhook('wh.job_1.job.succeeded', body, [newSecret]);
    expect(verifyWebhook(body, onlyNew, [newSecret, oldSecret]).data.id).toBe('job_1');
  });
});
