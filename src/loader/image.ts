/** The loader's one entry point with file access: read an image file, then parse it as ELF or raw. */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { hasElfMagic, parseElf } from './elf.ts';
import { LoadError } from './errors.ts';
import { checkAddress, resolveEntry } from './placement.ts';
import { parseRaw } from './raw.ts';
import type { LoadedImage, LoadOptions, MemoryLayout } from './types.ts';

export function loadImage(path: string, options: LoadOptions, memory: MemoryLayout): LoadedImage {
  const bytes = readImageFile(path);
  const image = hasElfMagic(bytes)
    ? parseElfWithOptions(bytes, path, options, memory)
    : parseRaw(bytes, path, options, memory);
  return { ...image, sha256: createHash('sha256').update(bytes).digest('hex') };
}

function parseElfWithOptions(bytes: Uint8Array, path: string, options: LoadOptions, memory: MemoryLayout): LoadedImage {
  if (options.loadAddr !== undefined) {
    throw new LoadError(path, '--load-addr is only for raw images; an ELF file gives its own load addresses');
  }
  const image = parseElf(bytes, path, memory);
  if (options.entry === undefined) return image;
  checkAddress(path, 'entry point', options.entry);
  return { ...image, ...resolveEntry(path, options.entry, image.segments) };
}

/** Reads a whole image file; every way that can fail becomes a LoadError naming the file. */
function readImageFile(path: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    const stats = statSync(path);
    if (stats.isDirectory()) throw new LoadError(path, 'is a directory, not an image file');
    if (!stats.isFile()) throw new LoadError(path, 'not a regular file');
    const buffer = readFileSync(path);
    bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    if (error instanceof LoadError) throw error;
    throw new LoadError(path, describeFsError(error));
  }
  if (bytes.length === 0) throw new LoadError(path, 'empty file');
  return bytes;
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  // Node's message is "CODE: description, syscall 'path'": keep "CODE: description", the path is already named.
  const message = error instanceof Error ? error.message : String(error);
  return `cannot read file (${message.split(', ')[0]})`;
}
