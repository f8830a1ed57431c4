// @flowfarm/metrics: one prom-client registry with every flowfarm metric (metrics.ts), the
// HTTP middleware and /metrics handler (http.ts), and the cached queue collector.
export * from './metrics.js';
export { httpMetricsMiddleware, metricsHandler, UNMATCHED_ROUTE } from './http.js';
export { startMetricsServer } from './metrics-server.js';
export {
  createQueueCollector,
  readBullmqQueue,
  type BullmqQueueLike,
  type QueueCollector,
  type QueueCollectorOptions,
  type QueueSnapshot,
} from './queue-collector.js';
export { jobLifecycleMetrics } from './job-lifecycle-metrics.js';
export { OTHER_TENANTS, countTenantUsage, setTenantLabelCap, tenantLabel } from './tenant-labels.js';
