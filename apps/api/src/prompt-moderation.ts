import type { JobInput, JobModeration } from '@flowfarm/contracts';
import type { ApiDeps } from './deps.js';

/**
 * Checks a submitted prompt against the global and the tenant's policy. Fills in the
 * `safety_tolerance` the job runs with (requested or default, lowered to the tenant's cap), so
 * the job's view shows what was applied. Returns the moderation outcome when the prompt is
 * blocked, null when it may be rendered.
 */
export async function moderatePrompt(deps: ApiDeps, tenant: string, input: JobInput): Promise<JobModeration | null> {
  const check = await deps.moderation.checkPrompt(tenant, input.prompt, input.safety_tolerance);
  input.safety_tolerance = check.safety_tolerance;
  if (!check.blocked) return null;
  deps.logger.info({ tenant, rule: check.rule, safetyTolerance: check.safety_tolerance }, 'prompt moderated');
  return { stage: 'prompt', reason: check.reason ?? 'prompt blocked by the moderation policy' };
}
