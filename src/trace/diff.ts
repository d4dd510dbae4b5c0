/**
 * Finds the first divergence between two traces, instruction by instruction from their starts.
 *
 * Records hold only the registers an instruction changed, so each side keeps its running register
 * file and the comparison is of the states after each instruction, never of the change sets (a QEMU
 * import may name a register whose value did not change, a recorder may not). A register is compared
 * once both sides have given its value at least once: a QEMU import has no spsr, for one.
 *
 * archOnly compares the PC and the registers only; otherwise the encoding, ISA state and mode, the
 * cycle and the events after each instruction must match too.
 *
 * Instructions are paired by position, not by index: given one partition's view of two hypervisor traces
 * (src/trace/partitions.ts), the k-th instruction of that partition in one is compared with its k-th in
 * the other, whatever the other partitions ran in between.
 */
import { REG_NAMES, type EventRecord, type InsnRecord, type RegName, type TraceRecord } from './records.ts';
import { eventJson, eventText, hex8, instructionText, type AssemblyOf } from './show.ts';

export interface DiffOptions {
  /** Instructions to show before the divergence, from each side. Default 5. */
  context?: number;
  archOnly?: boolean;
}

export type DivergenceReason = 'pc' | 'encoding' | 'cycle' | 'registers' | 'events' | 'length';

export interface Divergence {
  same: false;
  /** Index of the instruction the traces first differ at (after which they differ, for 'events'), in trace a. */
  index: number;
  /** Instructions that compared equal before the divergence (for 'events', the one they follow too). */
  compared: number;
  reason: DivergenceReason;
  /** Each side's instruction at `index`; absent on a side that ended ('length'), or for leading events. */
  a?: InsnRecord;
  b?: InsnRecord;
  /** Registers whose values after the instruction differ. */
  registers: { name: RegName; a: number; b: number }[];
  /** The events after the instruction, when they differ. */
  events?: { a: EventRecord[]; b: EventRecord[] };
  /** Up to `context` instructions before `index`, from each side. */
  context: { a: InsnRecord[]; b: InsnRecord[] };
}

export type DiffResult = { same: true; instructions: number } | Divergence;

const REG_COUNT = REG_NAMES.length;

export function diffTraces(a: Iterable<TraceRecord>, b: Iterable<TraceRecord>, options: DiffOptions = {}): DiffResult {
  const contextSize = options.context ?? 5;
  const archOnly = options.archOnly ?? false;
  const sideA = new Side(a, contextSize);
  const sideB = new Side(b, contextSize);
  let instructions = 0;
  for (;;) {
    const stepA = sideA.next();
    const stepB = sideB.next();
    if (stepA === undefined && stepB === undefined) return { same: true, instructions };
    if (stepA === undefined || stepB === undefined) {
      const index = (stepA ?? stepB)!.insn?.i ?? instructions;
      return divergence(index, instructions, 'length', stepA, stepB, sideA, sideB);
    }
    const insnA = stepA.insn;
    const insnB = stepB.insn;
    if (insnA !== undefined && insnB !== undefined) {
      const reason = instructionDifference(insnA, insnB, archOnly);
      if (reason !== undefined) return divergence(insnA.i, instructions, reason, stepA, stepB, sideA, sideB);
      const registers = registerDifferences(sideA, sideB, insnA, insnB);
      if (registers.length > 0) return { ...divergence(insnA.i, instructions, 'registers', stepA, stepB, sideA, sideB), registers };
      instructions++;
    }
    if (!archOnly && !sameEvents(stepA.events, stepB.events)) {
      const d = divergence(insnA?.i ?? (stepA.events[0] ?? stepB.events[0])!.i, instructions, 'events', stepA, stepB, sideA, sideB);
      return { ...d, events: { a: stepA.events, b: stepB.events } };
    }
    sideA.remember();
    sideB.remember();
  }
}

/**
 * Renders a divergence: what differs, then each side's context and its instruction at the divergence
 * (marked with '>'), then the differing events. `vm`: the traces compared were that partition's views.
 */
export function divergenceText(d: Divergence, names: { a: string; b: string }, asm: { a: AssemblyOf; b: AssemblyOf }, vm?: string): string[] {
  const where =
    vm === undefined
      ? `at instruction ${d.index}`
      : `in ${vm} after ${d.compared} of its instructions, at instruction ${d.a !== undefined && d.b !== undefined && d.a.i !== d.b.i ? `${d.a.i} (a) / ${d.b.i} (b)` : d.index}`;
  const lines = [`first divergence ${where}: ${reasonText(d, names)}`];
  for (const side of ['a', 'b'] as const) {
    lines.push(`--- ${side}: ${names[side]}`);
    for (const rec of d.context[side]) lines.push(`  ${instructionText(rec, asm[side](rec))}`);
    const rec = d[side];
    lines.push(rec === undefined ? '> (no instruction)' : `> ${instructionText(rec, asm[side](rec))}`);
    for (const ev of d.events?.[side] ?? []) lines.push(`  ${eventText(ev, vm)}`);
  }
  return lines;
}

