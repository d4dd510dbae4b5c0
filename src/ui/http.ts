/** What the HTTP API (/api) and the management API share: a request's body read up to a limit, a JSON answer. */
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Reads `req`'s body: `done(body)` once it has all of it, or `tooBig()` once it has more than `maxBytes`
 * (then nothing more is kept, and `done` is not called).
 */
export function readBody(req: IncomingMessage, maxBytes: number, tooBig: () => void, done: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  req.on('data', (chunk: Buffer) => {
    if (over) return;
    size += chunk.length;
    if (size > maxBytes) {
      over = true;
      tooBig();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (!over) done(Buffer.concat(chunks));
  });
}

/** Answers with `value` as JSON (not cached, not sniffed); nothing when an answer was already sent. */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  if (res.headersSent) return;
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  res.end(body);
}
