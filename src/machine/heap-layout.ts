/**
 * SYS_HEAPINFO as QEMU 7.2 computes it for a loaded image (semihosting/arm-compat-semi.c,
 * common_semi_find_bases): the largest gap of RAM not covered by the image is shared by heap and stack:
 * the heap grows up from the bottom of the gap, the stack down from its top, each limited by the other's
 * start (checked against QEMU's execution log of firmware/newlib-demo.elf).
 */
import type { LoadedImage } from '../loader/types.ts';

export interface HeapLayout {
  heapBase: number;
  heapLimit: number;
  stackBase: number;
  stackLimit: number;
}

export function heapLayout(image: LoadedImage, ramBase: number, ramSize: number): HeapLayout {
  const used = image.segments
    .map((s) => ({ start: s.addr, end: s.addr + s.memSize }))
    .sort((a, b) => a.start - b.start);
  let best = { base: ramBase, size: 0 };
  let at = ramBase;
  for (const u of [...used, { start: ramBase + ramSize, end: ramBase + ramSize }]) {
    if (u.start - at > best.size) best = { base: at, size: u.start - at };
    at = Math.max(at, u.end);
  }
  return { heapBase: best.base, heapLimit: best.base + best.size, stackBase: best.base + best.size, stackLimit: best.base };
}
