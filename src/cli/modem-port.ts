/**
 * `--modem-port PATH|pty` (docs/modem.md "--modem-port"): UART1's far end is a host serial device, FIFO or
 * Unix socket, or a new pseudo-terminal, instead of the built-in baseband. The Machine sees only a
 * `ModemPort` (src/machine/modem-link.ts): `send(byte)` and `poll(max)`, neither of which waits. This file
 * does the host side: opening (posix_openpt, grantpt, unlockpt, ptsname_r, termios, socket and connect from
 * the C library through koffi, as src/cli/host-wait.ts does for poll), non-blocking reads and writes, and
 * noticing when the other side goes away. With a port, virtual time is paced to the host's (`HostPacer`):
 * a real modem answers in host time.
 *
 * - PATH: a character device (a serial port: /dev/ttyUSB0), a FIFO (one pipe: what UART1 sends comes back
 *   to it) or a Unix stream socket (connected to). A terminal device is set to raw 115200 8N1: no parity,
 *   one stop bit, 8 data bits, no flow control (neither RTS/CTS nor XON/XOFF), CLOCAL (modem status lines
 *   ignored), CREAD, no echo, no line editing, no CR/LF translation, VMIN 1 / VTIME 0.
 * - `pty`: a new pseudo-terminal; its slave side is set up the same way (raw, so CR stays CR), and its path is
 *   for another program to open. The master side is UART1's far end.
 * - Bytes the port does not take at once (the other side does not read) are kept, up to OUTBOX bytes, and
 *   written when it takes them; beyond that they are dropped. Bytes from the port stay in the host's buffer
 *   (and INBOX bytes here) until UART1's receive FIFO has room: nothing from the modem is lost while the
 *   firmware is slow to read.
 * - End of file, a hang-up (EIO on a pseudo-terminal's master once its other side has closed), or a failed
 *   read or write: `onClosed` is told once (the CLI says it in one line) and the modem is gone for the rest
 *   of the run: UART1's bytes are dropped, nothing more arrives, and pacing stops.
 */
