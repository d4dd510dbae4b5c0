/**
 * Splits a translated block into instructions the way QEMU's ARM translator does: 4-byte ARM
 * instructions; 2-byte Thumb instructions except a BL/BLX prefix whose suffix is on the same 1 KiB
 * page (ARMv5/v6 translate with 1 KiB target pages), which QEMU translates as one 32-bit instruction.
 */
export interface Insn {
  address: number;
  size: 2 | 4;
  encoding: number;
}

export interface DecodedBlock {
  address: number;
  size: number;
  thumb: boolean;
  insns: Insn[];
}

const TARGET_PAGE_SIZE = 1024;

export function decodeBlock(address: number, size: number, thumb: boolean, bytes: Uint8Array): DecodedBlock {
  const insns: Insn[] = [];
  let off = 0;
  const half = (o: number) => bytes[o] | (bytes[o + 1] << 8);
  while (off < size) {
    const at = (address + off) >>> 0;
    if (!thumb) {
      insns.push({ address: at, size: 4, encoding: (half(off) | (half(off + 2) << 16)) >>> 0 });
      off += 4;
      continue;
    }
    const first = half(off);
    const blPrefix = first >> 11 === 0x1e && (at & (TARGET_PAGE_SIZE - 1)) < TARGET_PAGE_SIZE - 3;
    if (blPrefix && off + 4 <= size) {
      insns.push({ address: at, size: 4, encoding: ((first << 16) | half(off + 2)) >>> 0 });
      off += 4;
    } else {
      insns.push({ address: at, size: 2, encoding: first });
      off += 2;
    }
  }
  return { address, size, thumb, insns };
}
