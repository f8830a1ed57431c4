import { isTerminalStatus } from '@flowfarm/contracts';
import type { JobRecord } from '@flowfarm/queue';
import type { ApiDeps } from './deps.js';

/** Resolves with the job once it is finished, or with its latest state when `timeoutMs` runs out. */
export async function waitForJob(deps: ApiDeps, id: string, timeoutMs: number, signal?: AbortSignal): Promise<JobRecord | null> {
  let notice: (record?: JobRecord) => void = () => {};
  // subscribed before the first read, so no change between the two is missed; only the job's
  // end matters (its starts and steps are not waited for), and its notice carries the record
  const off = await deps.hub.on(id, ({ terminal, record }) => terminal && notice(record));
  return new Promise((resolve, reject) => {
    let settled = false;
    let checking = false;
    let again = false;
    const finish = (record: JobRecord | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      off();
      signal?.removeEventListener('abort', onAbort);
      resolve(record);
    };
    const check = async () => {
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      try {
        do {
          again = false;
          const record = await deps.store.get(id);
          if (!record || isTerminalStatus(record.status)) return finish(record);
        } while (again);
      } catch (err) {
        settled = true;
        clearTimeout(timer);
        off();
        reject(err);
      } finally {
        checking = false;
      }
    };
    const onAbort = () => void deps.store.get(id).then(finish, () => finish(null));
    notice = (record) => (record ? finish(record) : void check());
    const timer = setTimeout(onAbort, timeoutMs);
    signal?.addEventListener('abort', onAbort);
    void check();
  });
}

/** N from `Prefer: wait=N` (RFC 7240), capped; null without the preference. */
export function preferWaitSeconds(header: string | undefined, max: number): number | null {
  const match = header ? /(?:^|[,;\s])wait\s*=\s*"?(\d+)"?/i.exec(header) : null;
  return match ? Math.min(Number(match[1]), max) : null;
}
