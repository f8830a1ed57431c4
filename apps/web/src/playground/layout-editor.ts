// The playground's layout editor: drag on the canvas to draw a box, give each box a prompt (and
// optionally a label); the job is sent with `layout` (regional guidance: each prompt steers the
// image inside its box, the background prompt everywhere else). The canvas has the job's aspect
// ratio; boxes are kept as fractions of the image, as the API takes them.

import type { JobInput } from '@flowfarm/client';
import { byId, el } from '../shared/dom.js';

type Box = [number, number, number, number];
interface DrawnObject {
  box: Box;
  prompt: string;
  label: string;
}

/** Most boxes a layout may have (the API's MAX_LAYOUT_OBJECTS). */
const MAX_OBJECTS = 8;
/** A drag smaller than this (fraction of the side) is a click, not a box. */
const MIN_SIDE = 0.03;
const COLORS = ['#e63946', '#2563eb', '#2a9d8f', '#f4a261', '#7b2cbf', '#e9c46a', '#264653', '#ff006e'];

const objects: DrawnObject[] = [];
let drag: { x: number; y: number; box: Box } | null = null;

const clamp = (v: number) => Math.min(1, Math.max(0, v));
const round = (v: number) => Math.round(v * 1000) / 1000;

function canvas(): HTMLCanvasElement {
  return byId<HTMLCanvasElement>('layout-canvas');
}

function pointOf(event: PointerEvent): { x: number; y: number } {
  const rect = canvas().getBoundingClientRect();
  return { x: clamp((event.clientX - rect.left) / rect.width), y: clamp((event.clientY - rect.top) / rect.height) };
}

function draw(): void {
  const c = canvas();
  const ctx = c.getContext('2d');
  if (!ctx) return;
  ctx.clearRect(0, 0, c.width, c.height);
  ctx.fillStyle = '#f8f9fb';
  ctx.fillRect(0, 0, c.width, c.height);
  const boxes = [...objects.map((o) => o.box), ...(drag ? [drag.box] : [])];
  boxes.forEach(([x0, y0, x1, y1], i) => {
    const color = COLORS[i % COLORS.length];
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.fillStyle = `${color}22`;
    ctx.fillRect(x0 * c.width, y0 * c.height, (x1 - x0) * c.width, (y1 - y0) * c.height);
    ctx.strokeRect(x0 * c.width, y0 * c.height, (x1 - x0) * c.width, (y1 - y0) * c.height);
    ctx.fillStyle = color;
    ctx.font = '12px system-ui, sans-serif';
    ctx.fillText(String(i + 1), x0 * c.width + 4, y0 * c.height + 14);
  });
}

function renderList(): void {
  const list = byId('layout-objects');
  list.replaceChildren(
    ...objects.map((o, i) => {
      const prompt = el('input', { type: 'text', maxlength: '500', placeholder: 'what goes in this box', 'data-testid': `layout-prompt-${i + 1}`, 'aria-label': `prompt of box ${i + 1}` });
      prompt.value = o.prompt;
      prompt.addEventListener('input', () => (o.prompt = prompt.value));
      const label = el('input', { type: 'text', maxlength: '64', placeholder: 'label (optional)', 'aria-label': `label of box ${i + 1}` });
      label.value = o.label;
      label.addEventListener('input', () => (o.label = label.value));
      const remove = el('button', { type: 'button', class: 'secondary', 'aria-label': `remove box ${i + 1}` }, 'Remove');
      remove.addEventListener('click', () => {
        objects.splice(i, 1);
        changed();
      });
      const [x0, y0, x1, y1] = o.box.map((v) => Math.round(v * 100));
      const swatch = el('span', { class: 'swatch', style: `background:${COLORS[i % COLORS.length]}` });
      return el('li', { 'data-testid': 'layout-object' }, swatch, el('span', { class: 'muted' }, `${i + 1} · ${x0}–${x1} % × ${y0}–${y1} %`), prompt, label, remove);
    }),
  );
  byId('layout-hint').textContent = objects.length
    ? `${objects.length} of ${MAX_OBJECTS} boxes: the job is sent with a layout.`
    : 'Drag on the canvas to draw a box; each box gets its own prompt.';
  byId<HTMLButtonElement>('layout-clear').hidden = objects.length === 0;
}

function changed(): void {
  draw();
  renderList();
}

/** Matches the canvas to the job's aspect ratio (width × height chosen in the form). */
export function syncLayoutAspect(width: number | undefined, height: number | undefined): void {
  const c = canvas();
  if (!width || !height) return;
  const side = 256;
  const [w, h] = width >= height ? [side, Math.round((side * height) / width)] : [Math.round((side * width) / height), side];
  if (c.width !== w || c.height !== h) {
    c.width = w;
    c.height = h;
    draw();
  }
}

export function bindLayoutEditor(onError: (message: string) => void): void {
  const c = canvas();
  c.addEventListener('pointerdown', (event) => {
    if (objects.length >= MAX_OBJECTS) {
      onError(`A layout has at most ${MAX_OBJECTS} boxes.`);
      return;
    }
    const p = pointOf(event);
    drag = { ...p, box: [p.x, p.y, p.x, p.y] };
    c.setPointerCapture(event.pointerId);
  });
  c.addEventListener('pointermove', (event) => {
    if (!drag) return;
    const p = pointOf(event);
    drag.box = [Math.min(drag.x, p.x), Math.min(drag.y, p.y), Math.max(drag.x, p.x), Math.max(drag.y, p.y)];
    draw();
  });
  const finish = () => {
    if (!drag) return;
    const [x0, y0, x1, y1] = drag.box.map(round) as Box;
    drag = null;
    if (x1 - x0 >= MIN_SIDE && y1 - y0 >= MIN_SIDE) {
      objects.push({ box: [x0, y0, x1, y1], prompt: '', label: '' });
      changed();
      byId<HTMLInputElement>('layout-objects').querySelector<HTMLInputElement>(`[data-testid="layout-prompt-${objects.length}"]`)?.focus();
    } else {
      draw();
    }
  };
  c.addEventListener('pointerup', finish);
  c.addEventListener('pointercancel', finish);
  byId('layout-clear').addEventListener('click', () => {
    objects.splice(0, objects.length);
    changed();
  });
  changed();
}

/** The job's `layout` when boxes are drawn (each needs a prompt: the API answers 422 with its path otherwise). */
export function layoutFields(): Pick<JobInput, 'layout'> {
  if (objects.length === 0) return {};
  const background = byId<HTMLInputElement>('layout-background').value.trim();
  return {
    layout: {
      ...(background ? { background } : {}),
      objects: objects.map((o) => ({ box: o.box, prompt: o.prompt.trim(), ...(o.label.trim() ? { label: o.label.trim() } : {}) })),
    },
  };
}
