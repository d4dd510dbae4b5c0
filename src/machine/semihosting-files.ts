/**
 * The files a semihosting guest can open (SYS_OPEN of any name but ":tt" and ":semihosting-features",
 * SYS_REMOVE, SYS_RENAME, SYS_TMPNAM). QEMU 7.2 hands the guest the host's own files relative to its working
 * directory; handset gives each run one of two directories instead:
 *
 * - `MemoryFiles` (the default): a private in-memory directory, empty at reset, deterministic, bounded
 *   (MEMORY_FILES_LIMITS: total bytes and number of files; past either a write or create fails with ENOSPC,
 *   as a full disk does) and plain data (`save()`/`load()`) so snapshots carry it, open files included.
 * - `HostDirectoryFiles` (`--semihosting-root DIR`): the guest's "/" is DIR. Names resolve inside DIR only:
 *   `..` never climbs above it, symlinks are followed only when their target (realpath) is inside it, and
 *   only regular files are opened (no directories, FIFOs or devices).
 *
 * Names are the guest's bytes as latin1 strings. Absolute and relative names both start at the root; `.` and
 * empty components are dropped and `..` removes the previous component (lexically). Results follow the
 * POSIX calls QEMU makes for these operations, with Linux errno values (what QEMU returns on a Linux host):
 * a number >= 0 is a result, a negative number is -errno.
 */
import { constants as fsConstants, closeSync, fstatSync, lstatSync, openSync, readlinkSync, readSync, realpathSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { SnapshotError } from '../soc/device.ts';

/** Linux errno values, as QEMU's semihosting reports them on a Linux host. */
export const ERRNO = {
  ENOENT: 2,
  EIO: 5,
  E2BIG: 7,
  EBADF: 9,
  EACCES: 13,
  EFAULT: 14,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  EMFILE: 24,
  ENOTTY: 25,
  ENOSPC: 28,
  ESPIPE: 29,
  ENAMETOOLONG: 36,
  ENOSYS: 38,
} as const;

/** Linux PATH_MAX (bytes of a name including its NUL) and NAME_MAX (bytes of one component). */
export const PATH_MAX = 4096;
export const NAME_MAX = 255;

/** What an ARM semihosting open mode (0-11: r, rb, r+, r+b, w, wb, w+, w+b, a, ab, a+, a+b) allows. */
export interface OpenFlags {
  read: boolean;
  write: boolean;
  create: boolean;
  truncate: boolean;
  append: boolean;
}

export function openFlags(mode: number): OpenFlags {
  const kind = mode >> 2; // 0 r, 1 w, 2 a; bit 1 is '+', bit 0 'b' (no difference here)
  const plus = (mode & 2) !== 0;
  return { read: kind === 0 || plus, write: kind !== 0 || plus, create: kind !== 0, truncate: kind === 1, append: kind === 2 };
}

/** Serialised state of a `SemihostingFiles` (JSON-safe). */
export type SemihostingFilesState = MemoryFilesState | HostDirectoryFilesState;

export type MemoryFilesState = {
  kind: 'memory';
  /** Every live file: named ones and unnamed ones still open (removed while open, as tmpfile() does). */
  files: { id: number; name: string | null; data: string /* base64 */ }[];
  open: OpenFileState[];
  tmpCounter: number;
};

export type HostDirectoryFilesState = {
  kind: 'host';
  /** Open files by their name inside the root at open time; `load` opens them again (without truncating). */
  open: (OpenFileState & { name: string })[];
  tmpCounter: number;
};

export type OpenFileState = {
  handle: number;
  /** MemoryFiles: the file's id; HostDirectoryFiles: unused (0). */
  file: number;
  position: number;
  read: boolean;
  write: boolean;
  append: boolean;
};

/** A directory of files behind semihosting. Handles are this object's own small numbers. */
export interface SemihostingFiles {
  /** Opens `name` with ARM mode 0-11; a handle >= 0 or -errno. */
  open(name: string, mode: number): number;
  close(handle: number): number;
  /** Up to `max` bytes from the handle's position (empty at end of file), or -errno. */
  read(handle: number, max: number): Uint8Array | number;
  /** Bytes written (fewer than given when the directory fills up; then the next write fails: ENOSPC), or -errno. */
  write(handle: number, bytes: Uint8Array): number;
  /** Sets the position (any value, as lseek allows past the end); 0 or -errno. */
  seek(handle: number, position: number): number;
  /** The file's length in bytes, or -errno. */
  length(handle: number): number;
  remove(name: string): number;
  rename(from: string, to: string): number;
  /** A name no file has yet, from a counter (never host time or randomness); `id` is the guest's 0-255. */
  tmpnam(id: number): string;
  save(): SemihostingFilesState;
  /** Restores what `save` gave (from a snapshot file: checked; SnapshotError when it cannot be taken). */
  load(state: unknown): void;
  /** Releases host resources (open host files); the object is unusable afterwards. */
  dispose(): void;
}

/** A `--semihosting-root` that cannot be used (not there, not a directory). */
export class SemihostingFilesError extends Error {
  override readonly name = 'SemihostingFilesError';
}

/**
 * A guest name as components inside the root, or -errno: NUL → EINVAL, empty → ENOENT, longer than
 * PATH_MAX - 1 or a component longer than NAME_MAX → ENAMETOOLONG, `..` above the root → EACCES.
 */
export function resolveName(name: string): string[] | number {
  if (name.includes('\0')) return -ERRNO.EINVAL;
  if (name.length === 0) return -ERRNO.ENOENT;
  if (name.length >= PATH_MAX) return -ERRNO.ENAMETOOLONG;
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part.length > NAME_MAX) return -ERRNO.ENAMETOOLONG;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) return -ERRNO.EACCES;
      out.pop();
    } else {
      out.push(part);
    }
  }
  return out;
}

