// Fills the model, size and steps controls from what the live workers announce, so the form
// only offers values the farm accepts.

import type { ModelInfo } from '@flowfarm/client';
import { byId, el } from '../shared/dom.js';

export function fillModelControls(models: ModelInfo[]): void {
  const modelSelect = byId<HTMLSelectElement>('model');
  const previous = modelSelect.value;
  modelSelect.replaceChildren(...models.map((model) => el('option', { value: model.name }, model.name)));
  if (models.some((model) => model.name === previous)) modelSelect.value = previous;
  modelSelect.onchange = () => applyModel(models.find((model) => model.name === modelSelect.value));
  applyModel(models.find((model) => model.name === modelSelect.value));
}

function applyModel(model: ModelInfo | undefined): void {
  if (!model) return;
  const sizes: number[] = [];
  for (let side = model.resolution.min; side <= model.resolution.max && sizes.length < 64; side += model.resolution.multiple) {
    sizes.push(side);
  }
  fillSizes('width', sizes, model.default_size.width);
  fillSizes('height', sizes, model.default_size.height);
  const steps = byId<HTMLInputElement>('steps');
  steps.min = String(model.steps.min);
  steps.max = String(model.steps.max);
  steps.value = String(model.steps.default);
}

function fillSizes(id: string, sizes: number[], chosen: number): void {
  const select = byId<HTMLSelectElement>(id);
  select.replaceChildren(...sizes.map((size) => el('option', { value: String(size) }, `${size} px`)));
  select.value = String(chosen);
}
