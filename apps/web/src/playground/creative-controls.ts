// The playground's creative controls (style, raw, aspect ratio, ultra, palette, output format and quality), kept
// apart from the basic form so each control adds a field here and an element in index.html.

import type { FlowfarmClient, JobInput, StylePreset } from '@flowfarm/client';
import { byId, el } from '../shared/dom.js';

const value = (id: string) => byId<HTMLInputElement | HTMLSelectElement>(id).value.trim();

/**
 * The job with the creative controls applied to the basic form's input: only what the user
 * changed from its default is sent, and an aspect ratio (or ultra) replaces width and height.
 */
export function applyCreativeControls(basic: JobInput): JobInput {
  const input: JobInput = { ...basic };
  const ratio = value('aspect-ratio');
  const ultra = byId<HTMLInputElement>('ultra').checked;
  if (ratio !== '' || ultra) {
    delete input.width;
    delete input.height;
    if (ratio !== '') input.aspect_ratio = ratio as NonNullable<JobInput['aspect_ratio']>;
    if (ultra) input.ultra = true;
  }
  const style = value('style');
  if (style !== '') input.style = style;
  if (byId<HTMLInputElement>('raw').checked) input.raw = true;
  const palette = value('palette');
  if (palette !== '') input.palette = palette.split(/[\s,]+/).filter(Boolean);
  const format = value('output-format') as NonNullable<JobInput['output_format']>;
  if (format !== 'png') {
    input.output_format = format;
    if (value('output-quality') !== '') input.output_quality = Number(value('output-quality'));
  }
  return input;
}

/** Disables what a choice makes meaningless: quality for png, width/height under an aspect ratio. */
export function bindCreativeControls(): void {
  const format = byId<HTMLSelectElement>('output-format');
  const ratio = byId<HTMLSelectElement>('aspect-ratio');
  const ultra = byId<HTMLInputElement>('ultra');
  const sync = () => {
    byId<HTMLInputElement>('output-quality').disabled = format.value === 'png';
    const sized = ratio.value !== '' || ultra.checked;
    byId<HTMLSelectElement>('width').disabled = sized;
    byId<HTMLSelectElement>('height').disabled = sized;
  };
  for (const control of [format, ratio, ultra]) control.addEventListener('change', sync);
  sync();
}

/** Fills the style select with the presets the tenant may use (built-ins, then its own). */
export async function loadStyles(client: FlowfarmClient): Promise<StylePreset[]> {
  const presets = await client.styles();
  const select = byId<HTMLSelectElement>('style');
  const previous = select.value;
  select.replaceChildren(
    el('option', { value: '' }, 'none'),
    ...presets.map((preset) => el('option', { value: preset.name, title: preset.prompt_template }, preset.description ? `${preset.name} — ${preset.description}` : preset.name)),
  );
  if (presets.some((preset) => preset.name === previous)) select.value = previous;
  return presets;
}
