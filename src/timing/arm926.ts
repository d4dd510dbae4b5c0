/**
 * ARM926EJ-S cost tables (ARM9EJ-S integer core: 5-stage Fetch/Decode/Execute/Memory/Write pipeline,
 * single issue, no branch prediction). Values and tags are from TIMING.md §1: [C] confirmed in the TRM
 * text (9EJ = ARM9EJ-S TRM DDI0222B Table 8.2, 9E = ARM9E-S TRM DDI0165B), [E] from a secondary model
 * (GCC926 = gcc/config/arm/arm926ejs.md, DUST = the Dust NDS emulator), [U] a chosen value that no source
 * confirmed.
 *
 * ARMv6-only encodings (media, UMAAL, SMMUL, LDREX, CPS, ...) are undefined on this core. They are costed
 * like their nearest ARMv5 class, and the block clock adds exceptionEntry for the trap.
 */
import type { Addressing, MultiplyForm, Operation, ReadRole, Width } from './operation.ts';
import type { CoreRules, Issue, Result, Source, Transfer } from './pipeline.ts';

/** Issue cycles when the instruction executes (9EJ Table 8.2 unless tagged otherwise). */
const CYCLES = {
  conditionFailed: 1, // [U]
  dataOperation: 1, // [C] 9EJ (immediate or immediate-shifted operand)
  dataOperationRegisterShift: 2, // [C] 9EJ
  countLeadingZeros: 1, // [C] 9EJ
  saturating: 1, // [U] (ARM7EJ-S shows the same pattern)
  media: 1, // ARMv6 only
  load: 1, // [C] 9EJ
  loadScaledOffset: 2, // [C] 9EJ
  loadDouble: 2, // [C] 9EJ
  store: 1, // [C] 9EJ
  storeScaledOffset: 2, // [C] 9EJ
  storeDouble: 2, // [C] 9EJ
  preload: 1, // [U]
  loadMultipleMinimum: 2, // [C] 9EJ: 1 register takes 2, n > 1 take n
  storeMultipleMinimum: 2, // [U] about n, at least 2 (DUST counts one data cycle per register)
  swap: 2, // [E] DUST: a read and a write
  branch: 1, // the issue cycle. The refill is in BRANCH_TAKEN
  thumbBranchLinkPrefix: 1, // [U] the first half of a Thumb BL: LR = PC + offset, an ALU operation
  statusRead: 2, // [E] DUST
  statusWriteFlags: 1, // [E] DUST
  statusWriteControl: 3, // [E] DUST
  coprocessorWrite: 2, // [U] MCR/MCRR: "like STR" plus the handshake, no busy-wait
  coprocessorRead: 2, // [U] MRC/MRRC
  coprocessorData: 1, // [U] CDP
  coprocessorMemory: 2, // [U] LDC/STC: the word count is not known statically
  exception: 1, // the SWI/undefined instruction itself. The rest is EXCEPTION_ENTRY
  hint: 1,
} as const;

/** SWI/undefined take about 3 cycles, like a branch [U]. The 1 cycle of the instruction itself is in CYCLES.exception. */
const EXCEPTION_ENTRY = 2;

/** Cycles of an executed flow change, refill included (9EJ Table 8.2; 9E p.8-10 for BX/BLX). */
const FLOW_CHANGE = {
  branch: 3, // [C] B, BL, BLX imm: 1 + 2-cycle refill
  branchExchange: 3, // [C] BX, BLX reg
  dataOperationArithmetic: 3, // [C] ADD, SUB, RSB, ADC, SBC to the PC
  dataOperationLogical: 4, // [C] AND, EOR, ORR, MOV, BIC, MVN (and RSC, as the table lists it) to the PC
  dataOperationRegisterShift: 4, // [C] "with operand shift, PC destination", read as a register-specified shift
  load: 5, // [C] LDR pc
  loadScaledOffset: 6, // [C] LDR pc with a scaled register offset
  loadMultipleRefill: 4, // [U] LDM with the PC in the list: its LDM cycles plus the refill
} as const;

/**
 * Extra cycles before a loaded value is usable by the next instruction (the load-use interlock). [C] 9EJ:
 * 1 for a word. 2 for a byte or halfword, which is rotated in the Write stage. Unaligned words also take 2,
 * but alignment is not known statically, so words are assumed aligned.
 */
const LOAD_USE: Record<Width, number> = { word: 1, double: 1, byte: 2, half: 2 };

