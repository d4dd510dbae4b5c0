// Declarative register maps: reset values, access modes, write masks, callbacks, sub-word accesses and
// guest-error logging of bad accesses.
import t from 'tap';
import { RegisterMap, deposit, extract } from '../../src/soc/regs.ts';
import type { Logger } from '../../src/soc/device.ts';

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, enabled: () => true, log: (_c, m) => lines.push(m) };
}

t.test('dispatch, reset, masks and callbacks', async (t) => {
  const logger = recordingLogger();
  const writes: number[][] = [];
  let counter = 7;
  const map = new RegisterMap('dev', logger, [
    { name: 'CTRL', offset: 0x0, reset: 0x20, writeMask: 0xff, write: (v, p) => writes.push([v, p]) },
    { name: 'COUNT', offset: 0x4, access: 'ro', read: () => counter },
    { name: 'CLR', offset: 0x8, access: 'wo', write: (v) => writes.push([v]) },
  ]);
  t.equal(map.read(0, 4), 0x20);
  map.write(0, 4, 0x1234);
  t.equal(map.read(0, 4), 0x34, 'bits outside the write mask keep their value');
  t.same(writes, [[0x34, 0x20]]);
  t.equal(map.read(4, 4), 7);
  counter = 9;
  t.equal(map.read(4, 4), 9, 'read callbacks are evaluated on every read');
  map.write(8, 4, 5);
  t.same(writes[1], [5], 'write-only registers hand the written value to their callback');
  map.reset();
  t.equal(map.get('CTRL'), 0x20);
  t.equal(map.nameAt(0x6), 'COUNT');
  t.same(logger.lines, []);
});

t.test('bad accesses are guest errors, not exceptions', async (t) => {
  const logger = recordingLogger();
  const map = new RegisterMap('dev', logger, [
    { name: 'RO', offset: 0x0, access: 'ro', reset: 1 },
    { name: 'WO', offset: 0x4, access: 'wo' },
  ]);
  map.write(0, 4, 5);
  t.equal(map.read(0, 4), 1);
  t.equal(map.read(4, 4), 0);
  t.equal(map.read(0x40, 4), 0);
  t.same(logger.lines, [
    'dev: write of 0x5 to read-only register RO',
    'dev: read of write-only register WO',
    'dev: read of unknown offset 0x40',
  ]);
  t.throws(() => map.define({ name: 'X', offset: 0 }), /two registers at 0x0/);
});

t.test('byte and halfword lanes, little-endian', async (t) => {
  t.equal(extract(0x11223344, 1, 1), 0x33);
  t.equal(extract(0x11223344, 2, 2), 0x1122);
  t.equal(deposit(0x11223344, 3, 1, 0xaa), 0xaa223344);
  t.equal(deposit(0x11223344, 0, 2, 0xbeef), 0x1122beef);
});
