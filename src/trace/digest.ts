/** A stable fingerprint of a trace's records (not of its file bytes, which also hold the header). */
import { createHash } from 'node:crypto';
import type { TraceRecord } from './records.ts';

export function traceDigest(records: Iterable<TraceRecord>): { records: number; sha256: string } {
  const hash = createHash('sha256');
  let count = 0;
  for (const r of records) {
    hash.update(JSON.stringify(r));
    hash.update('\n');
    count++;
  }
  return { records: count, sha256: hash.digest('hex') };
}
