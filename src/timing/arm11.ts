/**
 * ARM1136JF-S / ARM1176JZF-S cost tables. Both have the 8-stage ARM11 pipeline: Fe1 Fe2 De Iss, then ALU
 * (Sh ALU Sat WBex), MAC (MAC1-3 WBex) and a decoupled load/store pipe (ADD DC1 DC2 WBls). Values and tags
 * are from TIMING.md §2: [C] confirmed in the TRM text (1176 = DDI0301H chapter 16, 1136 = DDI0211, whose
 * timing chapters are the same), [E] from GCC1136 (gcc/config/arm/arm1136jfs.md), [U] a chosen value that
 * no source confirmed. TIMING.md lists no timing difference between the two cores, so they share this model.
 *
 * Latencies count from an instruction's first issue cycle, as the TRM counts them (1176 Table 16-2).
 */
import type { Addressing, MultiplyForm, Operation, ReadRole, Width } from './operation.ts';
import { isCall, isReturn } from './operation.ts';
import type { CoreRules, Issue, Result, Source, Transfer } from './pipeline.ts';

/** Issue cycles when the instruction executes. */
const CYCLES = {
  dataOperation: 1, // [C] 1176 Table 16-4 (register, immediate or immediate-shifted operand)
  dataOperationRegisterShift: 2, // [C] 1176 Table 16-4
  countLeadingZeros: 1, // [U] an ALU operation
  saturating: 1, // [U]
  media: 1, // [U] ARMv6 media instructions treated as ALU operations
  loadStore: 1, // [C] 1176 §16.10: immediate offset, or register offset added with no shift or LSL #2
  loadStoreTwoCycleAddressing: 2, // [C] a subtracted register offset or any other shift
  multipleTransfer: 1, // [C] 1176 §16.12: LDM/STM issue in 1 cycle. The load/store unit then moves 2 registers a cycle
  swap: 2, // [C] 1176 Table 16-21: 2 memory cycles
  branch: 1, // the issue cycle of a branch that falls through
  thumbBranchLinkPrefix: 1, // [U] the first half of a Thumb BL: LR = PC + offset, an ALU operation
  statusRead: 1, // [U] MRS
  statusWriteFlags: 1, // [U] MSR to the flags
  statusWriteControl: 4, // [U] MSR to the mode or interrupt masks, and CPS: serialising, roughly 4-5
  coprocessorWrite: 2, // [U] MCR/MCRR to CP15: "about 1-2"
  coprocessorRead: 1, // [U] MRC/MRRC: issues like a load
  coprocessorData: 1, // [U] CDP
  coprocessorMemory: 2, // [U] LDC/STC: the word count is not known statically
  exception: 1, // the SWI/undefined instruction itself. The rest is EXCEPTION_ENTRY
  hint: 1,
} as const;

/** SWI and exception entry cost about 8 cycles (a pipeline flush) [U]. The instruction's own cycle is in CYCLES.exception. */
const EXCEPTION_ENTRY = 7;

const LATENCY = {
  alu: 1, // [C] 1176 Table 16-3/16-4
  saturating: 2, // [U] the result comes from the Sat stage, 1 after the ALU stage
  statusRead: 2, // [U] "about 1-2"
  writeback: 1, // [C] 1176 §16.10: updated base latency 1
  coprocessorRead: 3, // [U] like a load
  exclusive: 3, // [C] 1176 Table 16-21: LDREX/STREX result latency 3, all widths
  swap: 3, // [C] 1176 Table 16-21
} as const;

/** Load result latency in the 1-cycle addressing modes. The 2-cycle modes add 1. */
const LOAD_LATENCY: Record<Width, number> = {
  word: 3, // [C] 1176 Table 16-3
  double: 3, // [C] 1176 Table 16-16, 64-bit aligned. Alignment is not known statically, so it is assumed
  byte: 4, // [E] GCC1136 "11_loadb": the byte is extracted in WBls
  half: 4, // [E] as bytes
};

/** STRD: cycles each of the two stored registers stays write-locked, 1- and 2-cycle modes [C] 1176 Table 16-16. */
const STORE_DOUBLE_LOCKS = { oneCycle: [1, 2], twoCycle: [2, 3] } as const;

interface MultiplyTiming {
  cycles: number;
  /** Of Rd or RdLo. */
  latency: number;
  /** Of RdHi, written one cycle after RdLo. */
  latencyHi?: number;
}

/**
 * Multiplies, 1176 Table 16-10 [C]. Rm and Rs are Early Regs. There is no early termination. S forms take
 * extra issue cycles, which already cover their result latency. `lateAccumulator` is the accumulator read
 * as a Late Reg. Results forward early only to the accumulate input.
 */