function reasonText(d: Divergence, names: { a: string; b: string }): string {
  const a = d.a;
  const b = d.b;
  switch (d.reason) {
    case 'pc':
      return `pc ${hex8(a!.pc)} (a) vs ${hex8(b!.pc)} (b)`;
    case 'encoding':
      return `encoding/state ${hex8(a!.insn)} ${a!.thumb ? 'thumb' : 'arm'} mode 0x${a!.mode.toString(16)} (a) vs ${hex8(b!.insn)} ${b!.thumb ? 'thumb' : 'arm'} mode 0x${b!.mode.toString(16)} (b)`;
    case 'cycle':
      return `cycle ${a!.cycle} (a) vs ${b!.cycle} (b) (--arch-only ignores cycles)`;
    case 'registers':
      return d.registers.map((r) => `${r.name} ${hex8(r.a)} (a) vs ${hex8(r.b)} (b)`).join(', ');
    case 'events':
      return `the events after it differ`;
    case 'length':
      return `${a === undefined ? names.a : names.b} ends before it`;
  }
}

/** One instruction and the events after it; the first step of a trace holds only the leading events. */
interface Step {
  insn?: InsnRecord;
  events: EventRecord[];
}

/** One trace being compared: its steps, its running register file and its recent instructions. */
class Side {
  readonly regs = new Uint32Array(REG_COUNT);
  /** Registers this trace has given a value for. */
  known = 0;
  readonly context: InsnRecord[] = [];
  private readonly records: Iterator<TraceRecord>;
  private lookahead: TraceRecord | undefined;
  private started = false;
  private current: InsnRecord | undefined;

  constructor(
    records: Iterable<TraceRecord>,
    private readonly contextSize: number,
  ) {
    this.records = records[Symbol.iterator]();
    this.lookahead = this.pull();
  }

  /** The next step, its register changes applied; undefined after the last. */
  next(): Step | undefined {
    let insn: InsnRecord | undefined;
    if (!this.started) {
      this.started = true;
    } else {
      if (this.lookahead === undefined) return undefined;
      insn = this.lookahead as InsnRecord;
      this.lookahead = this.pull();
      this.apply(insn);
    }
    this.current = insn;
    const events: EventRecord[] = [];
    while (this.lookahead !== undefined && this.lookahead.kind !== 'insn') {
      events.push(this.lookahead);
      this.lookahead = this.pull();
    }
    return { insn, events };
  }

  /** Adds the current instruction to the context, once it compared equal. */
  remember(): void {
    if (this.current === undefined || this.contextSize === 0) return;
    this.context.push(this.current);
    if (this.context.length > this.contextSize) this.context.shift();
  }

  private apply(insn: InsnRecord): void {
    for (let k = 0; k < REG_COUNT; k++) {
      const v = insn.regs[REG_NAMES[k]!];
      if (v === undefined) continue;
      this.regs[k] = v;
      this.known |= 1 << k;
    }
  }

  private pull(): TraceRecord | undefined {
    const r = this.records.next();
    return r.done ? undefined : r.value;
  }
}

function instructionDifference(a: InsnRecord, b: InsnRecord, archOnly: boolean): DivergenceReason | undefined {
  if (a.pc !== b.pc) return 'pc';
  if (archOnly) return undefined;
  if (a.insn !== b.insn || a.thumb !== b.thumb || a.mode !== b.mode) return 'encoding';
  if (a.cycle !== b.cycle) return 'cycle';
  return undefined;
}

/** Registers either instruction changed (the only ones that can newly differ), known on both sides. */
function registerDifferences(a: Side, b: Side, insnA: InsnRecord, insnB: InsnRecord): Divergence['registers'] {
  const out: Divergence['registers'] = [];
  const both = a.known & b.known;
  for (let k = 0; k < REG_COUNT; k++) {
    const name = REG_NAMES[k]!;
    if ((both & (1 << k)) === 0 || (insnA.regs[name] === undefined && insnB.regs[name] === undefined)) continue;
    if (a.regs[k] !== b.regs[k]) out.push({ name, a: a.regs[k]!, b: b.regs[k]! });
  }
  return out;
}

/** The events after two instructions that compared equal: their fields, not their index (the instruction's, which may differ: --vm). */
function sameEvents(a: EventRecord[], b: EventRecord[]): boolean {
  return a.length === b.length && a.every((ev, k) => eventJson({ ...ev, i: 0 }) === eventJson({ ...b[k]!, i: 0 }));
}

function divergence(index: number, compared: number, reason: DivergenceReason, stepA: Step | undefined, stepB: Step | undefined, a: Side, b: Side): Divergence {
  return {
    same: false,
    index,
    compared,
    reason,
    a: stepA?.insn,
    b: stepB?.insn,
    registers: [],
    context: { a: [...a.context], b: [...b.context] },
  };
}
