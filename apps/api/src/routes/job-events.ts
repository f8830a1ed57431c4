import { Router } from 'express';
import { JOB_ROUTES, TERMINAL_EVENT_TYPES } from '@flowfarm/contracts';
import type { ApiDeps } from '../deps.js';
import { jobViewFor, loadOwnJob } from '../job-views.js';
import { serveRoute } from '../serve-route.js';

/**
 * GET /v1/jobs/:id/events — Server-Sent Events from the job's Redis stream. Each message has
 * the stream entry id as `id:`, so a client reconnecting with Last-Event-ID gets exactly the
 * events after it. Pub/sub notices only wake the reader; events always come from the stream,
 * which is what keeps a resume free of gaps and duplicates. Terminal events carry the finished
 * job (`job`) and end the stream; idle streams get a comment line every SSE_HEARTBEAT_SECONDS.
 * Declared in contracts' routes/jobs.ts.
 */
export function jobEventsRouter(deps: ApiDeps): Router {
  const router = Router();

  serveRoute(router, '/v1', JOB_ROUTES.events, async (req, res, { params, query }) => {
    const record = await loadOwnJob(deps, req, params.id);
    const resumeFrom = req.get('last-event-id') ?? query.last_event_id;
    let lastId = resumeFrom && /^\d+-\d+$/.test(resumeFrom) ? resumeFrom : '0';

    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    res.write(`retry: 2000\n\n`);

    let closed = false;
    let off: () => void = () => {};
    let pumping = false;
    let again = false;
    const heartbeat = setInterval(() => res.write(`: keep-alive ${new Date().toISOString()}\n\n`), deps.config.SSE_HEARTBEAT_SECONDS * 1000);
    const stop = () => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      off();
      res.end();
    };

    const pump = async (): Promise<void> => {
      if (pumping) {
        again = true;
        return;
      }
      pumping = true;
      try {
        do {
          again = false;
          const events = await deps.store.readEvents(record.id, lastId);
          for (const { id, event } of events) {
            if (closed) return;
            let data: Record<string, unknown> = event;
            const terminal = TERMINAL_EVENT_TYPES.includes(event.type);
            if (terminal) {
              const latest = await deps.store.get(record.id);
              if (latest) data = { ...event, job: await jobViewFor(deps, req, latest) };
            }
            res.write(`id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify(data)}\n\n`);
            lastId = id;
            if (terminal) return stop();
          }
        } while (again && !closed);
      } catch (err) {
        deps.logger.error({ err, reqId: req.id }, 'event stream failed');
        stop();
      } finally {
        pumping = false;
      }
    };

    req.on('close', stop);
    // subscribed before the first read, so no event between the two is missed
    const unsubscribe = await deps.hub.on(record.id, () => void pump());
    if (closed) return unsubscribe();
    off = unsubscribe;
    await pump();
  });

  return router;
}
