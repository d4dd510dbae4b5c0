/**
 * ARM semihosting (ARM DUI 0471 "Semihosting operations", v2 extensions), behaving as QEMU 7.2's
 * `-semihosting` does for bare-metal images: console special files, the features file, HEAPINFO from
 * the loaded image, time from the virtual clock.
 *
 * As in QEMU 7.2, SYS_WRITEC and SYS_WRITE0 print on the semihosting console, which is stderr when no
 * chardev is given; SYS_WRITE to ":tt" opened for writing goes to stdout (modes 4-7) or stderr (8-11).
 * Results, including for bad requests, are QEMU's: READ and WRITE return the bytes not transferred (the
 * whole length on any error), a length above INT32_MAX is cut to INT32_MAX, a name length that does not end
 * on the name's NUL is EINVAL (ENAMETOOLONG above INT32_MAX), an unreadable argument block or name EFAULT.
 *
 * Every guest length and pointer is bounded before anything is allocated: no buffer is longer than guest
 * RAM (`ramSize`; a longer one cannot be mapped, so it is EFAULT at once), guest memory is read in chunks
 * that stop at the first unmapped one, and names are read up to PATH_MAX.
 *
 * Where we depart from QEMU on purpose:
 * - Files are not the host's: OPEN, REMOVE, RENAME and TMPNAM work on a `SemihostingFiles` directory, a
 *   private in-memory one by default or a confined host directory (semihosting-files.ts). SYSTEM fails.
 * - TIME counts seconds of virtual time since reset (epoch 0) so runs are reproducible.
 * - A failed READ or WRITE sets SYS_ERRNO (QEMU 7.2 leaves it unchanged), so that a full directory reports
 *   ENOSPC; append modes (8-11) append (QEMU 7.2 opens them without O_APPEND, writing from offset 0).
 * - A directory cannot be opened (EISDIR; QEMU opens one for reading, then every read fails).
 * - At most MAX_HANDLES handles are open at once (EMFILE), as a host process has a descriptor limit.
 */
import { SnapshotError } from '../soc/device.ts';
import { count, ERRNO, list, PATH_MAX, record, semihostingFiles, type SemihostingFiles, type SemihostingFilesState } from './semihosting-files.ts';

export const SYS = {
  OPEN: 0x01,
  CLOSE: 0x02,
  WRITEC: 0x03,
  WRITE0: 0x04,
  WRITE: 0x05,
  READ: 0x06,
  READC: 0x07,
  ISERROR: 0x08,
  ISTTY: 0x09,
  SEEK: 0x0a,
  FLEN: 0x0c,
  TMPNAM: 0x0d,
  REMOVE: 0x0e,
  RENAME: 0x0f,
  CLOCK: 0x10,
  TIME: 0x11,
  SYSTEM: 0x12,
  ERRNO: 0x13,
  GET_CMDLINE: 0x15,
  HEAPINFO: 0x16,
  EXIT: 0x18,
  EXIT_EXTENDED: 0x20,
  ELAPSED: 0x30,
  TICKFREQ: 0x31,
} as const;

export const ADP_STOPPED_APPLICATION_EXIT = 0x20026;

/** Open handles at once (console and features files included). */
export const MAX_HANDLES = 256;

/** The r0 QEMU leaves after operations whose result is undefined (common_semi_dead_cb). */
const CORRUPTED = 0xdeadbeef;

const INT32_MAX = 0x7fffffff;

/** The largest RAM a board has: the bound on guest buffers when the host does not say its RAM size. */
const DEFAULT_RAM_SIZE = 256 * 1024 * 1024;

/** Guest memory is read in pieces of this size (WRITE), or of one smallest page (WRITE0, names). */
const CHUNK = 64 * 1024;
const PAGE = 1024;

/** At most this much is asked of stdin at once (a shorter read is a legitimate answer). */
const STDIN_CHUNK = 64 * 1024;

/** "SHFB" magic then one byte: bit 0 SYS_EXIT_EXTENDED, bit 1 separate stdout/stderr on ":tt". */
const FEATURES_FILE = Uint8Array.of(0x53, 0x48, 0x46, 0x42, 0b11);