import { closeSync, constants, openSync, readSync, statSync, writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { getSystemErrorMap } from 'node:util';
import { errno, libc, type Libc } from './libc.ts';
import type { ExternalModemOptions, ModemPort } from '../machine/modem-link.ts';
import { readableNow, waitReadableAmong } from './host-wait.ts';
import { UsageError } from './options.ts';
import type { Pacer } from './run-loop.ts';
import { hostErrorReason, stderr, stdout } from './stdio.ts';

/** The `--modem-port` option of `boot` and `run` (yargs). */
export const MODEM_PORT_OPTION = {
  type: 'string',
  describe:
    "UART1's far end is host device PATH (a serial port, set to raw 115200 8N1; a FIFO; a Unix socket) or a new pseudo-terminal (pty: " +
    "its path is printed on stderr) instead of the built-in modem (docs/modem.md). Virtual time is then paced to the host's, and the " +
    "modem answers in host time: runs are not reproducible",
} as const;

/** A port attached to a machine: the port, the Machine's modem option, and the pacer for runInChunks. */
export interface AttachedPort {
  port: HostModemPort;
  options: ExternalModemOptions;
  pacer: HostPacer;
}

/** Snapshots hold the built-in modem's state, never a host port's: refused before anything runs. */
export function refuseSnapshotsWithPort(spec: string | undefined, options: Record<string, string | undefined>): void {
  if (spec === undefined) return;
  for (const [option, value] of Object.entries(options)) {
    if (value !== undefined) throw new UsageError(`--modem-port ${spec}: ${option} cannot be used with it (a snapshot cannot hold a host port's state)`);
  }
}

/**
 * Opens `--modem-port SPEC` (nothing without one), says a pseudo-terminal's path on stderr, and says in one
 * line when the port goes away during the run. `alsoWake`: descriptors that may wake a machine that waits
 * besides the port (a terminal on stdin).
 */
export function attachModemPort(spec: string | undefined, hz: number, alsoWake: number[]): AttachedPort | undefined {
  if (spec === undefined) return undefined;
  const port = HostModemPort.open(spec);
  if (spec === 'pty') stderr.writeText(`handset: modem port: ${port.path}\n`);
  port.onClosed = (why) => {
    stdout.flush();
    stderr.write(Buffer.from(`handset: modem port ${port.path} ${why}: the run goes on without a modem (UART1's bytes are dropped)\n`));
  };
  return { port, options: { external: port }, pacer: new HostPacer(hz, port, alsoWake) };
}

/** Bytes for the port kept while it does not take them (more are dropped). */
export const OUTBOX = 64 * 1024;
/** Bytes read from the port at once, held until UART1's receive FIFO takes them. */
const INBOX = 4096;
/**
 * With a port, virtual time runs at most this far ahead of host time (seconds): bytes from the modem reach
 * UART1 at most about this late, in host time, when the machine is ahead.
 */
export const PACE_AHEAD_S = 0.01;


/** The text of an errno value ("no such file or directory"). */
function errnoText(errno: number): string {
  return getSystemErrorMap().get(-errno)?.[1] ?? `error ${errno}`;
}

// struct termios (glibc, Linux): c_iflag 0, c_oflag 4, c_cflag 8, c_lflag 12, c_line 16, c_cc[32] 17, speeds 52, 56.
const TERMIOS_SIZE = 60;
const C_IFLAG = 0;
const C_CFLAG = 8;
const C_CC = 17;
const VTIME = 5;
const VMIN = 6;
const IXOFF = 0o10000;
const IXANY = 0o4000;
const CSIZE = 0o60;
const CS8 = 0o60;
const CSTOPB = 0o100;
const CREAD = 0o200;
const PARENB = 0o400;
const CLOCAL = 0o4000;
const CRTSCTS = 0o20000000000;
const B115200 = 0o10002;
const TCSANOW = 0;
const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SUN_PATH = 108;

/** Raw 115200 8N1 without flow control on the terminal `fd` (for a pty master: on its slave side); an error's text, or undefined. */
function serialLine(c: Libc, fd: number): string | undefined {
  const t = Buffer.alloc(TERMIOS_SIZE + 4);
  if (c.tcgetattr(fd, t) !== 0) return errnoText(errno());
  c.cfmakeraw(t); // no echo, no canonical mode, no signals, no CR/LF translation, no output processing, CS8
  t.writeUInt32LE((t.readUInt32LE(C_IFLAG) & ~(IXOFF | IXANY)) >>> 0, C_IFLAG);
  t.writeUInt32LE(((t.readUInt32LE(C_CFLAG) & ~(CSIZE | CSTOPB | PARENB | CRTSCTS)) | CS8 | CREAD | CLOCAL) >>> 0, C_CFLAG);
  t[C_CC + VMIN] = 1;
  t[C_CC + VTIME] = 0;
  if (c.cfsetispeed(t, B115200) !== 0 || c.cfsetospeed(t, B115200) !== 0) return errnoText(errno());
  if (c.tcsetattr(fd, TCSANOW, t) !== 0) return errnoText(errno());
  return undefined;
}

const NOTHING = new Uint8Array(0);

export class HostModemPort implements ModemPort {
  /** Told once, with why, when the port goes away during the run. */
  onClosed: ((why: string) => void) | undefined;
  /** Bytes for the port dropped because it did not take them (OUTBOX full) or was gone. */
  dropped = 0;
  private readonly inbox = Buffer.alloc(INBOX);
  private inStart = 0;
  private inEnd = 0;
  private readonly outbox = Buffer.alloc(OUTBOX);
  private outLength = 0;
  private gone: string | undefined;

  /** Takes over `fd` (open, non-blocking); use `HostModemPort.open`. */
  constructor(
    /** The far end's path: PATH, or the pseudo-terminal's slave path. */
    readonly path: string,
    private readonly fd: number,
    /** A pseudo-terminal's master: EIO is the other side's hang-up. */
    private readonly pty: boolean,
  ) {}

  /** Opens `--modem-port SPEC` (a path, or `pty`); every problem is a one-line UsageError. */
  static open(spec: string): HostModemPort {
    return spec === 'pty' ? openPty() : openPath(spec);
  }

  /** Whether the port is still there. */
  get open(): boolean {
    return this.gone === undefined;
  }

  /** The descriptor to wait on for bytes from the far end: none once it is gone. */
  waitFds(): number[] {
    return this.gone === undefined ? [this.fd] : [];
  }

  send(byte: number): void {
    if (this.gone !== undefined) {
      this.dropped++;
      return;
    }
    if (this.outLength === OUTBOX) this.flushOut();
    if (this.outLength === OUTBOX) {
      this.dropped++;
      return;
    }
    this.outbox[this.outLength++] = byte;
    this.flushOut();
  }

  poll(max: number): Uint8Array {
    if (this.gone !== undefined) return NOTHING;
    if (this.outLength > 0) this.flushOut();
    if (this.inStart === this.inEnd && !this.fill()) return NOTHING;
    const n = Math.min(max, this.inEnd - this.inStart);
    const bytes = this.inbox.slice(this.inStart, this.inStart + n);
    this.inStart += n;
    return bytes;
  }

  /** Closes the port (at the end of the run): a pseudo-terminal's other side sees a hang-up. */
  close(): void {
    if (this.gone !== undefined) return;
    this.gone = 'closed';
    this.release();
  }

  /** Reads what the port has now into the inbox; false when nothing came. */
  private fill(): boolean {
    if (!readableNow(this.fd)) return false;
    let n: number;
    try {
      n = readSync(this.fd, this.inbox, 0, INBOX, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EINTR') return false;
      // A pseudo-terminal's master reads EIO once the last holder of its slave side has closed it.
      this.lose(code === 'EIO' && this.pty ? 'closed (the other side hung up)' : `failed (cannot read it: ${hostErrorReason(error)})`);
      return false;
    }
    if (n === 0) {
      this.lose('closed (end of file)');
      return false;
    }
    this.inStart = 0;
    this.inEnd = n;
    return true;
  }

  /** Writes what the port takes now; the rest stays in the outbox. */
  private flushOut(): void {
    while (this.outLength > 0 && this.gone === undefined) {
      let n: number;
      try {
        n = writeSync(this.fd, this.outbox, 0, this.outLength);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EINTR') continue;
        if (code === 'EAGAIN') return; // the other side does not read: later
        this.lose(code === 'EPIPE' || code === 'ECONNRESET' || (code === 'EIO' && this.pty) ? 'closed (the other side hung up)' : `failed (cannot write to it: ${hostErrorReason(error)})`);
        return;
      }
      this.outbox.copyWithin(0, n, this.outLength);
      this.outLength -= n;
    }
  }

  private lose(why: string): void {
    this.dropped += this.outLength;
    this.gone = why;
    this.release();
    this.onClosed?.(why);
  }

  private release(): void {
    this.outLength = 0;
    this.inStart = this.inEnd = 0;
    try {
      closeSync(this.fd);
    } catch {
      // already gone
    }
  }
}

function openPty(): HostModemPort {
  const fail = (what: string): never => {
    throw new UsageError(`--modem-port pty: cannot create a pseudo-terminal: ${what}`);
  };
  const c = libc();
  if (c === null) fail('no C library to ask (glibc is needed)');
  const fd = c!.posix_openpt(constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
  if (fd < 0) fail(errnoText(errno()));
  const name = Buffer.alloc(256);
  const step = (ok: boolean, what: string) => {
    if (ok) return;
    const text = `${what}: ${errnoText(errno())}`;
    closeSync(fd);
    fail(text);
  };
  step(c!.grantpt(fd) === 0, 'grantpt');
  step(c!.unlockpt(fd) === 0, 'unlockpt');
  step(c!.ptsname_r(fd, name, name.length) === 0, 'ptsname');
  const problem = serialLine(c!, fd);
  if (problem !== undefined) {
    closeSync(fd);
    fail(`cannot set it to raw mode: ${problem}`);
  }
  return new HostModemPort(name.toString('latin1', 0, name.indexOf(0)), fd, true);
}

function openPath(path: string): HostModemPort {
  const fail = (what: string): never => {
    throw new UsageError(`--modem-port ${path}: ${what}`);
  };
  let kind: 'device' | 'fifo' | 'socket' = 'device';
  try {
    const s = statSync(path);
    if (s.isDirectory()) fail('is a directory');
    else if (s.isFIFO()) kind = 'fifo';
    else if (s.isSocket()) kind = 'socket';
    else if (!s.isCharacterDevice()) fail(`not a serial device, FIFO or socket (${s.isFile() ? 'a regular file' : 'a block device'})`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    fail(hostErrorReason(error));
  }
  let fd: number;
  if (kind === 'socket') fd = connectSocket(path, fail);
  else {
    try {
      // O_RDWR: a FIFO opened for both never blocks the open, and never reads end of file.
      fd = openSync(path, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
    } catch (error) {
      return fail(`cannot open it: ${hostErrorReason(error)}`);
    }
  }
  if (isatty(fd)) {
    const c = libc();
    const problem = c === null ? 'no C library to ask (glibc is needed)' : serialLine(c, fd);
    if (problem !== undefined) {
      closeSync(fd);
      fail(`cannot set it up as a serial line (raw 115200 8N1): ${problem}`);
    }
  }
  return new HostModemPort(path, fd, false);
}

function connectSocket(path: string, fail: (what: string) => never): number {
  const c = libc();
  if (c === null) return fail('a socket, and there is no C library to connect with (glibc is needed)');
  const name = Buffer.from(path, 'utf8');
  if (name.length >= SUN_PATH) fail(`a socket path must be shorter than ${SUN_PATH} bytes`);
  const address = Buffer.alloc(2 + SUN_PATH);
  address.writeUInt16LE(AF_UNIX, 0);
  name.copy(address, 2);
  const fd = c.socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) fail(`cannot make a socket: ${errnoText(errno())}`);
  if (c.connect(fd, address, 2 + name.length + 1) !== 0) {
    const text = errnoText(errno());
    closeSync(fd);
    fail(`cannot connect to it: ${text}`);
  }
  return fd;
}

/**
 * Virtual time paced to the host's while a modem port is open (never more than PACE_AHEAD_S ahead): a real
 * modem answers in host time, and firmware and guests time their commands out in virtual time. A core that
 * sleeps with nothing else to wake it sleeps on in step with the host's clock, the port looked at every
 * PACE_AHEAD_S. Once the port is gone, the run is as without a modem: unpaced, and a core that nothing can
 * wake ends it. Host time enters here, in the CLI, and only as the cycle the machine may run to.
 */
export class HostPacer implements Pacer {
  private started: bigint | undefined;
  private startCycles = 0;

  constructor(
    private readonly hz: number,
    private readonly port: HostModemPort,
    /** Besides the port, what may wake a machine that waits (`waitOutside`): a terminal on stdin. */
    private readonly alsoWake: number[],
  ) {}

  limit(cycles: number): number {
    if (!this.port.open) return Infinity;
    return Math.ceil(this.hostCycles(cycles) + this.hz * PACE_AHEAD_S);
  }

  wait(cycles: number): 'ready' | 'interrupted' {
    const ms = ((cycles - this.hostCycles(cycles)) / this.hz) * 1000;
    if (ms <= 0) return 'ready';
    // A sleep (that a signal ends): bytes that arrive meanwhile are taken when the machine runs on.
    return waitReadableAmong([], ms + 1) === 'interrupted' ? 'interrupted' : 'ready';
  }

  waitOutside(): 'ready' | 'interrupted' | 'none' {
    const fds = [...this.port.waitFds(), ...this.alsoWake];
    if (fds.length === 0) return 'none';
    return waitReadableAmong(fds, -1) === 'interrupted' ? 'interrupted' : 'ready';
  }

  /** The cycle the host's clock has reached, counted from the first call (at `cycles`). */
  private hostCycles(cycles: number): number {
    if (this.started === undefined) {
      this.started = process.hrtime.bigint();
      this.startCycles = cycles;
    }
    return this.startCycles + (Number(process.hrtime.bigint() - this.started) / 1e9) * this.hz;
  }
}
