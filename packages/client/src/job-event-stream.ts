// `events(id)`: a job's Server-Sent Events as an async iterator, read with fetch so the API key
// travels in a header (EventSource cannot send one). A dropped connection is resumed with
// Last-Event-ID, so a consumer sees every event once and in order until the terminal one.

import type { JobEventType, JobStreamEvent, JobView } from './contract-types.js';
import { ABORTED_CODE, FlowfarmError, UNREACHABLE_CODE } from './errors.js';
import { pause, type HttpTransport } from './http-transport.js';
import { parseSseStream } from './sse-parser.js';

/**
 * A job event with the stream position it was sent at (pass it back as `lastEventId`);
 * terminal events also carry the finished job.
 */
export type JobEvent = JobStreamEvent & { event_id: string; job?: JobView };

export interface JobEventsOptions {
  /** Resume after this event id instead of from the start of the job's history. */
  lastEventId?: string;
  signal?: AbortSignal;
  /** Reconnects allowed in a row without receiving an event (default 5). */
  maxReconnects?: number;
}

/** Code of the error thrown when the answer is not an event stream (e.g. a proxy in between). */
export const STREAM_UNSUPPORTED_CODE = 'stream_unsupported';

const TERMINAL: ReadonlySet<JobEventType> = new Set<JobEventType>(['job.succeeded', 'job.failed', 'job.canceled', 'job.moderated', 'job.expired']);

export function isTerminalEvent(event: Pick<JobStreamEvent, 'type'>): boolean {
  return TERMINAL.has(event.type);
}

export async function* streamJobEvents(transport: HttpTransport, id: string, options: JobEventsOptions = {}): AsyncGenerator<JobEvent> {
  let lastEventId = options.lastEventId;
  let reconnectDelayMs = 1000;
  let failuresInRow = 0;
  const maxReconnects = options.maxReconnects ?? 5;
  for (;;) {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (lastEventId) headers['last-event-id'] = lastEventId;
    let received = 0;
    let lost: unknown;
    try {
      const response = await transport.send(`/v1/jobs/${encodeURIComponent(id)}/events`, { headers, signal: options.signal });
      if (!response.headers.get('content-type')?.includes('text/event-stream') || !response.body) {
        await response.body?.cancel();
        throw new FlowfarmError(response.status, STREAM_UNSUPPORTED_CODE, 'the farm did not answer with an event stream');
      }
      for await (const message of parseSseStream(response.body, options.signal)) {
        if (message.retry !== undefined) reconnectDelayMs = message.retry;
        if (!message.data) continue;
        const event = JSON.parse(message.data) as JobStreamEvent & { job?: JobView };
        lastEventId = message.id || lastEventId;
        received++;
        yield { ...event, event_id: message.id };
        if (isTerminalEvent(event)) return;
      }
    } catch (error) {
      if (options.signal?.aborted) throw error instanceof FlowfarmError ? error : new FlowfarmError(0, ABORTED_CODE, 'request aborted', { cause: error });
      // Answers the server meant (404, 401, ...) are final; only a lost connection is retried.
      if (error instanceof FlowfarmError && error.code !== UNREACHABLE_CODE) throw error;
      lost = error;
    }
    // Give up only when reconnecting keeps bringing nothing new.
    failuresInRow = received > 0 ? 0 : failuresInRow + 1;
    if (failuresInRow > maxReconnects) throw wrapLost(lost ?? new Error('it keeps closing without events'), transport.baseUrl);
    // The stream ended (or broke) before the terminal event: resume after the last one seen.
    await pause(reconnectDelayMs, options.signal);
  }
}

function wrapLost(error: unknown, baseUrl: string): FlowfarmError {
  if (error instanceof FlowfarmError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new FlowfarmError(0, UNREACHABLE_CODE, `lost the event stream from ${baseUrl}: ${reason}`, { cause: error });
}
