import { describe, expect, it } from 'vitest';
import { SseLineParser, parseSseStream, type SseMessage } from './sse-parser.js';

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function collect(chunks: string[]): Promise<SseMessage[]> {
  const messages: SseMessage[] = [];
  for await (const message of parseSseStream(streamOf(chunks))) messages.push(message);
  return messages;
}

describe('parseSseStream', () => {
  it('yields events with type, id and data, skipping heartbeat comments', async () => {
    const messages = await collect([': heartbeat\n\n', 'id: 1-0\nevent: job.queued\ndata: {"a":1}\n\n', ':hb\n\nid: 2-0\nevent: job.progress\ndata: {"b":2}\n\n']);
    expect(messages).toEqual([
      { event: 'job.queued', data: '{"a":1}', id: '1-0' },
      { event: 'job.progress', data: '{"b":2}', id: '2-0' },
    ]);
  });

  it('reassembles events split across chunks, including a CRLF split in the middle', async () => {
    const messages = await collect(['id: 7\r', '\nevent: job.succ', 'eeded\r\ndata: {"x"', ':true}\r\n', '\r\n']);
    expect(messages).toEqual([{ event: 'job.succeeded', data: '{"x":true}', id: '7' }]);
  });

  it('joins multi-line data and keeps the last id for events without one', async () => {
    const messages = await collect(['id: 5\ndata: one\ndata: two\n\n', 'data: three\n\n']);
    expect(messages.map((m) => [m.id, m.data])).toEqual([
      ['5', 'one\ntwo'],
      ['5', 'three'],
    ]);
  });

  it('reports retry hints and defaults the event type to "message"', () => {
    const parser = new SseLineParser();
    expect([...parser.push('retry: 2500\ndata: x\n\n')]).toEqual([{ event: 'message', data: 'x', id: '', retry: 2500 }]);
  });

  it('dispatches a final event that ends without a blank line when the stream closes', async () => {
    expect(await collect(['data: last'])).toEqual([{ event: 'message', data: 'last', id: '' }]);
  });
});
