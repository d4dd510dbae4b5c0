/** Bit fields of an encoding and the register read/write lists built from them (shared by both classifiers). */
import type { Operation, OperationKind, ReadRole, RegRead, RegWrite, WriteRole } from './operation.ts';

export const SP = 13;
export const LR = 14;
export const PC = 15;

/** Bits hi..lo of `word`, as an unsigned number. */
export function bits(word: number, hi: number, lo: number): number {
  return (word >>> lo) & ((1 << (hi - lo + 1)) - 1);
}

export function bit(word: number, n: number): boolean {
  return ((word >>> n) & 1) === 1;
}

/** Registers of a 16-bit list mask, lowest first (the order LDM/STM transfer them). */
export function registerList(mask: number): number[] {
  const regs: number[] = [];
  for (let reg = 0; reg < 16; reg++) if (bit(mask, reg)) regs.push(reg);
  return regs;
}

/** A read of `reg`; none for the PC, whose value never waits on an earlier instruction. */
export function read(reg: number, role: ReadRole): RegRead[] {
  return reg === PC ? [] : [{ reg, role }];
}

/** A write of `reg`; none for the PC (a PC write is described by the operation's kind instead). */
export function write(reg: number, role: WriteRole, index = 0): RegWrite[] {
  return reg === PC ? [] : [{ reg, role, index }];
}

export interface Parts {
  conditional?: boolean;
  setsFlags?: boolean;
  reads?: RegRead[];
  writes?: RegWrite[];
}

export function operation(kind: OperationKind, parts: Parts = {}): Operation {
  return { ...kind, conditional: parts.conditional ?? false, setsFlags: parts.setsFlags ?? false, reads: parts.reads ?? [], writes: parts.writes ?? [] };
}

/** An encoding the core does not define: it traps, and the trap is charged as an exception entry. */
export function undefinedInstruction(conditional: boolean): Operation {
  return operation({ kind: 'exception' }, { conditional });
}
