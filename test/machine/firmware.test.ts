// Every firmware image boots and prints exactly what QEMU printed for it (firmware/expected/, recorded
// from qemu-system-arm -M realview-eb, stdin from expected/X.in), with the same exit status, on every
// CPU model.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { runFirmware } from '../helpers/run-firmware.ts';

const IMAGES = ['hello', 'timer-irq', 'exceptions', 'mmu', 'thumb', 'wfi', 'newlib-demo', 'echo', 'irq-sources'];

function expected(name: string, ext: string): string | undefined {
  const path = `firmware/expected/${name}.${ext}`;
  return existsSync(path) ? readFileSync(path, 'latin1') : undefined;
}

for (const cpu of ['arm926', 'arm1136', 'arm1176'] as const) {
  t.test(`firmware on ${cpu}`, async (t) => {
    for (const name of IMAGES) {
      const run = runFirmware(`firmware/${name}.elf`, { cpu, stdin: expected(name, 'in') });
      t.equal(run.stdout, expected(name, 'out'), `${name}: console output`);
      t.same(run.outcome, { kind: 'exit', status: Number(expected(name, 'status')) }, `${name}: exit status`);
      t.equal(run.stderr, expected(name, 'stderr') ?? '', `${name}: semihosting stderr`);
    }
  });
}
