/**
 * The CLI's console, and the one place that does terminal and pipe I/O: every byte any handset command
 * prints on stdout or stderr goes through `stdout` / `stderr` here, and stdin reaches the firmware through
 * `stdinInput()`. Node's own stdio streams (process.stdin/stdout/stderr) are never created: creating them
 * switches a pipe or terminal to non-blocking mode for every process sharing it, and then a read or write
 * fails with EAGAIN whenever the other side is slower.
 *
 * Output: buffered (a newline or 4 KiB flushes it), written with real waits when the reader is slow (poll
 * until the descriptor takes more; at most PIPE_BUF bytes per write on a pipe, socket or terminal, so a
 * write never blocks inside the kernel where no signal can be handled). A reader that went away (EPIPE)
 * is `OutputClosed`: the command ends quietly with status 141, as a shell reports a Unix tool killed by
 * SIGPIPE. Any other failure (a full device) is a `HostIoError`: one line, exit 2.
 *
 * Input from a terminal is read as it is typed (a poll for the firmware's polls, a wait when the firmware
 * waits). Input from a pipe or file is read to its end the first time the firmware asks for input, so the
 * firmware sees the same bytes at the same points on every run whatever the producer's timing; it waits
 * for the producer as long as it takes, and refuses more than STDIN_LIMIT bytes.
 *
 * While a machine runs (src/cli/run-loop.ts attaches `ConsoleHooks`), nothing here throws into the
 * emulation: a failure is recorded and the machine asked to stop; a wait that a signal interrupts returns
 * (output stays buffered, a read returns nothing) so that the CLI can get back to the event loop, where
 * Node runs its signal handlers.
 */
