// The job counters and timings, counted where every job transition happens: the lifecycle
// (@flowfarm/queue JobLifecycle) calls this observer in the API and in the workers alike.
import { jobE2e, jobQueueWait, jobsExpired, jobsFinished, jobsSubmitted } from './metrics.js';
import { countTenantUsage } from './tenant-labels.js';

/** The parts of a job record the counters read. */
interface JobLike {
  tenant: string;
  model: string;
  createdAt: number;
  finishedAt: number | null;
  input: { width?: number; height?: number; steps?: number };
  outputs: unknown[];
  renderMs?: number | null;
}

export const jobLifecycleMetrics = {
  submitted(job: JobLike): void {
    jobsSubmitted.inc({ model: job.model });
  },
  started(job: JobLike, queueWaitMs: number | null): void {
    if (queueWaitMs !== null) jobQueueWait.observe({ model: job.model }, queueWaitMs / 1000);
  },
  finished(job: JobLike, status: string): void {
    jobsFinished.inc({ model: job.model, status });
    if (status === 'expired') jobsExpired.inc({ model: job.model });
    if (status === 'succeeded') {
      const images = job.outputs.length;
      const megapixelSteps = ((job.input.width ?? 0) * (job.input.height ?? 0) * (job.input.steps ?? 0) * images) / 1e6;
      countTenantUsage(job.tenant, { images, megapixelSteps, renderSeconds: (job.renderMs ?? 0) / 1000 });
    }
    jobE2e.observe({ model: job.model }, Math.max(0, (job.finishedAt ?? Date.now()) - job.createdAt) / 1000);
  },
};
