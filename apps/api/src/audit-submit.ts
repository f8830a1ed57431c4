import type { JobModeration } from '@flowfarm/contracts';
import type { JobRecord } from '@flowfarm/queue';
import type { AuditInput } from '@flowfarm/trust';

/** The audit-log entry of a new job (the submit script writes it with the job). */
export function auditEntryFor(record: JobRecord, moderation: JobModeration | null, keyId: string | undefined, client: string): AuditInput {
  return {
    tenant: record.tenant,
    key_id: keyId ?? 'unknown',
    client,
    job_id: record.id,
    model: record.model,
    outcome: moderation ? 'moderated' : 'allowed',
    ...(moderation ? { stage: moderation.stage, reason: moderation.reason } : {}),
    ...(record.input.safety_tolerance === undefined ? {} : { safety_tolerance: record.input.safety_tolerance }),
  };
}