/** Default limits of the in-memory directory. */
export const MEMORY_FILES_LIMITS = {
  /** Total bytes of all files (holes left by seeking past the end count). */
  maxBytes: 32 * 1024 * 1024,
  /** Files, counting removed ones that are still open. */
  maxFiles: 256,
} as const;

interface MemoryFile {
  data: Uint8Array;
  size: number;
  name: string | undefined;
  opens: number;
}

interface OpenFile {
  file: number;
  position: number;
  read: boolean;
  write: boolean;
  append: boolean;
}

function tmpName(counter: number, id: number): string {
  // QEMU's form is /tmp/qemu-<pid><id>; a counter takes the place of the pid.
  return `/tmp/handset-${counter.toString(16)}${(id & 0xff).toString(16).padStart(2, '0')}`;
}

function lowestFree(map: Map<number, unknown>): number {
  let handle = 0;
  while (map.has(handle)) handle++;
  return handle;
}

/** The private in-memory directory (the default). */
export class MemoryFiles implements SemihostingFiles {
  readonly maxBytes: number;
  readonly maxFiles: number;
  private readonly files = new Map<number, MemoryFile>();
  private readonly names = new Map<string, number>();
  private readonly handles = new Map<number, OpenFile>();
  private nextFile = 0;
  private used = 0;
  private tmpCounter = 0;

  constructor(limits: { maxBytes?: number; maxFiles?: number } = {}) {
    this.maxBytes = limits.maxBytes ?? MEMORY_FILES_LIMITS.maxBytes;
    this.maxFiles = limits.maxFiles ?? MEMORY_FILES_LIMITS.maxFiles;
  }

  /** Bytes used by all files. */
  get bytesUsed(): number {
    return this.used;
  }

  /** Names of the files in the directory, sorted ("tmp/t1.0" for "/tmp/t1.0"). */
  list(): string[] {
    return [...this.names.keys()].sort();
  }

  /** A file's contents by name, or undefined. */
  contents(name: string): Uint8Array | undefined {
    const key = this.key(name);
    const id = typeof key === 'string' ? this.names.get(key) : undefined;
    const f = id === undefined ? undefined : this.files.get(id);
    return f?.data.slice(0, f.size);
  }

