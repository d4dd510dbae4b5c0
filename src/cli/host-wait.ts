/**
 * Waiting on the host's file descriptors: poll(2) from the C library, through koffi (which handset already
 * needs for Unicorn). Node has no synchronous way to wait until a descriptor is readable or writable, and
 * the CLI needs one: the emulation is synchronous, and a console read or write happens inside it.
 *
 * A wait ends early ('interrupted') when a signal with a handler arrives: poll fails with EINTR (it is never
 * restarted). Node runs its signal handlers only on the event loop, so the caller must get back there to
 * learn which signal it was (src/cli/signals.ts). A signal that arrived before the wait began, while the
 * emulation ran, would not interrupt it: for that, a wait also watches Node's signal pipe when
 * src/cli/signals.ts has found it (`watchSignalPipe`): libuv's signal handler writes each signal there
 * and the event loop reads it, so while it holds anything, a handler is waiting to run.
 * Only the CLI's console I/O (src/cli/stdio.ts), src/cli/signals.ts, the key mode of `handset run` on
 * a terminal (`keyMode`, tcgetattr/tcsetattr) and the modem port (src/cli/modem-port.ts) use this file.
 */
import { errno, libc } from './libc.ts';

export type WaitResult =
  /** The descriptor is ready, or in a state where the next read or write returns at once (end, error). */
  | 'ready'
  /** A signal arrived first. */
  | 'interrupted';

const POLLIN = 0x001;
const POLLOUT = 0x004;
const EINTR = 4;
const TIOCGWINSZ = 0x5413;


const pollfds = Buffer.alloc(16);
const nap = new Int32Array(new SharedArrayBuffer(4));
/** The read end of libuv's signal pipe, when known. */
let signalPipe: number | undefined;

/** Makes waits end when `fd` (libuv's signal pipe; src/cli/signals.ts finds it) has something to read. */
export function watchSignalPipe(fd: number | undefined): void {
  signalPipe = fd;
}

function wait(fd: number, events: number, timeoutMs: number): WaitResult | 'timeout' {
  const c = libc();
  if (c === null) {
    // Without poll(2): nothing is known to be ready now; a wait is a short sleep, after which the caller
    // tries its read or write (and waits again on EAGAIN).
    if (timeoutMs === 0) return 'timeout';
    Atomics.wait(nap, 0, 0, 1);
    return 'ready';
  }
  const watch = timeoutMs !== 0 && signalPipe !== undefined;
  pollfds.writeInt32LE(fd, 0);
  pollfds.writeInt16LE(events, 4);
  pollfds.writeInt16LE(0, 6);
  if (watch) {
    pollfds.writeInt32LE(signalPipe!, 8);
    pollfds.writeInt16LE(POLLIN, 12);
    pollfds.writeInt16LE(0, 14);
  }
  const n = c.poll(pollfds, watch ? 2 : 1, timeoutMs);
  if (n < 0) return errno() === EINTR ? 'interrupted' : 'ready'; // else let the I/O call report
  if (n === 0) return 'timeout';
  if (watch && (pollfds.readInt16LE(14) & POLLIN) !== 0) return 'interrupted'; // a signal handler waits to run
  return 'ready'; // readiness, or POLLERR/POLLHUP/POLLNVAL: the read or write says what
}

/** Which of `fds` have something to read now. */
export function readableAmong(fds: number[]): Set<number> {
  const ready = new Set<number>();
  for (const fd of fds) if (readableNow(fd)) ready.add(fd);
  return ready;
}

/** Waits until a read of `fd` would not block (data, end of input or an error). */
export function waitReadable(fd: number): WaitResult {
  return wait(fd, POLLIN, -1) as WaitResult;
}

/** Waits up to `timeoutMs` until a read of `fd` would not block. */
export function waitReadableFor(fd: number, timeoutMs: number): WaitResult | 'timeout' {
  return wait(fd, POLLIN, Math.max(0, Math.round(timeoutMs)));
}

/** Whether a read of `fd` would return at once, without waiting. */
export function readableNow(fd: number): boolean {
  return wait(fd, POLLIN, 0) === 'ready';
}

/** Whether `fd` takes a write now (or has an error to report), without waiting. */
export function writableNow(fd: number): boolean {
  return wait(fd, POLLOUT, 0) === 'ready';
}

/** Waits until `fd` takes a write (room in a pipe, socket or terminal; or an error to report). */
export function waitWritable(fd: number): WaitResult {
  return wait(fd, POLLOUT, -1) as WaitResult;
}

/**
 * Waits up to `timeoutMs` (-1: no limit) until a read of any of `fds` would not block (the modem port of
 * src/cli/modem-port.ts, a terminal); 'interrupted' as for the other waits.
 */
export function waitReadableAmong(fds: number[], timeoutMs: number): WaitResult | 'timeout' {
  const c = libc();
  const timeout = timeoutMs < 0 ? -1 : Math.max(0, Math.round(timeoutMs));
  if (c === null) {
    // Without poll(2), as in wait(): a short sleep, after which the caller tries its reads.
    if (timeout === 0) return 'timeout';
    Atomics.wait(nap, 0, 0, 1);
    return fds.length > 0 ? 'ready' : 'timeout';
  }
  const all = signalPipe !== undefined && timeout !== 0 ? [...fds, signalPipe] : fds;
  const set = Buffer.alloc(8 * all.length);
  all.forEach((fd, k) => {
    set.writeInt32LE(fd, 8 * k);
    set.writeInt16LE(POLLIN, 8 * k + 4);
  });
  const n = c.poll(set, all.length, timeout);
  if (n < 0) return errno() === EINTR ? 'interrupted' : 'ready';
  if (n === 0) return 'timeout';
  if (all.length > fds.length && (set.readInt16LE(8 * fds.length + 6) & POLLIN) !== 0) return 'interrupted';
  return 'ready';
}

/** Columns of the terminal on `fd`, without creating Node's stdio streams; undefined if not a terminal. */
export function terminalColumns(fd: number): number | undefined {
  const c = libc();
  if (c === null) return undefined;
  const size = Buffer.alloc(8);
  if (c.ioctl(fd, TIOCGWINSZ, size) !== 0) return undefined;
  const columns = size.readUInt16LE(2);
  return columns > 0 ? columns : undefined;
}

/** struct termios (glibc, Linux): c_iflag, c_oflag, c_cflag, c_lflag, c_line, c_cc[32], speeds; 60 bytes. */
const TERMIOS_SIZE = 60;
const C_LFLAG = 12;
const ICANON = 0x2;
const ECHO = 0x8;
const TCSANOW = 0;

/**
 * Puts the terminal on `fd` in key-at-a-time mode: no line buffering and no echo by the terminal (the
 * caller echoes), signals (^C) kept. Returns the function that puts the old mode back; undefined if `fd`
 * is not a terminal (or there is no libc to ask).
 */
export function keyMode(fd: number): (() => void) | undefined {
  const c = libc();
  if (c === null) return undefined;
  const saved = Buffer.alloc(TERMIOS_SIZE + 4);
  if (c.tcgetattr(fd, saved) !== 0) return undefined;
  const raw = Buffer.from(saved);
  raw.writeUInt32LE(raw.readUInt32LE(C_LFLAG) & ~(ICANON | ECHO), C_LFLAG);
  if (c.tcsetattr(fd, TCSANOW, raw) !== 0) return undefined;
  return () => void c.tcsetattr(fd, TCSANOW, saved);
}
