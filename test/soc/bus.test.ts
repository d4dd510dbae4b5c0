// The bus: host-side code reaches devices exactly as the CPU does, every access is observed, gaps read as
// zero and are logged, and bad host accesses are refused.
import t from 'tap';
import { buildBoard } from '../../src/soc/board.ts';
import { Bus, type BusAccess } from '../../src/soc/bus.ts';
import { Clock } from '../../src/soc/clock.ts';
import type { Logger } from '../../src/soc/device.ts';

function setUp() {
  const logged: string[] = [];
  const logger: Logger = { enabled: (cls) => cls === 'guest-errors', log: (_cls, m) => logged.push(m) };
  const clock = new Clock(1_000_000);
  const board = buildBoard({ time: clock, logger, procId: 0x0c000000 });
  const bus = new Bus(board, 128 << 20, logger);
  const accesses: BusAccess[] = [];
  bus.onAccess = (a) => accesses.push(a);
  return { board, bus, accesses, logged };
}

t.test('a host write reaches the device and is observed with its register name', async (t) => {
  const { board, bus, accesses } = setUp();
  const sent: number[] = [];
  board.uarts[0].onTransmit = (b) => sent.push(b);
  bus.write(0x1000_9030, 4, 0x301); // UARTCR: enable
  bus.write(0x1000_9000, 1, 0x41); // UARTDR
  t.same(sent, [0x41]);
  t.same(accesses.at(-1), { device: 'uart0', register: 'UARTDR', offset: 0, size: 1, write: true, value: 0x41, initiator: 'host' });
  t.equal(bus.read(0x1000_9030, 4), 0x301, 'reads back what was written');
  t.equal(accesses.at(-1)?.register, 'UARTCR');
});

t.test('the hypervisor can drive the GIC through the bus: a pending bit raises the CPU line', async (t) => {
  const { board, bus } = setUp();
  bus.write(0x1004_1000, 4, 1); // GICD_CTLR
  bus.write(0x1004_0000, 4, 1); // GICC_CTLR
  bus.write(0x1004_0004, 4, 0xf0); // GICC_PMR
  bus.write(0x1004_1104, 4, 1 << 12); // GICD_ISENABLER1: ID 44
  t.equal(board.gic.irq.level, false);
  bus.write(0x1004_1204, 4, 1 << 12); // GICD_ISPENDR1
  t.equal(board.gic.irq.level, true);
  t.equal(bus.read(0x1004_000c, 4), 44, 'GICC_IAR acknowledges ID 44');
});

t.test('an address with nothing behind it reads as zero, ignores writes and is logged', async (t) => {
  const { bus, accesses, logged } = setUp();
  t.equal(bus.read(0x1000_8000, 4), 0);
  bus.write(0x1000_8000, 4, 5);
  t.equal(accesses.length, 0, 'no device access');
  t.match(logged, [/unassigned read at 0x10008000/, /unassigned write 0x5 at 0x10008000/]);
});

t.test('bad host accesses are refused with a BusError', async (t) => {
  const { bus } = setUp();
  t.throws(() => bus.read(0x1000_9001, 4), { name: 'BusError' }, 'unaligned');
  t.throws(() => bus.read(0x100, 4), { name: 'BusError' }, 'RAM is not on the bus');
  t.throws(() => bus.read(-4, 4), { name: 'BusError' }, 'negative');
  t.throws(() => bus.write(0x1_0000_0000, 4, 0), { name: 'BusError' }, 'beyond 32 bits');
  t.throws(() => bus.read(0x1000_9000, 3 as 4), { name: 'BusError' }, 'odd size');
});