const MULTIPLY: Record<MultiplyForm, { plain: MultiplyTiming; flagSetting: MultiplyTiming; lateAccumulator?: ReadRole }> = {
  mul: { plain: { cycles: 2, latency: 4 }, flagSetting: { cycles: 5, latency: 5 }, lateAccumulator: 'accumulate' },
  long: { plain: { cycles: 3, latency: 4, latencyHi: 5 }, flagSetting: { cycles: 6, latency: 6 }, lateAccumulator: 'accumulateLo' },
  umaal: { plain: { cycles: 3, latency: 4, latencyHi: 5 }, flagSetting: { cycles: 3, latency: 4, latencyHi: 5 }, lateAccumulator: 'accumulateLo' },
  halfword: { plain: { cycles: 1, latency: 3 }, flagSetting: { cycles: 1, latency: 3 } },
  halfwordLong: { plain: { cycles: 2, latency: 3, latencyHi: 4 }, flagSetting: { cycles: 2, latency: 3, latencyHi: 4 }, lateAccumulator: 'accumulateHi' },
  mostSignificant: { plain: { cycles: 2, latency: 4 }, flagSetting: { cycles: 2, latency: 4 }, lateAccumulator: 'accumulate' },
};

/**
 * Branch costs, 1176 Table 16-11 [C]. There is no model of the BTAC (the dynamic predictor) or its
 * history. Unconditional immediate branches are costed as dynamically predicted but not folded. Conditional
 * ones use the static predictor: backward predicted taken, forward predicted not taken.
 */
const BRANCH = {
  dynamicallyPredicted: 1, // [C] not folded (a folded branch would be 0)
  staticCorrectNotTaken: 1, // [C]
  staticCorrectTaken: 4, // [C]
} as const;

/**
 * A mispredicted or unpredicted taken branch: MAX(MaxCycles - FlagCycleDistance, MinCycles) cycles [C]
 * 1176 Table 16-11 note a, with MaxCycles 7 and MinCycles 5 (the table's "5-7"). FlagCycleDistance is the
 * number of cycles between the end of the last flag-setting instruction and the branch (0 when adjacent).
 * It only counts for a conditional instruction, and only when the flag setter is in the same block. An
 * unconditional register branch, or flags set before the block, costs MinCycles.
 */
const MISPREDICT = { maxCycles: 7, minCycles: 5 } as const;

/** Other flow changes (not predicted). */
const UNPREDICTED = {
  loadPc: 8, // [U] LDR pc other than a return pop (taken as LDMIA rx,{..,pc}). 2-cycle addressing adds 1
  loadMultiplePc: 8, // [C] 1176 §16.12: LDM rx,{..,pc} not SP-based
} as const;

/** Returns: total cycles by return-stack outcome (1176 p.579, Table 16-11, §16.12). Conditional pops are not predicted. */
const RETURN = {
  branchExchange: { correct: 4, wrong: 7, empty: 5 }, // [C] BX lr. Conditional: the mispredict formula [C]
  move: { correct: 4, wrong: 7, empty: 5 }, // [C] 4 and 7. Empty [U]: taken from BX lr. Conditional: the mispredict formula
  load: { correct: 4, wrong: 9, empty: 9, conditional: 9 }, // [C] 4. [U] the rest, taken from LDMIA sp!
  loadMultiple: { correct: 4, wrong: 9, empty: 9, conditional: 9 }, // [C] LDMIA sp!,{..,pc}
} as const;

/** Base and offset are Early Regs unless a subtracted or shifted (other than LSL #2) register offset takes 2 cycles. */
function twoCycleAddressing(addressing: Addressing): boolean {
  return addressing.offset === 'reg' && (addressing.negative || addressing.shift === 'other');
}

function issue(cycles: number, results: Result[] = [], memoryCycles = 0, locks: Issue['locks'] = []): Issue {
  return { cycles, results, memoryCycles, locks };
}

/** Results of `op`: `latency` for each written register, and the base-update latency for a writeback. */
function resultsOf(op: Operation, latency: (index: number, hi: boolean) => number, source: Source): Result[] {
  return op.writes.map((w) => (w.role === 'writeback' ? { latency: LATENCY.writeback, source: 'writeback' } : { latency: latency(w.index, w.role === 'resultHi'), source }));
}

function loadIssue(op: Extract<Operation, { kind: 'load' }>): Issue {
  const twoCycle = twoCycleAddressing(op.addressing);
  const cycles = twoCycle ? CYCLES.loadStoreTwoCycleAddressing : CYCLES.loadStore;
  const latency = op.exclusive ? LATENCY.exclusive : LOAD_LATENCY[op.width] + (twoCycle ? 1 : 0);
  return issue(cycles, resultsOf(op, () => latency, 'load'), cycles);
}

