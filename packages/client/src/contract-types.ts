// The one place the SDK takes types from @flowfarm/contracts. Imports are type-only, so the
// SDK's JavaScript needs neither zod nor the contracts code at run time (small browser
// bundles); the build rewrites this file's import to the bundled declarations.
export type {
  AdminJobList,
  AdminJobState,
  AdminJobSummary,
  ApiKeyCreate,
  ApiKeyInfo,
  DatasetList,
  DatasetSpec,
  DatasetView,
  JobErrorInfo,
  JobEventType,
  JobInput,
  JobList,
  JobOutput,
  JobProgress,
  JobStatus,
  JobStreamEvent,
  JobView,
  ModelInfo,
  ModelList,
  Problem,
  QueueStats,
  QueueStatsList,
  WorkerHeartbeat,
} from '@flowfarm/contracts';
