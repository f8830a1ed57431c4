// The playground's creative controls (output format and quality), kept apart from the basic
// form so each control adds one field here and one element in index.html.

import type { JobInput } from '@flowfarm/client';
import { byId } from '../shared/dom.js';

type CreativeInput = Pick<JobInput, 'output_format' | 'output_quality'>;

/** The creative-control fields of the job, leaving out what the user left at its default. */
export function readCreativeControls(): CreativeInput {
  const format = byId<HTMLSelectElement>('output-format').value as NonNullable<JobInput['output_format']>;
  const quality = byId<HTMLInputElement>('output-quality').value.trim();
  const input: CreativeInput = {};
  if (format !== 'png') {
    input.output_format = format;
    if (quality !== '') input.output_quality = Number(quality);
  }
  return input;
}

/** Quality only means something for the lossy formats: disable it for png. */
export function bindCreativeControls(): void {
  const format = byId<HTMLSelectElement>('output-format');
  const quality = byId<HTMLInputElement>('output-quality');
  const sync = () => {
    quality.disabled = format.value === 'png';
  };
  format.addEventListener('change', sync);
  sync();
}
