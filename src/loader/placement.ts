import { LoadError, hex32 } from './errors.ts';
import type { LoadedImage, MemoryLayout, Segment } from './types.ts';

/**
 * Checks that every segment lies wholly in RAM, clear of every MMIO window, and that no two segments
 * overlap. `noun` names a segment in messages ("segment", "raw image").
 */
export function checkPlacement(file: string, segments: Segment[], memory: MemoryLayout, noun: string): void {
  const ramEnd = memory.ramBase + memory.ramSize;
  for (const segment of segments) {
    const end = segment.addr + segment.memSize;
    const range = `${hex32(segment.addr)}-${hex32(end)}`;
    // Device windows first: a segment over a device is usually outside RAM too, and the device is the better clue.
    for (const window of memory.mmio) {
      if (segment.addr < window.base + window.size && window.base < end) {
        throw new LoadError(file, `${noun} ${range} overlaps ${window.name} at ${hex32(window.base)}`);
      }
    }
    if (segment.addr < memory.ramBase || end > ramEnd) {
      throw new LoadError(file, `${noun} ${range} is not within RAM ${hex32(memory.ramBase)}-${hex32(ramEnd)}`);
    }
  }
  // In address order, any overlap shows up between neighbours.
  const sorted = [...segments].sort((a, b) => a.addr - b.addr);
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1]!;
    const next = sorted[i]!;
    if (next.addr < previous.addr + previous.memSize) {
      throw new LoadError(
        file,
        `segments ${hex32(previous.addr)}-${hex32(previous.addr + previous.memSize)} and ` +
          `${hex32(next.addr)}-${hex32(next.addr + next.memSize)} overlap`,
      );
    }
  }
}

/** Splits an entry address into the instruction address and the Thumb bit, and checks it is loaded memory. */
export function resolveEntry(
  file: string,
  rawEntry: number,
  segments: Segment[],
): Pick<LoadedImage, 'entry' | 'thumb'> {
  const thumb = (rawEntry & 1) === 1;
  const entry = thumb ? rawEntry - 1 : rawEntry;
  // The CPU cannot start at a misaligned PC: ARM instructions are 4-byte aligned (a Thumb entry, bit 0
  // cleared, is always on the 2-byte boundary Thumb needs).
  if (!thumb && entry % 4 !== 0) {
    throw new LoadError(file, `entry point ${hex32(rawEntry)} is not 4-byte aligned (ARM code needs 4; set bit 0 for Thumb)`);
  }
  if (!segments.some((s) => entry >= s.addr && entry < s.addr + s.memSize)) {
    throw new LoadError(file, `entry point ${hex32(entry)} is not inside any loaded segment`);
  }
  return { entry, thumb };
}

/** The alignment code at an entry address needs: 2 for a Thumb entry (bit 0 set), else 4 (ARM). */
export function codeAlignment(rawEntry: number): 2 | 4 {
  return (rawEntry & 1) === 1 ? 2 : 4;
}

/** First address after the highest loaded byte. */
export function imageEnd(segments: Segment[]): number {
  return Math.max(...segments.map((s) => s.addr + s.memSize));
}

/** Checks a user-supplied address (--load-addr, --entry) is a 32-bit unsigned integer. */
export function checkAddress(file: string, what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new LoadError(file, `${what} ${value} is not a 32-bit address`);
  }
}