/** What semihosting needs from the machine. Addresses are guest virtual addresses. */
export interface SemihostingHost {
  /** `length` bytes at `va`, or undefined if any of them is unmapped. */
  readMemory(va: number, length: number): Uint8Array | undefined;
  writeMemory(va: number, bytes: Uint8Array): boolean;
  stdout(bytes: Uint8Array): void;
  stderr(bytes: Uint8Array): void;
  /** Blocks until at least one byte is available; an empty result means end of input. */
  stdin(max: number): Uint8Array;
  /** Virtual time in nanoseconds since reset. */
  nanos(): number;
  /** Whether the host stream behind a console file is a terminal (QEMU answers ISTTY from the host fd). */
  isTerminal(stream: 'stdin' | 'stdout' | 'stderr'): boolean;
  /** What SYS_GET_CMDLINE returns. */
  cmdline(): string;
  heap(): { heapBase: number; heapLimit: number; stackBase: number; stackLimit: number };
  /** The guest's files; default a private in-memory directory (MemoryFiles). */
  files?: SemihostingFiles;
  /** Bytes of guest RAM: no buffer the guest passes can be longer. Default 256 MiB. */
  ramSize?: number;
}

type OpenFile =
  | { kind: 'stdin' }
  | { kind: 'stdout' }
  | { kind: 'stderr' }
  | { kind: 'features'; position: number }
  | { kind: 'file'; file: number };

/** Serialised semihosting state (JSON-safe), for snapshots. */
export type SemihostingState = {
  errno: number;
  handles: ({ handle: number } & OpenFile)[];
  files: SemihostingFilesState;
};

export interface SemihostingResult {
  /** Value for r0, or undefined when the call does not return (exit). */
  r0?: number;
  exit?: number;
}

export class Semihosting {
  private errno = 0;
  private readonly handles = new Map<number, OpenFile>();
  private readonly files: SemihostingFiles;
  private readonly ramSize: number;

  constructor(private readonly host: SemihostingHost) {
    this.files = host.files ?? semihostingFiles();
    this.ramSize = host.ramSize ?? DEFAULT_RAM_SIZE;
  }

  /** Performs operation `op` with parameter `param` (r1). */
  call(op: number, param: number): SemihostingResult {
    switch (op) {
      case SYS.EXIT:
        return { exit: param === ADP_STOPPED_APPLICATION_EXIT ? 0 : 1 };
      case SYS.EXIT_EXTENDED: {
        const [reason, subcode] = this.args(param, 2) ?? [0, 1];
        return { exit: reason === ADP_STOPPED_APPLICATION_EXIT ? subcode | 0 : 1 };
      }
      // WRITEC and WRITE0 return nothing: r0 is corrupted, and QEMU makes it 0xdeadbeef.
      case SYS.WRITEC: {
        const c = this.host.readMemory(param, 1);
        if (c !== undefined) this.host.stderr(c);
        return { r0: CORRUPTED };
      }
      case SYS.WRITE0: {
        const text = this.readString(param, this.ramSize);
        if (text instanceof Uint8Array && text.length > 0) this.host.stderr(text);
        return { r0: CORRUPTED };
      }
      default:
        return { r0: this.callWithBlock(op, param) >>> 0 };
    }
  }

  /** The state of open handles, errno and the directory, as plain data. */
  save(): SemihostingState {
    return { errno: this.errno, handles: [...this.handles].map(([handle, f]) => ({ handle, ...f })), files: this.files.save() };
  }

  /** Restores what `save` returned (from a snapshot file: checked first; SnapshotError when it cannot be taken). */
  load(state: unknown): void {
    const s = record(state, 'semihosting', ['errno', 'handles', 'files']);
    const errno = count(s.errno, 'errno');
    const handles = new Map<number, OpenFile>();
    list(s.handles, 'handles').forEach((item, i) => {
      const field = `handles[${i}]`;
      if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new SnapshotError('semihosting', field, 'expected an object');
      const kind = (item as Record<string, unknown>).kind;
      const keys = kind === 'features' ? ['handle', 'kind', 'position'] : kind === 'file' ? ['handle', 'kind', 'file'] : ['handle', 'kind'];
      const h = record(item, field, keys);
      const handle = count(h.handle, `${field}.handle`);
      if (handle < 1 || handles.has(handle) || handles.size >= MAX_HANDLES) throw new SnapshotError('semihosting', `${field}.handle`, 'out of range or used twice');
      if (kind === 'stdin' || kind === 'stdout' || kind === 'stderr') handles.set(handle, { kind });
      else if (kind === 'features') handles.set(handle, { kind, position: count(h.position, `${field}.position`) });
      else if (kind === 'file') handles.set(handle, { kind, file: count(h.file, `${field}.file`) });
      else throw new SnapshotError('semihosting', `${field}.kind`, 'unknown kind');
    });
    this.files.load(s.files);
    this.handles.clear();
    handles.forEach((f, handle) => this.handles.set(handle, f));
    this.errno = errno;
  }

