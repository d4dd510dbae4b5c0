// Our `fast` trace of each firmware image whose behaviour does not depend on timer timing equals QEMU's
// architectural trace instruction for instruction (PC and registers before every instruction). For the
// timer firmware, QEMU's timers run on host time, so what must match is the console output and the
// sequence of exceptions (here: five IRQ entries, then the semihosting exit), not the instructions
// spent waiting between ticks. The echo image is left out for the same reason: QEMU hands stdin to the
// UART when the host delivers it, so the number of polls before the first byte varies.
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

/** Vectors entered, in order, from a stream of instruction records (a PC in the vector table). */
function vectorEntries(records: Iterable<{ kind: string }>): number[] {
  const out: number[] = [];
  for (const r of records) if (r.kind === 'insn' && (r as InsnRecord).pc < 0x20 && (r as InsnRecord).pc % 4 === 0 && (r as InsnRecord).pc > 0) out.push((r as InsnRecord).pc);
  return out;
}

t.test('timer-irq: same output and the same sequence of exceptions as QEMU', async (t) => {
  const image = 'firmware/timer-irq.elf';
  const ours = join(dir, 'timer-irq.trace');
  const log = join(dir, 'timer-irq.qlog');
  const run = traceRun(image, ours);
  t.equal(qemuTrace(image, log), 0);
  t.equal(run.status, 0);
  const mine = vectorEntries(openTrace(ours).records());
  const theirs = vectorEntries(importQemuLog(log, segmentsOf(image)));
  t.same(mine, [0x18, 0x18, 0x18, 0x18, 0x18], 'five IRQ entries');
  t.same(theirs, mine);
});
