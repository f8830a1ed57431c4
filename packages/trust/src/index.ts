// @flowfarm/trust — trust and safety for generated images: prompt moderation, signed
// provenance manifests embedded in the files, an invisible watermark, and the audit log.
export * from './moderation/index.js';
export * from './provenance/index.js';
export * from './watermark/index.js';
export { decodeImageRgb, imageHeader, verifyImageFile, type FileVerification } from './verify-file.js';
export { AuditLog, type AuditEntry, type AuditInput } from './audit/audit-log.js';
