// Our `fast` trace of each firmware image whose behaviour does not depend on timer timing equals QEMU's
// architectural trace instruction for instruction (PC and registers before every instruction). The timer
// firmware runs QEMU on virtual time (-icount, handset's clock matched to it: test/helpers/qemu.ts), so
// QEMU's run never depends on the host's speed; QEMU then takes each interrupt at the exact instruction
// where the timer expires and handset at the first block boundary at or after it, so what must match is
// the console output, the sequence of exceptions (five IRQ entries, then the semihosting exit) and where
// each IRQ is taken, to within one block. The echo image is left out: QEMU hands stdin to the UART when
// the host delivers it, so the number of polls before the first byte varies.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadImage } from '../../src/loader/image.ts';
import { memoryLayout } from '../../src/machine/machine.ts';
import { diffTraces } from '../../src/trace/diff.ts';
import { importQemuLog } from '../../src/trace/qemu-import.ts';
import { openTrace } from '../../src/trace/reader.ts';
import type { InsnRecord } from '../../src/trace/records.ts';
import { QEMU_CLOCK_HZ, QEMU_ICOUNT_SHIFT } from '../helpers/qemu.ts';
import { qemuTrace, traceRun } from '../helpers/trace-run.ts';
import { buildUnseenProgram } from '../helpers/unseen-program.ts';

const dir = mkdtempSync(join(tmpdir(), 'handset-trace-'));
const segmentsOf = (image: string) => loadImage(image, {}, memoryLayout(128 * 1024 * 1024)).segments;

const ARCH_IMAGES: { name: string; cpu?: 'arm926' | 'arm1176' }[] = [
  { name: 'hello' },
  { name: 'exceptions' },
  { name: 'mmu' },
  { name: 'thumb' },
  { name: 'newlib-demo' },
  { name: 'exceptions', cpu: 'arm1176' },
];

for (const { name, cpu } of ARCH_IMAGES) {
  t.test(`${name} on ${cpu ?? 'arm926'}: fast trace equals QEMU's, instruction for instruction`, async (t) => {
    const image = `firmware/${name}.elf`;
    const ours = join(dir, `${name}-${cpu}.trace`);
    const log = join(dir, `${name}-${cpu}.qlog`);
    const run = traceRun(image, ours, { cpu });
    t.equal(qemuTrace(image, log, '', cpu), run.status, 'same exit status');
    const result = diffTraces(openTrace(ours).records(), importQemuLog(log, segmentsOf(image)), { archOnly: true, context: 3 });
    t.same(result, { same: true, instructions: run.instructions });
  });
}

t.test('an unseen newlib C program: fast trace equals QEMU\'s, instruction for instruction', async (t) => {
  const image = buildUnseenProgram();
  const ours = join(dir, 'unseen.trace');
  const log = join(dir, 'unseen.qlog');
  const run = traceRun(image, ours);
  t.equal(qemuTrace(image, log), 7);
  t.equal(run.status, 7);
  const result = diffTraces(openTrace(ours).records(), importQemuLog(log, segmentsOf(image)), { archOnly: true, context: 3 });
  t.same(result, { same: true, instructions: run.instructions });
});

/** Vectors entered, in order, with the index of the instruction at the vector. */
function vectorEntries(records: Iterable<{ kind: string }>): { vector: number; i: number }[] {
  const out: { vector: number; i: number }[] = [];
  let i = 0;
  for (const r of records) {
    if (r.kind !== 'insn') continue;
    const pc = (r as InsnRecord).pc;
    if (pc < 0x20 && pc % 4 === 0 && pc > 0) out.push({ vector: pc, i });
    i++;
  }
  return out;
}

t.test('timer-irq on virtual time: the same exceptions as QEMU, each IRQ taken within a block of it', async (t) => {
  const image = 'firmware/timer-irq.elf';
  const ours = join(dir, 'timer-irq.trace');
  const log = join(dir, 'timer-irq.qlog');
  const run = traceRun(image, ours, { clockHz: QEMU_CLOCK_HZ });
  t.equal(qemuTrace(image, log, '', 'arm926', QEMU_ICOUNT_SHIFT), 0);
  t.equal(run.status, 0);
  const mine = vectorEntries(openTrace(ours).records());
  const theirs = vectorEntries(importQemuLog(log, segmentsOf(image)));
  t.same(mine.map((e) => e.vector), [0x18, 0x18, 0x18, 0x18, 0x18], 'five IRQ entries');
  t.same(theirs.map((e) => e.vector), mine.map((e) => e.vector), 'QEMU: the same exceptions');
  // The wait loop is one block of 4 instructions. QEMU on icount takes the IRQ at the instruction where the
  // timer expires; handset at the next block boundary: at most the block's 4 instructions later.
  const lag = mine.map((e, k) => e.i - (theirs[k]?.i ?? NaN));
  t.ok(lag.every((d) => d >= 0 && d <= 4), `IRQs taken within one block of QEMU's (lag ${lag.join(', ')})`);
});
