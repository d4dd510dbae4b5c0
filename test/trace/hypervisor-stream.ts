/**
 * A small hand-made hypervisor trace for the format, show, diff and --vm tests: `written` as a recorder
 * gives it to the writer (started in work), `expected` as the reader gives it back (the values worked out
 * by hand: see the comments).
 */
import { REG_NAMES, type EventRecord, type InsnRecord, type TraceEvent, type TraceHeader, type TraceRecord } from '../../src/trace/records.ts';
import { HEADER } from './synthetic.ts';

export const HV_HEADER: Omit<TraceHeader, 'version'> = {
  ...HEADER,
  imageSha256: '',
  hypervisor: { configHash: 'cd'.repeat(32), partitions: [{ name: 'work', imageSha256: '12'.repeat(32) }, { name: 'home', imageSha256: '' }] },
};

/** Every register (but r15, as the recorder leaves it out after the first record) with the given values, the rest 0. */
export function allRegs(values: InsnRecord['regs']): InsnRecord['regs'] {
  const regs: InsnRecord['regs'] = {};
  for (const name of REG_NAMES) if (name !== 'r15') regs[name] = values[name] ?? 0;
  return regs;
}

export const insn = (i: number, pc: number, encoding: number, regs: InsnRecord['regs'], cycle = i + 100): InsnRecord => ({
  kind: 'insn', i, cycle, pc, insn: encoding, thumb: false, mode: 0x10, regs,
});
export const ev = (i: number, e: TraceEvent): EventRecord => ({ ...e, i, cycle: i + 100 });

// A hand-made run: work waits, home runs and yields, work resumes (the hypervisor left 0 in its r0, the
// value home's r0 had: no change to the CPU, but a change to work's own r0), faults into its handler and
// exits; home runs on until the hypervisor idles. `written` is what a recorder gives the writer (the
// registers that differ from the previous instruction's, whoever ran it).
export const work0 = { r0: 0xc0000000, r1: 0x400000, r13: 0x400000, r15: 0x8004, cpsr: 0x10 };
export const written: TraceRecord[] = [
  insn(0, 0x8000, 0xe3a07003, { ...allRegs(work0), r15: 0x8004, r7: 3 }), // mov r7, #3 (the first record: every register)
  insn(1, 0x8004, 0xef000000, {}), // svc #0: WAIT
  ev(1, { kind: 'hypercall', guest: 'work', number: 3, name: 'wait', args: [0, 0x400000, 0, 0], result: 0 }),
  ev(1, { kind: 'worldSwitch', from: 'work', to: 'home' }),
  ev(1, { kind: 'mmio', device: 'timer01', register: 'Timer1Load', offset: 0, size: 4, write: true, value: 10000 }),
  insn(2, 0x8000, 0xe1a04000, { r1: 0x200000, r2: 1, r7: 0, r13: 0x200000, r4: 0xc0000000 }), // home: mov r4, r0
  insn(3, 0x8004, 0xe3a00000, { r0: 0 }), // mov r0, #0
  insn(4, 0x8008, 0xef000000, {}, 104), // svc #0: YIELD
  ev(4, { kind: 'hypercall', guest: 'home', number: 2, name: 'yield', args: [0, 0x200000, 1, 0], result: 0 }),
  ev(4, { kind: 'worldSwitch', from: 'home', to: 'work' }),
  ev(4, { kind: 'virq', guest: 'work', bits: 3, via: 'wait' }),
  insn(5, 0x8008, 0xe5901000, { r1: 0x400000, r2: 0, r4: 0, r7: 3, r13: 0x400000 }, 500), // work: ldr r1, [r0] (r0 = 0 = home's: not given)
  ev(5, { kind: 'guestFault', guest: 'work', fault: 'dataAbort', address: 0x40000000, pc: 0x0000a3a8, write: false, handled: true }),
  insn(6, 0x8100, 0xe3a0000a, { r0: 10, r1: 0x40000000, r2: 0xa3a8 }, 600), // the fault handler: mov r0, #10
  insn(7, 0x8104, 0xef000000, {}), // svc #0: EXIT
  ev(7, { kind: 'button', foreground: 'home' }),
  ev(7, { kind: 'hypercall', guest: 'work', number: 10, name: 'exit', args: [10, 0x40000000, 0xa3a8, 0], result: null }),
  ev(7, { kind: 'guestState', guest: 'work', state: 'exited', detail: 'exited with status 10' }),
  ev(7, { kind: 'worldSwitch', from: null, to: 'home' }),
  insn(8, 0x800c, 0xef000000, { r0: 0, r1: 0x200000, r2: 1, r4: 0xc0000000, r7: 8, r13: 0x200000 }, 800), // home: svc (TIME_GET)
  ev(8, { kind: 'hypercall', guest: 'home', number: 8, name: 'time_get', args: [0, 0x200000, 1, 0], result: 0xfffffff0 }),
  ev(8, { kind: 'hypercall', guest: 'home', number: 0, name: 'console_write', args: [0x100000, 12, 0, 0], result: 12 }),
  ev(8, { kind: 'hypercall', guest: 'home', number: 0, name: 'console_write', args: [0xfffffff0, 12, 0, 0], result: -3 }),
  ev(8, { kind: 'virq', guest: 'home', bits: 3, via: 'upcall' }),
  ev(8, { kind: 'hypercall', guest: 'home', number: 99, name: 'unknown', args: [0, 0, 0, 0], result: -1 }),
  ev(8, { kind: 'guestFault', guest: 'home', fault: 'undefined', address: 0x8010, pc: 0x8010, write: false, handled: false }),
  ev(8, { kind: 'guestFault', guest: 'home', fault: 'dataAbort', address: 0xc0001000, pc: 0x8014, write: true, handled: true }),
  ev(8, { kind: 'guestState', guest: 'home', state: 'ready', detail: 'rebooted' }),
  ev(8, { kind: 'worldSwitch', from: 'home', to: null }),
];

// What the reader gives back: every instruction with the partition it ran in, and the first instruction
// of home (its first ever: every register but r15) and of work after the switch back (r0: 0 is not work's
// value before it, 0xc0000000) widened.
export const vmOf = ['work', 'work', 'home', 'home', 'home', 'work', 'work', 'work', 'home'];
export const expected: TraceRecord[] = written.map((r) => {
  if (r.kind !== 'insn') return r;
  const out: InsnRecord = { ...r, vm: vmOf[r.i]! };
  if (r.i === 2) out.regs = allRegs({ ...work0, r7: 0, r1: 0x200000, r2: 1, r13: 0x200000, r4: 0xc0000000 });
  if (r.i === 5) out.regs = { ...r.regs, r0: 0 };
  return out;
});

