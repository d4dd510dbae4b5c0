/**
 * Output files of the CLI. Writing them is src/trace/files.ts (a temporary file beside the target, renamed
 * over it only when complete); this adds the CLI's rule that an output never overwrites an input or
 * another output of the same command.
 */
import { realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from './options.ts';

export { OutputFileError, writeFileAtomically } from '../trace/files.ts';

/** A file named on the command line: `what` says how ("--trace", "the image"). */
export interface NamedFile {
  what: string;
  path: string | undefined;
}

/**
 * Refuses (UsageError) an output that is one of the inputs or another output: the same path, a symlink
 * to it or a hard link of it (compared by device and inode when the file exists, else by the real path
 * of its directory). Reading an input before writing over it would still destroy the input. Character
 * devices (/dev/null, a terminal) may take several outputs.
 */
export function refuseOutputOverInput(outputs: NamedFile[], inputs: NamedFile[]): void {
  const given = (files: NamedFile[]) => files.filter((f): f is { what: string; path: string } => f.path !== undefined);
  const seen: { what: string; path: string; id: FileId }[] = given(inputs).map((f) => ({ ...f, id: fileId(f.path) }));
  const inputCount = seen.length;
  for (const out of given(outputs)) {
    const id = fileId(out.path);
    const clash = id.shareable ? undefined : seen.find((other) => other.id.key === id.key);
    if (clash !== undefined) {
      const role = seen.indexOf(clash) < inputCount ? 'an input' : 'another output';
      throw new UsageError(
        `${out.what} ${out.path}: the same file as ${clash.what} ${clash.path} (${role}); choose another output file`,
      );
    }
    seen.push({ ...out, id });
  }
}

interface FileId {
  key: string;
  /** A character device: writing it twice destroys nothing. */
  shareable: boolean;
}

function fileId(path: string): FileId {
  try {
    const s = statSync(path, { bigint: true });
    return { key: `inode ${s.dev}:${s.ino}`, shareable: s.isCharacterDevice() };
  } catch {
    return { key: `path ${canonicalPath(path)}`, shareable: false };
  }
}

/** The absolute path with its directory's symlinks resolved (the file itself need not exist). */
function canonicalPath(path: string): string {
  const absolute = resolve(path);
  try {
    return join(realpathSync(dirname(absolute)), basename(absolute));
  } catch {
    return absolute;
  }
}
