// Same image, same options: identical console output and identical final instruction and cycle counts,
// in both timing modes, with the native block clock and with its TypeScript reference (which must agree).
import t from 'tap';
import { runFirmware } from '../helpers/run-firmware.ts';

const RUNS = [
  ...['timer-irq', 'wfi', 'newlib-demo', 'thumb'].map((name) => ({ name, cpu: 'arm926' as const, timing: 'fast' as const })),
  ...['timer-irq', 'exceptions', 'thumb'].map((name) => ({ name, cpu: 'arm926' as const, timing: 'cycle' as const })),
  ...['newlib-demo', 'exceptions'].map((name) => ({ name, cpu: 'arm1176' as const, timing: 'cycle' as const })),
];

for (const { name, cpu, timing } of RUNS) {
  t.test(`${name} on ${cpu}, ${timing} timing`, async (t) => {
    const image = `firmware/${name}.elf`;
    const a = runFirmware(image, { cpu, timing, blockClock: 'native' });
    const b = runFirmware(image, { cpu, timing, blockClock: 'native' });
    const ref = runFirmware(image, { cpu, timing, blockClock: 'js' });
    t.same(b, a, 'two native runs are identical');
    t.same(ref, a, 'the TypeScript reference gives the same output and counts (branch exits, return stack)');
    t.ok(a.instructions > 0);
    if (timing === 'cycle') t.ok(a.cycles > a.instructions, 'cycle timing charges more than one cycle per instruction');
  });
}

t.test('WFI sleeps cost no instructions: the clock jumps to the next timer event', async (t) => {
  const run = runFirmware('firmware/wfi.elf');
  // Three 10 ms ticks at the default 200 MHz arm926 clock: at least 6 M cycles pass, while well under
  // 10 000 instructions run.
  t.ok(run.cycles >= 6_000_000, `cycles ${run.cycles}`);
  t.ok(run.instructions < 10_000, `instructions ${run.instructions}`);
});
