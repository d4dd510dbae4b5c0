/**
 * Each partition's persistent store: `size` bytes of virtual flash the guest reaches through the
 * STORE_READ / STORE_WRITE hypercalls (docs/hypercalls.md §4), zero-filled when new.
 *
 * Two kinds: in memory (gone at the end of the run), or a file `<dir>/<name>.store` under the state
 * directory (`handset run --state DIR`), written through at once so that the file always holds what the
 * guest wrote. Either way the contents live in memory too (reads never touch the file). A store is named by
 * its partition's name alone, so no partition can reach another's file.
 */
import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SnapshotError, type StateValue } from '../soc/device.ts';
import { StateReader, type Element } from '../soc/state.ts';

export interface PartitionStore {
  readonly size: number;
  /** A copy of `length` bytes at `offset`. The caller has checked bounds: RangeError if out of bounds. */
  read(offset: number, length: number): Uint8Array;
  /** Writes `bytes` at `offset` (file-backed: to the file at once). RangeError if out of bounds. */
  write(offset: number, bytes: Uint8Array): void;
  /** Every byte zero (the file too). */
  wipe(): void;
  /** The contents as plain data: `{ size, chunks: [[offset, base64], ...] }` of the non-zero 4 KiB chunks. */
  save(): StateValue;
  /** Replaces the contents (and the file's) with saved ones; SnapshotError (part `store`) if they are invalid. */
  load(state: StateValue): void;
  /** Releases the file. Any later use throws. */
  close(): void;
}

/** A store that cannot be opened, or its file written: one line, `state PATH: PROBLEM`. */
export class StoreError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`state ${path}: ${problem}`);
    this.name = 'StoreError';
  }
}

/** Saved stores list their contents in chunks of this many bytes (the last one may be shorter). */
export const STORE_CHUNK = 4096;
/** Largest store (config `storeKiB` goes up to 4096 KiB). */
export const MAX_STORE_SIZE = 1 << 30;

const NAME_RE = /^[a-z][a-z0-9-]{0,14}$/;
const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/** A store held only in memory. */
export function memoryStore(size: number): PartitionStore {
  checkSize(size);
  return new Store(new Uint8Array(size), undefined);
}

/**
 * The store of partition `name` in file `<dir>/<name>.store`: created zero-filled when missing (and `dir`
 * with it), taken as it is when it exists with `size` bytes. StoreError when it has another size, when
 * `dir` is not a directory or when the file cannot be opened, read or written. Keeps the file open until
 * close().
 */
export function fileStore(dir: string, name: string, size: number): PartitionStore {
  checkSize(size);
  if (!NAME_RE.test(name)) throw new RangeError(`store name ${JSON.stringify(name)}: not a partition name`);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new StoreError(dir, e instanceof Error && code(e) === 'EEXIST' ? 'not a directory' : `cannot create the directory (${fsReason(e)})`);
  }
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    throw new StoreError(dir, `cannot use the directory (${fsReason(e)})`);
  }
  if (!isDir) throw new StoreError(dir, 'not a directory');

  const path = join(dir, `${name}.store`);
  let fd: number;
  let created = false;
  try {
    fd = openSync(path, 'r+');
  } catch (e) {
    if (code(e) !== 'ENOENT') throw new StoreError(path, `cannot open (${fsReason(e)})`);
    try {
      fd = openSync(path, 'wx+');
      created = true;
    } catch (e2) {
      throw new StoreError(path, `cannot create (${fsReason(e2)})`);
    }
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new StoreError(path, 'not a regular file');
    const bytes = new Uint8Array(size);
    if (created) {
      ftruncateSync(fd, size);
    } else {
      if (st.size !== size) {
        throw new StoreError(path, `${st.size} bytes, expected ${size} (storeKiB changed? move the file away)`);
      }
      let done = 0;
      while (done < size) {
        const n = readSync(fd, bytes, done, size - done, done);
        if (n === 0) throw new StoreError(path, `cannot read (the file ended at byte ${done})`);
        done += n;
      }
    }
    return new Store(bytes, { fd, path });
  } catch (e) {
    closeSync(fd);
    if (created) rmSync(path, { force: true }); // no half-made file left to refuse next time
    if (e instanceof StoreError) throw e;
    throw new StoreError(path, `cannot ${created ? 'create' : 'read'} (${fsReason(e)})`);
  }
}

