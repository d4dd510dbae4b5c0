import t from 'tap';
import { silentLogger, type LogClass, type Logger } from '../../../src/soc/device.ts';
import { Placeholder } from '../../../src/soc/devices/placeholder.ts';

t.test('reads as zero, ignores writes, logs each access with its address as unimplemented', async (t) => {
  const logs: [LogClass, string][] = [];
  const logger: Logger = { enabled: () => true, log: (cls, message) => logs.push([cls, message]) };
  const rtc = new Placeholder({ name: 'rtc', base: 0x1001_7000, size: 0x1000, logger });
  t.equal(rtc.size, 0x1000);
  t.equal(rtc.read(0x0, 4), 0);
  rtc.write(0x10, 1, 0xab);
  t.equal(rtc.read(0x10, 1), 0);
  t.same(logs, [
    ['unimp', 'rtc: unmodelled device read at 0x10017000+0x0 (size 4) -> 0'],
    ['unimp', 'rtc: unmodelled device write at 0x10017000+0x10 (size 1) <- 0xab'],
    ['unimp', 'rtc: unmodelled device read at 0x10017000+0x10 (size 1) -> 0'],
  ]);
  t.equal(rtc.registerName(), undefined);
});

t.test('accesses are logged under unimp only, never as guest errors (QEMU LOG_UNIMP)', async (t) => {
  const logs: [LogClass, string][] = [];
  const logger: Logger = { enabled: (cls) => cls === 'guest-errors', log: (cls, message) => logs.push([cls, message]) };
  const kmi = new Placeholder({ name: 'kmi0', base: 0x1000_6000, size: 0x1000, logger });
  kmi.write(0, 4, 1);
  t.equal(kmi.read(0, 4), 0);
  t.same(logs, []);
});

t.test('an interrupt line that is never raised, and no state', async (t) => {
  const clcd = new Placeholder({ name: 'clcd', base: 0x1002_0000, size: 0x1000, logger: silentLogger });
  const levels: boolean[] = [];
  clcd.irq.connect((level) => levels.push(level));
  clcd.write(0x18, 4, 0xffffffff);
  clcd.read(0x1c, 4);
  clcd.reset();
  t.same(levels, [false]);
  t.same(JSON.parse(JSON.stringify(clcd.save())), {});
  clcd.load({});
  t.throws(() => clcd.load({ enabled: true }), { name: 'SnapshotError', message: 'clcd: snapshot field enabled: unknown field' });
  t.throws(() => clcd.load([] as never), { name: 'SnapshotError', message: 'clcd: snapshot: expected an object, got an array' });
});

t.test('nothing is formatted when unimplemented accesses are not logged', async (t) => {
  let calls = 0;
  const logger: Logger = { enabled: () => false, log: () => calls++ };
  const dma = new Placeholder({ name: 'dma', base: 0x1003_0000, size: 0x1000, logger });
  dma.write(0, 4, 1);
  t.equal(dma.read(0, 4), 0);
  t.equal(calls, 0);
});
