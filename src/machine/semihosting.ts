/**
 * ARM semihosting (ARM DUI 0471 "Semihosting operations", v2 extensions), behaving as QEMU 7.2's
 * `-semihosting` does for bare-metal images: console special files, the features file, HEAPINFO from
 * the loaded image, time from the virtual clock.
 *
 * As in QEMU 7.2, SYS_WRITEC and SYS_WRITE0 print on the semihosting console, which is stderr when no
 * chardev is given; SYS_WRITE to ":tt" opened for writing goes to stdout (modes 4-7) or stderr (8-11).
 *
 * Where we depart from QEMU on purpose: guests are untrusted, so there is no host file access (OPEN of
 * any other name fails with ENOENT; REMOVE, RENAME, TMPNAM and SYSTEM fail); TIME counts seconds of
 * virtual time since reset (epoch 0) so runs are reproducible.
 */

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

/** The r0 QEMU leaves after operations whose result is undefined (common_semi_dead_cb). */
const CORRUPTED = 0xdeadbeef;

const ERRNO = { ENOENT: 2, EBADF: 9, EFAULT: 14, EINVAL: 22, ENOTTY: 25, ESPIPE: 29, ENOSYS: 38 } as const;

/** "SHFB" magic then one byte: bit 0 SYS_EXIT_EXTENDED, bit 1 separate stdout/stderr on ":tt". */
const FEATURES_FILE = Uint8Array.of(0x53, 0x48, 0x46, 0x42, 0b11);

/** What semihosting needs from the machine. Addresses are guest virtual addresses. */
export interface SemihostingHost {
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
  cmdline: string;
  heap(): { heapBase: number; heapLimit: number; stackBase: number; stackLimit: number };
}

type OpenFile = { kind: 'stdin' | 'stdout' | 'stderr' } | { kind: 'features'; position: number };

export interface SemihostingResult {
  /** Value for r0, or undefined when the call does not return (exit). */
  r0?: number;
  exit?: number;
}

export class Semihosting {
  private errno = 0;
  private readonly files = new Map<number, OpenFile>();

  constructor(private readonly host: SemihostingHost) {}

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
      case SYS.WRITE0:
        this.write0(param);
        return { r0: CORRUPTED };
      default:
        return { r0: this.callWithBlock(op, param) >>> 0 };
    }
  }

  private callWithBlock(op: number, param: number): number {
    switch (op) {
      case SYS.OPEN: {
        const a = this.args(param, 3);
        if (a === undefined) return this.fail(ERRNO.EFAULT);
        const name = this.host.readMemory(a[0], a[2]);
        if (name === undefined) return this.fail(ERRNO.EFAULT);
        return this.open(Buffer.from(name).toString('latin1'), a[1]);
      }
      case SYS.CLOSE: {
        const a = this.args(param, 1);
        if (a === undefined) return this.fail(ERRNO.EFAULT);
        return this.files.delete(a[0]) ? 0 : this.fail(ERRNO.EBADF);
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
        const f = this.files.get(a[0]);
        if (f === undefined) return this.fail(ERRNO.EBADF);
        if (f.kind !== 'features' && this.host.isTerminal(f.kind)) return 1;
        this.errno = ERRNO.ENOTTY; // as isatty(3) leaves it, which QEMU reports
        return 0;
      }
      case SYS.SEEK: {
        const a = this.args(param, 2);
        if (a === undefined) return this.fail(ERRNO.EFAULT);
        const f = this.files.get(a[0]);
        if (f === undefined) return this.fail(ERRNO.EBADF);
        if (f.kind !== 'features') return this.fail(ERRNO.ESPIPE);
        f.position = Math.min(a[1], FEATURES_FILE.length);
        return 0;
      }
      case SYS.FLEN: {
        const a = this.args(param, 1);
        if (a === undefined) return this.fail(ERRNO.EFAULT);
        const f = this.files.get(a[0]);
        if (f === undefined) return this.fail(ERRNO.EBADF);
        return f.kind === 'features' ? FEATURES_FILE.length : 0; // QEMU: the size fstat gives a tty
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
      case SYS.TMPNAM:
      case SYS.REMOVE:
      case SYS.RENAME:
      case SYS.SYSTEM:
        return this.fail(ERRNO.ENOSYS);
      default:
        return this.fail(ERRNO.ENOSYS);
    }
  }

  private open(name: string, mode: number): number {
    let file: OpenFile;
    if (name === ':tt') {
      // ARM modes 0-3 are "r" variants, 4-7 "w", 8-11 "a": QEMU maps them to stdin, stdout, stderr.
      file = { kind: mode < 4 ? 'stdin' : mode < 8 ? 'stdout' : 'stderr' };
    } else if (name === ':semihosting-features') {
      if (mode >= 4) return this.fail(ERRNO.EINVAL);
      file = { kind: 'features', position: 0 };
    } else {
      return this.fail(ERRNO.ENOENT);
    }
    // The lowest free handle from 1, as QEMU's guest file descriptor table hands them out.
    let handle = 1;
    while (this.files.has(handle)) handle++;
    this.files.set(handle, file);
    return handle;
  }

  private write(handle: number, buffer: number, length: number): number {
    const f = this.files.get(handle);
    if (f === undefined || f.kind === 'stdin' || f.kind === 'features') {
      this.errno = ERRNO.EBADF;
      return length;
    }
    const bytes = this.host.readMemory(buffer, length);
    if (bytes === undefined) {
      this.errno = ERRNO.EFAULT;
      return length;
    }
    (f.kind === 'stdout' ? this.host.stdout : this.host.stderr).call(this.host, bytes);
    return 0; // bytes not written
  }

  private read(handle: number, buffer: number, length: number): number {
    const f = this.files.get(handle);
    if (f === undefined || f.kind === 'stdout' || f.kind === 'stderr') {
      this.errno = ERRNO.EBADF;
      return -1;
    }
    let bytes: Uint8Array;
    if (f.kind === 'features') {
      bytes = FEATURES_FILE.subarray(f.position, f.position + length);
      f.position += bytes.length;
    } else {
      bytes = length > 0 ? this.host.stdin(length) : new Uint8Array(0);
    }
    if (!this.host.writeMemory(buffer, bytes)) {
      this.errno = ERRNO.EFAULT;
      return -1;
    }
    return length - bytes.length; // bytes not read
  }

  private write0(address: number): void {
    const out: number[] = [];
    for (let a = address; ; a++) {
      const b = this.host.readMemory(a >>> 0, 1);
      if (b === undefined || b[0] === 0) break;
      out.push(b[0]);
    }
    this.host.stderr(Uint8Array.from(out));
  }

  private getCmdline(param: number): number {
    const a = this.args(param, 2);
    if (a === undefined) return this.fail(ERRNO.EFAULT);
    const text = Buffer.from(this.host.cmdline, 'latin1');
    if (text.length + 1 > a[1]) return this.fail(ERRNO.EINVAL);
    const bytes = new Uint8Array(text.length + 1);
    bytes.set(text);
    if (!this.host.writeMemory(a[0], bytes) || !this.writeWords(param + 4, [text.length])) return this.fail(ERRNO.EFAULT);
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

  private fail(errno: number): number {
    this.errno = errno;
    return -1;
  }
}
