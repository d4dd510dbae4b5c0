/** Machine.step(): exactly one instruction, the same sequence of PCs and cycles as a traced full run. */
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadImage } from '../../src/loader/image.ts';
import { Machine, memoryLayout, type TimingMode } from '../../src/machine/machine.ts';
import { openTrace } from '../../src/trace/reader.ts';
import { traceRun } from '../helpers/trace-run.ts';

const RAM = 128 << 20;
const dir = mkdtempSync(join(tmpdir(), 'handset-step-'));

for (const [image, timing] of [['hello', 'fast'], ['thumb', 'fast'], ['exceptions', 'cycle'], ['timer-irq', 'fast'], ['mmu', 'fast']] as [string, TimingMode][]) {
  t.test(`${image} (${timing}): stepping visits the traced run's instructions one by one`, async (t) => {
    const path = `firmware/${image}.elf`;
    const tracePath = join(dir, `${image}-${timing}.trace`);
    traceRun(path, tracePath, { timing });
    const records = [...openTrace(tracePath).records()].filter((r) => r.kind === 'insn');
    const machine = new Machine({ cpu: 'arm926', ramSize: RAM, timing });
    machine.load(loadImage(path, {}, memoryLayout(RAM)));
    const limit = Math.min(records.length, 4000);
    let mismatches = 0;
    let exited = false;
    for (let n = 0; n < limit; n++) {
      const want = records[n];
      if (want.kind !== 'insn') continue;
      // In fast timing every instruction costs one cycle, so the clock agrees too; in cycle timing a step
      // charges the instruction alone, without the branch edge into the next block.
      const cycleOk = timing === 'cycle' || machine.cycles === want.cycle;
      if (machine.pc !== want.pc || machine.instructions !== n || !cycleOk) {
        t.fail(`before instruction ${n}: pc 0x${machine.pc.toString(16)}, ${machine.instructions} retired, cycle ${machine.cycles}; the trace has pc 0x${want.pc.toString(16)} at cycle ${want.cycle}`);
        if (++mismatches > 3) break;
      }
      const outcome = machine.step();
      if (outcome.kind === 'exit') {
        exited = true;
        t.equal(n, records.length - 1, 'exits at the last traced instruction');
        break;
      }
      t.not(outcome.kind, 'waiting');
    }
    t.equal(mismatches, 0, `${limit} steps match the trace`);
    if (!exited) t.equal(machine.instructions, limit, 'one instruction per step');
    machine.close();
  });
}
