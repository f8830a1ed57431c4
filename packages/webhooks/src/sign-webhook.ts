// Standard Webhooks signing through the `standardwebhooks` library (never a hand-rolled HMAC).
// With several secrets (during a rotation) the signatures are space-separated, as the spec
// allows, so a receiver holding either secret verifies the message.
import { Webhook } from 'standardwebhooks';

// A type (not an interface) so it fits `Record<string, string>` header parameters.
export type SignedHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

export function signWebhook(webhookId: string, payload: string, secrets: readonly string[], at: Date = new Date()): SignedHeaders {
  if (secrets.length === 0) throw new Error('signWebhook needs at least one secret');
  const signature = secrets.map((secret) => new Webhook(secret).sign(webhookId, at, payload)).join(' ');
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signature,
  };
}
