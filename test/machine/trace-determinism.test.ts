// The same image and options give byte-identical trace files, in both timing modes; a trace window
// records exactly the instructions asked for; a limited run stops where its count says it is.
import t from 'tap';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadImage } from '../../src/loader/image.ts';
import { Machine, memoryLayout } from '../../src/machine/machine.ts';
import { openTrace } from '../../src/trace/reader.ts';
import type { InsnRecord } from '../../src/trace/records.ts';
import { traceRun } from '../helpers/trace-run.ts';

const dir = mkdtempSync(join(tmpdir(), 'handset-tdet-'));

for (const timing of ['fast', 'cycle'] as const) {
  t.test(`timer-irq traced twice in ${timing} mode: identical files`, async (t) => {
    const a = join(dir, `a-${timing}.trace`);
    const b = join(dir, `b-${timing}.trace`);
    traceRun('firmware/timer-irq.elf', a, { timing });
    traceRun('firmware/timer-irq.elf', b, { timing });
    t.ok(readFileSync(a).equals(readFileSync(b)));
  });
}

function insns(path: string): InsnRecord[] {
  return [...openTrace(path).records()].filter((r): r is InsnRecord => r.kind === 'insn');
}

t.test('windows by instruction index, cycle and address', async (t) => {
  const full = insns((traceRun('firmware/hello.elf', join(dir, 'full.trace')), join(dir, 'full.trace')));
  const byIndex = insns((traceRun('firmware/hello.elf', join(dir, 'idx.trace'), { window: { fromIndex: 100, toIndex: 150 } }), join(dir, 'idx.trace')));
  t.same(byIndex.map((r) => r.i), full.slice(100, 150).map((r) => r.i), 'instructions 100 to 149');
  // The first windowed record carries every register with its value after instruction 100: in the full
  // trace, the first record's registers updated by every change up to instruction 100, and r15 the next pc.
  const state: InsnRecord['regs'] = {};
  for (const r of full.slice(0, 101)) Object.assign(state, r.regs);
  state.r15 = full[101].pc;
  t.strictSame(byIndex[0].regs, state, 'the first windowed record carries the full state after instruction 100');
  t.equal(Object.keys(byIndex[0].regs).length, 18);
  const cyc = insns((traceRun('firmware/hello.elf', join(dir, 'cyc.trace'), { timing: 'cycle', window: { fromCycle: 200, toCycle: 300 } }), join(dir, 'cyc.trace')));
  t.ok(cyc.length > 0);
  t.ok(cyc.every((r) => r.cycle >= 150 && r.cycle < 350), 'cycle window (block-granular bounds)');
  const range = insns((traceRun('firmware/hello.elf', join(dir, 'rng.trace'), { window: { addressRange: { begin: 0x3c, end: 0x54 } } }), join(dir, 'rng.trace')));
  t.ok(range.length > 0);
  t.ok(range.every((r) => r.pc >= 0x3c && r.pc < 0x54), 'only the putc routine');
  t.same(range.map((r) => r.i), full.filter((r) => r.pc >= 0x3c && r.pc < 0x54).map((r) => r.i), 'with their true indices');
});

t.test('--trace-mem records data accesses after their instruction', async (t) => {
  const path = join(dir, 'mem.trace');
  traceRun('firmware/hello.elf', path, { window: { memory: true } });
  const records = [...openTrace(path).records()];
  const first = records.findIndex((r) => r.kind === 'mem');
  t.ok(first > 0);
  const mem = records[first] as { address: number; i: number };
  const before = records[first - 1] as InsnRecord;
  t.equal(before.kind, 'insn');
  t.equal(mem.i, before.i, 'attached to the instruction just before it');
  t.equal(before.pc, 0x0, 'the first access is the literal load of ldr sp, [pc, #0x20]');
  t.equal(mem.address, 0x28);
});

t.test('events: exceptions, device accesses, UART bytes and semihosting calls follow their instruction', async (t) => {
  const path = join(dir, 'events.trace');
  traceRun('firmware/exceptions.elf', path);
  const records = [...openTrace(path).records()];
  const kinds = new Set(records.map((r) => r.kind));
  for (const k of ['insn', 'exception', 'mmio', 'uart', 'semihosting']) t.ok(kinds.has(k as never), `has ${k} events`);
  const svc = records.findIndex((r) => r.kind === 'exception' && r.exception === 'swi');
  const before = records[svc - 1] as InsnRecord;
  t.equal(before.insn & 0x0f000000, 0x0f000000, 'the SWI exception follows the SVC instruction');
  const next = records.slice(svc + 1).find((r) => r.kind === 'insn') as InsnRecord;
  t.equal(next.pc, 0x08, 'and the next instruction is the SWI vector');
  let lastInsn = -1;
  let misplaced = 0;
  for (const r of records) {
    if (r.kind === 'insn') lastInsn = r.i;
    else if (r.i !== lastInsn) misplaced++;
  }
  t.equal(misplaced, 0, 'every event carries the index of the instruction before it');
});

t.test('--max-insns stops at the first block boundary at or after N, where the full run was then', async (t) => {
  const full = insns((traceRun('firmware/thumb.elf', join(dir, 'thumb-full.trace')), join(dir, 'thumb-full.trace')));
  for (const timing of ['fast', 'cycle'] as const) {
    for (const n of [1, 7, 100, 513, 1025, 1400]) {
      const machine = new Machine({ cpu: 'arm926', ramSize: 128 << 20, timing });
      machine.load(loadImage('firmware/thumb.elf', {}, memoryLayout(128 << 20)));
      t.same(machine.run({ maxInsns: n }), { kind: 'limit', limit: 'instructions' });
      const ran = machine.instructions;
      t.ok(ran >= n && ran < n + 512, `${timing}: ${ran} instructions for a limit of ${n}`);
      t.equal(machine.pc, full[ran].pc, `${timing}: the pc is that of the full run's instruction ${ran}`);
      machine.close();
    }
  }
});
