/**
 * The one place that writes output files (trace files, snapshots) and opens input files by path.
 *
 * Output: an OutputFile streams into a temporary file `.NAME.PID.tmp` beside the target and renames it
 * over NAME only when it is complete (commit), so a failed, interrupted or killed write never leaves a
 * partial file and never destroys what was there before: a file the run did not create is never
 * removed. Whatever ends the process, its temporary files are removed at exit (a SIGKILL aside). A target
 * that exists and is not a regular file (/dev/null, a FIFO, a terminal) is written directly: there is
 * nothing to replace there. Any failure is an OutputFileError: one line naming the file and the reason.
 *
 * Input: openRegularFile refuses anything but a regular file before reading a byte (a FIFO would block
 * the open, a device such as /dev/zero would never end), and opens it with O_NONBLOCK so that a file
 * swapped for a FIFO between the check and the open cannot block either.
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  openSync,
  readSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A file that cannot be written: the message is one line and starts with the file name. */
export class OutputFileError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'OutputFileError';
  }
}

/** Temporary files of this process that are neither renamed nor removed yet. */
const unfinished = new Set<string>();
let exitHook = false;

function track(temporary: string): void {
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const path of unfinished) rmSync(path, { force: true });
    });
  }
  unfinished.add(temporary);
}

export class OutputFile {
  private fd: number | undefined;
  /** Where the bytes go until commit; undefined when writing straight to a special file. */
  private readonly temporary: string | undefined;
  /** The file the temporary file is renamed over (symlinks resolved: the link stays, its target is replaced). */
  private readonly target: string;
  private finished = false;

  /** Creates the temporary file (or opens a special file). `path` is what messages name. */
  constructor(readonly path: string) {
    const existing = statOrUndefined(path);
    if (existing?.isDirectory()) throw new OutputFileError(path, 'cannot write (a directory)');
    if (existing !== undefined && !existing.isFile()) {
      this.target = path;
      this.fd = this.io('cannot write', () => openSync(path, constants.O_WRONLY | constants.O_TRUNC | constants.O_NOCTTY));
      return;
    }
    this.target = existing !== undefined ? this.io('cannot write', () => realpathSync(path)) : path;
    const temporary = join(dirname(this.target), `.${basename(this.target)}.${process.pid}.tmp`);
    this.fd = this.io('cannot write', () => createExclusive(temporary));
    this.temporary = temporary;
    track(temporary);
    if (existing !== undefined) {
      // The replacement keeps the permissions of the file it replaces.
      this.write0(() => fchmodSync(this.fd!, existing.mode & 0o7777));
    }
  }

  write(bytes: Uint8Array): void {
    if (this.finished) throw new OutputFileError(this.path, 'cannot write (already closed)');
    this.write0(() => {
      for (let done = 0; done < bytes.length; ) done += writeSync(this.fd!, bytes, done, bytes.length - done);
    });
  }

  /** Makes the file complete: flushes it to the disk and renames it over the target. */
  commit(): void {
    if (this.finished) throw new OutputFileError(this.path, 'cannot write (already closed)');
    this.write0(() => {
      const fd = this.fd!;
      if (this.temporary !== undefined) fsyncSync(fd);
      this.fd = undefined;
      closeSync(fd);
      if (this.temporary !== undefined) renameSync(this.temporary, this.target);
    });
    this.finished = true;
    if (this.temporary !== undefined) unfinished.delete(this.temporary);
  }

  /** Gives up: closes and removes the temporary file (the target is untouched). Safe to call again. */
  discard(): void {
    this.finished = true;
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        // the file is being thrown away
      }
      this.fd = undefined;
    }
    if (this.temporary !== undefined && unfinished.delete(this.temporary)) rmSync(this.temporary, { force: true });
  }

  /** Runs a write step; a failure discards the file and becomes an OutputFileError. */
  private write0(step: () => void): void {
    try {
      step();
    } catch (error) {
      this.discard();
      throw new OutputFileError(this.path, `cannot write (${describeFsError(error)})`);
    }
  }

  private io<T>(what: string, step: () => T): T {
    try {
      return step();
    } catch (error) {
      throw new OutputFileError(this.path, `${what} (${describeFsError(error)})`);
    }
  }
}

/** Opens a new file that must not exist; a leftover of a killed process with the same PID is replaced. */
function createExclusive(path: string): number {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  try {
    return openSync(path, flags, 0o666);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || unfinished.has(path)) throw error;
    rmSync(path, { force: true });
    return openSync(path, flags, 0o666);
  }
}

/** Writes a whole file at once, as OutputFile does: complete, or not at all. */
export function writeFileAtomically(path: string, bytes: Uint8Array): void {
  const out = new OutputFile(path);
  try {
    out.write(bytes);
    out.commit();
  } finally {
    out.discard();
  }
}

/**
 * Opens `path` for reading if it is a regular file; otherwise calls `fail` with the problem ("no such
 * file", "not a regular file (a FIFO)", ...), which must throw the caller's error type.
 */
export function openRegularFile(path: string, fail: (problem: string) => never): number {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (error) {
    return fail(describeFsError(error, 'read'));
  }
  if (!stats.isFile()) return fail(notRegular(stats));
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    return fail(describeFsError(error, 'read'));
  }
  const opened = fstatSync(fd);
  if (!opened.isFile()) {
    closeSync(fd);
    return fail(notRegular(opened));
  }
  return fd;
}

/** Reads a whole regular file (see openRegularFile). */
export function readRegularFile(path: string, fail: (problem: string) => never): Uint8Array {
  const fd = openRegularFile(path, fail);
  try {
    const size = fstatSync(fd).size;
    const bytes = new Uint8Array(size);
    let done = 0;
    while (done < size) {
      let n: number;
      try {
        n = readSync(fd, bytes, done, size - done, done);
      } catch (error) {
        return fail(describeFsError(error, 'read'));
      }
      if (n === 0) break; // the file shrank while it was read
      done += n;
    }
    return bytes.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}

/** Checks that `path` is a regular file without opening it (see openRegularFile). */
export function checkRegularFile(path: string, fail: (problem: string) => never): void {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (error) {
    fail(describeFsError(error, 'read'));
  }
  if (!stats.isFile()) fail(notRegular(stats));
}

function notRegular(stats: Stats): string {
  const kind = stats.isDirectory()
    ? 'a directory'
    : stats.isFIFO()
      ? 'a FIFO'
      : stats.isCharacterDevice()
        ? 'a character device'
        : stats.isBlockDevice()
          ? 'a block device'
          : stats.isSocket()
            ? 'a socket'
            : 'not a file';
  return `not a regular file (${kind})`;
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined; // missing (or unreachable: creating the file will say why)
  }
}

/**
 * "CODE: description" from a Node file-system error (its message is "CODE: description, syscall 'path'",
 * and the path is already named). With `operation`, a missing file is "no such file" and other errors
 * say "cannot read file (...)".
 */
export function describeFsError(error: unknown, operation?: 'read'): string {
  const code = (error as NodeJS.ErrnoException).code;
  const message = (error instanceof Error ? error.message : String(error)).split(', ')[0]!;
  if (operation === undefined) return message;
  if (code === 'ENOENT') return 'no such file';
  return `cannot read file (${message})`;
}
