export { canonicalJson } from './canonical-json.js';
export { KeyRing, generateSigningKey, keyIdOf, loadOrCreateSigningKey, signingKeyFromPem, type PublicSigningKey, type SigningKey } from './signing-key.js';
export { ProvenanceKeyRegistry } from './key-registry.js';
export { MANIFEST_FORMAT, manifestSignatureValid, signManifest, type ProvenanceManifest, type SignedProvenance } from './manifest.js';
export { PROVENANCE_KEYWORD, embedPngProvenance, pixelsSha256, pngPixelsRgb8, readPngProvenance, type ManifestFields } from './png-provenance.js';
export { imageFormat, verifyImageProvenance, type ProvenanceCheck, type ProvenanceStatus } from './verify-image.js';
export { insertBeforeIend, itxtChunk, readPngChunks } from './png-chunks.js';
export { embedContainerProvenance, readContainerProvenance } from './container-provenance.js';
