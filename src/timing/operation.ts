/**
 * What the timing models need to know about one instruction, and nothing more: its class, the registers it
 * reads (each with the role that decides when the pipeline needs it) and writes, whether it sets the flags,
 * and whether it changes the flow. classify.ts produces one for every ARM or Thumb encoding; a Thumb
 * instruction is described as its ARM equivalent.
 */

/** When an instruction needs a source register. The cores map roles to Early/normal/Late (TIMING.md §2.1). */
export type ReadRole =
  /** An ALU operand read at the start of the ALU stage (also an unshifted Rm, BX/MSR/MCR sources). */
  | 'operand'
  /** Rm shifted or rotated by an immediate. */
  | 'shifted'
  /** Rs of a register-specified shift. */
  | 'shiftAmount'
  /** Rn of a data operation with a register-specified shift: read in its second cycle. */
  | 'lateOperand'
  | 'base'
  | 'offset'
  /** The value STR, STRD, SWP or STREX writes to memory. */
  | 'storeData'
  /** A register of an STM list. */
  | 'storeList'
  /** Rm or Rs of a multiply. */
  | 'multiplier'
  /** 32-bit accumulator: MLA Rn, SMLAxy Rn, SMLAD Ra, SMMLA Ra. */
  | 'accumulate'
  /** Halves of a 64-bit accumulator: SMLAL, UMLAL, UMAAL, SMLALxy, SMLALD. */
  | 'accumulateLo'
  | 'accumulateHi';

export type WriteRole = 'result' | 'resultHi' | 'loaded' | 'writeback';

export interface RegRead {
  reg: number;
  role: ReadRole;
}

export interface RegWrite {
  reg: number;
  role: WriteRole;
  /** Position among the registers one instruction loads (LDM list order, LDRD pair); 0 otherwise. */
  index: number;
}

export interface Addressing {
  offset: 'imm' | 'reg';
  /** The register offset is subtracted (U bit clear). */
  negative: boolean;
  /** Shift applied to a register offset: none, LSL #2 (free on ARM11), or any other. */
  shift: 'none' | 'lsl2' | 'other';
}

export type Width = 'word' | 'byte' | 'half' | 'double';

/**
 * Multiply classes, grouped as the ARM11 table groups them (1176 Table 16-10):
 * mul = MUL/MLA; long = SMULL/UMULL/SMLAL/UMLAL; umaal; halfword = SMULxy/SMLAxy/SMULWy/SMLAWy and the
 * dual 16-bit SMUAD/SMUSD/SMLAD/SMLSD; halfwordLong = SMLALxy/SMLALD/SMLSLD; mostSignificant = SMMUL/SMMLA/SMMLS.
 */
export type MultiplyForm = 'mul' | 'long' | 'umaal' | 'halfword' | 'halfwordLong' | 'mostSignificant';

export type OperationKind =
  | {
      kind: 'dataProcessing';
      operand: 'imm' | 'reg' | 'immShift' | 'regShift';
      /** ADD/SUB/RSB/ADC/SBC: the ARM9EJ-S writes an arithmetic result to the PC faster than a logical one. */
      arithmetic: boolean;
      writesPc: boolean;
      /** MOV pc, lr: pops the ARM11 return stack. */
      returns: boolean;
    }
  | { kind: 'countLeadingZeros' }
  /** QADD, QSUB, QDADD, QDSUB. */
  | { kind: 'saturating' }
  /** ARMv6 media instructions: SIMD add/subtract, pack, extend, reverse, select, SSAT/USAT, USAD8. */
  | { kind: 'media' }
  | { kind: 'multiply'; form: MultiplyForm }
  | { kind: 'load'; width: Width; addressing: Addressing; exclusive: boolean; writesPc: boolean; returns: boolean }
  | { kind: 'store'; width: Width; addressing: Addressing; exclusive: boolean }
  | { kind: 'preload'; addressing: Addressing }
  /** `count` includes the PC when it is in the list. */
  | { kind: 'loadMultiple'; count: number; writesPc: boolean; returns: boolean }
  | { kind: 'storeMultiple'; count: number }
  | { kind: 'swap'; width: 'word' | 'byte' }
  /** B, BL, BLX with an immediate offset. `thumbPair`: a Thumb BL/BLX prefix and suffix costed as one. */
  | { kind: 'branch'; link: boolean; backward: boolean; thumbPair: boolean }
  /** BX, BXJ, BLX with a register target. */
  | { kind: 'branchExchange'; link: boolean; returns: boolean }
  | { kind: 'statusRead' }
  /** MSR or CPS. `control`: changes the CPSR mode or interrupt masks (serialising). */
  | { kind: 'statusWrite'; control: boolean }
  | { kind: 'coprocessor'; transfer: 'toCoprocessor' | 'fromCoprocessor' | 'data' | 'memory' }
  /** SWI, BKPT, SMC and undefined encodings: the exception entry is charged by the caller. */
  | { kind: 'exception' }
  /** NOP-like: NOP, YIELD, WFE, WFI, SEV, CLREX, SETEND. */
  | { kind: 'hint' };

export type Operation = OperationKind & {
  /** The condition field is not AL: the instruction may be skipped. */
  conditional: boolean;
  setsFlags: boolean;
  reads: RegRead[];
  writes: RegWrite[];
};

/** The instruction changes the flow: a branch, or a data operation or load that writes the PC. */
export function changesFlow(op: Operation): boolean {
  switch (op.kind) {
    case 'branch':
    case 'branchExchange':
      return true;
    case 'dataProcessing':
    case 'load':
    case 'loadMultiple':
      return op.writesPc;
    default:
      return false;
  }
}

/** The instruction saves a return address in LR and jumps: what the ARM11 return stack pushes. */
export function isCall(op: Operation): boolean {
  return (op.kind === 'branch' || op.kind === 'branchExchange') && op.link;
}

/** A return the ARM11 return stack pops: BX lr, MOV pc,lr, LDR pc,[sp],#imm, LDMIA sp!,{..,pc}. */
export function isReturn(op: Operation): boolean {
  return 'returns' in op && op.returns;
}
