/**
 * ARM architecture facts (ARM ARM, DDI 0100I, A2): processor modes, CPSR bits, exception vectors and the
 * register changes of exception entry. Pure data and functions: the Cpu applies them.
 */

export const Mode = {
  USR: 0x10,
  FIQ: 0x11,
  IRQ: 0x12,
  SVC: 0x13,
  ABT: 0x17,
  UND: 0x1b,
  SYS: 0x1f,
} as const;

export const CPSR = {
  N: 1 << 31,
  Z: 1 << 30,
  C: 1 << 29,
  V: 1 << 28,
  J: 1 << 24,
  E: 1 << 9,
  A: 1 << 8,
  I: 1 << 7,
  F: 1 << 6,
  T: 1 << 5,
  MODE_MASK: 0x1f,
} as const;

/** SCTLR (CP15 c1) bits we act on. */
export const SCTLR = { M: 1 << 0, A: 1 << 1, V: 1 << 13, EE: 1 << 25 } as const;

export type ExceptionKind = 'undefined' | 'swi' | 'prefetchAbort' | 'dataAbort' | 'irq' | 'fiq';

interface ExceptionInfo {
  vector: number;
  mode: number;
  maskFiq: boolean;
  /** ARMv6 sets CPSR.A on entry (imprecise aborts masked). */
  maskAbortV6: boolean;
}

export const EXCEPTIONS: Record<ExceptionKind, ExceptionInfo> = {
  undefined: { vector: 0x04, mode: Mode.UND, maskFiq: false, maskAbortV6: false },
  swi: { vector: 0x08, mode: Mode.SVC, maskFiq: false, maskAbortV6: false },
  prefetchAbort: { vector: 0x0c, mode: Mode.ABT, maskFiq: false, maskAbortV6: true },
  dataAbort: { vector: 0x10, mode: Mode.ABT, maskFiq: false, maskAbortV6: true },
  irq: { vector: 0x18, mode: Mode.IRQ, maskFiq: false, maskAbortV6: true },
  fiq: { vector: 0x1c, mode: Mode.FIQ, maskFiq: true, maskAbortV6: true },
};

export interface EntryState {
  cpsr: number;
  spsr: number;
  lr: number;
  pc: number;
}

/**
 * Register values after taking `kind`. `preferredReturn` is the architecture's base for LR: the address of
 * the next instruction for SWI and undefined, the faulting instruction for aborts, the next instruction to
 * execute for IRQ/FIQ. LR offsets follow the ARM ARM table "exception entry": SWI/UND +0 from the next
 * instruction, prefetch abort +4 and data abort +8 from the faulting one, IRQ/FIQ +4 from the next one.
 */
export function exceptionEntry(
  kind: ExceptionKind,
  cpsr: number,
  preferredReturn: number,
  sctlr: number,
  armv6: boolean,
): EntryState {
  const info = EXCEPTIONS[kind];
  const lrOffset = { undefined: 0, swi: 0, prefetchAbort: 4, dataAbort: 8, irq: 4, fiq: 4 }[kind];
  let next = (cpsr & ~(CPSR.MODE_MASK | CPSR.T | CPSR.J)) | info.mode | CPSR.I;
  if (info.maskFiq) next |= CPSR.F;
  if (armv6) {
    if (info.maskAbortV6) next |= CPSR.A;
    next = sctlr & SCTLR.EE ? next | CPSR.E : next & ~CPSR.E;
  }
  const base = sctlr & SCTLR.V ? 0xffff0000 : 0;
  return { cpsr: next >>> 0, spsr: cpsr >>> 0, lr: (preferredReturn + lrOffset) >>> 0, pc: (base + info.vector) >>> 0 };
}

/** Unicorn/QEMU exception numbers (target/arm/cpu.h EXCP_*) as seen by the INTR hook. */
export const EXCP = {
  UDEF: 1,
  SWI: 2,
  PREFETCH_ABORT: 3,
  DATA_ABORT: 4,
  IRQ: 5,
  FIQ: 6,
  BKPT: 7,
} as const;
