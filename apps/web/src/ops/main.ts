// The operator view: queues per model, live workers, jobs in flight, recent failures (with
// retry and cancel) and recently moderated jobs. Refreshes every few seconds while the tab is open.

import { FlowfarmAdmin, FlowfarmError, type AdminJobSummary } from '@flowfarm/client';
import { byId } from '../shared/dom.js';
import { bindKeyForm, localKeyStore } from '../shared/key-store.js';
import { renderFailures, renderInFlight, renderModeration, renderQueues, renderWorkers } from './tables.js';
import { bindUsageExport, refreshUsage } from './usage-panel.js';

const REFRESH_MS = 2000;
const errorLine = byId('ops-error');
let admin: FlowfarmAdmin | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;

function explain(error: unknown): string {
  if (error instanceof FlowfarmError && (error.status === 401 || error.status === 403)) return 'The admin key was not accepted.';
  return error instanceof Error ? error.message : String(error);
}

async function refresh(): Promise<void> {
  clearTimeout(timer);
  if (!admin) return;
  try {
    const [queues, workers, waiting, active, failed, audit] = await Promise.all([
      admin.queues(),
      admin.workers(),
      admin.jobs('waiting', { limit: 20 }),
      admin.jobs('active', { limit: 20 }),
      admin.jobs('failed', { limit: 20 }),
      admin.audit({ limit: 100 }),
    ]);
    renderQueues(queues);
    renderWorkers(workers);
    renderInFlight([...active, ...waiting], (job) => act(job, 'cancel'));
    renderFailures(failed, (job) => act(job, 'retry'));
    renderModeration(audit.data.filter((entry) => entry.outcome === 'moderated').slice(0, 20));
    await refreshUsage(admin);
    errorLine.textContent = '';
  } catch (error) {
    errorLine.textContent = explain(error);
  }
  timer = setTimeout(() => void refresh(), REFRESH_MS);
}

async function act(job: AdminJobSummary, action: 'cancel' | 'retry'): Promise<void> {
  if (!admin) return;
  try {
    await (action === 'cancel' ? admin.cancel(job.id) : admin.retry(job.id));
  } catch (error) {
    errorLine.textContent = `${action} ${job.id}: ${explain(error)}`;
  }
  await refresh();
}

bindUsageExport(() => admin, (error) => (errorLine.textContent = explain(error)));

bindKeyForm(localKeyStore('adminKey'), 'admin-key', (key) => {
  admin = key ? new FlowfarmAdmin({ baseUrl: window.location.origin, adminKey: key }) : null;
  if (admin) void refreshUsage(admin, true).catch((error: unknown) => (errorLine.textContent = explain(error)));
  void refresh();
});
