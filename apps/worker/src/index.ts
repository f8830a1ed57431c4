export { loadConfig, workerConfigSchema, type WorkerConfig } from './config.js';
export { startWorker, type RunningWorker, type StartWorkerOptions } from './worker-runtime.js';
export { runWorkerProcess } from './main.js';
