// SSRF guard: a webhook URL is ours to POST to only when every address its host resolves to
// is public unicast. The delivery then connects to the address that was checked (a pinned
// `lookup`), so a DNS answer that changes between check and connect (rebinding) cannot
// redirect the request into the private network.
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

export const WEBHOOK_URL_REFUSED = 'webhook URL refused';

/** The URL may not be called: wrong scheme, unresolvable host or a non-public address. */
export class WebhookUrlRefusedError extends Error {
  readonly code = 'webhook_url_refused';
  constructor(
    readonly url: string,
    readonly reason: string,
    /** True when the refusal may pass (the host did not resolve now). */
    readonly temporary = false,
  ) {
    super(`${WEBHOOK_URL_REFUSED}: ${reason}`);
    this.name = 'WebhookUrlRefusedError';
  }
}

/** Cloud metadata services, named so the refusal says what was hit. */
const METADATA_ADDRESSES = new Set(['169.254.169.254', 'fd00:ec2::254', '100.100.100.200']);

export interface SsrfOptions {
  /** WEBHOOK_ALLOW_PRIVATE: allow loopback/private targets (local setups and tests). */
  allowPrivate: boolean;
}

export interface CheckedTarget {
  url: URL;
  /** The address the connection must go to. */
  address: string;
  family: 4 | 6;
}

/**
 * Why an address may not be called, or null when it is public unicast. IPv4-mapped IPv6
 * (::ffff:10.0.0.1) is judged as the IPv4 address it carries.
 */
export function refusalReason(address: string): string | null {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address);
  } catch {
    return `${address} is not an IP address`;
  }
  const normalized = parsed.toString();
  if (METADATA_ADDRESSES.has(normalized)) return `${normalized} is a cloud metadata address`;
  // An allow-list: everything ipaddr.js does not call plain unicast (loopback, private,
  // linkLocal, uniqueLocal, multicast, carrierGradeNat, reserved, 6to4/teredo tunnels that
  // can embed private IPv4, …) is refused.
  const range = parsed.range();
  return range === 'unicast' ? null : `${normalized} is a ${range} address`;
}

function hostOf(url: URL): string {
  // WHATWG URL keeps IPv6 literals in brackets.
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

function parseWebhookUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookUrlRefusedError(raw, 'not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new WebhookUrlRefusedError(raw, `scheme ${url.protocol} is not http or https`);
  }
  if (url.username || url.password) throw new WebhookUrlRefusedError(raw, 'credentials in the URL are not allowed');
  return url;
}

/**
 * Resolves the URL's host and checks every address it has; returns the one to connect to.
 * Throws WebhookUrlRefusedError when the URL may not be called.
 */
export async function resolveWebhookTarget(raw: string, options: SsrfOptions): Promise<CheckedTarget> {
  const url = parseWebhookUrl(raw);
  const host = hostOf(url);
  let addresses: { address: string; family: number }[];
  if (ipaddr.isValid(host)) {
    addresses = [{ address: host, family: host.includes(':') ? 6 : 4 }];
  } else {
    try {
      addresses = await dnsLookup(host, { all: true, verbatim: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new WebhookUrlRefusedError(raw, `host ${host} does not resolve (${code})`, true);
    }
    if (addresses.length === 0) throw new WebhookUrlRefusedError(raw, `host ${host} has no address`);
  }
  if (!options.allowPrivate) {
    for (const { address } of addresses) {
      const reason = refusalReason(address);
      if (reason) throw new WebhookUrlRefusedError(raw, host === address ? reason : `${host} resolves to ${reason}`);
    }
  }
  const first = addresses[0];
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}

/** Submit-time check (the api maps the error to 422). */
export async function assertWebhookUrlAllowed(url: string, options: SsrfOptions): Promise<void> {
  await resolveWebhookTarget(url, options);
}

/**
 * A `lookup` for http(s).request that answers every query with the checked address, so the
 * socket connects where the guard looked, whatever DNS says a moment later.
 */
export function pinnedLookup(target: CheckedTarget): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) {
      callback(null, [{ address: target.address, family: target.family }]);
    } else {
      callback(null, target.address, target.family);
    }
  };
}
