import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { AppError, MalformedJsonError, NotFoundError, PayloadTooLargeError, toProblem } from '@flowfarm/contracts';

/** Stable codes and safe texts for client errors that do not come as AppErrors. */
const CLIENT_ERRORS: Record<number, { code: string; text: string }> = {
  400: { code: 'bad_request', text: 'the request could not be read' },
  405: { code: 'method_not_allowed', text: 'method not allowed' },
  411: { code: 'length_required', text: 'Content-Length is required' },
  413: { code: 'payload_too_large', text: 'request body too large' },
  414: { code: 'uri_too_long', text: 'URI too long' },
  415: { code: 'unsupported_encoding', text: 'unsupported body encoding' },
  431: { code: 'headers_too_large', text: 'request header fields too large' },
};

/** `status` (http-errors, router, body-parser) or `statusCode` when it is a client error (4xx). */
function clientErrorStatus(err: unknown): number | undefined {
  const e = err as { status?: unknown; statusCode?: unknown } | null;
  const status = e?.status ?? e?.statusCode;
  return typeof status === 'number' && Number.isInteger(status) && status >= 400 && status < 500 ? status : undefined;
}

/**
 * Errors that are not AppErrors but say they are the client's fault become that client
 * error: body-parser's (bad JSON, too large, unsupported or undecodable Content-Encoding,
 * aborted upload), the router's URIError for malformed percent-encoding in a path
 * parameter (status 400), any http-errors error with a 4xx status.
 */
export function toAppError(err: unknown, bodyLimit: string): AppError | null {
  if (err instanceof AppError) return err;
  const type = (err as { type?: unknown } | null)?.type;
  if (type === 'entity.too.large') return new PayloadTooLargeError(bodyLimit);
  if (type === 'entity.parse.failed') return new MalformedJsonError({ cause: err });
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') return new AppError('unsupported_encoding', 415, (err as Error).message, { cause: err });
  if (type === 'request.aborted') return new AppError('request_aborted', 400, 'the client closed the connection before the body arrived', { cause: err });
  if (err instanceof URIError) return new AppError('bad_request', 400, 'malformed percent-encoding in the URL', { cause: err });
  const status = clientErrorStatus(err);
  if (status === undefined) return null;
  const known = CLIENT_ERRORS[status] ?? { code: 'bad_request', text: 'bad request' };
  const exposed = (err as { expose?: unknown }).expose === true && err instanceof Error && err.message;
  return new AppError(known.code, status, exposed || known.text, { cause: err });
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new NotFoundError(`no route for ${req.method} ${req.path}`));
};

/**
 * The one place errors become HTTP answers: application/problem+json (RFC 9457). AppErrors
 * and client errors (see toAppError) show their code and message; anything else is logged and
 * answered as a bare 500. An upload the client aborted is not an error of ours: logged at
 * debug level, answered (if the socket still takes it) and counted as the 400 it is.
 */
export function problemHandler(logger: Logger, bodyLimit: string): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const error = toAppError(err, bodyLimit) ?? err;
    if (!(error instanceof AppError)) logger.error({ err, reqId: req.id }, 'unhandled error');
    else if (error.code === 'request_aborted') logger.debug({ reqId: req.id }, 'client aborted the request body');
    const problem = toProblem(error, req.originalUrl);
    if (res.headersSent) {
      res.end();
      return;
    }
    if (problem.retry_after !== undefined) res.set('Retry-After', String(problem.retry_after));
    res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  };
}