/** Results of the ALU (Execute stage): usable by the next instruction. */
const ALU_LATENCY = 1;
/** A base register written back: updated in Execute [U]. */
const WRITEBACK_LATENCY = 1;
const SATURATING_LATENCY = 2; // [U] result at the end of Memory: +1 interlock if used next

interface MultiplyTiming {
  cycles: number;
  /** Of Rd or RdLo. */
  latency: number;
  /** Of RdHi, where the result is 64 bits. */
  latencyHi?: number;
}

/**
 * Multiplies (TIMING.md §1.2). No early termination on the ARM9E: timing does not depend on the operands.
 * The multiplier runs in Execute and Memory, so a result is usable 1 cycle after the last issue cycle
 * (latency = cycles + 1) unless noted.
 */
const MULTIPLY: Record<MultiplyForm, { plain: MultiplyTiming; flagSetting: MultiplyTiming }> = {
  // MUL/MLA 2 [U] (+1 interlock [E] GCC926, DUST). MULS/MLAS 4 [C] ARM7EJ-S, [E] GCC926 latency 4: no further interlock
  mul: { plain: { cycles: 2, latency: 3 }, flagSetting: { cycles: 4, latency: 4 } },
  // SMULL/UMULL/SMLAL/UMLAL 3 [U]: RdLo ready, RdHi +1 [E] DUST. S forms 5 [U], [E] GCC926 latency 5
  long: { plain: { cycles: 3, latency: 3, latencyHi: 4 }, flagSetting: { cycles: 5, latency: 5 } },
  // SMULxy, SMLAxy, SMULWy, SMLAWy: 1 (+1 interlock) [E] GCC926 latency 2, DUST
  halfword: { plain: { cycles: 1, latency: 2 }, flagSetting: { cycles: 1, latency: 2 } },
  // SMLALxy: 2 [E] GCC926, latency 3
  halfwordLong: { plain: { cycles: 2, latency: 3 }, flagSetting: { cycles: 2, latency: 3 } },
  // ARMv6 only: UMAAL like UMLAL, SMMUL/SMMLA like MUL/MLA
  umaal: { plain: { cycles: 3, latency: 3, latencyHi: 4 }, flagSetting: { cycles: 3, latency: 3, latencyHi: 4 } },
  mostSignificant: { plain: { cycles: 2, latency: 3 }, flagSetting: { cycles: 2, latency: 3 } },
};

/**
 * Reads through the register bank's C port: store data (STR, STM) and multiply accumulators. [C] 9E p.8-22:
 * loaded data is not forwarded to the C port, so a load followed by a store of the loaded register
 * interlocks like any other use. A multiplier or saturating result is forwarded, because the C port is read
 * for the Memory stage [C] ARM7EJ-S 9.10.1: QDSUB then STR, and QADD then MLA accumulating it, do not interlock.
 */
const C_PORT_ROLES = new Set<ReadRole>(['storeData', 'storeList', 'accumulate', 'accumulateLo', 'accumulateHi']);

/** An offset register shifted by anything other than LSL #0 costs the 9EJ an extra address cycle. */
function scaled(addressing: Addressing): boolean {
  return addressing.offset === 'reg' && addressing.shift !== 'none';
}

/**
 * Latency of the `index`th loaded word. The words arrive one per cycle in the instruction's last `words`
 * cycles. Each is usable LOAD_USE cycles after the cycle that loads it. So an LDR is 2, LDRD gives 2 and 3,
 * and an LDM of n > 1 registers gives 2..n+1 (9EJ: "n+1" when the last register is used next).
 */
function loadedLatency(cycles: number, words: number, index: number, width: Width): number {
  return cycles - words + index + 1 + LOAD_USE[width];
}

function aluResults(op: Operation, latency: number, source: Source = 'alu'): Result[] {
  return op.writes.map((w) => (w.role === 'writeback' ? { latency: WRITEBACK_LATENCY, source: 'writeback' } : { latency, source }));
}

/** A load of `words` words (each with load-use `width`) issued over `cycles` cycles. */
function loadResults(op: Operation, cycles: number, words: number, width: Width): Result[] {
  return op.writes.map((w) =>
    w.role === 'writeback' ? { latency: WRITEBACK_LATENCY, source: 'writeback' } : { latency: loadedLatency(cycles, words, w.index, width), source: 'load' },
  );
}

function issue(cycles: number, results: Result[] = []): Issue {
  return { cycles, results, memoryCycles: 0, locks: [] };
}