  open(name: string, mode: number): number {
    const key = this.key(name);
    if (typeof key === 'number') return key;
    const flags = openFlags(mode);
    let id = this.names.get(key);
    if (id === undefined) {
      if (this.isDirectory(key)) return -ERRNO.EISDIR;
      if (!flags.create) return -ERRNO.ENOENT;
      if (this.files.size >= this.maxFiles) return -ERRNO.ENOSPC;
      id = this.nextFile++;
      this.files.set(id, { data: new Uint8Array(0), size: 0, name: key, opens: 0 });
      this.names.set(key, id);
    }
    const f = this.files.get(id)!;
    if (flags.truncate) {
      this.used -= f.size;
      f.data = new Uint8Array(0);
      f.size = 0;
    }
    f.opens++;
    const handle = lowestFree(this.handles);
    this.handles.set(handle, { file: id, position: 0, read: flags.read, write: flags.write, append: flags.append });
    return handle;
  }

  close(handle: number): number {
    const h = this.handles.get(handle);
    if (h === undefined) return -ERRNO.EBADF;
    this.handles.delete(handle);
    const f = this.files.get(h.file)!;
    f.opens--;
    this.release(h.file, f);
    return 0;
  }

  read(handle: number, max: number): Uint8Array | number {
    const h = this.handles.get(handle);
    if (h === undefined || !h.read) return -ERRNO.EBADF;
    const f = this.files.get(h.file)!;
    if (h.position >= f.size) return new Uint8Array(0);
    const n = Math.min(max, f.size - h.position);
    const bytes = f.data.slice(h.position, h.position + n);
    h.position += n;
    return bytes;
  }

  write(handle: number, bytes: Uint8Array): number {
    const h = this.handles.get(handle);
    if (h === undefined || !h.write) return -ERRNO.EBADF;
    const f = this.files.get(h.file)!;
    const at = h.append ? f.size : h.position;
    // Bytes fit up to offset size + room; a hole from seeking past the end counts as written.
    const room = this.maxBytes - this.used;
    const n = Math.max(0, Math.min(bytes.length, f.size + room - at));
    if (n === 0) {
      if (bytes.length === 0) return 0;
      return -ERRNO.ENOSPC;
    }
    const end = at + n;
    if (end > f.data.length) {
      const grown = new Uint8Array(Math.min(Math.max(end, f.data.length * 2, 256), f.size + room));
      grown.set(f.data.subarray(0, f.size));
      f.data = grown;
    } else if (at > f.size) {
      f.data.fill(0, f.size, at);
    }
    f.data.set(bytes.subarray(0, n), at);
    if (end > f.size) {
      this.used += end - f.size;
      f.size = end;
    }
    h.position = end;
    return n;
  }

  seek(handle: number, position: number): number {
    const h = this.handles.get(handle);
    if (h === undefined) return -ERRNO.EBADF;
    h.position = position;
    return 0;
  }

  length(handle: number): number {
    const h = this.handles.get(handle);
    if (h === undefined) return -ERRNO.EBADF;
    return this.files.get(h.file)!.size;
  }

  remove(name: string): number {
    const key = this.key(name);
    if (typeof key === 'number') return key;
    const id = this.names.get(key);
    if (id === undefined) return this.isDirectory(key) ? -ERRNO.EISDIR : -ERRNO.ENOENT;
    this.unlink(id);
    return 0;
  }

  rename(from: string, to: string): number {
    const a = this.key(from);
    if (typeof a === 'number') return a;
    const b = this.key(to);
    if (typeof b === 'number') return b;
    const id = this.names.get(a);
    if (id === undefined) return this.isDirectory(a) ? -ERRNO.EISDIR : -ERRNO.ENOENT;
    if (a === b) return 0;
    if (this.isDirectory(b)) return -ERRNO.EISDIR;
    const replaced = this.names.get(b);
    if (replaced !== undefined) this.unlink(replaced);
    this.names.delete(a);
    this.names.set(b, id);
    this.files.get(id)!.name = b;
    return 0;
  }

  tmpnam(id: number): string {
    for (;;) {
      const name = tmpName(this.tmpCounter++, id);
      const key = this.key(name) as string;
      if (!this.names.has(key) && !this.isDirectory(key)) return name;
    }
  }

