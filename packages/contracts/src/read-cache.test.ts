import { afterEach, describe, expect, it, vi } from 'vitest';
import { ReadCache } from './read-cache.js';

describe('ReadCache', () => {
  afterEach(() => vi.useRealTimers());

  it('reads once within the window, again after it, and at once after delete', async () => {
    vi.useFakeTimers();
    const cache = new ReadCache<number>(1000);
    let reads = 0;
    const read = async () => ++reads;
    expect(await cache.get('t', read)).toBe(1);
    vi.advanceTimersByTime(999);
    expect(await cache.get('t', read)).toBe(1);
    vi.advanceTimersByTime(1);
    expect(await cache.get('t', read)).toBe(2);
    cache.delete('t');
    expect(await cache.get('t', read)).toBe(3);
    expect(await cache.get('other', read)).toBe(4);
    cache.clear();
    expect(await cache.get('t', read)).toBe(5);
  });

  it('shares one read between concurrent misses and keeps no failed read', async () => {
    const cache = new ReadCache<string>(60_000);
    let reads = 0;
    const failing = () => {
      reads++;
      return Promise.reject(new Error('redis down'));
    };
    const both = [cache.get('t', failing), cache.get('t', failing)];
    await expect(Promise.all(both)).rejects.toThrow('redis down');
    expect(reads).toBe(1);
    expect(await cache.get('t', async () => 'ok')).toBe('ok');
  });

  it('drops the oldest entry beyond its size', async () => {
    const cache = new ReadCache<string>(60_000, 2);
    let reads = 0;
    const read = async () => `v${++reads}`;
    await cache.get('a', read);
    await cache.get('b', read);
    await cache.get('c', read);
    expect(await cache.get('b', read)).toBe('v2');
    expect(await cache.get('a', read)).toBe('v4');
  });
});
