// Back-pressure: the baseband pushes only as much as the UART's receive FIFO takes, keeps the rest in a
// bounded queue (LIMITS.output bytes), drops whole texts that do not fit, and goes on when the reader reads.
import t from 'tap';
import { LIMITS } from '../../src/modem/baseband.ts';
import { ModemLink } from '../../src/machine/modem-link.ts';
import { Clock } from '../../src/soc/clock.ts';
import { silentLogger } from '../../src/soc/device.ts';
import { Pl011 } from '../../src/soc/devices/pl011.ts';
import { Harness, HZ } from './harness.ts';

const CNUM = '\r\n+CNUM: "Line 1","+15550100",145\r\n+CNUM: "Line 2","+15550199",145\r\n\r\nOK\r\n';

t.test('a reader that never reads: 32 bytes in the FIFO, a bounded queue, whole responses dropped', async (t) => {
  const h = new Harness({ capacity: 32 });
  h.at('ATE0');
  h.sink.drain();
  const mark = h.sink.bytes.length;
  for (let k = 0; k < 200; k++) h.at('AT+CNUM');
  t.equal(h.sink.bytes.length - mark, 32, 'the sink holds its 32 bytes');
  t.ok(h.modem.queued <= LIMITS.output, `the queue stays within ${LIMITS.output} bytes (${h.modem.queued})`);
  const fits = Math.floor((LIMITS.output + 32) / CNUM.length);
  t.equal(h.modem.queued, fits * CNUM.length - 32, 'as many whole responses as fit');
  t.equal(h.modem.dropped, (200 - fits) * CNUM.length, 'the others were dropped and counted');
  h.network.incomingCall('+15557777', 1);
  t.same(h.network.calls().length, 1, 'the modem goes on working');

  // The reader starts reading: everything queued comes out, in order.
  const got: number[] = [];
  while (h.modem.queued > 0) {
    got.push(...h.sink.drain());
    h.modem.pump();
  }
  got.push(...h.sink.drain());
  t.equal(Buffer.from(got).toString('latin1'), CNUM.repeat(fits) + (h.modem.dropped > (200 - fits) * CNUM.length ? '' : '\r\nRING\r\n'), 'whole responses, none torn, then what still fitted');
  h.sink.setCapacity(Infinity);
  h.output();
  t.equal(h.at('AT+CSQ'), '\r\n+CSQ: 20,99\r\n\r\nOK\r\n', 'new responses flow again');
});

t.test('held unsolicited results are bounded too', async (t) => {
  const h = new Harness();
  h.at('ATE0;+CMGF=1;+CNMI=2,2');
  h.at('AT+CMGS="+15551234"');
  for (let k = 0; k < 20; k++) h.network.incomingSms('+15557777', 1, 'x'.repeat(160));
  const one = `\r\n+CMT: "+15557777",,"25/01/01,00:00:00+00"\r\n${'x'.repeat(160)}\r\n`;
  t.equal(h.modem.save().held, one.repeat(Math.floor(LIMITS.held / one.length)), `whole results, at most ${LIMITS.held} bytes`);
  t.equal(h.modem.dropped, (20 - Math.floor(LIMITS.held / one.length)) * one.length, 'the rest dropped');
  h.send('\x1b');
  h.advance(2);
  t.equal(h.output(), '\r\nOK\r\n' + one.repeat(Math.floor(LIMITS.held / one.length)), 'they follow the end of the SMS exchange');
});

t.test('on a real PL011: FIFO of 32, onRxSpace moves the rest, the 1-byte holding register without FIFO', async (t) => {
  const clock = new Clock(HZ);
  const uart = new Pl011({ name: 'uart1', time: clock, logger: silentLogger });
  const link = new ModemLink(uart, clock);
  const UARTDR = 0x000;
  const UARTFR = 0x018;
  const UARTLCR_H = 0x02c;
  const RXFE = 0x10;
  const RXFF = 0x40;
  const send = (text: string) => {
    for (const c of text) uart.write(UARTDR, 4, c.charCodeAt(0));
  };
  const advance = (ms: number) => {
    clock.advanceTo(clock.now + (HZ * ms) / 1000);
    clock.fireDue();
  };
  const readAll = () => {
    let out = '';
    while ((uart.read(UARTFR, 4) & RXFE) === 0) out += String.fromCharCode(uart.read(UARTDR, 4) & 0xff);
    return out;
  };

  uart.write(UARTLCR_H, 4, 0x70); // FEN, 8 bits
  send('ATE0\r');
  t.equal(readAll(), 'ATE0\r', 'echo arrives in the FIFO at once');
  advance(1);
  t.equal(readAll(), '\r\nOK\r\n');
  send('AT+CNUM\r');
  advance(1);
  t.equal(uart.read(UARTFR, 4) & RXFF, RXFF, 'the FIFO is full');
  t.equal(link.baseband.queued, CNUM.length - 32, 'the rest waits in the queue');
  t.equal(readAll(), CNUM, 'reading makes room and the rest follows');
  t.equal(link.baseband.queued, 0);

  uart.write(UARTLCR_H, 4, 0x60); // no FIFO: a 1-byte holding register
  send('AT+CSQ\r');
  advance(1);
  t.equal(link.baseband.queued, '\r\n+CSQ: 20,99\r\n\r\nOK\r\n'.length - 1);
  t.equal(readAll(), '\r\n+CSQ: 20,99\r\n\r\nOK\r\n', 'one byte at a time');
});
