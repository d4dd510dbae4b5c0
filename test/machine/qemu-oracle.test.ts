// QEMU is the oracle: every firmware image, and C programs this project has never seen, built with
// newlib's rdimon.specs, print the same console output and exit with the same status under handset as
// under qemu-system-arm -M realview-eb -semihosting. QEMU runs on virtual time (-icount) and handset's
// clock matches it (test/helpers/qemu.ts), so images that use timers never depend on the host's speed.
import t from 'tap';
import { runFirmware } from '../helpers/run-firmware.ts';
import { QEMU_CLOCK_HZ, runQemu } from '../helpers/qemu.ts';
import { buildUnseenProgram } from '../helpers/unseen-program.ts';

const IMAGES = ['hello', 'timer-irq', 'exceptions', 'mmu', 'thumb', 'wfi', 'newlib-demo', 'echo', 'irq-sources', 'usr-svc', 'rx-irq'];
const INPUT: Record<string, string> = { echo: 'hello world\nabc 123\nq\n', 'irq-sources': 'xy', 'rx-irq': 'ab\ncq' };

const RUNS = [
  ...IMAGES.map((name) => ({ name, cpu: 'arm926' as const })),
  ...['hello', 'thumb', 'timer-irq', 'exceptions', 'irq-sources', 'usr-svc', 'rx-irq'].map((name) => ({ name, cpu: 'arm1176' as const })),
];

t.test('firmware images match QEMU', async (t) => {
  for (const { name, cpu } of RUNS) {
    const image = `firmware/${name}.elf`;
    const q = runQemu(image, cpu, INPUT[name]);
    const h = runFirmware(image, { cpu, stdin: INPUT[name], clockHz: QEMU_CLOCK_HZ });
    t.equal(h.stdout, q.stdout, `${name} on ${cpu}: stdout`);
    t.equal(h.stderr, q.stderr, `${name} on ${cpu}: stderr`);
    t.same(h.outcome, { kind: 'exit', status: q.status }, `${name} on ${cpu}: exit status`);
  }
});

t.test('an unseen newlib C program behaves as under QEMU', async (t) => {
  const elf = buildUnseenProgram();
  const q = runQemu(elf);
  t.equal(q.status, 7, 'QEMU ran it');
  const h = runFirmware(elf, { clockHz: QEMU_CLOCK_HZ });
  t.equal(h.stdout, q.stdout);
  t.equal(h.stderr, q.stderr);
  t.same(h.outcome, { kind: 'exit', status: 7 });
});
