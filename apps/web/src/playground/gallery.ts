// The tenant's recent jobs with the parameters they ran with; images load from their signed URLs.

import type { JobView } from '@flowfarm/client';
import { byId, el } from '../shared/dom.js';

export function renderGallery(jobs: JobView[]): void {
  const list = byId('gallery');
  if (jobs.length === 0) {
    list.replaceChildren(el('li', { class: 'muted' }, 'No jobs yet.'));
    return;
  }
  list.replaceChildren(...jobs.map(galleryItem));
}

function galleryItem(job: JobView): HTMLLIElement {
  // a prompt chain: its final (last) stage
  const output = job.input.stages ? job.outputs.at(-1) : job.outputs[0];
  const picture = output
    ? el('img', { src: output.url, alt: job.input.prompt, loading: 'lazy' })
    : el('div', { class: 'placeholder muted' }, job.status);
  const { width, height, steps, seed } = job.input;
  const parameters = `${job.model} · ${width ?? '?'}×${height ?? '?'} · ${steps ?? '?'} steps · seed ${output?.seed ?? seed ?? '–'}`;
  return el(
    'li',
    { 'data-job-id': job.id, 'data-status': job.status },
    picture,
    el('div', {}, job.input.prompt),
    el('div', { class: 'muted' }, parameters),
  );
}
