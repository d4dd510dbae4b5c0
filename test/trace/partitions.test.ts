// One partition's view of a hypervisor trace: which records belong to it (worked out by hand on the
// hand-made run of hypervisor-stream.ts), --count, diff per partition (a change in one partition is a
// divergence of that one only, found by its position in the partition even when the global indices
// moved), and `trace show|diff --vm` through the CLI's commands, with their one-line errors.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { handsetTrace } from '../helpers/trace-cli.ts';
import { UsageError } from '../../src/cli/options.ts';
import { diffTraces, divergenceText, type DiffResult, type Divergence } from '../../src/trace/diff.ts';
import { partitionView } from '../../src/trace/partitions.ts';
import { openTrace } from '../../src/trace/reader.ts';
import type { TraceRecord } from '../../src/trace/records.ts';
import { TraceWriter } from '../../src/trace/writer.ts';
import { ev, expected, HV_HEADER, insn, written } from './hypervisor-stream.ts';
import { HEADER, syntheticStream } from './synthetic.ts';

const dir = mkdtempSync(join(tmpdir(), 'handset-partitions-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function writeTrace(name: string, records: TraceRecord[], header = HV_HEADER): string {
  const path = join(dir, name);
  const writer = new TraceWriter(path, header, { chunkInstructions: 2 });
  if (header.hypervisor !== undefined) writer.startIn('work');
  for (const r of records) {
    if (r.kind === 'insn') writer.writeInsn(r);
    else writer.writeEvent(r);
  }
  writer.close();
  return path;
}

/** The records of `expected` at these positions. */
const at = (...positions: number[]) => positions.map((k) => expected[k]!);

t.test('what belongs to each partition', async (t) => {
  // expected: 0 i0 · 1 i1 · 2 wait · 3 work->home · 4 mmio · 5 i2 · 6 i3 · 7 i4 · 8 yield · 9 home->work ·
  // 10 virq work · 11 i5 · 12 fault work · 13 i6 · 14 i7 · 15 button · 16 exit · 17 state work ·
  // 18 none->home · 19 i8 · 20-24 home's calls and virq · 25, 26 home's faults · 27 state home · 28 home->none
  t.strictSame([...partitionView(expected, 'work')], at(0, 1, 2, 3, 9, 10, 11, 12, 13, 14, 15, 16, 17), 'work: its instructions, calls, vIRQ, fault, state, the switches out and in, the button');
  t.strictSame([...partitionView(expected, 'home')], at(3, 5, 6, 7, 8, 9, 15, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28), 'home: and the switches from and to none');
  t.strictSame([...partitionView(expected, 'play')], at(15), 'a partition that never ran sees the button only');
  const withMem: TraceRecord[] = [
    expected[0]!,
    ev(0, { kind: 'mem', address: 0x7fff0, size: 4, write: true, value: 1 }),
    ev(0, { kind: 'worldSwitch', from: 'work', to: 'home' }),
    { ...insn(1, 0x8000, 0xe5900000, {}), vm: 'home' },
    ev(1, { kind: 'mem', address: 0x100, size: 4, write: false, value: 2 }),
    ev(1, { kind: 'mmio', device: 'gic', register: 'GICC_IAR', offset: 12, size: 4, write: false, value: 36 }),
  ];
  t.strictSame([...partitionView(withMem, 'work')], withMem.slice(0, 3), 'a data access belongs to the instruction before it');
  t.strictSame([...partitionView(withMem, 'home')], withMem.slice(2, 5), 'device accesses are the hypervisor\'s: nobody\'s');
});

t.test('--count counts the partition\'s instructions, and keeps its records up to the next instruction', async (t) => {
  t.strictSame([...partitionView(expected, 'work', 2)], at(0, 1, 2, 3), 'two of work\'s, then what follows the second up to home\'s');
  t.strictSame([...partitionView(expected, 'home', 1)], at(3, 5));
  t.strictSame([...partitionView(expected, 'home', 3)], at(3, 5, 6, 7, 8, 9), 'its records up to the next instruction, work\'s');
  t.strictSame([...partitionView(expected, 'work', 0)], [], 'none');
});

function divergence(result: DiffResult): Divergence {
  if (result.same) throw new Error('the traces compared the same');
  return result;
}

/**
 * `records` where home's instruction `index` (mov r0, #0) leaves 1 in r0 instead. Work's next instruction,
 * two later, then names r0 (work's own 0 is no longer the CPU's value), as a recorder would.
 */
const homeR0 = (records: TraceRecord[], index: number) =>
  records.map((r) => (r.kind !== 'insn' ? r : r.i === index ? { ...r, regs: { r0: 1 } } : r.i === index + 2 ? { ...r, regs: { ...r.regs, r0: 0 } } : r));
/** `written` with an extra work instruction before instruction 1: every later index one higher. */
const shifted: TraceRecord[] = [written[0]!, insn(1, 0x8004, 0xe1a00000, {}, 100), ...written.slice(1).map((r) => ({ ...r, i: r.i + 1 }))];

t.test('diff per partition: a difference in one partition is that one\'s', async (t) => {
  const a = openTrace(writeTrace('a.trace', written));
  const homeDiffers = openTrace(writeTrace('home-differs.trace', homeR0(written, 3)));
  t.strictSame(diffTraces(partitionView(a.records(), 'work'), partitionView(homeDiffers.records(), 'work')), { same: true, instructions: 5 }, 'work: the same, all 5 of its instructions');
  const home = divergence(diffTraces(partitionView(a.records(), 'home'), partitionView(homeDiffers.records(), 'home'), { context: 3 }));
  t.match(home, { index: 3, compared: 1, reason: 'registers', registers: [{ name: 'r0', a: 0, b: 1 }] });
  t.strictSame(home.context.a.map((r) => r.i), [2], 'the context is home\'s instructions before it');
  const text = divergenceText(home, { a: 'a.trace', b: 'b.trace' }, { a: () => 'x', b: () => 'x' }, 'home');
  t.equal(text[0], 'first divergence in home after 1 of its instructions, at instruction 3: r0 00000000 (a) vs 00000001 (b)');
  t.equal(divergence(diffTraces(a.records(), homeDiffers.records())).index, 3, 'the whole traces differ there too');

  // Work runs one more instruction first: every later index moves, home's instructions do not change.
  const moved = openTrace(writeTrace('moved.trace', shifted));
  t.strictSame(diffTraces(partitionView(a.records(), 'home'), partitionView(moved.records(), 'home')), { same: true, instructions: 4 }, 'home: the same, paired by position');
  const work = divergence(diffTraces(partitionView(a.records(), 'work'), partitionView(moved.records(), 'work')));
  t.match(work, { index: 1, compared: 1, reason: 'encoding' }, 'work: its second instruction is another');
  const both = openTrace(writeTrace('moved-home-differs.trace', homeR0(shifted, 4)));
  const d = divergence(diffTraces(partitionView(a.records(), 'home'), partitionView(both.records(), 'home')));
  t.equal(
    divergenceText(d, { a: 'a', b: 'b' }, { a: () => 'x', b: () => 'x' }, 'home')[0],
    'first divergence in home after 1 of its instructions, at instruction 3 (a) / 4 (b): r0 00000000 (a) vs 00000001 (b)',
  );
});


function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (e) {
    return e;
  }
  return new Error('nothing thrown');
}

