/**
 * For the benchmark: a copy of an ELF32 little-endian image with the 32-bit word at a symbol replaced
 * (e.g. cpu-bound.elf's `cpu_bound_passes`, to shorten the run). The symbol comes from `.symtab`, its
 * address is mapped to a file offset through the PT_LOAD program headers.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const SHT_SYMTAB = 2;
const PT_LOAD = 1;

function cstring(bytes: Uint8Array, at: number): string {
  let end = at;
  while (end < bytes.length && bytes[end] !== 0) end++;
  return Buffer.from(bytes.subarray(at, end)).toString('latin1');
}

/** File offset of the byte at `address` (virtual) in the image's loaded file contents. */
export function symbolFileOffset(bytes: Uint8Array, symbol: string): number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, false) !== 0x7f454c46 || bytes[4] !== 1 || bytes[5] !== 1) throw new Error('not an ELF32 little-endian file');
  const shoff = v.getUint32(32, true);
  const shentsize = v.getUint16(46, true);
  const shnum = v.getUint16(48, true);
  let address: number | undefined;
  for (let s = 0; s < shnum && address === undefined; s++) {
    const sh = shoff + s * shentsize;
    if (v.getUint32(sh + 4, true) !== SHT_SYMTAB) continue;
    const offset = v.getUint32(sh + 16, true);
    const size = v.getUint32(sh + 20, true);
    const entsize = v.getUint32(sh + 36, true) || 16;
    const strtab = shoff + v.getUint32(sh + 24, true) * shentsize; // sh_link: the string table's section
    const strOffset = v.getUint32(strtab + 16, true);
    for (let e = offset; e + entsize <= offset + size; e += entsize) {
      if (cstring(bytes, strOffset + v.getUint32(e, true)) === symbol) {
        address = v.getUint32(e + 4, true);
        break;
      }
    }
  }
  if (address === undefined) throw new Error(`no symbol ${symbol}`);
  const phoff = v.getUint32(28, true);
  const phentsize = v.getUint16(42, true);
  const phnum = v.getUint16(44, true);
  for (let p = 0; p < phnum; p++) {
    const ph = phoff + p * phentsize;
    if (v.getUint32(ph, true) !== PT_LOAD) continue;
    const offset = v.getUint32(ph + 4, true);
    const vaddr = v.getUint32(ph + 8, true);
    const fileSize = v.getUint32(ph + 16, true);
    if (address >= vaddr && address + 4 <= vaddr + fileSize) return offset + (address - vaddr);
  }
  throw new Error(`symbol ${symbol} (0x${address.toString(16)}) is not in a loaded segment's file contents`);
}

/** Writes `dest`: `source` with the 32-bit little-endian word at `symbol` set to `value`. */
export function patchedCopy(source: string, dest: string, symbol: string, value: number): void {
  const bytes = new Uint8Array(readFileSync(source));
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(symbolFileOffset(bytes, symbol), value, true);
  writeFileSync(dest, bytes);
}