  save(): MemoryFilesState {
    return {
      kind: 'memory',
      files: [...this.files].map(([id, f]) => ({ id, name: f.name ?? null, data: Buffer.from(f.data.buffer, f.data.byteOffset, f.size).toString('base64') })),
      open: [...this.handles].map(([handle, h]) => ({ handle, ...h })),
      tmpCounter: this.tmpCounter,
    };
  }

  load(state: unknown): void {
    const s = record(state, 'files', ['kind', 'files', 'open', 'tmpCounter']);
    if (s.kind !== 'memory') throw bad('files.kind', 'not an in-memory directory');
    const files = new Map<number, MemoryFile>();
    const names = new Map<string, number>();
    let used = 0;
    list(s.files, 'files.files').forEach((item, i) => {
      const field = `files.files[${i}]`;
      const f = record(item, field, ['id', 'name', 'data']);
      const id = count(f.id, `${field}.id`);
      if (files.has(id)) throw bad(`${field}.id`, 'used twice');
      if (f.name !== null && (typeof f.name !== 'string' || !isKey(f.name) || names.has(f.name))) throw bad(`${field}.name`, 'not a name, or used twice');
      if (typeof f.data !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(f.data)) throw bad(`${field}.data`, 'not base64');
      const data = new Uint8Array(Buffer.from(f.data, 'base64'));
      used += data.length;
      files.set(id, { data, size: data.length, name: f.name ?? undefined, opens: 0 });
      if (f.name !== null) names.set(f.name, id);
    });
    if (used > this.maxBytes || files.size > this.maxFiles) throw bad('files.files', `more than this directory holds (${this.maxFiles} files, ${this.maxBytes} bytes)`);
    const handles = new Map<number, OpenFile>();
    list(s.open, 'files.open').forEach((item, i) => {
      const field = `files.open[${i}]`;
      const h = record(item, field, ['handle', 'file', 'position', 'read', 'write', 'append']);
      const handle = count(h.handle, `${field}.handle`);
      const file = count(h.file, `${field}.file`);
      const f = files.get(file);
      if (f === undefined) throw bad(`${field}.file`, 'no such file');
      if (handles.has(handle)) throw bad(`${field}.handle`, 'used twice');
      f.opens++;
      handles.set(handle, { file, position: count(h.position, `${field}.position`), read: flag(h.read, `${field}.read`), write: flag(h.write, `${field}.write`), append: flag(h.append, `${field}.append`) });
    });
    for (const f of files.values()) if (f.name === undefined && f.opens === 0) throw bad('files.files', 'a removed file nobody has open');
    const tmpCounter = count(s.tmpCounter, 'files.tmpCounter');
    this.files.clear();
    this.names.clear();
    this.handles.clear();
    files.forEach((f, id) => this.files.set(id, f));
    names.forEach((id, name) => this.names.set(name, id));
    handles.forEach((h, handle) => this.handles.set(handle, h));
    this.nextFile = files.size === 0 ? 0 : Math.max(...files.keys()) + 1;
    this.used = used;
    this.tmpCounter = tmpCounter;
  }

  dispose(): void {}

  /** The map key of a name, or -errno (EISDIR for the root, ENOTDIR when a parent is a file). */
  private key(name: string): string | number {
    const parts = resolveName(name);
    if (typeof parts === 'number') return parts;
    if (parts.length === 0) return -ERRNO.EISDIR;
    for (let i = 1; i < parts.length; i++) if (this.names.has(parts.slice(0, i).join('/'))) return -ERRNO.ENOTDIR;
    return parts.join('/');
  }

  /** Directories exist implicitly: a name is one when some file lies under it. */
  private isDirectory(key: string): boolean {
    const prefix = key + '/';
    for (const name of this.names.keys()) if (name.startsWith(prefix)) return true;
    return false;
  }

  private unlink(id: number): void {
    const f = this.files.get(id)!;
    if (f.name !== undefined) this.names.delete(f.name);
    f.name = undefined;
    this.release(id, f);
  }

  /** Frees a file that has neither a name nor an open handle. */
  private release(id: number, f: MemoryFile): void {
    if (f.name !== undefined || f.opens > 0) return;
    this.files.delete(id);
    this.used -= f.size;
  }
}

