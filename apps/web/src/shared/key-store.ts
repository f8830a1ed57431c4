// Keys are kept in the browser's local storage, entered once, and never put in a URL
// (URLs end up in history, logs and Referer headers).

import { byId } from './dom.js';

export interface KeyStore {
  get(): string | null;
  set(key: string): void;
  clear(): void;
}

export function localKeyStore(name: string): KeyStore {
  const storageKey = `flowfarm.${name}`;
  return {
    get: () => localStorage.getItem(storageKey),
    set: (key) => localStorage.setItem(storageKey, key),
    clear: () => localStorage.removeItem(storageKey),
  };
}

/** Wires a key form (input + "use" + "forget") to a store; calls `onKey` with the key in use. */
export function bindKeyForm(store: KeyStore, inputId: string, onKey: (key: string | null) => void): void {
  const form = byId<HTMLFormElement>('key-form');
  const input = byId<HTMLInputElement>(inputId);
  const status = byId('key-status');
  const show = (key: string | null) => {
    status.textContent = key ? `key …${key.slice(-4)} saved in this browser` : 'no key yet';
    input.value = '';
    input.required = !key;
    onKey(key);
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    store.set(key);
    show(key);
  });
  byId('forget-key').addEventListener('click', () => {
    store.clear();
    show(null);
  });
  show(store.get());
}
