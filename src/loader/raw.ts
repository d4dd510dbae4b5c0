/**
 * Raw binary images: the file's bytes at --load-addr, entry at --entry (default: the load address).
 * QEMU treats a raw -kernel as a Linux zImage (boot stub at RAM base, image at +0x10000, r1/r2 set up);
 * a bare-metal image has no such convention, so there is no default load address to guess.
 */
import { LoadError, hex32 } from './errors.ts';
import { checkAddress, checkPlacement, codeAlignment, imageEnd, resolveEntry } from './placement.ts';
import type { LoadedImage, LoadOptions, MemoryLayout, Segment } from './types.ts';

export function parseRaw(bytes: Uint8Array, name: string, options: LoadOptions, memory: MemoryLayout): LoadedImage {
  if (options.loadAddr === undefined) {
    throw new LoadError(name, 'not an ELF file; to load it as a raw image, pass --load-addr');
  }
  checkAddress(name, 'load address', options.loadAddr);
  const entry = options.entry ?? options.loadAddr;
  checkAddress(name, 'entry point', entry);
  // A raw image is code from its first byte on: aligned as the code at its entry must be.
  const align = codeAlignment(entry);
  if (options.loadAddr % align !== 0) {
    throw new LoadError(name, `load address ${hex32(options.loadAddr)} is not ${align}-byte aligned (${align === 4 ? 'ARM code needs 4' : 'Thumb code needs 2'})`);
  }
  const segments: Segment[] = [{ addr: options.loadAddr, data: bytes, memSize: bytes.length }];
  checkPlacement(name, segments, memory, 'raw image');
  return {
    kind: 'raw',
    segments,
    ...resolveEntry(name, entry, segments),
    end: imageEnd(segments),
  };
}
