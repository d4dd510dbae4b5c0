/**
 * The in-order issue model both cores share. It walks a block's operations and keeps a scoreboard of the
 * cycle at which each register's pending result becomes readable. Each instruction starts when the
 * registers it reads are ready for the stage that reads them (CoreRules.readLead). Its cost is the stall
 * plus its issue cycles.
 *
 * Only dependencies inside the block are seen. Every block starts with all results ready (docs/timing.md).
 * Time is counted from the block's first issue cycle. A latency L means that an instruction starting L
 * cycles after the producer started reads the value without a stall (TIMING.md §2.1, 1176 Table 16-2 note).
 */
import type { DecodedBlock } from '../cpu/decode.ts';
import type { BlockTiming } from './block-cost.ts';
import { classify } from './classify.ts';
import { changesFlow, type Operation, type ReadRole } from './operation.ts';

/** What produced a value. Forwarding can depend on it (the ARM926 cannot forward a load to its C port). */
export type Source = 'alu' | 'load' | 'multiply' | 'writeback';

export interface Result {
  latency: number;
  source: Source;
}

export interface Issue {
  /** Issue cycles when the instruction executes. A flow change gets its fall-through cost from Transfer. */
  cycles: number;
  /** One entry per `op.writes` entry, in the same order. */
  results: Result[];
  /** Cycles the load/store unit stays busy from the first issue cycle (ARM11). 0 where this is not modelled. */
  memoryCycles: number;
  /** Registers a store keeps write-locked until they are read, in cycles from the first issue cycle (ARM11 STM/STRD). */
  locks: { reg: number; cycles: number }[];
}

/** Costs of an instruction that changes the flow. */
export interface Transfer {
  /** Cycles when it falls through (its condition fails, or the branch is not taken). */
  notTaken: number;
  /** Cycles when it branches and the block clock has no return-stack outcome to apply. */
  taken: number;
  /** Pushes the return stack. */
  call: boolean;
  /** Pops the return stack: cycles on top of `notTaken` by prediction outcome, applied instead of taken - notTaken. */
  ret?: { correct: number; wrong: number; empty: number };
}

/** What makes one core differ from another: its cost tables and forwarding rules. */
export interface CoreRules {
  readonly name: string;
  /** Cycles an exception entry costs on top of the instructions (TimingModel.exceptionEntry). */
  readonly exceptionEntry: number;
  issue(op: Operation): Issue;
  /** Cycles added to a producer's latency when `op` reads the value in `role`: +1 for an Early Reg, -1 for a Late Reg. */
  readLead(role: ReadRole, source: Source, op: Operation): number;
  /** `op` cannot start while a register it overwrites still has a result pending (ARM11 LDM). */
  waitsForPendingWrites(op: Operation): boolean;
  /** `flagDistance`: cycles from the end of the block's last flag-setting instruction to this one's start. Undefined when the flags were set before the block. */
  transfer(op: Operation, issue: Issue, flagDistance: number | undefined): Transfer;
}

interface Pending {
  ready: number;
  source: Source;
}

const REGISTERS = 16;

export function timeBlock(rules: CoreRules, block: DecodedBlock): BlockTiming {
  const pending: (Pending | undefined)[] = new Array(REGISTERS).fill(undefined);
  const lockedUntil: number[] = new Array(REGISTERS).fill(0);
  const costs: number[] = [];
  let now = 0;
  let memoryFreeAt = 0;
  let flagsSetAt: number | undefined;
  let exit: Transfer | undefined;
  for (const insn of block.insns) {
    const op = classify(insn, block.thumb);
    const issue = rules.issue(op);
    let start = now;
    for (const { reg, role } of op.reads) {
      const producer = pending[reg];
      if (producer !== undefined) start = Math.max(start, producer.ready + rules.readLead(role, producer.source, op));
    }
    for (const { reg } of op.writes) {
      start = Math.max(start, lockedUntil[reg]);
      const producer = pending[reg];
      if (producer !== undefined && rules.waitsForPendingWrites(op)) start = Math.max(start, producer.ready);
    }
    if (issue.memoryCycles > 0) {
      start = Math.max(start, memoryFreeAt);
      memoryFreeAt = start + issue.memoryCycles;
    }
    exit = changesFlow(op) ? rules.transfer(op, issue, flagsSetAt === undefined ? undefined : start - flagsSetAt) : undefined;
    const cycles = exit?.notTaken ?? issue.cycles;
    op.writes.forEach(({ reg }, i) => {
      pending[reg] = { ready: start + issue.results[i].latency, source: issue.results[i].source };
    });
    for (const { reg, cycles: locked } of issue.locks) lockedUntil[reg] = start + locked;
    if (op.setsFlags) flagsSetAt = start + cycles;
    costs.push(start - now + cycles);
    now = start + cycles;
  }
  const timing: BlockTiming = { costs, takenDelta: exit === undefined ? 0 : exit.taken - exit.notTaken, call: exit?.call ?? false };
  if (exit?.ret !== undefined) timing.ret = exit.ret;
  return timing;
}
