/**
 * Requests Node's HTTP parser refuses before any route sees them (a path and headers over 16 KiB,
 * garbled HTTP) get the same JSON error body as everything else, instead of a bare status line.
 */
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { ERROR_CODES, type ErrorCode } from '../../protocol/errors.ts';

function reply(socket: Duplex, code: ErrorCode, message: string): void {
  const status = ERROR_CODES[code].status;
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // A reset or a timeout: nobody is there to answer.
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    if (err.code === 'HPE_HEADER_OVERFLOW') reply(socket, 'HEADERS_TOO_LARGE', 'the request path and headers exceed 16 KiB');
    else reply(socket, 'MALFORMED_REQUEST', `the request is not well-formed HTTP (${err.code ?? 'parse error'})`);
  });
}