  /** Releases what the directory holds on the host (open host files). */
  close(): void {
    this.files.dispose();
  }

  private callWithBlock(op: number, param: number): number {
    switch (op) {
      case SYS.OPEN: {
        const a = this.args(param, 3);
        if (a === undefined) return this.fail(ERRNO.EFAULT);
        return this.open(a[0], a[1], a[2]);
      }
      case SYS.CLOSE: {
        const a = this.args(param, 1);
        if (a === undefined) return this.fail(ERRNO.EFAULT);
        const f = this.handles.get(a[0]);
        if (f === undefined) return this.fail(ERRNO.EBADF);
        this.handles.delete(a[0]);
        return f.kind === 'file' ? this.result(this.files.close(f.file)) : 0;
      }
      case SYS.WRITE: {
        const a = this.args(param, 3);
        if (a === undefined) return this.fail(ERRNO.EFAULT);
        return this.write(a[0], a[1], a[2]);
      }
      case SYS.READ: {
        const a = this.args(param, 3);
        if (a === undefined) return this.fail(ERRNO.EFAULT);
        return this.read(a[0], a[1], a[2]);
      }
      case SYS.READC: {
        const b = this.host.stdin(1);
        return b.length > 0 ? b[0] : -1;
      }
      case SYS.ISERROR: {
        const a = this.args(param, 1);
        return a !== undefined && (a[0] | 0) < 0 ? 1 : 0;
      }
      case SYS.ISTTY: {
        const a = this.args(param, 1);
        if (a === undefined) return this.fail(ERRNO.EFAULT);
        const f = this.handles.get(a[0]);
        if (f === undefined) return this.fail(ERRNO.EBADF);
        if ((f.kind === 'stdin' || f.kind === 'stdout' || f.kind === 'stderr') && this.host.isTerminal(f.kind)) return 1;
        this.errno = ERRNO.ENOTTY; // as isatty(3) leaves it, which QEMU reports
        return 0;
      }
      case SYS.SEEK: {
        const a = this.args(param, 2);
        if (a === undefined) return this.fail(ERRNO.EFAULT);
        const f = this.handles.get(a[0]);
        if (f === undefined) return this.fail(ERRNO.EBADF);
        if (f.kind === 'file') return this.result(this.files.seek(f.file, a[1]));
        if (f.kind !== 'features') return this.fail(ERRNO.ESPIPE);
        if (a[1] > FEATURES_FILE.length) return this.fail(ERRNO.EINVAL);
        f.position = a[1];
        return 0;
      }
      case SYS.FLEN: {
        const a = this.args(param, 1);
        if (a === undefined) return this.fail(ERRNO.EFAULT);
        const f = this.handles.get(a[0]);
        if (f === undefined) return this.fail(ERRNO.EBADF);
        if (f.kind === 'file') return this.result(this.files.length(f.file));
        return f.kind === 'features' ? FEATURES_FILE.length : 0; // QEMU: the size fstat gives a tty
      }
      case SYS.TMPNAM:
        return this.tmpnam(param);
      case SYS.REMOVE: {
        const a = this.args(param, 2);
        if (a === undefined) return this.fail(ERRNO.EFAULT);
        const name = this.guestName(a[0], a[1]);
        return typeof name === 'number' ? this.result(name) : this.result(this.files.remove(name));
      }
      case SYS.RENAME: {
        const a = this.args(param, 4);
        if (a === undefined) return this.fail(ERRNO.EFAULT);
        const from = this.guestName(a[0], a[1]);
        if (typeof from === 'number') return this.result(from);
        const to = this.guestName(a[2], a[3]);
        if (typeof to === 'number') return this.result(to);
        return this.result(this.files.rename(from, to));
      }
      case SYS.CLOCK:
        return Math.floor(this.host.nanos() / 10_000_000);
      case SYS.TIME:
        return Math.floor(this.host.nanos() / 1_000_000_000);
      case SYS.ERRNO:
        return this.errno;
      case SYS.GET_CMDLINE:
        return this.getCmdline(param);
      case SYS.HEAPINFO: {
        const a = this.args(param, 1);
        if (a === undefined) return this.fail(ERRNO.EFAULT);
        const h = this.host.heap();
        return this.writeWords(a[0], [h.heapBase, h.heapLimit, h.stackBase, h.stackLimit]) ? 0 : this.fail(ERRNO.EFAULT);
      }
      case SYS.ELAPSED: {
        const ticks = BigInt(this.host.nanos());
        const lo = Number(ticks & 0xffffffffn);
        const hi = Number(ticks >> 32n);
        return this.writeWords(param, [lo, hi]) ? 0 : this.fail(ERRNO.EFAULT);
      }
      case SYS.TICKFREQ:
        return 1_000_000_000; // ELAPSED counts nanoseconds of virtual time
      case SYS.SYSTEM:
        return this.fail(ERRNO.ENOSYS);
      default:
        return this.fail(ERRNO.ENOSYS);
    }
  }

