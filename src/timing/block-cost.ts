/**
 * The `cycle` timing mode's cost model (ARCHITECTURE §5, docs/timing.md). It gives per-instruction cycle
 * costs for a translated block, computed once per block (the caller caches them), and the block's exit
 * costs, which the block clock applies once it knows where the next block starts.
 */
import type { DecodedBlock } from '../cpu/decode.ts';
import type { CpuModelName } from '../cpu/models.ts';
import { ARM926 } from './arm926.ts';
import { ARM11 } from './arm11.ts';
import { timeBlock, type CoreRules } from './pipeline.ts';

export interface BlockTiming {
  /**
   * Cycles of each instruction of the block (same length as block.insns), with in-block interlocks. The
   * last instruction is costed as if it falls through to address+size: a conditional branch whose condition
   * fails, and for an unconditional flow change its fall-through cost too.
   */
  costs: number[];
  /**
   * Cycles added when the last instruction changes the flow and the next block does not start at the
   * fall-through address. May be negative: the ARM11 predicts a backward conditional branch taken, so
   * taking it costs less than the mispredicted fall-through. 0 if the block does not end in a flow change.
   * For a return it is the cost with an empty return stack.
   */
  takenDelta: number;
  /** The last instruction is a call that pushes the return stack (ARM11: BL, BLX imm, BLX reg, Thumb BL/BLX). */
  call: boolean;
  /**
   * The last instruction is a return that pops the return stack (ARM11: BX lr, MOV pc,lr, LDR pc,[sp],#imm,
   * LDMIA sp!,{..,pc}). The block clock adds these instead of takenDelta, by prediction outcome. A
   * conditional return pops but is not predicted, so all three are its taken cost. Undefined otherwise,
   * and always undefined on the ARM926, which has no prediction.
   */
  ret?: { correct: number; wrong: number; empty: number };
}

export interface TimingModel {
  /** 'arm926' or 'arm11' (ARM1136JF-S and ARM1176JZF-S share one model, TIMING.md §2). */
  readonly name: string;
  block(block: DecodedBlock): BlockTiming;
  /** Cycles an exception entry (SWI, undefined, abort, IRQ) costs on top of the instructions. */
  readonly exceptionEntry: number;
}

/** The ARM1136JF-S and ARM1176JZF-S timing chapters are the same text (TIMING.md §2): one model for both. */
const CORES: Record<CpuModelName, CoreRules> = {
  arm926: ARM926,
  arm1136: ARM11,
  arm1176: ARM11,
};

export function timingModel(cpu: CpuModelName): TimingModel {
  const rules = CORES[cpu];
  return { name: rules.name, exceptionEntry: rules.exceptionEntry, block: (block) => timeBlock(rules, block) };
}
