// A Server-Sent Events parser over a fetch body, following the WHATWG "event stream
// interpretation" rules. It exists because `EventSource` cannot send an Authorization header,
// and it uses only web-standard APIs (ReadableStream, TextDecoder) so it runs in Node 20 and
// in browsers alike.

/** One dispatched SSE message. */
export interface SseMessage {
  /** The `event:` field, or "message" when none was sent. */
  event: string;
  /** The `data:` lines joined with "\n". */
  data: string;
  /** The last `id:` seen on the stream (carried forward as the spec says). */
  id: string;
  /** The `retry:` field in milliseconds, when this message carried one. */
  retry?: number;
}

/** Splits a byte stream into SSE messages; comments (heartbeats) are dropped. */
export async function* parseSseStream(
  body: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseLineParser();
  const onAbort = () => {
    reader.cancel().catch(() => {});
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
    yield* parser.push(decoder.decode() + '\n\n');
  } finally {
    signal?.removeEventListener('abort', onAbort);
    reader.releaseLock();
  }
}

/** Incremental line-based state machine; `push` returns the messages completed so far. */
export class SseLineParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private lastId = '';
  private retry: number | undefined;
  private sawBom = false;

  *push(chunk: string): Generator<SseMessage> {
    if (!this.sawBom && chunk.length > 0) {
      this.sawBom = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    this.buffer += chunk;
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      // A lone trailing "\r" may be the first half of "\r\n": wait for the next chunk.
      if (!match || (match[0] === '\r' && match.index === this.buffer.length - 1)) return;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const message = this.line(line);
      if (message) yield message;
    }
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.lastId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    const hadData = this.data.length > 0;
    const message: SseMessage = { event: this.event || 'message', data: this.data.join('\n'), id: this.lastId };
    if (this.retry !== undefined) message.retry = this.retry;
    this.data = [];
    this.event = '';
    this.retry = undefined;
    return hadData ? message : undefined;
  }
}
