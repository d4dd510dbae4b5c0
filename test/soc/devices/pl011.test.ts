import t from 'tap';
import { Clock } from '../../../src/soc/clock.ts';
import { silentLogger, type LogClass, type Logger } from '../../../src/soc/device.ts';
import { Pl011 } from '../../../src/soc/devices/pl011.ts';
import { restoreTwin } from '../fixtures/snapshot.ts';

const UARTDR = 0x000;
const UARTFR = 0x018;
const UARTIBRD = 0x024;
const UARTFBRD = 0x028;
const UARTLCR_H = 0x02c;
const UARTCR = 0x030;
const UARTIFLS = 0x034;
const UARTIMSC = 0x038;
const UARTRIS = 0x03c;
const UARTMIS = 0x040;
const UARTICR = 0x044;
const UARTDMACR = 0x048;

// UARTFR: TXFE 0x80, RXFF 0x40, RXFE 0x10. Interrupt bits: RX 0x10, TX 0x20.
const TXFE = 0x80;
const RXFF = 0x40;
const RXFE = 0x10;
const RXIS = 0x10;
const TXIS = 0x20;
const FEN = 0x10;
const WLEN8 = 0x60;

function setup() {
  const logs: [LogClass, string][] = [];
  const logger: Logger = { enabled: () => true, log: (cls, message) => logs.push([cls, message]) };
  const sent: number[] = [];
  let spaces = 0;
  const uart = new Pl011({
    name: 'uart0',
    time: new Clock(100_000_000),
    logger,
    onTransmit: (byte) => sent.push(byte),
    onRxSpace: () => spaces++,
  });
  return {
    uart,
    logs,
    sent,
    spaces: () => spaces,
    rd: (o: number) => uart.read(o, 4),
    wr: (o: number, v: number) => uart.write(o, 4, v),
  };
}

t.test('reset state (QEMU pl011: CR 0x300, IFLS 0x12, FR TXFE|RXFE)', async (t) => {
  const { uart, rd } = setup();
  t.equal(rd(UARTCR), 0x300, 'TXE and RXE set, UARTEN clear');
  t.equal(rd(UARTIFLS), 0x12, 'half-full triggers');
  t.equal(rd(UARTFR), TXFE | RXFE);
  t.equal(rd(UARTLCR_H), 0);
  t.equal(rd(UARTIMSC), 0);
  t.equal(rd(UARTRIS), 0);
  t.equal(rd(UARTMIS), 0);
  t.equal(uart.irq.level, false);
  const ids = [0xfe0, 0xfe4, 0xfe8, 0xfec, 0xff0, 0xff4, 0xff8, 0xffc].map(rd);
  t.same(ids, [0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1], 'UARTPeriphID0-3, UARTPCellID0-3');
});

t.test('transmit goes straight to the host and sets TXRIS', async (t) => {
  const { uart, sent, rd, wr } = setup();
  wr(UARTDR, 0x41);
  uart.write(UARTDR, 1, 0x42);
  t.same(sent, [0x41, 0x42]);
  t.equal(rd(UARTFR), TXFE | RXFE, 'the TX FIFO is never full or busy');
  t.equal(rd(UARTRIS), TXIS);
  t.equal(uart.irq.level, false, 'masked');
  wr(UARTIMSC, TXIS);
  t.equal(uart.irq.level, true);
  t.equal(rd(UARTMIS), TXIS);
  wr(UARTICR, TXIS);
  t.equal(uart.irq.level, false);
  t.equal(rd(UARTRIS), 0);
});

t.test('FIFO disabled: a one-byte holding register', async (t) => {
  const { uart, spaces, rd, wr } = setup();
  wr(UARTIMSC, RXIS);
  t.equal(uart.canReceive(), true);
  t.equal(uart.receive(0x31), true);
  t.equal(uart.canReceive(), false);
  t.equal(uart.receive(0x32), false, 'full: the caller keeps the byte');
  t.equal(rd(UARTFR), TXFE | RXFF);
  t.equal(rd(UARTRIS), RXIS);
  t.equal(uart.irq.level, true);
  t.equal(rd(UARTDR), 0x31);
  t.equal(rd(UARTFR), TXFE | RXFE);
  t.equal(rd(UARTRIS), 0, 'the read that empties the FIFO clears RXRIS');
  t.equal(uart.irq.level, false);
  t.equal(spaces(), 1, 'onRxSpace after the byte left');
  t.equal(rd(UARTDR), 0x31, 'an empty read returns the last byte again (QEMU)');
  t.equal(spaces(), 1, 'nothing freed');
});