t.test('trace show --vm and trace diff --vm', async (t) => {
  const a = writeTrace('cli-a.trace', written);
  const b = writeTrace('cli-b.trace', homeR0(written, 3));
  const lines = handsetTrace('show', a, '--vm', 'home', '--count', '2').out.split('\n');
  t.strictSame(
    lines.map((l) => l.trim().replace(/\s+/g, ' ')),
    [
      '101 * switch work -> home [in]',
      '2 102 00008000 e1a04000 mov r4, r0 r0=c0000000 r1=00200000 r2=00000001 r3=00000000 r4=c0000000 r5=00000000 r6=00000000 r7=00000000 r8=00000000 r9=00000000 r10=00000000 r11=00000000 r12=00000000 r13=00200000 r14=00000000 cpsr=00000010 spsr=00000000',
      '3 103 00008004 e3a00000 mov r0, #0 r0=00000000',
      '',
    ],
    'home\'s first two instructions and the switch into it',
  );
  const json = handsetTrace('show', a, '--vm', 'work', '--from', '5', '--json').out.trim().split('\n').map((l) => JSON.parse(l));
  t.strictSame(json.map((r) => r.event ?? r.vm), ['work', 'guestFault', 'work', 'work', 'button', 'hypercall', 'guestState']);
  t.strictSame(handsetTrace('diff', a, b, '--vm', 'work'), { status: 0, out: 'same: 5 instructions of work\n' });
  t.strictSame(handsetTrace('diff', a, b, '--vm', 'work', '--arch-only'), { status: 0, out: 'same: 5 instructions of work (PC and registers)\n' });
  const d = handsetTrace('diff', a, b, '--vm', 'home', '--context', '1');
  t.equal(d.status, 1);
  t.equal(d.out.split('\n')[0], 'first divergence in home after 1 of its instructions, at instruction 3: r0 00000000 (a) vs 00000001 (b)');
  t.equal(handsetTrace('diff', a, b).out.split('\n')[0], 'first divergence at instruction 3: r0 00000000 (a) vs 00000001 (b)', 'without --vm, as ever');

  const bare = writeTrace('bare.trace', syntheticStream({ instructions: 10, seed: 1 }), HEADER);
  const errors: [string[], string][] = [
    [['show', a, '--vm', 'play'], `--vm play: not a partition of ${a} (its partitions: work, home)`],
    [['diff', a, b, '--vm', 'Work'], `--vm Work: not a partition of ${a} (its partitions: work, home)`],
    [['show', bare, '--vm', 'work'], `--vm work: ${bare} is a bare-metal trace (it has no partitions)`],
    [['diff', a, bare, '--vm', 'work'], `--vm work: ${bare} is a bare-metal trace (it has no partitions)`],
  ];
  for (const [argv, message] of errors) {
    const e = thrown(() => handsetTrace(...argv));
    t.type(e, UsageError, argv.join(' '));
    t.equal((e as Error).message, message);
  }
});