import { fstatSync, readSync, writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { getSystemErrorMap } from 'node:util';
import type { ConsoleInput } from '../machine/console-input.ts';
import { readableNow, waitReadable, waitWritable, writableNow } from './host-wait.ts';

/** The most piped or redirected stdin a run takes (it is held in memory whole). */
export const STDIN_LIMIT = 64 * 1024 * 1024;
/** Exit status when the reader of stdout or stderr went away: what a shell shows for death by SIGPIPE. */
export const EXIT_OUTPUT_CLOSED = 141;

/** The reader of stdout or stderr closed its end (`| head -1`): output stops, the command ends quietly. */
export class OutputClosed extends Error {
  constructor(readonly stream: string) {
    super(`${stream} was closed by its reader`);
  }
}

/** A console read or write failed for another reason (a full device, stdin too large): one line, exit 2. */
export class HostIoError extends Error {}

/** Given by whoever runs a machine: how console I/O reports, from inside the emulation, that it must end. */
export interface ConsoleHooks {
  /** A read or write failed (see `failure`): further output is dropped, reads return nothing. */
  failed(): void;
  /** A signal arrived during a wait: the read returned nothing or the output stays buffered, for now. */
  interrupted(): void;
}

/** The text of a Node I/O error: "no space left on device" for an ENOSPC error. */
export function hostErrorReason(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (typeof e.errno === 'number') {
    const known = getSystemErrorMap().get(e.errno);
    if (known !== undefined) return known[1];
  }
  return e.code ?? String(e.message);
}

/** PIPE_BUF: a pipe (or socket, or terminal) that polls writable takes this much without blocking. */
const ATOMIC_WRITE = 4096;

export class Output {
  /** Why output stopped, once it has. */
  failure: OutputClosed | HostIoError | undefined;
  private chunks: Uint8Array[] = [];
  private size = 0;
  /** A signal interrupted a wait: bytes stay buffered until retry(). */
  private stalled = false;
  private regularFile: boolean | undefined;
  private hooks: ConsoleHooks | undefined;

  constructor(
    readonly fd: number,
    readonly name: string,
  ) {}

  /** With hooks (while a machine runs), failures and interrupted waits are reported to them instead. */
  attach(hooks: ConsoleHooks | undefined): void {
    this.hooks = hooks;
  }

  /** Console bytes: buffered until a newline or 4 KiB. */
  write(bytes: Uint8Array): void {
    if (this.failure !== undefined) return; // reported when it happened: output is dropped from then on
    if (bytes.length === 0) return;
    this.chunks.push(bytes.slice());
    this.size += bytes.length;
    if (!this.stalled && (this.size >= ATOMIC_WRITE || bytes.includes(0x0a))) this.flush();
  }

  /** Text, written out at once. */
  writeText(text: string): void {
    this.write(Buffer.from(text, 'utf8'));
    this.flush();
  }

  /** Text, as much of it as the reader takes without waiting (after a signal). */
  writeTextWithoutWaiting(text: string): void {
    this.write(Buffer.from(text, 'utf8'));
    this.flushWithoutWaiting();
  }

  /** Text, written if it can be: for reporting errors, where a failure has nowhere to go. */
  say(text: string): void {
    try {
      this.writeText(text);
    } catch {
      // the stream itself is what failed
    }
  }

  /** Writes what is buffered if it can be (before an error message). */
  flushQuietly(): void {
    try {
      this.flush();
    } catch {
      // reported elsewhere, or nowhere to report it
    }
  }

  /**
   * Writes everything buffered, waiting for a slow reader. Returns false when, with hooks attached, a
   * signal interrupted the wait (the rest stays buffered; call again). A failure is recorded in `failure`
   * and thrown once, when it happens, unless hooks are attached (they are told instead); output is
   * dropped from then on.
   */
  flush(): boolean {
    return this.send(true);
  }

  /** Writes what the reader takes now, without waiting, and drops the rest (after a signal). */
  flushWithoutWaiting(): void {
    this.stalled = false;
    this.send(false);
    this.discard();
  }

  private send(wait: boolean): boolean {
    if (this.failure !== undefined) {
      this.discard();
      return true;
    }
    if (this.stalled && this.hooks !== undefined) return false; // until the run loop calls retry()
    if (this.size === 0) {
      this.stalled = false;
      return true;
    }
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = [];
    this.size = 0;
    this.regularFile ??= isRegularFile(this.fd);
    let done = 0;
    while (done < all.length) {
      if (!wait && !this.regularFile && !writableNow(this.fd)) {
        this.chunks = [all.subarray(done)];
        this.size = all.length - done;
        return false;
      }
      if (wait && !this.regularFile && waitWritable(this.fd) === 'interrupted') {
        if (this.hooks === undefined) continue; // nobody to tell: a signal with a handler waits its turn
        this.chunks = [all.subarray(done)];
        this.size = all.length - done;
        this.stalled = true;
        this.hooks.interrupted();
        return false;
      }
      try {
        const length = this.regularFile ? all.length - done : Math.min(ATOMIC_WRITE, all.length - done);
        done += writeSync(this.fd, all, done, length);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EINTR') continue; // the reader is slower than us: wait again
        this.failure =
          code === 'EPIPE' || code === 'ECONNRESET'
            ? new OutputClosed(this.name)
            : new HostIoError(`cannot write to ${this.name}: ${hostErrorReason(error)}`);
        this.discard();
        if (this.hooks === undefined) throw this.failure;
        this.hooks.failed();
        return true;
      }
    }
    this.stalled = false;
    return true;
  }

  /** After an interrupted wait, back on the event loop: writes what is buffered, as flush() does. */
  retry(): boolean {
    this.stalled = false;
    return this.flush();
  }

  /** Drops what is buffered (after a signal, when the reader is stuck). */
  discard(): void {
    this.chunks = [];
    this.size = 0;
    this.stalled = false;
  }

}

function isRegularFile(fd: number): boolean {
  try {
    const s = fstatSync(fd);
    return s.isFile() || s.isBlockDevice();
  } catch {
    return false; // not open: the write reports it
  }
}

/** Standard output and standard error of every handset command. */
export const stdout = new Output(1, 'stdout');
export const stderr = new Output(2, 'stderr');

/** Which standard streams are terminals (without creating Node's stdio streams). */
export function whichAreTerminals(): { stdin: boolean; stdout: boolean; stderr: boolean } {
  return { stdin: isatty(0), stdout: isatty(1), stderr: isatty(2) };
}

/** stdin for the firmware (UART0 receive, semihosting reads), with the CLI's failure and signal hooks. */
export interface HostInput extends ConsoleInput {
  /** Why input stopped (stdin too large, unreadable). */
  failure: HostIoError | undefined;
  /** A signal interrupted a wait: that read returned nothing. The run loop clears it. */
  interrupted: boolean;
  attach(hooks: ConsoleHooks | undefined): void;
}

export function stdinInput(): HostInput {
  return isatty(0) ? new TerminalInput() : new BatchInput();
}

abstract class HostInputBase implements HostInput {
  failure: HostIoError | undefined;
  interrupted = false;
  protected hooks: ConsoleHooks | undefined;

  attach(hooks: ConsoleHooks | undefined): void {
    this.hooks = hooks;
  }

  abstract read(max: number, block: boolean): Uint8Array;

  /** Waits until stdin can be read; false when a signal came first and the caller must return nothing. */
  protected waitForInput(): boolean {
    if (this.interrupted) return false; // until the run loop has been back to the event loop
    for (;;) {
      if (waitReadable(0) === 'ready') return true;
      if (this.hooks !== undefined) {
        this.interrupted = true;
        this.hooks.interrupted();
        return false;
      }
    }
  }

  protected fail(message: string): void {
    this.failure ??= new HostIoError(message);
    if (this.hooks === undefined) throw this.failure;
    this.hooks.failed();
  }
}

const NOTHING = new Uint8Array(0);

/** A terminal: what has been typed so far when the firmware polls; a wait when it waits. */
class TerminalInput extends HostInputBase {
  read(max: number, block: boolean): Uint8Array {
    if (this.failure !== undefined) return NOTHING;
    for (;;) {
      if (block ? !this.waitForInput() : !readableNow(0)) return NOTHING;
      const buf = Buffer.alloc(max);
      try {
        return buf.subarray(0, readSync(0, buf, 0, max, null));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if ((code === 'EAGAIN' || code === 'EINTR') && block) continue; // another reader took it: wait again
        return NOTHING; // nothing typed after all, or the terminal went away (EIO): no input
      }
    }
  }
}

/** A pipe or file: read whole (up to STDIN_LIMIT) the first time the firmware looks for input. */
class BatchInput extends HostInputBase {
  private data: Uint8Array | undefined;
  private parts: Buffer[] = [];
  private total = 0;
  private readonly buffer = Buffer.allocUnsafe(1 << 20);

  read(max: number): Uint8Array {
    if (this.failure !== undefined) return NOTHING;
    if (this.data === undefined && !this.readAll()) return NOTHING;
    const out = this.data!.subarray(0, max);
    this.data = this.data!.subarray(out.length);
    return out;
  }

  /** Reads to the end of stdin; false if a signal or a failure ended the read first (the parts are kept). */
  private readAll(): boolean {
    const tooLarge = `stdin is larger than ${STDIN_LIMIT / (1024 * 1024)} MiB, the most piped or redirected input a run takes`;
    const size = fileSize(0);
    if (size !== undefined && size > STDIN_LIMIT) {
      this.fail(tooLarge);
      return false;
    }
    const buf = this.buffer;
    for (;;) {
      if (!this.waitForInput()) return false;
      let n: number;
      try {
        n = readSync(0, buf, 0, buf.length, null);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EINTR') continue; // nothing yet: the producer is slower than us
        if (code === 'EBADF') break; // stdin closed (<&-): no input
        this.fail(`cannot read stdin: ${hostErrorReason(error)}`);
        return false;
      }
      if (n === 0) break;
      this.total += n;
      if (this.total > STDIN_LIMIT) {
        this.parts = [];
        this.fail(tooLarge);
        return false;
      }
      this.parts.push(Buffer.from(buf.subarray(0, n)));
    }
    this.data = Buffer.concat(this.parts);
    this.parts = [];
    return true;
  }
}

function fileSize(fd: number): number | undefined {
  try {
    const s = fstatSync(fd);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}