t.test('FIFO enabled: 32 entries, RX interrupt on the first byte', async (t) => {
  const { uart, rd, wr } = setup();
  wr(UARTLCR_H, WLEN8 | FEN);
  wr(UARTIMSC, RXIS);
  for (let i = 0; i < 32; i++) t.equal(uart.receive(i), true, `byte ${i}`);
  t.equal(uart.receive(32), false, 'the 33rd byte is refused');
  t.equal(rd(UARTFR), TXFE | RXFF);
  t.equal(uart.irq.level, true);
  wr(UARTICR, RXIS);
  t.equal(uart.irq.level, false, 'UARTICR clears RXRIS with bytes still queued');
  const got: number[] = [];
  for (let i = 0; i < 31; i++) got.push(rd(UARTDR));
  t.same(got, [...Array(31).keys()], 'first in, first out');
  t.equal(rd(UARTRIS), 0, 'QEMU only raises RXRIS when the FIFO goes from empty to one byte');
  t.equal(rd(UARTFR), TXFE);
  t.equal(rd(UARTDR), 31);
  t.equal(rd(UARTFR), TXFE | RXFE);
  uart.receive(0x55);
  t.equal(rd(UARTRIS), RXIS);
  t.equal(uart.irq.level, true);
});

t.test('toggling UARTLCR_H.FEN empties the receive FIFO', async (t) => {
  const { uart, spaces, rd, wr } = setup();
  wr(UARTLCR_H, FEN);
  uart.receive(1);
  uart.receive(2);
  uart.receive(3);
  wr(UARTLCR_H, FEN | WLEN8);
  t.equal(rd(UARTFR), TXFE, 'FEN unchanged: kept');
  wr(UARTLCR_H, WLEN8);
  t.equal(rd(UARTFR), TXFE | RXFE);
  t.equal(spaces(), 1);
  t.equal(uart.canReceive(), true);
});

t.test('onRxPoll runs before UARTFR and UARTDR reads', async (t) => {
  const { uart, rd } = setup();
  let polls = 0;
  uart.onRxPoll = () => {
    polls++;
    uart.receive(0x7a);
  };
  t.equal(rd(UARTFR), TXFE | RXFF, 'the polled byte is visible in the same read');
  t.equal(rd(UARTDR), 0x7a);
  rd(UARTRIS);
  t.equal(polls, 2);
});

t.test('baud rate divisors keep 16 and 6 bits', async (t) => {
  const { rd, wr } = setup();
  wr(UARTIBRD, 0x12345);
  wr(UARTFBRD, 0xff);
  t.equal(rd(UARTIBRD), 0x2345);
  t.equal(rd(UARTFBRD), 0x3f);
});

t.test('bad offsets, read-only registers and DMA are logged', async (t) => {
  const { rd, wr, logs } = setup();
  t.equal(rd(0x008), 0);
  wr(UARTRIS, 1);
  wr(UARTDMACR, 3);
  t.same(
    logs.map(([cls]) => cls),
    ['guest-errors', 'guest-errors', 'unimp'],
  );
});

t.test('reset empties the FIFO and lowers the line', async (t) => {
  const { uart, rd, wr } = setup();
  wr(UARTIMSC, RXIS | TXIS);
  uart.receive(9);
  wr(UARTDR, 1);
  t.equal(uart.irq.level, true);
  uart.reset();
  t.equal(uart.irq.level, false);
  t.equal(rd(UARTFR), TXFE | RXFE);
  t.equal(rd(UARTIMSC), 0);
  t.equal(uart.registerName(UARTLCR_H), 'UARTLCR_H');
});

/**
 * A UART with the FIFO on, masks and divisors set, both interrupts raised, and three bytes waiting in a
 * receive ring that has wrapped (slots 0-3 hold the new bytes, 4-31 the first 32 bytes' tail).
 */
function busyUart(sent: number[]) {
  const clock = new Clock(100_000_000);
  const uart = new Pl011({ name: 'uart1', time: clock, logger: silentLogger, onTransmit: (b) => sent.push(b) });
  const wr = (o: number, v: number): void => uart.write(o, 4, v);
  wr(UARTLCR_H, FEN | WLEN8);
  wr(UARTIBRD, 0x27);
  wr(UARTFBRD, 0x04);
  wr(UARTCR, 0x301);
  wr(UARTIFLS, 0x09);
  wr(UARTIMSC, RXIS | TXIS);
  for (let i = 0; i < 32; i++) uart.receive(0x40 + i);
  for (let i = 0; i < 32; i++) uart.read(UARTDR, 4);
  for (const b of [0x61, 0x62, 0x63, 0x64]) uart.receive(b);
  uart.read(UARTDR, 4);
  wr(UARTDR, 0x41);
  return { clock, uart };
}

const REGISTERS = [UARTFR, UARTIBRD, UARTFBRD, UARTLCR_H, UARTCR, UARTIFLS, UARTIMSC, UARTRIS, UARTMIS, UARTDMACR];