function storeIssue(op: Extract<Operation, { kind: 'store' }>): Issue {
  const twoCycle = twoCycleAddressing(op.addressing);
  const cycles = twoCycle ? CYCLES.loadStoreTwoCycleAddressing : CYCLES.loadStore;
  const lockCycles = twoCycle ? STORE_DOUBLE_LOCKS.twoCycle : STORE_DOUBLE_LOCKS.oneCycle;
  const locks = op.width === 'double' ? op.reads.filter((r) => r.role === 'storeData').map((r, i) => ({ reg: r.reg, cycles: lockCycles[i] })) : [];
  // STREX writes its status register with the exclusive latency
  return issue(cycles, resultsOf(op, () => LATENCY.exclusive, 'load'), cycles, locks);
}

/**
 * LDM/STM, 1176 §16.12 [C]: 2 registers per memory cycle (the first address is assumed 64-bit aligned).
 * Loaded registers have latencies 3,3,4,4,5,5,...; the PC in the list is loaded first and adds 1 to all.
 * Stored registers stay write-locked for 1,2,2,3,3,4,... cycles.
 */
function multipleTransferIssue(op: Extract<Operation, { kind: 'loadMultiple' | 'storeMultiple' }>): Issue {
  const memoryCycles = Math.ceil(op.count / 2);
  if (op.kind === 'loadMultiple') {
    const pcFirst = op.writesPc ? 1 : 0;
    return issue(CYCLES.multipleTransfer, resultsOf(op, (index) => LOAD_LATENCY.word + Math.floor(index / 2) + pcFirst, 'load'), memoryCycles);
  }
  const locks = op.reads.filter((r) => r.role === 'storeList').map((r, i) => ({ reg: r.reg, cycles: 1 + Math.ceil(i / 2) }));
  return issue(CYCLES.multipleTransfer, resultsOf(op, () => LATENCY.writeback, 'alu'), memoryCycles, locks);
}

function coprocessorIssue(op: Extract<Operation, { kind: 'coprocessor' }>): Issue {
  switch (op.transfer) {
    case 'toCoprocessor':
      return issue(CYCLES.coprocessorWrite);
    case 'fromCoprocessor':
      return issue(CYCLES.coprocessorRead, resultsOf(op, () => LATENCY.coprocessorRead, 'load'));
    case 'data':
      return issue(CYCLES.coprocessorData);
    case 'memory':
      return issue(CYCLES.coprocessorMemory, resultsOf(op, () => LATENCY.writeback, 'alu'), CYCLES.coprocessorMemory);
  }
}

function issueOf(op: Operation): Issue {
  switch (op.kind) {
    case 'dataProcessing': {
      const cycles = op.operand === 'regShift' ? CYCLES.dataOperationRegisterShift : CYCLES.dataOperation;
      return issue(cycles, resultsOf(op, () => cycles, 'alu')); // [C] latency 1, or 2 with a register shift
    }
    case 'countLeadingZeros':
      return issue(CYCLES.countLeadingZeros, resultsOf(op, () => LATENCY.alu, 'alu'));
    case 'saturating':
      return issue(CYCLES.saturating, resultsOf(op, () => LATENCY.saturating, 'alu'));
    case 'media':
      return issue(CYCLES.media, resultsOf(op, () => LATENCY.alu, 'alu'));
    case 'multiply': {
      const timing = op.setsFlags ? MULTIPLY[op.form].flagSetting : MULTIPLY[op.form].plain;
      return issue(timing.cycles, resultsOf(op, (_, hi) => (hi ? (timing.latencyHi ?? timing.latency) : timing.latency), 'multiply'));
    }
    case 'load':
      return loadIssue(op);
    case 'store':
      return storeIssue(op);
    case 'preload': {
      const cycles = twoCycleAddressing(op.addressing) ? CYCLES.loadStoreTwoCycleAddressing : CYCLES.loadStore;
      return issue(cycles, [], cycles);
    }
    case 'loadMultiple':
    case 'storeMultiple':
      return multipleTransferIssue(op);
    case 'swap':
      return issue(CYCLES.swap, resultsOf(op, () => LATENCY.swap, 'load'), CYCLES.swap);
    case 'branch':
      return issue(CYCLES.branch + (op.thumbPair ? CYCLES.thumbBranchLinkPrefix : 0), resultsOf(op, () => LATENCY.alu, 'alu'));
    case 'branchExchange':
      return issue(CYCLES.branch, resultsOf(op, () => LATENCY.alu, 'alu'));
    case 'statusRead':
      return issue(CYCLES.statusRead, resultsOf(op, () => LATENCY.statusRead, 'alu'));
    case 'statusWrite':
      return issue(op.control ? CYCLES.statusWriteControl : CYCLES.statusWriteFlags);
    case 'coprocessor':
      return coprocessorIssue(op);
    case 'exception':
      return issue(CYCLES.exception);
    case 'hint':
      return issue(CYCLES.hint);
  }
}

