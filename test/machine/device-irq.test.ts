// A device write that raises the CPU's IRQ line takes effect exactly once (issue 6, defect 1). The IRQ
// listener used to stop Unicorn from inside the MMIO callback; Unicorn then restarts the translation block
// from its start, so the block's earlier stores ran again ("aab" where QEMU prints "ab", and with IRQs
// unmasked the raising write itself repeated after every IRQ, for ever). firmware/irq-sources raises
// interrupts from GIC, PL011 and SP804 writes with IRQs masked and unmasked; its expected output is QEMU's.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { runFirmware } from '../helpers/run-firmware.ts';

const expected = readFileSync('firmware/expected/irq-sources.out', 'latin1');
const input = readFileSync('firmware/expected/irq-sources.in', 'latin1');

for (const blockClock of ['native', 'js'] as const) {
  for (const timing of ['fast', 'cycle'] as const) {
    t.test(`irq-sources (${blockClock} block clock, ${timing} timing): every device write happens once`, async (t) => {
      const run = runFirmware('firmware/irq-sources.elf', { blockClock, timing, stdin: input, limits: { maxInsns: 2_000_000 } });
      t.match(run.stdout, /^1 ab\{gic\}\n2 c\{gic\}d\n/, 'GIC pending bit set between two UART writes of one block');
      t.equal(run.stdout, expected, 'what QEMU prints');
      t.same(run.outcome, { kind: 'exit', status: 0 });
    });
  }
}
