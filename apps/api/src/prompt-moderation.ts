import type { JobInput, JobModeration } from '@flowfarm/contracts';
import type { ApiDeps } from './deps.js';

/**
 * Checks a submitted prompt against the global and the tenant's policy. Fills in the
 * `safety_tolerance` the job runs with (requested or default, lowered to the tenant's cap), so
 * the job's view shows what was applied. Returns the moderation outcome when the prompt is
 * blocked, null when it may be rendered.
 */
export async function moderatePrompt(deps: ApiDeps, tenant: string, input: JobInput): Promise<JobModeration | null> {
  let check = await deps.moderation.checkPrompt(tenant, input.prompt, input.safety_tolerance);
  input.safety_tolerance = check.safety_tolerance;
  // a prompt chain's stages are checked like the job's prompt
  for (const stage of input.stages ?? []) {
    if (check.blocked || stage.prompt === undefined || stage.prompt === input.prompt) continue;
    check = await deps.moderation.checkPrompt(tenant, stage.prompt, input.safety_tolerance);
  }
  if (!check.blocked) return null;
  deps.logger.info({ tenant, rule: check.rule, safetyTolerance: check.safety_tolerance }, 'prompt moderated');
  return { stage: 'prompt', reason: check.reason ?? 'prompt blocked by the moderation policy' };
}
