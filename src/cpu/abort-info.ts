/**
 * Fault status and fault address values for the aborts handset enters itself. Unicorn 2.0.1 hands data and
 * prefetch aborts to the INTR hook without running QEMU's exception entry, so CP15 DFSR/FAR/IFSR/IFAR are
 * never written; these pure functions recompute them the way QEMU (tlb_helper.c arm_deliver_fault,
 * internals.h arm_fi_to_sfsc) does, with the page-table walk and permission checks of ./mmu.ts (every
 * short-descriptor format, TTBR0/TTBR1/TTBCR, domains, AP/APX, XN, FCSE).
 *
 *   dataAbort(insn, reg, privileged, mmu, readWord) -> { far, fsr, write }: write DFSR (c5,c0,0) and FAR (c6,c0,0).
 *   prefetchFault(va, privileged, mmu, readWord) -> { fsr }: write IFSR (c5,c0,1) and, on ARMv6 only,
 *     IFAR (c6,c0,2) = va. ARMv5 has no IFAR, and its FAR is left alone.
 *   BKPT_ABORT: the IFSR/IFAR values QEMU writes for a BKPT prefetch abort.
 *   dataAccesses / dataAbortAddress / translationFault: the parts that dataAbort is built from.
 *
 * FSR layout (ARM ARM B4.6): bits[3:0] status, bits[7:4] domain, bit 11 WnR. Alignment and debug faults have
 * domain 0; WnR is set only for data stores on ARMv6 (ARMv5 has no WnR), alignment faults included. The MMU
 * fault rules (domain field, check order) are described in ./mmu.ts.
 */
import { FSR, isFault, translate, type MmuFault, type MmuState, type ReadWord } from './mmu.ts';

export { FSR };
export type { MmuState, ReadWord };

export interface AbortInsn {
  encoding: number;
  thumb: boolean;
  size: 2 | 4;
}

/**
 * Reads a register of the faulting context: r0-r15, where `reg(15)` is the address of the faulting
 * instruction itself, and `reg(16)` = CPSR, read only for an RRX offset (its carry flag).
 */
export type RegRead = (n: number) => number;

export interface DataAccess {
  address: number;
  size: 1 | 2 | 4 | 8;
  write: boolean;
  /** LDRT/STRT: checked with user permissions from a privileged mode. */
  user: boolean;
  /** Exclusive accesses take an alignment fault whatever SCTLR.A says. */
  exclusive: boolean;
}

const SCTLR_A = 1 << 1;

/** QEMU's BKPT (helper exception_bkpt_insn): IFSR = debug event, IFAR = 0 (architecturally UNKNOWN). */
export const BKPT_ABORT = { fsr: FSR.DEBUG, far: 0 } as const;

/** QEMU's target page on ARMv5/ARMv6: an unaligned access crossing one is looked up page by page. */
const TARGET_PAGE_SIZE = 1024;

/**
 * The memory accesses of `insn` in the order the CPU makes them (LDM/STM/PUSH/POP ascending from the lowest
 * address), or undefined if it makes none. SWP/SWPB is one write: QEMU does it as an atomic exchange, which
 * looks the page up for writing first.
 */
export function dataAccesses(insn: AbortInsn, reg: RegRead): DataAccess[] | undefined {
  if (!insn.thumb) return armAccesses(insn.encoding >>> 0, reg);
  return insn.size === 2 ? thumbAccesses(insn.encoding & 0xffff, reg) : undefined;
}

/** The address of the first access `insn` makes: FAR when that access faults. */
export function dataAbortAddress(insn: AbortInsn, reg: RegRead): number | undefined {
  return dataAccesses(insn, reg)?.[0]?.address;
}

/**
 * DFSR and FAR for a data abort taken on `insn`: the first of its accesses that faults, alignment before
 * translation. Undefined if no access would fault.
 */