class Store implements PartitionStore {
  private closed = false;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly file: { fd: number; path: string } | undefined,
  ) {}

  get size(): number {
    return this.bytes.length;
  }

  read(offset: number, length: number): Uint8Array {
    this.check(offset, length, 'read');
    return this.bytes.slice(offset, offset + length);
  }

  write(offset: number, bytes: Uint8Array): void {
    this.check(offset, bytes.length, 'write');
    if (this.file !== undefined) this.pwrite(bytes, offset);
    this.bytes.set(bytes, offset);
  }

  wipe(): void {
    this.open();
    this.replace(new Uint8Array(this.size));
  }

  save(): StateValue {
    this.open();
    const chunks: StateValue[] = [];
    for (let offset = 0; offset < this.size; offset += STORE_CHUNK) {
      const chunk = this.bytes.subarray(offset, Math.min(offset + STORE_CHUNK, this.size));
      if (chunk.some((b) => b !== 0)) chunks.push([offset, Buffer.from(chunk).toString('base64')]);
    }
    return { size: this.size, chunks };
  }

  load(state: StateValue): void {
    this.open();
    const r = new StateReader('store', '', state, ['size', 'chunks']);
    const size = r.int('size', 0, Number.MAX_SAFE_INTEGER);
    if (size !== this.size) throw r.error('size', `the saved store has ${size} bytes, this one ${this.size} (storeKiB changed?)`);
    const next = new Uint8Array(this.size);
    let last = -1;
    const chunks = r.array('chunks', (e) => this.chunk(e));
    for (const [i, [offset, data]] of chunks.entries()) {
      if (offset <= last) throw new SnapshotError('store', `chunks[${i}][0]`, `offset ${offset} is not above the previous chunk's ${last}`);
      last = offset;
      next.set(data, offset);
    }
    this.replace(next);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.file !== undefined) closeSync(this.file.fd);
  }

  /** One saved chunk, `[offset, base64]`: offset a multiple of STORE_CHUNK inside the store, data its chunk. */
  private chunk(e: Element): [number, Uint8Array] {
    const v = e.value;
    if (!Array.isArray(v) || v.length !== 2) throw e.error('expected [offset, base64 data]');
    const offset: unknown = v[0];
    const text: unknown = v[1];
    const field = (i: number, problem: string): SnapshotError => new SnapshotError('store', `${e.path}[${i}]`, problem);
    if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0 || offset >= this.size || offset % STORE_CHUNK !== 0) {
      throw field(0, `expected a multiple of ${STORE_CHUNK} below ${this.size}, got ${JSON.stringify(offset) ?? String(offset)}`);
    }
    if (typeof text !== 'string' || !BASE64_RE.test(text)) throw field(1, 'expected base64 data');
    const data = Buffer.from(text, 'base64');
    if (data.toString('base64') !== text) throw field(1, 'expected base64 data');
    const length = Math.min(STORE_CHUNK, this.size - offset);
    if (data.length !== length) throw field(1, `${data.length} bytes, expected ${length}`);
    return [offset, new Uint8Array(data.buffer, data.byteOffset, data.length)];
  }

  private open(): void {
    if (this.closed) throw new Error(`store${this.file !== undefined ? ` ${this.file.path}` : ''} is closed`);
  }

  private check(offset: number, length: number, what: string): void {
    this.open();
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > this.size) {
      throw new RangeError(`store ${what} of ${length} bytes at ${offset}: outside the ${this.size}-byte store`);
    }
  }

  private pwrite(bytes: Uint8Array, offset: number): void {
    const file = this.file!;
    try {
      let done = 0;
      while (done < bytes.length) {
        const n = writeSync(file.fd, bytes, done, bytes.length - done, offset + done);
        if (n === 0) throw new Error('EIO: the file took no bytes');
        done += n;
      }
    } catch (e) {
      throw new StoreError(file.path, `cannot write (${fsReason(e)})`);
    }
  }

  /**
   * New contents, chunk by chunk: each chunk that differs is written to the file, then taken in memory,
   * so memory mirrors the file even when a write fails part way (StoreError).
   */
  private replace(next: Uint8Array): void {
    for (let offset = 0; offset < this.size; offset += STORE_CHUNK) {
      const end = Math.min(offset + STORE_CHUNK, this.size);
      const chunk = next.subarray(offset, end);
      if (Buffer.compare(chunk, this.bytes.subarray(offset, end)) === 0) continue;
      if (this.file !== undefined) this.pwrite(chunk, offset);
      this.bytes.set(chunk, offset);
    }
  }
}

function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < 1 || size > MAX_STORE_SIZE) {
    throw new RangeError(`store size ${size}: expected an integer from 1 to ${MAX_STORE_SIZE}`);
  }
}

function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** "CODE: description" from a Node file-system error (its message goes on with ", syscall 'path'"). */
function fsReason(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.split(', ')[0]!.replace(/[\r\n]+/g, ' ');
}