function issueOf(op: Operation): Issue {
  switch (op.kind) {
    case 'dataProcessing': {
      const cycles = op.operand === 'regShift' ? CYCLES.dataOperationRegisterShift : CYCLES.dataOperation;
      return issue(cycles, aluResults(op, cycles));
    }
    case 'countLeadingZeros':
      return issue(CYCLES.countLeadingZeros, aluResults(op, ALU_LATENCY));
    case 'saturating':
      return issue(CYCLES.saturating, aluResults(op, SATURATING_LATENCY, 'multiply'));
    case 'media':
      return issue(CYCLES.media, aluResults(op, ALU_LATENCY));
    case 'multiply': {
      const timing = op.setsFlags ? MULTIPLY[op.form].flagSetting : MULTIPLY[op.form].plain;
      return issue(timing.cycles, op.writes.map((w) => ({ latency: w.role === 'resultHi' ? (timing.latencyHi ?? timing.latency) : timing.latency, source: 'multiply' })));
    }
    case 'load': {
      const words = op.width === 'double' ? 2 : 1;
      const cycles = op.width === 'double' ? CYCLES.loadDouble : scaled(op.addressing) ? CYCLES.loadScaledOffset : CYCLES.load;
      return issue(cycles, loadResults(op, cycles, words, op.width));
    }
    case 'store': {
      const cycles = op.width === 'double' ? CYCLES.storeDouble : scaled(op.addressing) ? CYCLES.storeScaledOffset : CYCLES.store;
      // STREX's status result (ARMv6 only) comes back like a loaded word
      return issue(cycles, loadResults(op, cycles, 1, 'word'));
    }
    case 'preload':
      return issue(CYCLES.preload);
    case 'loadMultiple': {
      const cycles = Math.max(op.count, CYCLES.loadMultipleMinimum);
      return issue(cycles, loadResults(op, cycles, op.count, 'word'));
    }
    case 'storeMultiple':
      return issue(Math.max(op.count, CYCLES.storeMultipleMinimum), aluResults(op, WRITEBACK_LATENCY));
    case 'swap':
      return issue(CYCLES.swap, loadResults(op, CYCLES.swap, 1, op.width));
    case 'branch':
      return issue(CYCLES.branch + (op.thumbPair ? CYCLES.thumbBranchLinkPrefix : 0), aluResults(op, ALU_LATENCY));
    case 'branchExchange':
      return issue(CYCLES.branch, aluResults(op, ALU_LATENCY));
    case 'statusRead':
      return issue(CYCLES.statusRead, aluResults(op, CYCLES.statusRead));
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

function coprocessorIssue(op: Extract<Operation, { kind: 'coprocessor' }>): Issue {
  switch (op.transfer) {
    case 'toCoprocessor':
      return issue(CYCLES.coprocessorWrite);
    case 'fromCoprocessor': // [U] the register arrives like a loaded word: +1 interlock if used next
      return issue(CYCLES.coprocessorRead, loadResults(op, CYCLES.coprocessorRead, 1, 'word'));
    case 'data':
      return issue(CYCLES.coprocessorData);
    case 'memory':
      return issue(CYCLES.coprocessorMemory, aluResults(op, WRITEBACK_LATENCY));
  }
}

/** Total cycles of an executed flow change. */
function flowChangeCycles(op: Operation, issued: Issue): number {
  switch (op.kind) {
    case 'branch':
      return FLOW_CHANGE.branch + (op.thumbPair ? CYCLES.thumbBranchLinkPrefix : 0);
    case 'dataProcessing':
      if (op.operand === 'regShift') return FLOW_CHANGE.dataOperationRegisterShift;
      return op.arithmetic ? FLOW_CHANGE.dataOperationArithmetic : FLOW_CHANGE.dataOperationLogical;
    case 'load':
      return scaled(op.addressing) ? FLOW_CHANGE.loadScaledOffset : FLOW_CHANGE.load;
    case 'loadMultiple':
      return issued.cycles + FLOW_CHANGE.loadMultipleRefill;
    default:
      return FLOW_CHANGE.branchExchange;
  }
}

export const ARM926: CoreRules = {
  name: 'arm926',
  exceptionEntry: EXCEPTION_ENTRY,
  issue: issueOf,
  readLead: (role, source) => (C_PORT_ROLES.has(role) && source === 'multiply' ? -1 : 0),
  waitsForPendingWrites: () => false,
  /** No prediction: every taken flow change refills the pipeline. No return stack, so no call or ret. */
  transfer(op, issued): Transfer {
    const prefix = op.kind === 'branch' && op.thumbPair ? CYCLES.thumbBranchLinkPrefix : 0;
    return { notTaken: CYCLES.conditionFailed + prefix, taken: flowChangeCycles(op, issued), call: false };
  },
};
