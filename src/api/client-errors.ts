import http from 'node:http';
import type { Socket } from 'node:net';
import { problemType } from './problem';

/**
 * Errors Node's HTTP parser meets before Fastify sees a request (headers over the size limit, a
 * malformed request line, a client too slow to send its request) are answered on the raw socket.
 * Fastify's default answers plain JSON; these are problem+json like every other error of the API.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, detail] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'the request headers exceed the server limit; send fewer or shorter headers']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'the request was not received in time']
        : [400, 'the request is not valid HTTP'];
  const title = http.STATUS_CODES[status]!;
  const body = JSON.stringify({ type: problemType(title), title, status, detail });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
