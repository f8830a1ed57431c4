// Prompt chaining in the playground: "Add stage" appends a stage that refines the previous
// image with its own prompt and strength; the form's prompt is the first stage.

import type { JobInput } from '@flowfarm/client';
import { byId, el } from '../shared/dom.js';

/** Most stages a job may have (the API's MAX_STAGES); the form's prompt is the first. */
const MAX_STAGES = 8;

function refresh(): void {
  const rows = byId('stages').children.length;
  byId<HTMLButtonElement>('add-stage').disabled = rows >= MAX_STAGES - 1;
}

/** `stages` of the next job: none without added stages, else the first (the form's prompt) and each added one. */
export function stageFields(): Pick<JobInput, 'stages'> {
  const rows = Array.from(byId('stages').children);
  if (rows.length === 0) return {};
  const later = rows.map((row) => {
    const prompt = row.querySelector<HTMLInputElement>('.stage-prompt')!.value.trim();
    const strength = row.querySelector<HTMLInputElement>('.stage-strength')!.value.trim();
    return { ...(prompt === '' ? {} : { prompt }), ...(strength === '' ? {} : { strength: Number(strength) }) };
  });
  return { stages: [{}, ...later] };
}

export function bindStages(): void {
  byId('add-stage').addEventListener('click', () => {
    const list = byId('stages');
    const index = list.children.length + 1;
    const remove = el('button', { type: 'button', class: 'secondary', title: 'Remove this stage' }, 'Remove');
    const row = el(
      'li',
      { class: 'row' },
      el('label', {}, `Stage ${index + 1} prompt `, el('input', { class: 'stage-prompt', type: 'text', placeholder: 'refine the previous image: … on a green background', spellcheck: 'false' })),
      el('label', {}, 'Strength ', el('input', { class: 'stage-strength', type: 'number', min: '0.05', max: '1', step: '0.05', placeholder: '0.75' })),
      remove,
    );
    remove.addEventListener('click', () => {
      row.remove();
      // renumber what is left
      Array.from(list.children).forEach((r, k) => {
        const label = r.querySelector('label');
        if (label?.firstChild) label.firstChild.textContent = `Stage ${k + 2} prompt `;
      });
      refresh();
    });
    list.append(row);
    row.querySelector<HTMLInputElement>('.stage-prompt')!.focus();
    refresh();
  });
}
