import { canonicalJson } from './canonical-json.js';
import { signBytes, type KeyRing, type SigningKey } from './signing-key.js';

export const MANIFEST_FORMAT = 'flowfarm.provenance/1';

/** What a farm asserts about one image it generated. */
export interface ProvenanceManifest {
  format: typeof MANIFEST_FORMAT;
  job_id: string;
  tenant: string;
  /** which of the job's images (0-based) */
  image_index: number;
  model: {
    name: string;
    /** file name in model.json → SHA-256 (hex) of its bytes */
    files: Record<string, string>;
  };
  pipeline_version: string;
  /** every generation parameter: the job input with the model defaults filled in */
  params: Record<string, unknown>;
  /** when the image was made (ISO 8601) */
  created_at: string;
  image: {
    width: number;
    height: number;
    content_type: string;
    /** SHA-256 (hex) of the decoded pixels, RGB8 interleaved, rows top to bottom */
    pixels_sha256: string;
    /** SHA-256 (hex) of the file's bytes without the provenance record itself */
    file_sha256: string;
  };
  /** the invisible watermark's payload (hex), when one was embedded */
  watermark?: { scheme: string; payload: string };
}

/** The record embedded in the file and served at GET /v1/jobs/{id}/provenance. */
export interface SignedProvenance {
  manifest: ProvenanceManifest;
  kid: string;
  alg: 'Ed25519';
  /** base64url Ed25519 signature over the manifest's canonical JSON (UTF-8) */
  signature: string;
}

const utf8 = (text: string) => new TextEncoder().encode(text);

export function signManifest(manifest: ProvenanceManifest, key: SigningKey): SignedProvenance {
  return { manifest, kid: key.kid, alg: 'Ed25519', signature: signBytes(key, utf8(canonicalJson(manifest))) };
}

export function manifestSignatureValid(record: SignedProvenance, ring: KeyRing): boolean {
  return record.alg === 'Ed25519' && ring.verify(record.kid, utf8(canonicalJson(record.manifest)), record.signature);
}

/** Parses a record's JSON; null when it is not one (malformed counts as tampered for the caller). */
export function parseSignedProvenance(text: string): SignedProvenance | null {
  try {
    const value = JSON.parse(text) as Partial<SignedProvenance>;
    const manifest = value.manifest as Partial<ProvenanceManifest> | undefined;
    if (typeof value.kid !== 'string' || typeof value.signature !== 'string' || !manifest || manifest.format !== MANIFEST_FORMAT || !manifest.image) return null;
    return value as SignedProvenance;
  } catch {
    return null;
  }
}