  /** QEMU's order: the name (as a C string), the mode, the special names, then the given length. */
  private open(address: number, mode: number, length: number): number {
    const text = this.readString(address, PATH_MAX);
    if (text === undefined) return this.fail(ERRNO.EFAULT);
    if (mode >= 12) return this.fail(ERRNO.EINVAL);
    const name = text === 'too long' ? undefined : Buffer.from(text).toString('latin1');
    if (name === ':tt') {
      // ARM modes 0-3 are "r" variants, 4-7 "w", 8-11 "a": QEMU maps them to stdin, stdout, stderr.
      return this.allocate(mode < 4 ? { kind: 'stdin' } : mode < 8 ? { kind: 'stdout' } : { kind: 'stderr' });
    }
    if (name === ':semihosting-features') {
      if (mode > 1) return this.fail(ERRNO.EACCES);
      return this.allocate({ kind: 'features', position: 0 });
    }
    const checked = this.checkLength(address, length);
    if (checked < 0) return this.result(checked);
    if (name === undefined) return this.fail(ERRNO.ENAMETOOLONG);
    if (this.handles.size >= MAX_HANDLES) return this.fail(ERRNO.EMFILE);
    const file = this.files.open(name, mode);
    return file < 0 ? this.result(file) : this.allocate({ kind: 'file', file });
  }

  /** The lowest free handle from 1, as QEMU's guest file descriptor table hands them out. */
  private allocate(file: OpenFile): number {
    if (this.handles.size >= MAX_HANDLES) return this.fail(ERRNO.EMFILE);
    let handle = 1;
    while (this.handles.has(handle)) handle++;
    this.handles.set(handle, file);
    return handle;
  }

  private write(handle: number, buffer: number, length: number): number {
    const f = this.handles.get(handle);
    if (f === undefined || f.kind === 'stdin' || f.kind === 'features') return this.failLength(ERRNO.EBADF, length);
    const n = Math.min(length, INT32_MAX);
    const chunks = this.readChunks(buffer, n);
    if (chunks === undefined) return this.failLength(ERRNO.EFAULT, length);
    if (f.kind !== 'file') {
      const sink = f.kind === 'stdout' ? this.host.stdout : this.host.stderr;
      for (const c of chunks) sink.call(this.host, c);
      return length - n; // bytes not written
    }
    let written = 0;
    for (const c of chunks) {
      const r = this.files.write(f.file, c);
      if (r < 0) {
        if (written > 0) break; // a short write; the next one reports the error
        return this.failLength(-r, length);
      }
      written += r;
      if (r < c.length) break;
    }
    return length - written;
  }

  private read(handle: number, buffer: number, length: number): number {
    const f = this.handles.get(handle);
    if (f === undefined || f.kind === 'stdout' || f.kind === 'stderr') return this.failLength(ERRNO.EBADF, length);
    // No read can fill more than guest RAM; a shorter read than asked is a legitimate answer.
    const n = Math.min(length, INT32_MAX, this.ramSize);
    let bytes: Uint8Array;
    if (f.kind === 'features') {
      bytes = FEATURES_FILE.slice(f.position, f.position + n);
      f.position += bytes.length;
    } else if (f.kind === 'stdin') {
      bytes = n > 0 ? this.host.stdin(Math.min(n, STDIN_CHUNK)) : new Uint8Array(0);
    } else {
      const r = this.files.read(f.file, n);
      if (typeof r === 'number') return this.failLength(-r, length);
      bytes = r;
    }
    // As QEMU: the bytes are consumed even where the buffer is unmapped (they land where memory is).
    if (bytes.length > 0) this.host.writeMemory(buffer, bytes);
    return length - bytes.length; // bytes not read
  }

