import { z } from 'zod';

/** One invalid field: `path` is the JSON path of the field in the request (e.g. `webhook.url`). */
export const FieldError = z.object({ path: z.string(), message: z.string(), code: z.string().optional() });
export type FieldError = z.infer<typeof FieldError>;

/** RFC 9457 problem details, with our stable `code` and, for validation errors, field paths. */
export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    code: z.string().describe('stable machine-readable error code'),
    errors: z.array(FieldError).optional(),
    retry_after: z.number().int().optional().describe('seconds to wait before retrying (also in Retry-After)'),
  })
  .catchall(z.unknown())
  ;
export type Problem = z.infer<typeof Problem>;

export interface AppErrorOptions {
  cause?: unknown;
  /** Invalid fields, for 400/422 answers. */
  errors?: FieldError[];
  /** Seconds; sent as `Retry-After` and `retry_after`. */
  retryAfter?: number;
  /** Extra members of the problem document (must be safe to show to the client). */
  extra?: Record<string, unknown>;
}

/**
 * The one error family of flowfarm. Every error a client may see is an AppError with a stable
 * `code` and an HTTP `status`; the API maps it once to application/problem+json.
 */
export class AppError extends Error {
  override readonly name: string = 'AppError';
  readonly errors?: FieldError[];
  readonly retryAfter?: number;
  readonly extra?: Record<string, unknown>;

  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.errors = options.errors;
    this.retryAfter = options.retryAfter;
    this.extra = options.extra;
  }
}

export class BadRequestError extends AppError {
  override readonly name = 'BadRequestError';
  constructor(message: string, options?: AppErrorOptions) {
    super('bad_request', 400, message, options);
  }
}

export class MalformedJsonError extends AppError {
  override readonly name = 'MalformedJsonError';
  constructor(options?: AppErrorOptions) {
    super('malformed_json', 400, 'request body is not valid JSON', options);
  }
}

export class UnauthorizedError extends AppError {
  override readonly name = 'UnauthorizedError';
  constructor(message = 'missing or invalid API key (send Authorization: Bearer <key>)') {
    super('unauthorized', 401, message);
  }
}

export class ForbiddenError extends AppError {
  override readonly name = 'ForbiddenError';
  constructor(message = 'this route needs the admin key') {
    super('forbidden', 403, message);
  }
}

export class NotFoundError extends AppError {
  override readonly name = 'NotFoundError';
  constructor(message = 'not found') {
    super('not_found', 404, message);
  }
}

export class ConflictError extends AppError {
  override readonly name = 'ConflictError';
  constructor(code: string, message: string, options?: AppErrorOptions) {
    super(code, 409, message, options);
  }
}

export class PayloadTooLargeError extends AppError {
  override readonly name = 'PayloadTooLargeError';
  constructor(limit: string) {
    super('payload_too_large', 413, `request body is larger than ${limit}`);
  }
}

export class ValidationError extends AppError {
  override readonly name = 'ValidationError';
  constructor(errors: FieldError[], message = 'the request has invalid fields') {
    super('validation_failed', 422, message, { errors });
  }
}

export class UnknownModelError extends AppError {
  override readonly name = 'UnknownModelError';
  constructor(model: string, served: string[]) {
    const list = served.length ? served.join(', ') : 'none (no live worker)';
    super('unknown_model', 422, `model "${model}" is not served; served models: ${list}`, {
      errors: [{ path: 'model', message: `not served; served: ${list}`, code: 'unknown_model' }],
      extra: { served_models: served },
    });
  }
}

export class RateLimitedError extends AppError {
  override readonly name = 'RateLimitedError';
  constructor(code: 'rate_limited' | 'too_many_active_jobs', message: string, retryAfter: number) {
    super(code, 429, message, { retryAfter: Math.max(1, Math.ceil(retryAfter)) });
  }
}

export class ServiceUnavailableError extends AppError {
  override readonly name = 'ServiceUnavailableError';
  constructor(message: string, options?: AppErrorOptions) {
    super('unavailable', 503, message, options);
  }
}

/** Field errors from a zod error, with dotted paths (`webhook.url`, `metadata`). */
export function fieldErrorsFromZod(error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue): FieldError[] => {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: [...base, key].join('.'), message: 'unknown field', code: issue.code }));
    }
    return [{ path: base.length ? base.join('.') : '(body)', message: issue.message, code: issue.code }];
  });
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  411: 'Length Required',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  431: 'Request Header Fields Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The problem document for an error; anything not an AppError becomes a 500 without internals. */
export function toProblem(err: unknown, instance?: string): Problem {
  if (err instanceof AppError) {
    return {
      ...err.extra,
      type: `https://flowfarm.dev/problems/${err.code}`,
      title: TITLES[err.status] ?? 'Error',
      status: err.status,
      detail: err.message,
      code: err.code,
      ...(instance ? { instance } : {}),
      ...(err.errors ? { errors: err.errors } : {}),
      ...(err.retryAfter !== undefined ? { retry_after: err.retryAfter } : {}),
    };
  }
  return {
    type: 'https://flowfarm.dev/problems/internal',
    title: TITLES[500],
    status: 500,
    detail: 'internal error',
    code: 'internal',
    ...(instance ? { instance } : {}),
  };
}
