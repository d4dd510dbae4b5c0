export interface MmioWindow {
  name: string;
  base: number;
  size: number;
}

/** The physical address space an image may load into: one RAM bank and the device windows it must avoid. */
export interface MemoryLayout {
  ramBase: number;
  ramSize: number;
  mmio: MmioWindow[];
}

/**
 * Bytes to place at a physical address. `memSize` >= `data.length`; the loader of the image must zero
 * [addr + data.length, addr + memSize) itself (the ELF .bss), since `data` holds only the file bytes.
 */
export interface Segment {
  addr: number;
  data: Uint8Array;
  memSize: number;
}

export interface LoadedImage {
  kind: 'elf' | 'raw';
  segments: Segment[];
  /** Address of the first instruction, bit 0 already cleared. */
  entry: number;
  /** The entry is Thumb code (bit 0 of the ELF entry or of the requested entry was set). */
  thumb: boolean;
  /** First address after the highest loaded byte: where a semihosting SYS_HEAPINFO heap may start. */
  end: number;
  /** SHA-256 (hex) of the whole file, when the image came from a file. */
  sha256?: string;
}

export interface LoadOptions {
  /** Where a raw image goes. Required for raw images, refused for ELF files (they carry their addresses). */
  loadAddr?: number;
  /** Overrides the entry point; bit 0 selects Thumb. Defaults to the ELF entry or the raw load address. */
  entry?: number;
}
