/**
 * Writing output files: to a temporary file beside the target, renamed over it only when complete, so a
 * failed or interrupted write never leaves a partial file and never destroys what was there before.
 */
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export class OutputFileError extends Error {}

export function writeFileAtomically(path: string, bytes: Uint8Array): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temporary, 'wx', 0o644);
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temporary, { force: true });
    const err = e as NodeJS.ErrnoException;
    throw new OutputFileError(`cannot write ${path}: ${err.code ?? err.message}`);
  }
}
