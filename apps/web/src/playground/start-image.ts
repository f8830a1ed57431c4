// Image-to-image in the playground: a file from disk, or one of the results above ("Use as
// starting image", sent as its result URL), plus a strength. The model needs a VAE encoder.

import { byId } from '../shared/dom.js';

let startImage: string | null = null;

function show(description: string | null): void {
  byId('start-image-from').textContent = description ?? '';
  byId('clear-start-image').hidden = description === null;
}

/** Starts the next job from this image (a data: URL or a result URL of this farm). */
export function useStartImage(image: string, description: string): void {
  startImage = image;
  byId<HTMLInputElement>('start-image').value = '';
  show(description);
}

/** `image` and `strength` of the next job, when a starting image is chosen. */
export function startImageFields(): { image?: string; strength?: number } {
  if (!startImage) return {};
  const strength = byId<HTMLInputElement>('strength').value.trim();
  return { image: startImage, ...(strength === '' ? {} : { strength: Number(strength) }) };
}

export function bindStartImage(onError: (message: string) => void): void {
  const file = byId<HTMLInputElement>('start-image');
  file.addEventListener('change', () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    const reader = new FileReader();
    reader.addEventListener('load', () => {
      startImage = String(reader.result);
      show(chosen.name);
    });
    reader.addEventListener('error', () => onError(`could not read ${chosen.name}`));
    reader.readAsDataURL(chosen);
  });
  byId('clear-start-image').addEventListener('click', () => {
    startImage = null;
    file.value = '';
    show(null);
  });
}
