// verifyWebhook: check a flowfarm webhook on the receiving side with the Standard Webhooks
// library (HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{raw body}", timestamps older or
// newer than 5 minutes refused). Pass the raw request body exactly as received: a re-serialised
// JSON object has other bytes and fails.
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { JobEventType, JobView } from './contract-types.js';

export { WebhookVerificationError };

/** The body of every flowfarm webhook. */
export interface WebhookEvent {
  type: JobEventType;
  /** When the event happened (the same on every retry). */
  timestamp: string;
  /** The job as `GET /v1/jobs/:id` returned it at that moment. */
  data: JobView;
}

/** Node's `req.headers`, a fetch `Headers`, or a plain object. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

const HEADER_NAMES = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

function pickHeaders(headers: WebhookHeaders): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of HEADER_NAMES) {
    let value: string | string[] | null | undefined;
    if (typeof Headers !== 'undefined' && headers instanceof Headers) {
      value = headers.get(name);
    } else {
      const record = headers as Record<string, string | string[] | undefined>;
      const key = Object.keys(record).find((k) => k.toLowerCase() === name);
      value = key === undefined ? undefined : record[key];
    }
    if (Array.isArray(value)) value = value.join(' ');
    if (value == null) throw new WebhookVerificationError(`missing ${name} header`);
    picked[name] = value;
  }
  return picked;
}

/**
 * Verifies a webhook and returns its parsed event; throws WebhookVerificationError when the
 * signature, the timestamp or a header is wrong. `secret` is the tenant's `whsec_…` (from
 * `GET /v1/webhook-secret`); during a rotation pass both, the new one first.
 */
export function verifyWebhook(
  payload: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string | readonly string[],
): WebhookEvent {
  const body = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
  const picked = pickHeaders(headers);
  const secrets = typeof secret === 'string' ? [secret] : secret;
  let lastError: unknown = new WebhookVerificationError('no secret given');
  for (const candidate of secrets) {
    try {
      return new Webhook(candidate).verify(body, picked) as WebhookEvent;
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}
