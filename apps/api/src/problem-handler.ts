import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { AppError, MalformedJsonError, NotFoundError, PayloadTooLargeError, toProblem } from '@flowfarm/contracts';

/** Errors raised by body-parser carry a `type`; map them into the AppError family. */
function fromBodyParser(err: unknown, limit: string): AppError | null {
  const type = (err as { type?: unknown } | null)?.type;
  if (type === 'entity.too.large') return new PayloadTooLargeError(limit);
  if (type === 'entity.parse.failed') return new MalformedJsonError({ cause: err });
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') return new AppError('bad_request', 400, 'unsupported body encoding', { cause: err });
  return null;
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new NotFoundError(`no route for ${req.method} ${req.path}`));
};

/**
 * The one place errors become HTTP answers: application/problem+json (RFC 9457). AppErrors
 * show their code and message; anything else is logged and answered as a bare 500.
 */
export function problemHandler(logger: Logger, bodyLimit: string): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const error = err instanceof AppError ? err : (fromBodyParser(err, bodyLimit) ?? err);
    if (!(error instanceof AppError)) (req.log ?? logger).error({ err }, 'unhandled error');
    const problem = toProblem(error, req.originalUrl);
    if (res.headersSent) {
      res.end();
      return;
    }
    if (problem.retry_after !== undefined) res.set('Retry-After', String(problem.retry_after));
    res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  };
}
