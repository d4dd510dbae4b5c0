/**
 * ELF32 little-endian ARM executables, loaded the way QEMU's `-kernel` loads them (qemu/qemu
 * include/hw/elf_ops.h, load_elf): each PT_LOAD segment goes to its physical address p_paddr, p_filesz
 * bytes from the file and zeros up to p_memsz; the entry is e_entry, moved from virtual to physical when
 * it falls in an executable segment whose p_vaddr differs from its p_paddr; bit 0 of the entry selects
 * Thumb (hw/arm/boot.c).
 */
import { LoadError, hex32 } from './errors.ts';
import { checkPlacement, imageEnd, resolveEntry } from './placement.ts';
import type { LoadedImage, MemoryLayout, Segment } from './types.ts';

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const;
const ELF32_HEADER_SIZE = 52;
const ELF32_PHDR_SIZE = 32;
const ELFCLASS32 = 1;
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const ELFDATA2MSB = 2;
const ET_EXEC = 2;
const EM_ARM = 40;
const PT_LOAD = 1;
const PF_X = 1;

const OTHER_FILE_TYPES: Record<number, string> = {
  0: 'ET_NONE (no file type)',
  1: 'ET_REL (relocatable object)',
  3: 'ET_DYN (shared object or position-independent executable)',
  4: 'ET_CORE (core dump)',
};

interface ProgramHeader {
  index: number;
  type: number;
  offset: number;
  vaddr: number;
  paddr: number;
  fileSize: number;
  memSize: number;
  flags: number;
}

export function hasElfMagic(bytes: Uint8Array): boolean {
  return ELF_MAGIC.every((b, i) => bytes[i] === b);
}

export function parseElf(bytes: Uint8Array, name: string, memory: MemoryLayout): LoadedImage {
  if (bytes.length < ELF_MAGIC.length) {
    throw new LoadError(name, `not an ELF file (too short: ${bytes.length} bytes)`);
  }
  if (!hasElfMagic(bytes)) throw new LoadError(name, 'not an ELF file (bad magic)');
  if (bytes.length < ELF32_HEADER_SIZE) {
    throw new LoadError(
      name,
      `truncated file: the ELF header needs ${ELF32_HEADER_SIZE} bytes, the file has ${bytes.length}`,
    );
  }
  checkIdent(bytes, name);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const machine = view.getUint16(18, true);
  if (machine !== EM_ARM) {
    throw new LoadError(name, `not an ARM ELF (e_machine ${machine}, need ${EM_ARM} = EM_ARM)`);
  }
  const type = view.getUint16(16, true);
  if (type !== ET_EXEC) {
    const described = OTHER_FILE_TYPES[type] ?? `e_type ${type}`;
    throw new LoadError(name, `not an executable: ${described}; need ET_EXEC`);
  }

  const loadable = readProgramHeaders(view, name).filter((ph) => ph.type === PT_LOAD);
  for (const ph of loadable) checkProgramHeader(ph, bytes.length, name);
  // A PT_LOAD with p_memsz 0 places nothing, so it takes no part in the checks below.
  const placed = loadable.filter((ph) => ph.memSize > 0);
  if (placed.length === 0) {
    throw new LoadError(name, 'no loadable segment (no PT_LOAD program header with a non-zero size)');
  }
  const segments: Segment[] = placed.map((ph) => ({
    addr: ph.paddr,
    // A copy, so the image does not keep the whole file alive.
    data: Uint8Array.from(bytes.subarray(ph.offset, ph.offset + ph.fileSize)),
    memSize: ph.memSize,
  }));
  checkPlacement(name, segments, memory, 'segment');
  const entry = physicalEntry(view.getUint32(24, true), placed);
  return { kind: 'elf', segments, ...resolveEntry(name, entry, segments), end: imageEnd(segments) };
}

function checkIdent(bytes: Uint8Array, name: string): void {
  const elfClass = bytes[4];
  if (elfClass === ELFCLASS64) {
    throw new LoadError(name, '64-bit ELF (ELFCLASS64); need a 32-bit ARM executable (ELFCLASS32)');
  }
  if (elfClass !== ELFCLASS32) throw new LoadError(name, `invalid ELF class ${elfClass}`);
  const encoding = bytes[5];
  if (encoding === ELFDATA2MSB) {
    throw new LoadError(name, 'big-endian ELF (ELFDATA2MSB); need little-endian (ELFDATA2LSB)');
  }
  if (encoding !== ELFDATA2LSB) throw new LoadError(name, `invalid ELF data encoding ${encoding}`);
}

function readProgramHeaders(view: DataView, name: string): ProgramHeader[] {
  const tableOffset = view.getUint32(28, true);
  const entrySize = view.getUint16(42, true);
  const count = view.getUint16(44, true);
  if (count === 0) return [];
  if (entrySize !== ELF32_PHDR_SIZE) {
    throw new LoadError(name, `program header entry size ${entrySize}, need ${ELF32_PHDR_SIZE} for ELF32`);
  }
  const tableEnd = tableOffset + count * ELF32_PHDR_SIZE;
  if (tableEnd > view.byteLength) {
    throw new LoadError(
      name,
      `truncated file: the program header table ends at offset ${hex32(tableEnd)}, ` +
        `the file has ${hex32(view.byteLength)} bytes`,
    );
  }
  return Array.from({ length: count }, (_, index) => {
    const at = tableOffset + index * ELF32_PHDR_SIZE;
    return {
      index,
      type: view.getUint32(at, true),
      offset: view.getUint32(at + 4, true),
      vaddr: view.getUint32(at + 8, true),
      paddr: view.getUint32(at + 12, true),
      fileSize: view.getUint32(at + 16, true),
      memSize: view.getUint32(at + 20, true),
      flags: view.getUint32(at + 24, true),
    };
  });
}

function checkProgramHeader(ph: ProgramHeader, fileLength: number, name: string): void {
  if (ph.fileSize > ph.memSize) {
    throw new LoadError(
      name,
      `program header ${ph.index}: file size ${hex32(ph.fileSize)} exceeds memory size ${hex32(ph.memSize)}`,
    );
  }
  const dataEnd = ph.offset + ph.fileSize;
  if (ph.fileSize > 0 && dataEnd > fileLength) {
    throw new LoadError(
      name,
      `truncated file: program header ${ph.index} data ends at offset ${hex32(dataEnd)}, ` +
        `the file has ${hex32(fileLength)} bytes`,
    );
  }
}

/** e_entry is virtual; like QEMU, move it to the physical address of the executable segment holding it. */
function physicalEntry(entry: number, loadable: ProgramHeader[]): number {
  let physical = entry;
  for (const ph of loadable) {
    if (
      ph.vaddr !== ph.paddr &&
      (ph.flags & PF_X) !== 0 &&
      entry >= ph.vaddr &&
      entry < ph.vaddr + ph.fileSize
    ) {
      physical = entry - ph.vaddr + ph.paddr;
    }
  }
  return physical;
}