/** Whether `name` is a name as the in-memory directory keeps it (resolved, no leading slash). */
function isKey(name: string): boolean {
  const parts = resolveName(name);
  return typeof parts !== 'number' && parts.length > 0 && parts.join('/') === name;
}

function bad(field: string, problem: string): SnapshotError {
  return new SnapshotError('semihosting', field, problem);
}

/** A plain object with exactly `keys`. */
export function record(v: unknown, field: string, keys: readonly string[]): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad(field, 'expected an object');
  const o = v as Record<string, unknown>;
  for (const k of keys) if (!Object.hasOwn(o, k)) throw bad(`${field}.${k}`, 'missing');
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw bad(`${field}.${k}`, 'unknown field');
  return o;
}

export function list(v: unknown, field: string): unknown[] {
  if (!Array.isArray(v)) throw bad(field, 'expected an array');
  return v;
}

export function count(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad(field, 'expected a non-negative integer');
  return v;
}

function flag(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') throw bad(field, 'expected true or false');
  return v;
}

interface HostOpenFile {
  fd: number;
  name: string;
  position: number;
  read: boolean;
  write: boolean;
  append: boolean;
}

/** -errno for a Node fs error (its code, by the host's errno table), EIO when it has none. */
function fsErrno(e: unknown): number {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const n = code !== undefined ? (osConstants.errno as Record<string, number | undefined>)[code] : undefined;
  return -(n ?? ERRNO.EIO);
}

/**
 * A host directory as the guest's root (`--semihosting-root DIR`). Every name is checked on each call:
 * lexically (no `..` above the root), then physically (the realpath of its directory, and of the file itself
 * when it is a symlink, lies inside the root), then opened with O_NOFOLLOW | O_NONBLOCK (a FIFO cannot block
 * the emulator) and checked again on the open descriptor (a regular file, and /proc/self/fd says it is inside
 * the root). Directories give EISDIR; FIFOs, sockets, devices and anything outside the root give EACCES.
 */
export class HostDirectoryFiles implements SemihostingFiles {
  /** The root's realpath, as bytes. */
  private readonly root: Buffer;
  private readonly handles = new Map<number, HostOpenFile>();
  private tmpCounter = 0;

  /** `dir` must be an existing directory (the CLI checks it first); throws SemihostingFilesError otherwise. */
  constructor(dir: string) {
    let real: Buffer;
    try {
      real = realpathSync(dir, { encoding: 'buffer' });
      if (!statSync(real).isDirectory()) throw new SemihostingFilesError(`${dir}: not a directory`);
    } catch (e) {
      if (e instanceof SemihostingFilesError) throw e;
      throw new SemihostingFilesError(`${dir}: ${(e as NodeJS.ErrnoException).code ?? 'cannot be used'}`);
    }
    this.root = real;
  }

  open(name: string, mode: number): number {
    const flags = openFlags(mode);
    return this.openAt(name, flags);
  }

  close(handle: number): number {
    const h = this.handles.get(handle);
    if (h === undefined) return -ERRNO.EBADF;
    this.handles.delete(handle);
    try {
      closeSync(h.fd);
      return 0;
    } catch (e) {
      return fsErrno(e);
    }
  }

  read(handle: number, max: number): Uint8Array | number {
    const h = this.handles.get(handle);
    if (h === undefined || !h.read) return -ERRNO.EBADF;
    try {
      // Never allocate more than the file holds: a huge request reads what there is.
      const available = fstatSync(h.fd).size - h.position;
      const buffer = new Uint8Array(Math.max(0, Math.min(max, available)));
      const n = buffer.length > 0 ? readSync(h.fd, buffer, 0, buffer.length, h.position) : 0;
      h.position += n;
      return buffer.subarray(0, n);
    } catch (e) {
      return fsErrno(e);
    }
  }

  write(handle: number, bytes: Uint8Array): number {
    const h = this.handles.get(handle);
    if (h === undefined || !h.write) return -ERRNO.EBADF;
    try {
      const n = writeSync(h.fd, bytes, 0, bytes.length, h.append ? null : h.position);
      h.position = h.append ? fstatSync(h.fd).size : h.position + n;
      return n;
    } catch (e) {
      return fsErrno(e);
    }
  }

