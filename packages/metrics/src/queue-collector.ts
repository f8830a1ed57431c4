// Queue gauges are read from Redis on scrape, but at most once per `minIntervalMs`: however
// many Prometheus servers (or curl loops) scrape a process, Redis sees one read per interval.
// The collector is BullMQ-agnostic: the farm passes `readCounts`, typically built from
// `readBullmqQueue` (below) for each model's queue plus the live-worker count from heartbeats.
import { QUEUE_STATES, queueJobs, queueOldestWaitingSeconds, scrapeHooks, workers, type QueueState } from './metrics.js';

/** What the farm reports for one model on each (rate-limited) read. */
export interface QueueSnapshot {
  model: string;
  /** Job counts by BullMQ state; a missing state is reported as 0. */
  counts: Partial<Record<QueueState, number>>;
  /** Submit time (epoch ms) of the oldest job still waiting for a worker, or null if none. */
  oldestWaitingAt: number | null;
  /** Live workers serving this model, counted from heartbeat keys. */
  workers: number;
}

export interface QueueCollectorOptions {
  readCounts: () => Promise<QueueSnapshot[]>;
  /** Minimum time between two Redis reads; default 10 s (a typical scrape interval). */
  minIntervalMs?: number;
  /** Read failures keep the previous values and are reported here (the library never logs). */
  onError?: (err: unknown) => void;
  /** Clock, for tests that must not sleep. */
  now?: () => number;
}

export interface QueueCollector {
  /** Brings the gauges up to date, reading Redis only if the last read is older than the interval. */
  refresh(): Promise<void>;
  /** Detaches the collector; the gauges are cleared. */
  stop(): void;
}

let active: QueueCollector | null = null;

/**
 * Installs the process's queue collector (a later call replaces the earlier one: the gauges
 * describe one farm). Gauges are refreshed from prom-client's `collect()` hook, so nothing
 * runs between scrapes.
 */
export function createQueueCollector(options: QueueCollectorOptions): QueueCollector {
  const minIntervalMs = options.minIntervalMs ?? 10_000;
  const now = options.now ?? Date.now;
  let snapshot: QueueSnapshot[] = [];
  let lastReadAt = -Infinity;
  let inFlight: Promise<void> | null = null;
  let stopped = false;

  async function read(): Promise<void> {
    try {
      snapshot = await options.readCounts();
    } catch (err) {
      options.onError?.(err);
    }
  }

  function apply(): void {
    // Reset first so a model that is no longer served stops being reported.
    queueJobs.reset();
    queueOldestWaitingSeconds.reset();
    workers.reset();
    const t = now();
    for (const s of snapshot) {
      for (const state of QUEUE_STATES) queueJobs.set({ model: s.model, state }, s.counts[state] ?? 0);
      const age = s.oldestWaitingAt === null ? 0 : Math.max(0, (t - s.oldestWaitingAt) / 1000);
      queueOldestWaitingSeconds.set({ model: s.model }, age);
      workers.set({ model: s.model }, s.workers);
    }
  }

  const collector: QueueCollector = {
    async refresh() {
      if (stopped) return;
      if (!inFlight && now() - lastReadAt >= minIntervalMs) {
        // A failed read also counts as a read: a Redis outage must not turn into a read per scrape.
        lastReadAt = now();
        inFlight = read().finally(() => {
          inFlight = null;
        });
      }
      if (inFlight) await inFlight;
      if (!stopped) apply();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      scrapeHooks.delete(collector.refresh);
      if (active === collector) active = null;
      queueJobs.reset();
      queueOldestWaitingSeconds.reset();
      workers.reset();
    },
  };
  active?.stop();
  active = collector;
  scrapeHooks.add(collector.refresh);
  return collector;
}

/** The parts of a BullMQ `Queue` that `readBullmqQueue` uses (a real Queue satisfies it). */
export interface BullmqQueueLike {
  getJobCounts(...types: QueueState[]): Promise<Record<string, number>>;
  getJobs(
    types: Array<'waiting' | 'prioritized'>,
    start: number,
    end: number,
    asc: boolean,
  ): Promise<Array<{ timestamp: number } | undefined>>;
}

/** Counts and oldest waiting submit time of one BullMQ queue: two small Redis round trips. */
export async function readBullmqQueue(
  queue: BullmqQueueLike,
): Promise<Pick<QueueSnapshot, 'counts' | 'oldestWaitingAt'>> {
  const [raw, oldest] = await Promise.all([
    queue.getJobCounts(...QUEUE_STATES),
    // asc=true returns the oldest first; one job from each of the two waiting states.
    queue.getJobs(['waiting', 'prioritized'], 0, 0, true),
  ]);
  const counts: Partial<Record<QueueState, number>> = {};
  for (const state of QUEUE_STATES) counts[state] = raw[state] ?? 0;
  // BullMQ moves waiting jobs to `paused` while a queue is paused: they still wait.
  counts.waiting = (counts.waiting ?? 0) + (raw.paused ?? 0);
  const stamps = oldest.filter((job) => job !== undefined).map((job) => job.timestamp);
  return { counts, oldestWaitingAt: stamps.length > 0 ? Math.min(...stamps) : null };
}
