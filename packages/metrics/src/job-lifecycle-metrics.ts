// The job counters and timings, counted where every job transition happens: the lifecycle
// (@flowfarm/queue JobLifecycle) calls this observer in the API and in the workers alike.
import { jobE2e, jobQueueWait, jobsFinished, jobsSubmitted } from './metrics.js';

/** The parts of a job record the counters read. */
interface JobLike {
  model: string;
  createdAt: number;
  finishedAt: number | null;
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
    jobE2e.observe({ model: job.model }, Math.max(0, (job.finishedAt ?? Date.now()) - job.createdAt) / 1000);
  },
};