const EARLY_ROLES = new Set<ReadRole>(['shifted', 'shiftAmount', 'multiplier', 'offset']);
const LATE_ROLES = new Set<ReadRole>(['lateOperand', 'storeData']); // storeData as a Late Reg: [U] (GCC1136 [E] agrees)

/** Early Regs need a value 1 cycle sooner, Late Regs 1 cycle later (1176 §16.1.5 [C]). */
function readLead(role: ReadRole, source: Source, op: Operation): number {
  if (role === 'base') {
    // [C] back-to-back loads/stores see a written-back base with latency 0. A 2-cycle address reads the base late
    if (source === 'writeback') return 0;
    return 'addressing' in op && twoCycleAddressing(op.addressing) ? 0 : 1;
  }
  if (EARLY_ROLES.has(role)) return 1;
  if (LATE_ROLES.has(role)) return -1;
  if (op.kind === 'multiply' && MULTIPLY[op.form].lateAccumulator === role) return -1;
  return 0;
}

function mispredicted(op: Operation, flagDistance: number | undefined): number {
  if (!op.conditional || flagDistance === undefined) return MISPREDICT.minCycles;
  return Math.max(MISPREDICT.maxCycles - flagDistance, MISPREDICT.minCycles);
}

/** A return: costs by return-stack outcome relative to the fall-through cost. A conditional one is not predicted. */
function returnTransfer(op: Operation, notTaken: number, outcomes: { correct: number; wrong: number; empty: number }, conditionalTaken: number): Transfer {
  const ret = op.conditional
    ? { correct: conditionalTaken - notTaken, wrong: conditionalTaken - notTaken, empty: conditionalTaken - notTaken }
    : { correct: outcomes.correct - notTaken, wrong: outcomes.wrong - notTaken, empty: outcomes.empty - notTaken };
  return { notTaken, taken: notTaken + ret.empty, call: false, ret };
}

function branchTransfer(op: Extract<Operation, { kind: 'branch' }>, flagDistance: number | undefined): Transfer {
  const prefix = op.thumbPair ? CYCLES.thumbBranchLinkPrefix : 0;
  const call = isCall(op);
  if (!op.conditional) return { notTaken: prefix + BRANCH.dynamicallyPredicted, taken: prefix + BRANCH.dynamicallyPredicted, call };
  const wrong = mispredicted(op, flagDistance);
  return op.backward ? { notTaken: wrong, taken: BRANCH.staticCorrectTaken, call } : { notTaken: BRANCH.staticCorrectNotTaken, taken: wrong, call };
}

function transfer(op: Operation, issued: Issue, flagDistance: number | undefined): Transfer {
  const notTaken = issued.cycles;
  const wrong = mispredicted(op, flagDistance);
  switch (op.kind) {
    case 'branch':
      return branchTransfer(op, flagDistance);
    case 'branchExchange':
      if (isReturn(op)) return returnTransfer(op, notTaken, RETURN.branchExchange, wrong);
      return { notTaken, taken: wrong, call: isCall(op) }; // [C] BX/BLX reg: not predicted
    case 'dataProcessing':
      if (isReturn(op)) return returnTransfer(op, notTaken, RETURN.move, wrong);
      return { notTaken, taken: notTaken - 1 + wrong, call: false }; // [U] an unpredicted branch after the last issue cycle
    case 'load':
      if (isReturn(op)) return returnTransfer(op, notTaken, RETURN.load, RETURN.load.conditional);
      return { notTaken, taken: notTaken - 1 + UNPREDICTED.loadPc, call: false };
    default:
      if (isReturn(op)) return returnTransfer(op, notTaken, RETURN.loadMultiple, RETURN.loadMultiple.conditional);
      return { notTaken, taken: UNPREDICTED.loadMultiplePc, call: false };
  }
}

export const ARM11: CoreRules = {
  name: 'arm11',
  exceptionEntry: EXCEPTION_ENTRY,
  issue: issueOf,
  readLead,
  /** [C] 1176 §16.12: all registers in an LDM list must be available before it starts. */
  waitsForPendingWrites: (op) => op.kind === 'loadMultiple',
  transfer,
};
