// Per-tenant signing secrets (Standard Webhooks `whsec_<base64>`), kept in Redis so every api
// replica and delivery process signs with the same one. After a rotation the previous secret
// keeps signing, next to the new one, for ROTATION_OVERLAP_MS, so receivers can switch over.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

export const ROTATION_OVERLAP_MS = 24 * 3600 * 1000;

export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export interface SecretView {
  secret: string;
  /** After a rotation: the secret that also signs until `previous_valid_until`. */
  previous_valid_until: string | null;
}

// Moves the current secret to `previous` (valid until ARGV[2]) and installs ARGV[1].
const ROTATE = `
local current = redis.call('HGET', KEYS[1], 'current')
if current then
  redis.call('HSET', KEYS[1], 'previous', current, 'previous_until', ARGV[2])
end
redis.call('HSET', KEYS[1], 'current', ARGV[1])
return 1
`;

export class WebhookSecretStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly now: () => number = Date.now,
  ) {}

  private key(tenant: string): string {
    return `${this.prefix}:wh:secret:${tenant}`;
  }

  /** The tenant's current secret; the first call creates it. */
  async current(tenant: string): Promise<string> {
    const key = this.key(tenant);
    // HSETNX makes concurrent first calls on several replicas agree on one secret.
    await this.redis.hsetnx(key, 'current', generateWebhookSecret());
    return (await this.redis.hget(key, 'current')) as string;
  }

  async describe(tenant: string): Promise<SecretView> {
    const secret = await this.current(tenant);
    const until = Number(await this.redis.hget(this.key(tenant), 'previous_until'));
    return { secret, previous_valid_until: until > this.now() ? new Date(until).toISOString() : null };
  }

  async rotate(tenant: string): Promise<SecretView> {
    await this.current(tenant);
    await this.redis.eval(ROTATE, 1, this.key(tenant), generateWebhookSecret(), String(this.now() + ROTATION_OVERLAP_MS));
    return this.describe(tenant);
  }

  /** Secrets to sign with now: the current one, plus the previous one during the overlap. */
  async signingSecrets(tenant: string): Promise<string[]> {
    const current = await this.current(tenant);
    const [previous, until] = await this.redis.hmget(this.key(tenant), 'previous', 'previous_until');
    return previous && Number(until) > this.now() ? [current, previous] : [current];
  }
}
