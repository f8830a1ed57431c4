// What never reaches Express still gets a problem+json answer: Node emits CONNECT requests as
// a 'connect' event (with no listener it closes the socket without a word) and hands requests
// its parser rejects (unknown methods, malformed request lines or headers, oversized headers)
// to 'clientError' (by default a bare text/plain 400).
import { STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { AppError, toProblem } from '@flowfarm/contracts';

/** Methods the API's routes use (the Allow header of a 405). */
const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, DELETE, OPTIONS';

function writeProblem(socket: Duplex, error: AppError, headers: Record<string, string> = {}): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(toProblem(error));
  const head = Object.entries({ 'Content-Type': 'application/problem+json', 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close', ...headers })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? ''}\r\n${head}\r\n${body}`);
  // A CONNECT socket is handed over paused and no longer tracked by the server: read (and drop)
  // what the client still sends so its FIN arrives and the socket closes, and give up on
  // clients that never close, or server.close() would wait for them forever.
  socket.resume();
  (socket as Socket).setTimeout?.(10_000, () => socket.destroy());
}

/** Parser errors by llhttp code: status and stable problem code. */
function parserError(code: string | undefined): AppError {
  if (code === 'HPE_HEADER_OVERFLOW') return new AppError('headers_too_large', 431, 'request header fields too large');
  if (code === 'HPE_INVALID_METHOD') return new AppError('method_not_allowed', 405, 'unknown HTTP method');
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return new AppError('request_timeout', 408, 'the request took too long to arrive');
  return new AppError('bad_request', 400, 'malformed HTTP request');
}

export function answerOutsideExpress(server: Server): void {
  server.on('connect', (_req, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    writeProblem(socket, new AppError('method_not_allowed', 405, 'CONNECT is not supported: this is not a proxy'), { Allow: ALLOWED_METHODS });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const error = parserError(err.code);
    writeProblem(socket, error, error.status === 405 ? { Allow: ALLOWED_METHODS } : {});
  });
}
