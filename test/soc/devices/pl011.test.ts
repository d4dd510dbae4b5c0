import t from 'tap';
import { Clock } from '../../../src/soc/clock.ts';
import type { LogClass, Logger } from '../../../src/soc/device.ts';
import { Pl011 } from '../../../src/soc/devices/pl011.ts';

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