  private tmpnam(param: number): number {
    const a = this.args(param, 3);
    if (a === undefined) return this.fail(ERRNO.EFAULT);
    const name = Buffer.from(this.files.tmpnam(a[1] & 0xff) + '\0', 'latin1');
    if (name.length > a[2]) return -1; // QEMU leaves errno alone here
    return this.host.writeMemory(a[0], name) ? 0 : this.fail(ERRNO.EFAULT);
  }

  /**
   * A name given as (address, length without its NUL), as QEMU's REMOVE and RENAME take it: the byte at
   * address + length must be the NUL; the name is the C string there. -errno when it is not.
   */
  private guestName(address: number, length: number): string | number {
    const checked = this.checkLength(address, length);
    if (checked < 0) return checked;
    const text = this.readString(address, PATH_MAX);
    if (text === undefined) return -ERRNO.EFAULT;
    if (text === 'too long') return -ERRNO.ENAMETOOLONG;
    return Buffer.from(text).toString('latin1');
  }

  /** QEMU's validate_strlen for a length without the NUL: 0 when it is right, else -errno. */
  private checkLength(address: number, length: number): number {
    const withNul = (length + 1) >>> 0;
    if (withNul === 0) return 0; // QEMU then measures the string itself
    if (withNul > INT32_MAX) return -ERRNO.ENAMETOOLONG;
    const last = this.host.readMemory((address + length) >>> 0, 1);
    if (last === undefined) return -ERRNO.EFAULT;
    return last[0] === 0 ? 0 : -ERRNO.EINVAL;
  }

  /**
   * The NUL-terminated string at `address` (without the NUL), read a page at a time: undefined when memory
   * ends before the NUL, 'too long' when there is no NUL in the first `max` bytes.
   */
  private readString(address: number, max: number): Uint8Array | undefined | 'too long' {
    const pieces: Uint8Array[] = [];
    let total = 0;
    while (total < max) {
      const at = (address + total) >>> 0;
      const piece = this.host.readMemory(at, Math.min(PAGE - (at % PAGE), max - total));
      if (piece === undefined) return undefined;
      const nul = piece.indexOf(0);
      if (nul >= 0) {
        pieces.push(piece.subarray(0, nul));
        return pieces.length === 1 ? pieces[0] : Buffer.concat(pieces);
      }
      pieces.push(piece);
      total += piece.length;
    }
    return 'too long';
  }

  /**
   * `length` bytes at `address` in pieces of up to CHUNK, or undefined when any is unmapped. Nothing longer
   * than guest RAM is read at all: it cannot be mapped.
   */
  private readChunks(address: number, length: number): Uint8Array[] | undefined {
    if (length > this.ramSize) return undefined;
    const chunks: Uint8Array[] = [];
    for (let done = 0; done < length; ) {
      const n = Math.min(CHUNK, length - done);
      const c = this.host.readMemory((address + done) >>> 0, n);
      if (c === undefined) return undefined;
      chunks.push(c);
      done += n;
    }
    return chunks;
  }

  private getCmdline(param: number): number {
    const a = this.args(param, 2);
    if (a === undefined) return this.fail(ERRNO.EFAULT);
    const text = Buffer.from(this.host.cmdline(), 'latin1');
    if (text.length + 1 > a[1]) return this.fail(ERRNO.E2BIG);
    const bytes = new Uint8Array(text.length + 1);
    bytes.set(text);
    // QEMU writes the length back first, then the string.
    if (!this.writeWords(param + 4, [text.length]) || !this.host.writeMemory(a[0], bytes)) return this.fail(ERRNO.EFAULT);
    return 0;
  }

  private args(param: number, count: number): number[] | undefined {
    const bytes = this.host.readMemory(param, count * 4);
    if (bytes === undefined) return undefined;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return Array.from({ length: count }, (_, i) => view.getUint32(i * 4, true));
  }

  private writeWords(address: number, words: number[]): boolean {
    const bytes = new Uint8Array(words.length * 4);
    const view = new DataView(bytes.buffer);
    words.forEach((w, i) => view.setUint32(i * 4, w >>> 0, true));
    return this.host.writeMemory(address, bytes);
  }

  /** A directory result: >= 0 as is, -errno as -1 with errno set. */
  private result(r: number): number {
    return r < 0 ? this.fail(-r) : r;
  }

  /** READ and WRITE fail by returning the whole length (nothing transferred). */
  private failLength(errno: number, length: number): number {
    this.errno = errno;
    return length;
  }

  private fail(errno: number): number {
    this.errno = errno;
    return -1;
  }
}
