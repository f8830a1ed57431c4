export { DEFAULT_GLOBAL_POLICY } from './default-policy.js';
export { PromptModerator, type PromptVerdict } from './prompt-moderator.js';
export { ModerationPolicyStore, type PromptCheck } from './policy-store.js';
export { foldText, promptWords } from './normalize.js';
