import type { Redis } from 'ioredis';
import type { ModelInfo, WorkerHeartbeat, WorkerModel } from '@flowfarm/contracts';
import type { FarmKeys } from './keys.js';

export type ModelLimits = Omit<ModelInfo, 'workers' | 'providers'>;

/**
 * Live workers announce themselves with a heartbeat key that expires unless refreshed, so a
 * killed worker disappears from `GET /v1/models` within one TTL. Models ever announced are
 * also kept without expiry, so the API can validate jobs for a model whose workers are scaled
 * to zero right now.
 */
export class WorkerRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly keys: FarmKeys,
  ) {}

  async beat(heartbeat: WorkerHeartbeat, ttlMs: number): Promise<void> {
    const multi = this.redis
      .multi()
      .set(this.keys.worker(heartbeat.id), JSON.stringify(heartbeat), 'PX', ttlMs)
      .zadd(this.keys.workers, Date.now(), heartbeat.id);
    for (const model of heartbeat.models) multi.hset(this.keys.knownModels, model.name, JSON.stringify(limitsOnly(model)));
    await multi.exec();
  }

  async remove(workerId: string): Promise<void> {
    await this.redis.multi().del(this.keys.worker(workerId)).zrem(this.keys.workers, workerId).exec();
  }

  async liveWorkers(): Promise<WorkerHeartbeat[]> {
    const ids = await this.redis.zrange(this.keys.workers, 0, -1);
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map((id) => this.keys.worker(id)));
    const live: WorkerHeartbeat[] = [];
    const gone: string[] = [];
    values.forEach((value, i) => (value ? live.push(JSON.parse(value) as WorkerHeartbeat) : gone.push(ids[i])));
    if (gone.length) await this.redis.zrem(this.keys.workers, ...gone);
    return live;
  }

  /** Models served by live workers, with how many workers serve each and on which providers; sorted by name. */
  async liveModels(): Promise<ModelInfo[]> {
    const byName = new Map<string, ModelInfo>();
    for (const worker of await this.liveWorkers()) {
      for (const model of worker.models) {
        const seen = byName.get(model.name);
        // heartbeats of workers started before providers were announced carry none
        const providers = new Set([...(seen?.providers ?? []), ...(model.provider ? [model.provider] : [])]);
        byName.set(model.name, { ...limitsOnly(model), workers: (seen?.workers ?? 0) + 1, providers: [...providers].sort() });
      }
    }
    return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Every model a worker has ever announced (limits as last announced, without per-worker fields). */
  async knownModels(): Promise<Map<string, ModelLimits>> {
    const all = await this.redis.hgetall(this.keys.knownModels);
    return new Map(Object.entries(all).map(([name, json]) => [name, JSON.parse(json) as ModelLimits]));
  }
}

/** The model's limits without what belongs to one worker (its provider, latent placement). */
function limitsOnly(model: WorkerModel | ModelLimits): ModelLimits {
  const { provider: _provider, latents: _latents, ...limits } = model as WorkerModel;
  return limits;
}
