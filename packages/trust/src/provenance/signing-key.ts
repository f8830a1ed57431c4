import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** A public signing key as published at /.well-known/flowfarm-keys.json (a JWK, RFC 8037). */
export interface PublicSigningKey {
  kid: string;
  kty: 'OKP';
  crv: 'Ed25519';
  alg: 'EdDSA';
  use: 'sig';
  /** base64url of the 32-byte public key */
  x: string;
  /** when the key was first published (ISO 8601) */
  created_at: string;
}

/** The farm's Ed25519 key pair; `kid` is derived from the public key, so it never needs configuring. */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: PublicSigningKey;
}

/** Key id: the first 16 base64url characters of SHA-256 of the raw public key. */
export function keyIdOf(rawPublicKey: Uint8Array): string {
  return createHash('sha256').update(rawPublicKey).digest('base64url').slice(0, 16);
}

function fromPrivateKey(privateKey: KeyObject, createdAt = new Date().toISOString()): SigningKey {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`provenance signing key must be Ed25519, got ${privateKey.asymmetricKeyType}`);
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' }) as { x: string };
  const kid = keyIdOf(Buffer.from(jwk.x, 'base64url'));
  return { kid, privateKey, publicJwk: { kid, kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', x: jwk.x, created_at: createdAt } };
}

/** A new random key (tests, `flowfarm provenance` tooling). */
export function generateSigningKey(): SigningKey {
  return fromPrivateKey(generateKeyPairSync('ed25519').privateKey);
}

/** Parses a PKCS#8 PEM private key (PROVENANCE_SIGNING_KEY). */
export function signingKeyFromPem(pem: string): SigningKey {
  return fromPrivateKey(createPrivateKey(pem.replace(/\\n/g, '\n')));
}

/**
 * The key under DATA_DIR (`provenance/signing-key.pem`), created on first use like the files
 * signing secret. Several workers sharing DATA_DIR share it; on several machines set
 * PROVENANCE_SIGNING_KEY instead (the same key, or one per machine: every public key is published).
 */
export function loadOrCreateSigningKey(dataDir: string): SigningKey {
  const file = path.join(dataDir, 'provenance', 'signing-key.pem');
  try {
    return signingKeyFromPem(readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  try {
    writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return signingKeyFromPem(readFileSync(file, 'utf8'));
}

export function signBytes(key: SigningKey, bytes: Uint8Array): string {
  return sign(null, bytes, key.privateKey).toString('base64url');
}

/** Public keys by kid, as a verifier holds them. */
export class KeyRing {
  private readonly keys = new Map<string, KeyObject>();

  constructor(jwks: Iterable<Pick<PublicSigningKey, 'kid' | 'x'>> = []) {
    for (const jwk of jwks) this.add(jwk);
  }

  add(jwk: Pick<PublicSigningKey, 'kid' | 'x'>): void {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
    if (keyIdOf(Buffer.from(jwk.x, 'base64url')) !== jwk.kid) throw new Error(`key ${jwk.kid}: kid does not match the key`);
    this.keys.set(jwk.kid, key);
  }

  has(kid: string): boolean {
    return this.keys.has(kid);
  }

  get size(): number {
    return this.keys.size;
  }

  /** false for a bad signature, a malformed one, or an unknown kid. */
  verify(kid: string, bytes: Uint8Array, signature: string): boolean {
    const key = this.keys.get(kid);
    if (!key) return false;
    try {
      return verify(null, bytes, key, Buffer.from(signature, 'base64url'));
    } catch {
      return false;
    }
  }
}
