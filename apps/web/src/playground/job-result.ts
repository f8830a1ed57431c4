// The finished job's outputs with what people do next: download a file, run again with the
// same seed, open the job's JSON. Images that fail to load say so instead of showing "Done"
// over a broken picture.

import type { JobView } from '@flowfarm/client';
import { byId, el } from '../shared/dom.js';

const FILE_EXTENSIONS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' };
let jsonUrl: string | null = null;

/** Says on the status line (and keeps saying) that an output could not be loaded. */
export function reportBrokenImage(image: HTMLImageElement, index: number): void {
  image.addEventListener('error', () => {
    const line = byId('job-status');
    line.textContent = `Done, but image ${index + 1} could not be loaded from its URL (expired link or storage not reachable).`;
    line.classList.add('error');
  });
}

/** Points the "Job JSON" link at a snapshot of the job as the API returned it. */
export function showJobJson(job: JobView): void {
  if (jsonUrl) URL.revokeObjectURL(jsonUrl);
  jsonUrl = URL.createObjectURL(new Blob([JSON.stringify(job, null, 2)], { type: 'application/json' }));
  const link = byId<HTMLAnchorElement>('job-json');
  link.href = jsonUrl;
  link.title = job.id;
  byId('job-actions').hidden = false;
}

export interface OutputActions {
  reuseSeed(seed: number): void;
  /** image-to-image from this output (its result URL) */
  startFrom(url: string, index: number): void;
}

/** One entry per output: the picture (the first is the large image above), a download link, "reuse this seed" and "use as starting image". */
export function renderOutputs(job: JobView, act: OutputActions): void {
  const list = byId('job-outputs');
  // a prompt chain shows its final (last) stage large, each stage labelled
  const large = job.input.stages ? job.outputs.length - 1 : 0;
  list.replaceChildren(
    ...job.outputs.map((output, index) => {
      const name = `${job.id}-${index}.${FILE_EXTENSIONS[output.content_type] ?? 'png'}`;
      const reuse = el('button', { type: 'button', class: 'secondary', 'data-seed': String(output.seed) }, `Reuse seed ${output.seed}`);
      reuse.addEventListener('click', () => act.reuseSeed(output.seed));
      const start = el('button', { type: 'button', class: 'secondary' }, 'Use as starting image');
      start.addEventListener('click', () => act.startFrom(output.url, index));
      const stage = output.stage === undefined ? [] : [el('span', { class: 'muted', 'data-stage': String(output.stage) }, `Stage ${output.stage + 1}${index === large ? ' (final)' : ''}`)];
      const actions = el('div', { class: 'actions' }, ...stage, el('a', { href: output.url, download: name }, 'Download'), reuse, start);
      if (index === large) return el('li', { 'data-index': String(index) }, actions);
      const picture = el('img', { src: output.url, alt: `image ${index + 1}`, width: String(output.width) });
      reportBrokenImage(picture, index);
      return el('li', { 'data-index': String(index) }, picture, actions);
    }),
  );
}

export function clearOutputs(): void {
  byId('job-outputs').replaceChildren();
  byId('job-status').classList.remove('error');
}
