// SSRF guard: a webhook URL is ours to POST to only when every address its host resolves to
// is public unicast (or, with WEBHOOK_ALLOW_PRIVATE, anything but a metadata or link-local
// address: those are refused in every setup). The delivery then connects to the address that was checked (a pinned
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

/**
 * Cloud metadata and platform services, named so the refusal says what was hit: AWS, GCP,
 * Azure and OpenStack IMDS (169.254.169.254, AWS over IPv6 fd00:ec2::254), AWS ECS task
 * metadata (169.254.170.2), Alibaba (100.100.100.200), Oracle (192.0.0.192), Azure WireServer
 * (168.63.129.16).
 */
const METADATA_ADDRESSES = new Set(['169.254.169.254', 'fd00:ec2::254', '169.254.170.2', '100.100.100.200', '192.0.0.192', '168.63.129.16']);

export interface SsrfOptions {
  /**
   * WEBHOOK_ALLOW_PRIVATE: allow loopback/private targets (local setups and tests). Metadata
   * and link-local addresses stay refused whatever it says.
   */
  allowPrivate: boolean;
}

export interface CheckedTarget {
  url: URL;
  /** The address the connection must go to. */
  address: string;
  family: 4 | 6;
}

/**
 * The IPv4 address an IPv6 address carries and routes to, if any: IPv4-mapped (::ffff:a.b.c.d),
 * IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96), 6to4 (2002:AABB:CCDD::/48) and Teredo
 * (the client address, inverted, in the last 32 bits).
 */
function embeddedIPv4(ip: ipaddr.IPv6): ipaddr.IPv4 | null {
  const parts = ip.parts;
  const v4 = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  const range = ip.range();
  if (range === 'ipv4Mapped' || range === 'rfc6052') return v4(parts[6], parts[7]);
  if (range === '6to4') return v4(parts[1], parts[2]);
  if (range === 'teredo') return v4(parts[6] ^ 0xffff, parts[7] ^ 0xffff);
  if (parts.slice(0, 6).every((p) => p === 0) && (parts[6] !== 0 || parts[7] > 1)) return v4(parts[6], parts[7]);
  return null;
}

function parseAddress(address: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  try {
    return ipaddr.parse(address);
  } catch {
    return null;
  }
}

/**
 * Why an address may never be called, private networks allowed or not: a cloud metadata
 * service or a link-local address (169.254.0.0/16, fe80::/10), in any spelling that reaches
 * one (IPv4 in IPv6, NAT64, 6to4, Teredo). Null when neither.
 */
export function alwaysRefusedReason(address: string): string | null {
  const parsed = parseAddress(address);
  if (!parsed) return `${address} is not an IP address`;
  const candidates: Array<ipaddr.IPv4 | ipaddr.IPv6> = [parsed];
  if (parsed.kind() === 'ipv6') {
    const inner = embeddedIPv4(parsed as ipaddr.IPv6);
    if (inner) candidates.push(inner);
  }
  for (const ip of candidates) {
    const normalized = ip.toString();
    if (METADATA_ADDRESSES.has(normalized)) return `${normalized} is a cloud metadata address`;
    if (ip.range() === 'linkLocal') return `${normalized} is a link-local address`;
  }
  return null;
}

/** IPv6 ranges that are only another spelling of the IPv4 address inside: judged by that address. */
const IPV4_TRANSLATIONS = new Set(['ipv4Mapped', 'rfc6052']);

/**
 * Why an address may not be called when private networks are not allowed, or null when it is
 * public unicast. An allow-list: everything ipaddr.js does not call plain unicast (loopback,
 * private, uniqueLocal, multicast, carrierGradeNat, reserved, 6to4/Teredo tunnels, …) is
 * refused; an IPv6 address carrying an IPv4 address is judged by that address as well.
 */
export function refusalReason(address: string): string | null {
  const always = alwaysRefusedReason(address);
  if (always) return always;
  const parsed = parseAddress(address)!;
  const inner = parsed.kind() === 'ipv6' ? embeddedIPv4(parsed as ipaddr.IPv6) : null;
  if (inner && inner.range() !== 'unicast') return `${inner.toString()} is a ${inner.range()} address`;
  const range = parsed.range();
  if (range === 'unicast' || (inner && IPV4_TRANSLATIONS.has(range))) return null;
  return `${parsed.toString()} is a ${range} address`;
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
  for (const { address } of addresses) {
    const reason = options.allowPrivate ? alwaysRefusedReason(address) : refusalReason(address);
    if (reason) throw new WebhookUrlRefusedError(raw, host === address ? reason : `${host} resolves to ${reason}`);
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