export function dataAbort(
  insn: AbortInsn,
  reg: RegRead,
  privileged: boolean,
  mmu: MmuState,
  readWord: ReadWord,
): { far: number; fsr: number; write: boolean } | undefined {
  for (const access of dataAccesses(insn, reg) ?? []) {
    const { address, size, write } = access;
    if (address & (size - 1) && (access.exclusive || mmu.sctlr & SCTLR_A)) {
      return { far: address, fsr: withWnR(FSR.ALIGNMENT, write, mmu), write };
    }
    const last = (address + size - 1) >>> 0;
    const pages = [address];
    if ((last ^ address) & ~(TARGET_PAGE_SIZE - 1)) pages.push((last & ~(TARGET_PAGE_SIZE - 1)) >>> 0);
    for (const va of pages) {
      const fault = translationFault(va, write, privileged && !access.user, mmu, readWord);
      if (fault) return { far: va, fsr: fault.fsr, write };
    }
  }
  return undefined;
}

/** The DFSR value (with FAR = `va`) for a data access at `va` that faults in the MMU, or undefined if it would not. */
export function translationFault(
  va: number,
  isWrite: boolean,
  privileged: boolean,
  mmu: MmuState,
  readWord: ReadWord,
): MmuFault | undefined {
  const result = translate(mmu, va, readWord, { access: isWrite ? 'write' : 'read', privileged });
  return isFault(result) ? result : undefined;
}

/** The IFSR value for an instruction fetch at `va` that faults in the MMU, or undefined if it would not. */
export function prefetchFault(va: number, privileged: boolean, mmu: MmuState, readWord: ReadWord): MmuFault | undefined {
  const result = translate(mmu, va, readWord, { access: 'execute', privileged });
  return isFault(result) ? result : undefined;
}

function withWnR(fsr: number, write: boolean, mmu: MmuState): number {
  return write && mmu.armv6 ? fsr | FSR.WNR : fsr;
}

function access(address: number, size: DataAccess['size'], write: boolean, extra?: Partial<DataAccess>): DataAccess {
  return { address: address >>> 0, size, write, user: false, exclusive: false, ...extra };
}

/** `count` word accesses ascending from `start`. */
function words(start: number, count: number, write: boolean): DataAccess[] | undefined {
  if (count === 0) return undefined; // an empty register list is UNPREDICTABLE
  return Array.from({ length: count }, (_, i) => access(start + 4 * i, 4, write));
}

function popcount(n: number): number {
  let count = 0;
  for (let v = n; v; v &= v - 1) count++;
  return count;
}

/** Start address of an LDM/STM-style block of `count` words (P = before, U = up). */
function blockStart(base: number, count: number, p: number, u: number): number {
  if (u) return p ? base + 4 : base;
  return p ? base - 4 * count : base - 4 * count + 4;
}

function armAccesses(e: number, reg: RegRead): DataAccess[] | undefined {
  const r = (n: number) => (n === 15 ? reg(15) + 8 : reg(n)) >>> 0;
  const bit = (n: number) => (e >>> n) & 1;
  const [p, u, w, l] = [bit(24), bit(23), bit(21), bit(20)];
  const base = r((e >>> 16) & 0xf);
  // Pre-indexed accesses use base ± offset; post-indexed ones use the base and write the sum back.
  const indexed = (offset: number) => (p ? (u ? base + offset : base - offset) >>> 0 : base);

  if (e >>> 28 === 0xf) {
    if (e >>> 25 === 0b1111110) return coprocessor(e, indexed); // LDC2/STC2
    if ((e & 0xfe50ffff) >>> 0 === 0xf8100a00) return words(blockStart(base, 2, p, u), 2, false); // RFE
    return undefined;
  }
  switch ((e >>> 25) & 7) {
    case 0b000: {
      if ((e & 0x90) !== 0x90) return undefined;
      const sh = (e >>> 5) & 3;
      if (sh === 0) {
        if ((e & 0x0fb00ff0) === 0x01000090) return [access(base, bit(22) ? 1 : 4, true)]; // SWP/SWPB
        if ((e & 0x0f800ff0) === 0x01800f90) {
          // LDREX/STREX and the ARMv6K B/H/D forms, by bits[22:21]
          const size = ([4, 8, 1, 2] as const)[(e >>> 21) & 3];
          return [access(base, size, !l, { exclusive: true })];
        }
        return undefined; // multiplies
      }
      const address = indexed(bit(22) ? ((e >>> 4) & 0xf0) | (e & 0xf) : r(e & 0xf));
      if (l) return [access(address, sh === 2 ? 1 : 2, false)]; // LDRH, LDRSB, LDRSH
      if (sh === 1) return [access(address, 2, true)]; // STRH
      return [access(address, 4, sh === 3), access(address + 4, 4, sh === 3)]; // LDRD, STRD
    }
    case 0b010:
    case 0b011: {
      const byRegister = bit(25);
      if (byRegister && bit(4)) return undefined; // media instructions
      const offset = byRegister ? shifted(r(e & 0xf), (e >>> 5) & 3, (e >>> 7) & 0x1f, reg) : e & 0xfff;
      return [access(indexed(offset), bit(22) ? 1 : 4, !l, { user: !p && w === 1 })];
    }
    case 0b100: {
      const count = popcount(e & 0xffff);
      return words(blockStart(base, count, p, u), count, !l);
    }
    case 0b110:
      return coprocessor(e, indexed);
    default:
      return undefined;
  }
}

