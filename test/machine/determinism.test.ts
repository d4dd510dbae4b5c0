// Same image, same options: identical console output and identical final instruction and cycle counts,
// with the native block clock and with its TypeScript reference (which must agree with each other).
import t from 'tap';
import { runFirmware } from '../helpers/run-firmware.ts';

for (const name of ['timer-irq', 'wfi', 'newlib-demo', 'thumb']) {
  t.test(name, async (t) => {
    const image = `firmware/${name}.elf`;
    const a = runFirmware(image, { blockClock: 'native' });
    const b = runFirmware(image, { blockClock: 'native' });
    const ref = runFirmware(image, { blockClock: 'js' });
    t.same(b, a, 'two native runs are identical');
    t.same(ref, a, 'the TypeScript reference gives the same output and counts');
    t.ok(a.instructions > 0);
  });
}

t.test('WFI sleeps cost no instructions: the clock jumps to the next timer event', async (t) => {
  const run = runFirmware('firmware/wfi.elf');
  // Three 10 ms ticks at the default 200 MHz arm926 clock: at least 6 M cycles pass, while well under
  // 10 000 instructions run.
  t.ok(run.cycles >= 6_000_000, `cycles ${run.cycles}`);
  t.ok(run.instructions < 10_000, `instructions ${run.instructions}`);
});
