import type { Request } from 'express';
import type { JobRecord } from '@flowfarm/queue';
import type { ApiDeps } from './deps.js';

/** Writes a new job to the audit log; a failing write is logged, never fails the submit. */
export async function auditSubmit(deps: ApiDeps, req: Request, record: JobRecord): Promise<void> {
  try {
    await deps.audit.record({
      tenant: record.tenant,
      key_id: req.apiKeyId ?? 'unknown',
      client: req.ip ?? 'unknown',
      job_id: record.id,
      model: record.model,
      outcome: record.status === 'moderated' ? 'moderated' : 'allowed',
      ...(record.moderation ? { stage: record.moderation.stage, reason: record.moderation.reason } : {}),
      ...(record.input.safety_tolerance === undefined ? {} : { safety_tolerance: record.input.safety_tolerance }),
    });
  } catch (err) {
    deps.logger.error({ err, jobId: record.id }, 'audit log write failed');
  }
}