  seek(handle: number, position: number): number {
    const h = this.handles.get(handle);
    if (h === undefined) return -ERRNO.EBADF;
    h.position = position;
    return 0;
  }

  length(handle: number): number {
    const h = this.handles.get(handle);
    if (h === undefined) return -ERRNO.EBADF;
    try {
      return fstatSync(h.fd).size;
    } catch (e) {
      return fsErrno(e);
    }
  }

  remove(name: string): number {
    const path = this.locate(name);
    if (typeof path === 'number') return path;
    const st = this.lstat(path);
    if (typeof st === 'number') return st;
    // A symlink itself lies inside the root: removing it leaves its target alone.
    if (st.isDirectory()) return -ERRNO.EISDIR;
    if (!st.isFile() && !st.isSymbolicLink()) return -ERRNO.EACCES;
    try {
      unlinkSync(path);
      return 0;
    } catch (e) {
      return fsErrno(e);
    }
  }

  rename(from: string, to: string): number {
    const a = this.locate(from);
    if (typeof a === 'number') return a;
    const b = this.locate(to);
    if (typeof b === 'number') return b;
    const st = this.lstat(a);
    if (typeof st === 'number') return st;
    if (st.isDirectory()) return -ERRNO.EISDIR;
    if (!st.isFile() && !st.isSymbolicLink()) return -ERRNO.EACCES;
    const target = this.lstat(b);
    if (typeof target !== 'number' && target.isDirectory()) return -ERRNO.EISDIR;
    try {
      renameSync(a, b);
      return 0;
    } catch (e) {
      return fsErrno(e);
    }
  }

  tmpnam(id: number): string {
    for (;;) {
      const name = tmpName(this.tmpCounter++, id);
      const path = this.locate(name);
      if (typeof path === 'number' || this.lstat(path) === -ERRNO.ENOENT) return name;
    }
  }

  save(): HostDirectoryFilesState {
    return {
      kind: 'host',
      open: [...this.handles].map(([handle, h]) => ({ handle, file: 0, name: h.name, position: h.position, read: h.read, write: h.write, append: h.append })),
      tmpCounter: this.tmpCounter,
    };
  }

  load(state: unknown): void {
    const s = record(state, 'files', ['kind', 'open', 'tmpCounter']);
    if (s.kind !== 'host') throw bad('files.kind', 'not a host directory');
    const tmpCounter = count(s.tmpCounter, 'files.tmpCounter');
    const opened = new Map<number, HostOpenFile>();
    try {
      list(s.open, 'files.open').forEach((item, i) => {
        const field = `files.open[${i}]`;
        const h = record(item, field, ['handle', 'file', 'name', 'position', 'read', 'write', 'append']);
        const handle = count(h.handle, `${field}.handle`);
        if (opened.has(handle)) throw bad(`${field}.handle`, 'used twice');
        if (typeof h.name !== 'string') throw bad(`${field}.name`, 'expected a string');
        const flags = { read: flag(h.read, `${field}.read`), write: flag(h.write, `${field}.write`), create: false, truncate: false, append: flag(h.append, `${field}.append`) };
        const position = count(h.position, `${field}.position`);
        const r = this.openAt(h.name, flags);
        if (r < 0) throw bad(`${field}.name`, `cannot open ${JSON.stringify(h.name)} in the semihosting root again (errno ${-r})`);
        const file = this.handles.get(r)!;
        this.handles.delete(r);
        file.position = position;
        opened.set(handle, file);
      });
    } catch (e) {
      for (const f of opened.values()) closeSync(f.fd);
      throw e;
    }
    this.dispose();
    opened.forEach((f, handle) => this.handles.set(handle, f));
    this.tmpCounter = tmpCounter;
  }

  dispose(): void {
    for (const h of this.handles.values()) {
      try {
        closeSync(h.fd);
      } catch {
        // already gone: nothing to release
      }
    }
    this.handles.clear();
  }

