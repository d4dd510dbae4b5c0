/**
 * Renders trace records as the lines `trace show` prints: text for people, JSON Lines for programs
 * (fields documented in docs/trace-format.md). Pure formatting: the disassembly comes in as text.
 */
import { REG_NAMES, type EventRecord, type InsnRecord, type TraceHeader, type TraceRecord } from './records.ts';
import type { Disassembler } from './disasm.ts';

/** The disassembly of an instruction record; undefined when its encoding is unknown. */
export type AssemblyOf = (rec: InsnRecord) => string | undefined;

/**
 * Disassembles the instructions of a trace with this header. In a QEMU import an encoding of 0 means
 * the PC was outside the image, so the encoding is unknown (docs/trace-format.md).
 */
export function assemblyOf(header: TraceHeader, disassembler: Disassembler): AssemblyOf {
  const unknownWhenZero = header.source === 'qemu';
  return (rec) => (unknownWhenZero && rec.insn === 0 ? undefined : disassembler.disassemble(rec.pc, rec.insn, rec.thumb));
}

/** `vm`: the partition a `--vm` view shows (world switches into and out of it are marked). */
export function recordText(rec: TraceRecord, asm: AssemblyOf, vm?: string): string {
  return rec.kind === 'insn' ? instructionText(rec, asm(rec)) : eventText(rec, vm);
}

export function recordJson(rec: TraceRecord, asm: AssemblyOf): string {
  return rec.kind === 'insn' ? instructionJson(rec, asm(rec)) : eventJson(rec);
}

/** `       i      cycle  pc        encoding   disassembly                   changes` */
export function instructionText(rec: InsnRecord, asm: string | undefined): string {
  const changes = REG_NAMES.filter((name) => rec.regs[name] !== undefined)
    .map((name) => `${name}=${hex8(rec.regs[name]!)}`)
    .join(' ');
  const line = `${String(rec.i).padStart(8)} ${String(rec.cycle).padStart(10)}  ${hex8(rec.pc)}  ${(asm === undefined ? '????????' : encodingText(rec)).padEnd(9)}  ${(asm ?? '<encoding unknown>').padEnd(30)}  ${changes}`;
  return line.trimEnd();
}

/** An event on its own line: the cycle under the instructions' cycles, then what happened. */
export function eventText(ev: EventRecord, vm?: string): string {
  const mark = vm === undefined || ev.kind !== 'worldSwitch' ? '' : ev.to === vm ? ' [in]' : ev.from === vm ? ' [out]' : '';
  return `${''.padStart(8)} ${String(ev.cycle).padStart(10)}  * ${eventDescription(ev)}${mark}`;
}

/** Instruction fields; `asm` is null when the encoding is unknown; `vm` last, in hypervisor traces. */
function instructionJson(rec: InsnRecord, asm: string | undefined): string {
  const regs: Record<string, number> = {};
  for (const name of REG_NAMES) if (rec.regs[name] !== undefined) regs[name] = rec.regs[name]!;
  const fields = { i: rec.i, cycle: rec.cycle, pc: rec.pc, insn: rec.insn, thumb: rec.thumb, mode: rec.mode, asm: asm ?? null, regs };
  return JSON.stringify(rec.vm === undefined ? fields : { ...fields, vm: rec.vm });
}

/** `{"event": kind, "i", "cycle", then the kind's own fields in a fixed order}` */
export function eventJson(ev: EventRecord): string {
  const fields: Record<string, unknown> = { event: ev.kind, i: ev.i, cycle: ev.cycle };
  for (const name of EVENT_FIELDS[ev.kind]) fields[name] = (ev as unknown as Record<string, unknown>)[name];
  return JSON.stringify(fields);
}

const EVENT_FIELDS = {
  exception: ['exception', 'vector', 'returnAddress'],
  mmio: ['device', 'register', 'offset', 'size', 'write', 'value'],
  uart: ['port', 'direction', 'byte'],
  semihosting: ['op', 'param', 'result', 'exit'],
  mem: ['address', 'size', 'write', 'value'],
  hypercall: ['guest', 'number', 'name', 'args', 'result'],
  virq: ['guest', 'bits', 'via'],
  worldSwitch: ['from', 'to'],
  guestFault: ['guest', 'fault', 'address', 'pc', 'write', 'handled'],
  button: ['foreground'],
  guestState: ['guest', 'state', 'detail'],
  ringtone: ['guest', 'ringtone', 'playing'],
} as const satisfies Record<EventRecord['kind'], readonly string[]>;

