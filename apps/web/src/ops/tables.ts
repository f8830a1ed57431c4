// Renders the operator tables from the admin API's answers (text only, no innerHTML).

import type { AuditEntry, AdminJobSummary, QueueStats, WorkerHeartbeat } from '@flowfarm/client';
import { byId, el, formatSeconds } from '../shared/dom.js';

function fill(bodyId: string, rows: HTMLTableRowElement[], columns: number, empty: string): void {
  const body = byId(bodyId);
  body.replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colspan: String(columns), class: 'muted' }, empty))]));
}

function secondsSince(iso: string | null): number | null {
  return iso ? Math.max(0, (Date.now() - Date.parse(iso)) / 1000) : null;
}

export function renderQueues(queues: QueueStats[]): void {
  const rows = queues.map((queue) =>
    el(
      'tr',
      { 'data-model': queue.model },
      el('td', {}, queue.model),
      el('td', { 'data-field': 'waiting' }, String(queue.waiting + queue.delayed)),
      el('td', { 'data-field': 'active' }, String(queue.active)),
      el('td', { 'data-field': 'failed' }, String(queue.failed)),
      el('td', { 'data-field': 'oldest-wait' }, formatSeconds(queue.oldest_wait_seconds)),
    ),
  );
  fill('queues-body', rows, 5, 'No model queues yet.');
}

export function renderWorkers(workers: WorkerHeartbeat[]): void {
  const rows = workers.map((worker) =>
    el(
      'tr',
      { 'data-worker-id': worker.id },
      el('td', {}, el('code', {}, worker.id), el('div', { class: 'muted' }, `${worker.host} pid ${worker.pid}${worker.draining ? ' · draining' : ''}`)),
      el('td', {}, worker.models.map((model) => (model.provider ? `${model.name} on ${model.provider}` : model.name)).join(', ')),
      el('td', {}, `${worker.busy} / ${worker.concurrency}`),
      el('td', {}, worker.current_jobs.length ? worker.current_jobs.join(', ') : 'idle'),
      el('td', {}, `${formatSeconds(secondsSince(worker.started_at))} ago`),
    ),
  );
  fill('workers-body', rows, 5, 'No live worker.');
}

function jobCells(job: AdminJobSummary): HTMLTableCellElement[] {
  return [el('td', { title: job.prompt }, el('code', {}, job.id)), el('td', {}, job.model), el('td', {}, job.tenant)];
}

export function renderInFlight(jobs: AdminJobSummary[], onCancel: (job: AdminJobSummary) => void): void {
  const rows = jobs.map((job) => {
    const cancel = el('button', { type: 'button', class: 'secondary' }, 'Cancel');
    cancel.addEventListener('click', () => {
      cancel.disabled = true;
      onCancel(job);
    });
    const since = job.started_at ?? job.created_at;
    return el('tr', { 'data-job-id': job.id }, ...jobCells(job), el('td', {}, job.status), el('td', {}, `${formatSeconds(secondsSince(since))} ago`), el('td', {}, cancel));
  });
  fill('in-flight-body', rows, 6, 'Nothing queued or running.');
}

export function renderFailures(jobs: AdminJobSummary[], onRetry: (job: AdminJobSummary) => void): void {
  const rows = jobs.map((job) => {
    const retry = el('button', { type: 'button' }, 'Retry');
    retry.addEventListener('click', () => {
      retry.disabled = true;
      onRetry(job);
    });
    const error = job.error ? `${job.error.code}: ${job.error.message}` : 'unknown error';
    return el('tr', { 'data-job-id': job.id }, ...jobCells(job), el('td', { class: 'error' }, error), el('td', {}, job.finished_at ?? '–'), el('td', {}, retry));
  });
  fill('failures-body', rows, 6, 'No recent failures.');
}

/** Jobs moderation stopped, from the audit log (who, with which key, from where, why). */
export function renderModeration(entries: AuditEntry[]): void {
  const rows = entries.map((e) =>
    el('tr', { 'data-job-id': e.job_id }, el('td', {}, el('code', {}, e.job_id)), el('td', {}, e.tenant), el('td', {}, e.key_id), el('td', {}, e.client), el('td', {}, `${e.stage}: ${e.reason ?? ''}`), el('td', {}, e.at)),
  );
  fill('moderation-body', rows, 6, 'Nothing moderated recently.');
}
