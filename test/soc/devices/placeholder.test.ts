import t from 'tap';
import type { LogClass, Logger } from '../../../src/soc/device.ts';
import { Placeholder } from '../../../src/soc/devices/placeholder.ts';

t.test('reads as zero, ignores writes, logs each access with its address', async (t) => {
  const logs: [LogClass, string][] = [];
  const logger: Logger = { enabled: () => true, log: (cls, message) => logs.push([cls, message]) };
  const rtc = new Placeholder({ name: 'rtc', base: 0x1001_7000, size: 0x1000, logger });
  t.equal(rtc.size, 0x1000);
  t.equal(rtc.read(0x0, 4), 0);
  rtc.write(0x10, 1, 0xab);
  t.equal(rtc.read(0x10, 1), 0);
  t.same(logs, [
    ['guest-errors', 'rtc: unmodelled device read at 0x10017000+0x0 (size 4) -> 0'],
    ['guest-errors', 'rtc: unmodelled device write at 0x10017000+0x10 (size 1) <- 0xab'],
    ['guest-errors', 'rtc: unmodelled device read at 0x10017000+0x10 (size 1) -> 0'],
  ]);
  t.equal(rtc.registerName(), undefined);
});

t.test('nothing is formatted when guest errors are not logged', async (t) => {
  let calls = 0;
  const logger: Logger = { enabled: () => false, log: () => calls++ };
  const dma = new Placeholder({ name: 'dma', base: 0x1003_0000, size: 0x1000, logger });
  dma.write(0, 4, 1);
  t.equal(dma.read(0, 4), 0);
  t.equal(calls, 0);
});
