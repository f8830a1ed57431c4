// Named schemas of the trust-and-safety routes (the routes are declared in routes/moderation.ts
// and routes/trust.ts).
import type { z } from 'zod';
import { JobModeration } from './job-events.js';
import { JobProvenance, ProvenanceKeySet, SignedProvenanceRecord, VerifyResult } from './provenance.js';
import { AuditEntry, AuditList, GlobalModerationPolicy, ModerationCheckRequest, ModerationCheckResult, ModerationPolicy, TenantModerationPolicy } from './moderation.js';

export const TRUST_SCHEMAS: Record<string, z.ZodType> = {
  JobModeration,
  ModerationPolicy,
  GlobalModerationPolicy,
  TenantModerationPolicy,
  ModerationCheckRequest,
  ModerationCheckResult,
  AuditEntry,
  AuditList,
  ProvenanceKeySet,
  SignedProvenanceRecord,
  JobProvenance,
  VerifyResult,
};