/** Hypercall arguments that are guest addresses (docs/hypercalls.md §4.1): shown in hex, the others in decimal. */
const ADDRESS_ARGS: Record<string, readonly number[]> = {
  console_write: [0],
  console_read: [0],
  virq_set_entry: [0, 1],
  fault_set_handler: [0, 1],
  store_read: [1],
  store_write: [1],
};
// Bit k of a vIRQ set (docs/hypercalls.md: VIRQ_TIMER, _CONSOLE, _FOREGROUND, _MODEM, _POLICY).
const VIRQ_NAMES = ['timer', 'console', 'foreground', 'modem', 'policy'];
const FAULT_NAMES: Record<string, string> = {
  undefined: 'undefined instruction',
  prefetchAbort: 'prefetch abort',
  dataAbort: 'data abort',
  bkpt: 'breakpoint',
  badSvc: 'svc with a non-zero immediate',
};

/** `timer|console`; bits without a name as hex (`timer|0x10`). */
function virqBits(bits: number): string {
  const names: string[] = [];
  for (let k = 0; k < 32; k++) {
    if ((bits & (2 ** k)) === 0) continue;
    names.push(VIRQ_NAMES[k] ?? `0x${(2 ** k).toString(16)}`);
  }
  return names.length === 0 ? 'none' : names.join('|');
}

function hypercallText(ev: Extract<EventRecord, { kind: 'hypercall' }>): string {
  const addresses = ADDRESS_ARGS[ev.name] ?? [];
  const args = ev.args.map((a, k) => (addresses.includes(k) ? `0x${hex8(a)}` : String(a))).join(', ');
  const name = ev.name === 'unknown' ? `unknown#${ev.number}` : ev.name;
  return `hypercall ${ev.guest} ${name}(${args}) ${ev.result === null ? '(does not return)' : `= ${ev.result}`}`;
}

function eventDescription(ev: EventRecord): string {
  switch (ev.kind) {
    case 'exception':
      return `exception ${ev.exception}: vector ${hex8(ev.vector)}, return address ${hex8(ev.returnAddress)}`;
    case 'mmio':
      return `mmio ${ev.write ? 'write' : 'read'} ${ev.device} ${ev.register} (+0x${ev.offset.toString(16).padStart(3, '0')}, ${ev.size} bytes) = ${hex8(ev.value)}`;
    case 'uart':
      return `uart ${ev.port} ${ev.direction} 0x${ev.byte.toString(16).padStart(2, '0')}${ev.byte >= 0x20 && ev.byte < 0x7f ? ` '${String.fromCharCode(ev.byte)}'` : ''}`;
    case 'semihosting':
      return `semihosting op 0x${ev.op.toString(16).padStart(2, '0')} param ${hex8(ev.param)} result ${hex8(ev.result)}${ev.exit ? ' (exit)' : ''}`;
    case 'mem':
      return `mem ${ev.write ? 'write' : 'read'} ${ev.size} bytes [${hex8(ev.address)}] = ${hex8(ev.value)}`;
    case 'hypercall':
      return hypercallText(ev);
    case 'virq':
      return `virq ${ev.guest} ${virqBits(ev.bits)}${ev.via === 'wait' ? ' (WAIT result)' : ''}`;
    case 'worldSwitch':
      return `switch ${ev.from ?? '(none)'} -> ${ev.to ?? '(none)'}`;
    case 'guestFault':
      return `fault ${ev.guest} ${FAULT_NAMES[ev.fault] ?? ev.fault} at 0x${hex8(ev.address)}${ev.fault === 'dataAbort' ? (ev.write ? ' (write)' : ' (read)') : ''} pc 0x${hex8(ev.pc)} ${ev.handled ? 'handled' : 'unhandled'}`;
    case 'button':
      return `button: ${ev.foreground} in front`;
    case 'guestState':
      return `state ${ev.guest} ${ev.state}: ${ev.detail}`;
    case 'ringtone':
      return `ring ${ev.playing ? 'start' : 'stop'} ${ev.guest} (${ev.ringtone})`;
  }
}

/** ARM: 8 hex digits; Thumb: 4; a Thumb BL/BLX pair: the two halfwords as objdump shows them. */
function encodingText(rec: InsnRecord): string {
  if (!rec.thumb) return hex8(rec.insn);
  if (rec.insn <= 0xffff) return rec.insn.toString(16).padStart(4, '0');
  return `${(rec.insn >>> 16).toString(16).padStart(4, '0')} ${(rec.insn & 0xffff).toString(16).padStart(4, '0')}`;
}

export function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
