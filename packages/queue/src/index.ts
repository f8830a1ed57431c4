export { farmKeys, renderQueueName, type FarmKeys } from './keys.js';
export { createRedisConnection, pingRedis } from './redis-connection.js';
export { recordFromHash, recordToHash, toJobView, type InputImageRef, type JobRecord, type StoredOutput, type ViewContext } from './job-record.js';
export { JobStore, type CreateOutcome, type JobStoreOptions, type ListPosition, type StoredEvent, type TransitionOutcome } from './job-store.js';
export { RenderQueues, renderJobOptions, type RenderJobData, type RenderJobPolicy } from './render-queues.js';
export { JobEventHub } from './job-event-hub.js';
export { WorkerRegistry, type ModelLimits } from './worker-registry.js';
export { DATASET_CHUNK, DATASET_WINDOW, DatasetStore, datasetFileKey, datasetImageKey, datasetQueueName, type DatasetJobData, type DatasetRecord, type FilledDatasetSpec } from './dataset-store.js';
export { SharedFolderError, startSharedFolderProbe, type SharedFolderProbe } from './shared-folder-probe.js';