/** LDC/STC: the first word, at Rn ± imm8 * 4; P = U = W = 0 is MCRR/MRRC instead. */
function coprocessor(e: number, indexed: (offset: number) => number): DataAccess[] | undefined {
  if ((e & 0x01a00000) === 0) return undefined;
  return [access(indexed((e & 0xff) * 4), 4, !((e >>> 20) & 1))];
}

/** The scaled register offset: shift type LSL/LSR/ASR/ROR, where an amount of 0 means LSR/ASR #32 and RRX. */
function shifted(rm: number, type: number, amount: number, reg: RegRead): number {
  switch (type) {
    case 0:
      return (rm << amount) >>> 0;
    case 1:
      return amount ? rm >>> amount : 0;
    case 2:
      return (rm >> (amount || 31)) >>> 0;
    default:
      if (amount === 0) return (((reg(16) >>> 29) & 1) << 31 | (rm >>> 1)) >>> 0;
      return ((rm >>> amount) | (rm << (32 - amount))) >>> 0;
  }
}

function thumbAccesses(e: number, reg: RegRead): DataAccess[] | undefined {
  const rn = reg((e >>> 3) & 7) >>> 0;
  const imm5 = (e >>> 6) & 0x1f;
  const load = (e >>> 11) & 1;
  if (e >>> 11 === 0b01001) return [access(((reg(15) + 4) & ~3) + (e & 0xff) * 4, 4, false)]; // LDR literal
  if (e >>> 12 === 0b0101) {
    // STR, STRH, STRB, LDRSB, LDR, LDRH, LDRB, LDRSH [Rn, Rm]
    const op = (e >>> 9) & 7;
    return [access(rn + reg((e >>> 6) & 7), ([4, 2, 1, 1, 4, 2, 1, 2] as const)[op], op < 3)];
  }
  if (e >>> 13 === 0b011) {
    const byte = (e >>> 12) & 1;
    return [access(rn + (byte ? imm5 : imm5 * 4), byte ? 1 : 4, !load)]; // LDR/STR/LDRB/STRB [Rn, #imm]
  }
  if (e >>> 12 === 0b1000) return [access(rn + imm5 * 2, 2, !load)]; // LDRH/STRH [Rn, #imm]
  if (e >>> 12 === 0b1001) return [access(reg(13) + (e & 0xff) * 4, 4, !load)]; // LDR/STR [SP, #imm]
  if ((e & 0xf600) === 0xb400) {
    // PUSH stores below SP, POP loads from SP; bit 8 adds LR (PUSH) or PC (POP)
    const count = popcount(e & 0x1ff);
    const sp = reg(13) >>> 0;
    return words(load ? sp : sp - 4 * count, count, !load);
  }
  if (e >>> 12 === 0b1100) return words(reg((e >>> 8) & 7), popcount(e & 0xff), !load); // LDMIA/STMIA
  return undefined;
}
