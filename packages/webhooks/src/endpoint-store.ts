// Per-tenant default webhook endpoint (used when a job names none) and the URLs a receiver
// disabled by answering 410 Gone. A disabled URL gets no more deliveries until the tenant sets
// it again with PUT /v1/webhook-endpoint or asks for a redelivery.
import type { Redis } from 'ioredis';
import type { JobEventType } from './types.js';

export interface WebhookEndpoint {
  url: string;
  events: JobEventType[];
  updated_at: string;
}

export interface DisabledInfo {
  at: string;
  reason: string;
}

export class WebhookEndpointStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private endpointKey(tenant: string): string {
    return `${this.prefix}:wh:endpoint:${tenant}`;
  }
  private disabledKey(tenant: string): string {
    return `${this.prefix}:wh:disabled:${tenant}`;
  }

  async getDefault(tenant: string): Promise<WebhookEndpoint | null> {
    const raw = await this.redis.get(this.endpointKey(tenant));
    return raw ? (JSON.parse(raw) as WebhookEndpoint) : null;
  }

  /** Sets the default endpoint; setting a URL again re-enables it after a 410. */
  async setDefault(tenant: string, url: string, events: JobEventType[]): Promise<WebhookEndpoint> {
    const endpoint: WebhookEndpoint = { url, events, updated_at: new Date().toISOString() };
    await this.redis
      .multi()
      .set(this.endpointKey(tenant), JSON.stringify(endpoint))
      .hdel(this.disabledKey(tenant), url)
      .exec();
    return endpoint;
  }

  async removeDefault(tenant: string): Promise<boolean> {
    return (await this.redis.del(this.endpointKey(tenant))) === 1;
  }

  async disable(tenant: string, url: string, reason: string): Promise<void> {
    const info: DisabledInfo = { at: new Date().toISOString(), reason };
    await this.redis.hset(this.disabledKey(tenant), url, JSON.stringify(info));
  }

  async enable(tenant: string, url: string): Promise<void> {
    await this.redis.hdel(this.disabledKey(tenant), url);
  }

  async disabledInfo(tenant: string, url: string): Promise<DisabledInfo | null> {
    const raw = await this.redis.hget(this.disabledKey(tenant), url);
    return raw ? (JSON.parse(raw) as DisabledInfo) : null;
  }
}
