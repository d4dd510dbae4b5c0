/**
 * Deterministic synthetic trace streams for the format, show and diff tests: a seeded LCG picks ARM and
 * Thumb instructions (BL pairs too), branches both ways, mode changes, cycle steps from 0 to beyond 2^32,
 * register changes (including "changes" to the same value, cpsr/spsr flag and mode flips) and events of
 * every kind, with strings that repeat, index gaps (an address-range filtered trace) and leading events.
 */
import { REG_NAMES, type EventRecord, type InsnRecord, type TraceHeader, type TraceRecord } from '../../src/trace/records.ts';

export const HEADER: Omit<TraceHeader, 'version'> = {
  source: 'handset',
  cpu: 'arm926',
  clockHz: 200_000_000,
  ramSize: 128 * 1024 * 1024,
  timing: 'cycle',
  imageSha256: 'ab'.repeat(32),
};

/** Numerical Recipes' LCG: the same sequence on every run. */
export class Lcg {
  constructor(private state: number) {}

  next(): number {
    this.state = (Math.imul(this.state, 1664525) + 1013904223) >>> 0;
    return this.state;
  }

  below(n: number): number {
    return this.next() % n;
  }
}

export interface StreamOptions {
  instructions: number;
  seed: number;
  /** Events too (default true). */
  events?: boolean;
  /** Let indices skip now and then (default false). */
  gaps?: boolean;
}

const MODES = [0x10, 0x11, 0x12, 0x13, 0x17, 0x1b, 0x1f];
const DEVICES = [['uart0', 'UARTDR'], ['uart0', 'UARTFR'], ['sp804-0', 'Timer1Value'], ['gic', 'GICC_IAR'], ['sysregs', 'SYS_24MHZ'], ['écran', 'ÉTAT']];

export function syntheticStream(options: StreamOptions): TraceRecord[] {
  const rng = new Lcg(options.seed);
  const withEvents = options.events ?? true;
  const out: TraceRecord[] = [];
  const regs = new Uint32Array(REG_NAMES.length);
  let pc = 0x8000;
  let thumb = false;
  let mode = 0x13;
  let cycle = 0;
  let i = -1;
  const event = (ev: EventRecord) => out.push(ev);
  if (withEvents) {
    event({ kind: 'uart', port: 'uart0', direction: 'rx', byte: 0x71, i, cycle });
    event({ kind: 'mmio', device: 'sysregs', register: 'SYS_ID', offset: 0, size: 4, write: false, value: 0xc1400400, i, cycle });
  }
  for (let n = 0; n < options.instructions; n++) {
    i += options.gaps && rng.below(50) === 0 ? 2 + rng.below(1000) : 1;
    const r = rng.next();
    const changes: InsnRecord['regs'] = {};
    if (n === 0) {
      REG_NAMES.forEach((name, k) => (changes[name] = (regs[k] = k === 16 ? 0x400001d3 : rng.next())));
    } else {
      const count = r & 3;
      for (let c = 0; c < count; c++) {
        const k = rng.below(REG_NAMES.length);
        const kind = rng.below(4);
        regs[k] = kind === 0 ? regs[k]! : kind === 1 ? (regs[k]! + rng.below(9) - 4) >>> 0 : kind === 2 ? regs[k]! ^ (rng.below(16) << 28) : rng.next();
        changes[REG_NAMES[k]!] = regs[k]!;
      }
    }
    if (rng.below(40) === 0) {
      mode = MODES[rng.below(MODES.length)]!;
      thumb = rng.below(3) === 0;
    }
    const insn = !thumb ? rng.next() : rng.below(5) === 0 ? (((0xf000 | rng.below(0x800)) << 16) | 0xe800 | rng.below(0x800)) >>> 0 : rng.below(0x10000);
    const step = rng.below(10);
    cycle += step < 6 ? 1 : step < 8 ? rng.below(40) : step < 9 ? 0 : rng.below(2) === 0 ? 5_000_000_000 : rng.below(1000);
    out.push({ kind: 'insn', i, cycle, pc, insn, thumb, mode, regs: changes });
    const size = thumb && insn <= 0xffff ? 2 : 4;
    const branch = rng.below(8);
    pc = branch === 0 ? (pc + (rng.below(0x4000) - 0x2000) * 2) >>> 0 : branch === 1 ? (rng.next() & ~1) >>> 0 : (pc + size) >>> 0;
    if (withEvents && rng.below(12) === 0) out.push(randomEvent(rng, i, cycle + rng.below(3)));
    if (withEvents && rng.below(300) === 0) out.push(randomEvent(rng, i, cycle));
  }
  if (withEvents) event({ kind: 'semihosting', op: 0x18, param: 0x20026, result: -1, exit: true, i, cycle });
  return out;
}

function randomEvent(rng: Lcg, i: number, cycle: number): EventRecord {
  switch (rng.below(5)) {
    case 0: {
      const exception = (['undefined', 'swi', 'prefetchAbort', 'dataAbort', 'irq', 'fiq'] as const)[rng.below(6)]!;
      return { kind: 'exception', exception, vector: 0xffff0000 + rng.below(8) * 4, returnAddress: rng.next(), i, cycle };
    }
    case 1: {
      const [device, register] = DEVICES[rng.below(DEVICES.length)]!;
      return { kind: 'mmio', device: device!, register: register!, offset: rng.below(0x1000), size: 1 << rng.below(3), write: rng.below(2) === 0, value: rng.next(), i, cycle };
    }
    case 2:
      return { kind: 'uart', port: `uart${rng.below(2)}`, direction: rng.below(2) === 0 ? 'tx' : 'rx', byte: rng.below(256), i, cycle };
    case 3:
      return { kind: 'semihosting', op: rng.below(0x20), param: rng.next(), result: rng.below(2) === 0 ? -1 : rng.next(), exit: false, i, cycle };
    default:
      return { kind: 'mem', address: rng.next(), size: 1 << rng.below(3), write: rng.below(2) === 0, value: rng.next(), i, cycle };
  }
}

export function instructionsOf(records: TraceRecord[]): InsnRecord[] {
  return records.filter((r): r is InsnRecord => r.kind === 'insn');
}

/**
 * What records(from, count) must return, computed on the plain list: `count` instructions from the first
 * whose index is `from` or more, each with the events after it; leading events when starting at the start.
 */
export function expectedSlice(records: TraceRecord[], from: number | undefined, count: number | undefined): TraceRecord[] {
  const firstInsn = records.findIndex((r) => r.kind === 'insn' && (from === undefined || r.i >= from));
  if (firstInsn < 0) return [];
  const firstIndex = instructionsOf(records)[0]!.i;
  const start = from === undefined || from <= firstIndex ? 0 : firstInsn;
  const out: TraceRecord[] = [];
  let left = count ?? Infinity;
  for (let k = start; k < records.length; k++) {
    const r = records[k]!;
    if (r.kind === 'insn') {
      if (left === 0) break;
      left--;
    }
    out.push(r);
  }
  return out;
}
