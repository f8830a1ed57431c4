export {
  JobLifecycle,
  dispatchPriority,
  type BeginOutcome,
  type CancelOutcome,
  type ClaimOutcome,
  type LifecycleObserver,
  type LifecycleOptions,
  type OutputIndex,
  type StartOutcome,
  type SubmitOutcome,
  type TransitionOutcome,
  type ViewOf,
} from './job-lifecycle.js';
export { startChore, type Chore } from './chores.js';
export { bullStalledMover, reapDeadWorkers, type Requeue, type StalledMove } from './takeover.js';
export { FAULT_POINTS, crashAt, type FaultPoint } from './faults.js';
export {
  DEFAULT_STAGE_STRENGTH,
  chainSteps,
  dispatchTokenId,
  progressTotal,
  stageRequest,
  stageRunSteps,
  type StageOutcome,
} from './stages.js';
