/** A request's body, read up to a limit: what the HTTP API (/api) and the management API share. */
import type { IncomingMessage } from 'node:http';

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