  private openAt(name: string, flags: OpenFlags): number {
    const path = this.locate(name);
    if (typeof path === 'number') return path;
    let target = path;
    const st = this.lstat(path);
    if (typeof st !== 'number') {
      if (st.isSymbolicLink()) {
        // Followed only to a target inside the root, which is then opened by its real name.
        try {
          target = realpathSync(path, { encoding: 'buffer' });
        } catch (e) {
          return fsErrno(e);
        }
        if (!this.contains(target)) return -ERRNO.EACCES;
        const real = this.stat(target);
        if (typeof real === 'number') return real;
        if (!real.isFile()) return real.isDirectory() ? -ERRNO.EISDIR : -ERRNO.EACCES;
      } else if (!st.isFile()) {
        return st.isDirectory() ? -ERRNO.EISDIR : -ERRNO.EACCES;
      }
    } else if (st !== -ERRNO.ENOENT || !flags.create) {
      return st;
    }
    const access = flags.read && flags.write ? fsConstants.O_RDWR : flags.write ? fsConstants.O_WRONLY : fsConstants.O_RDONLY;
    const how =
      access |
      fsConstants.O_NOFOLLOW |
      fsConstants.O_NONBLOCK |
      fsConstants.O_NOCTTY |
      (flags.create ? fsConstants.O_CREAT : 0) |
      (flags.truncate ? fsConstants.O_TRUNC : 0) |
      (flags.append ? fsConstants.O_APPEND : 0);
    let fd: number;
    try {
      fd = openSync(target, how, 0o644);
    } catch (e) {
      return fsErrno(e);
    }
    // Checked again on what was opened, in case the tree changed between the checks and the open.
    let ok: number = 0;
    try {
      const opened = fstatSync(fd);
      if (!opened.isFile()) ok = opened.isDirectory() ? -ERRNO.EISDIR : -ERRNO.EACCES;
      else if (!this.descriptorInside(fd)) ok = -ERRNO.EACCES;
    } catch (e) {
      ok = fsErrno(e);
    }
    if (ok < 0) {
      closeSync(fd);
      return ok;
    }
    const handle = lowestFree(this.handles);
    this.handles.set(handle, { fd, name, position: 0, read: flags.read, write: flags.write, append: flags.append });
    return handle;
  }

  /**
   * The host path of a name: the root's realpath, then the realpath of the name's directory (which must lie
   * inside the root), then the last component as given. -errno when the name is bad or its directory is outside.
   */
  private locate(name: string): Buffer | number {
    const parts = resolveName(name);
    if (typeof parts === 'number') return parts;
    if (parts.length === 0) return -ERRNO.EISDIR;
    let dir = this.root;
    if (parts.length > 1) {
      try {
        dir = realpathSync(Buffer.concat([this.root, Buffer.from('/' + parts.slice(0, -1).join('/'), 'latin1')]), { encoding: 'buffer' });
      } catch (e) {
        return fsErrno(e);
      }
      if (!this.contains(dir)) return -ERRNO.EACCES;
      const st = this.stat(dir);
      if (typeof st === 'number') return st;
      if (!st.isDirectory()) return -ERRNO.ENOTDIR;
    }
    return Buffer.concat([dir, Buffer.from('/' + parts[parts.length - 1], 'latin1')]);
  }

  private contains(path: Buffer): boolean {
    if (path.equals(this.root)) return true;
    return path.length > this.root.length && path[this.root.length] === 0x2f && path.subarray(0, this.root.length).equals(this.root);
  }

  /** Where an open descriptor really is (Linux /proc); true when /proc cannot say. */
  private descriptorInside(fd: number): boolean {
    let where: Buffer;
    try {
      where = readlinkSync(`/proc/self/fd/${fd}`, { encoding: 'buffer' });
    } catch {
      return true;
    }
    return this.contains(where);
  }

  private lstat(path: Buffer): Stats | number {
    try {
      return lstatSync(path);
    } catch (e) {
      return fsErrno(e);
    }
  }

  private stat(path: Buffer): Stats | number {
    try {
      return statSync(path);
    } catch (e) {
      return fsErrno(e);
    }
  }
}

/** The directory a machine gives its guest: the host directory `root` when given, else a private in-memory one. */
export function semihostingFiles(root?: string): SemihostingFiles {
  return root === undefined ? new MemoryFiles() : new HostDirectoryFiles(root);
}