t.test('snapshot with bytes waiting and interrupts raised continues exactly', async (t) => {
  const sentA: number[] = [];
  const sentB: number[] = [];
  const { clock, uart } = busyUart(sentA);
  t.same(sentA, [0x41]);
  sentA.length = 0;
  const twins = restoreTwin(clock, uart, (c) => new Pl011({ name: 'uart1', time: c, logger: silentLogger, onTransmit: (b) => sentB.push(b) }));
  const { original, copy } = twins;
  t.equal(copy.device.irq.level, true, 'RX and TX interrupts unmasked and raised: the line is high after load');
  t.equal(copy.device.read(UARTRIS, 4), RXIS | TXIS);
  t.equal(copy.device.read(UARTFR, 4), TXFE, 'bytes waiting, not full');
  const compare = (what: string): void => {
    const [a, b] = twins.read(REGISTERS);
    t.same(b, a, what);
  };
  compare('registers after load');
  twins.at(100);
  const [a, b] = twins.read([UARTDR, UARTDR, UARTDR, UARTDR, UARTFR]);
  t.same(b, a, 'UARTDR pops');
  t.same(b, [0x62, 0x63, 0x64, 0x44, TXFE | RXFE], 'the empty read returns the ring slot after the last byte');
  compare('after the FIFO emptied');
  twins.at(200);
  twins.both((d) => d.write(UARTICR, 4, TXIS));
  twins.at(300);
  t.same([original.device.receive(0x70), copy.device.receive(0x70)], [true, true]);
  compare('after another byte');
  twins.at(400);
  twins.both((d) => d.write(UARTDR, 4, 0x42));
  twins.at(500);
  twins.both((d) => d.write(UARTIMSC, 4, 0));
  twins.at(600);
  twins.both((d) => d.write(UARTLCR_H, 4, WLEN8));
  const fill = (d: Pl011): boolean[] => [d.receive(1), d.receive(2)];
  t.same(fill(copy.device), fill(original.device), 'holding register after FEN cleared');
  twins.both((d) => d.write(UARTIMSC, 4, RXIS));
  compare('at the end');
  t.same(sentB, sentA, 'same bytes sent');
  t.same(sentB, [0x42]);
  t.same(copy.irq, original.irq, 'same IRQ line history');
  t.same(copy.irq, [[0, true], [200, false], [300, true], [500, false], [600, true]]);
});

t.test('the PL011 state is plain data', async (t) => {
  const { uart } = busyUart([]);
  const state = uart.save();
  t.strictSame(JSON.parse(JSON.stringify(state)), state);
  t.match(state, {
    registers: { UARTLCR_H: FEN | WLEN8, UARTIBRD: 0x27, UARTFBRD: 0x04, UARTCR: 0x301, UARTIFLS: 0x09, UARTIMSC: RXIS | TXIS },
    ris: RXIS | TXIS,
    rxPos: 1,
    rxCount: 3,
  });
  t.same(state.rxFifo.slice(0, 5), [0x61, 0x62, 0x63, 0x64, 0x44]);
});

t.test('a bad PL011 state is a one-line SnapshotError and changes nothing', async (t) => {
  const { uart } = busyUart([]);
  const good = uart.save();
  const target = setup().uart;
  const before = target.save();
  const regs = (patch: object) => ({ ...good, registers: { ...good.registers, ...patch } });
  const { UARTCR: _, ...noCr } = good.registers;
  const cases: [unknown, string][] = [
    [{ ...good, rxFifo: good.rxFifo.slice(1) }, 'uart0: snapshot field rxFifo: expected 32 elements, got 31'],
    [{ ...good, rxFifo: good.rxFifo.map((b, i) => (i === 3 ? 256 : b)) }, 'uart0: snapshot field rxFifo[3]: 256 is out of range 0..255'],
    [{ ...good, rxFifo: Uint8Array.from(good.rxFifo) }, 'uart0: snapshot field rxFifo: expected an array, got an object'],
    [{ ...good, rxCount: 33 }, 'uart0: snapshot field rxCount: 33 is out of range 0..32'],
    [{ ...regs({ UARTLCR_H: WLEN8 }), rxPos: 0, rxCount: 2 }, 'uart0: snapshot field rxCount: 2 is out of range 0..1'],
    [regs({ UARTLCR_H: WLEN8 }), 'uart0: snapshot field rxPos: 1 is out of range 0..0'],
    [regs({ UARTIBRD: 0x10000 }), 'uart0: snapshot field registers.UARTIBRD: 0x10000 changes read-only bits 0xffff0000'],
    [{ ...good, registers: noCr }, 'uart0: snapshot field registers.UARTCR: missing'],
    [{ ...good, ris: 0x800 }, 'uart0: snapshot field ris: 2048 is out of range 0..2047'],
    [{ ...good, txFifo: [] }, 'uart0: snapshot field txFifo: unknown field'],
  ];
  for (const [state, message] of cases) {
    t.throws(() => target.load(state as never), { name: 'SnapshotError', message }, message);
  }
  t.same(target.save(), before);
});
