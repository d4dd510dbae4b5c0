// The virtual modem splitter against the real baseband: each guest a modem with one line, its own.
import t from 'tap';
import { Splitter } from '../../src/modem/splitter.ts';
import { Harness } from './harness.ts';

const WORK = '+15550100';
const HOME = '+15550199';

/** Two guests (0 = work on line 1, 1 = home on line 2) on one baseband through the splitter. */
class Rig {
  readonly h = new Harness({ lines: [WORK, HOME] });
  readonly splitter = new Splitter(2);
  readonly out = ['', ''];

  constructor() {
    this.splitter.numbers = [WORK, HOME];
    this.settle();
    this.take();
  }

  /** Moves bytes both ways and lets virtual time pass until nothing more happens (`ms` at least). */
  settle(ms = 20): void {
    for (let round = 0; round < 200; round++) {
      const wire = this.splitter.takeWire();
      for (const b of wire) this.h.modem.receive(b);
      const answer = this.h.sink.drain();
      this.h.modem.pump();
      if (answer.length > 0) this.splitter.fromModem(Uint8Array.from(answer));
      this.h.advance(1);
      if (round >= ms && wire.length === 0 && answer.length === 0) break;
    }
  }

  /** What each guest has received since the last call (and reads it). */
  take(): string[] {
    const got = [0, 1].map((g) => Buffer.from(this.splitter.toGuest(g, 1 << 20)).toString('latin1'));
    return got;
  }

  /** Guest g sends a command line; returns what it got back after the link settled. */
  at(g: number, line: string, ms = 20): string {
    this.splitter.fromGuest(g, Buffer.from(`${line}\r`, 'latin1'));
    this.settle(ms);
    return this.take()[g];
  }
}

const lines = (s: string) => s.split(/\r\n|\r/).filter((l) => l !== '');

t.test('each guest configures its own channel; results go only to the one that asked', async (t) => {
  const r = new Rig();
  t.same(lines(r.at(0, 'ATE0')), ['ATE0', 'OK'], 'echo on until ATE0 (a fresh modem echoes)');
  t.same(lines(r.at(0, 'AT')), ['OK']);
  t.same(lines(r.at(1, 'AT')), ['AT', 'OK'], 'home still echoes: its own settings');
  t.same(r.take(), ['', ''], 'nothing more for anybody');
  t.same(lines(r.at(0, 'AT+CNUM')), [`+CNUM: ,"${WORK}",145`, 'OK'], 'work sees only its own number');
  r.at(1, 'ATE0');
  t.same(lines(r.at(1, 'AT+CNUM')), [`+CNUM: ,"${HOME}",145`, 'OK']);
  t.same(lines(r.at(0, 'AT+CSQ')).slice(-1), ['OK'], 'other commands go to the modem');
  t.same(lines(r.at(0, 'AT^SALS=1,2')), ['ERROR'], 'no line selection in a one-line modem');
});

t.test('an incoming call to the work line rings only in work; home cannot answer or end it', async (t) => {
  const r = new Rig();
  for (const g of [0, 1]) r.at(g, 'ATE0;+CLIP=1;+CMEE=1');
  r.h.network.incomingCall('+15557777', 1);
  r.settle(10);
  const [work, home] = r.take();
  t.same(lines(work), ['RING', '+CLIP: "+15557777",145'], 'RING and the caller for work (no +CRING, no +CDIP: it did not ask)');
  t.equal(home, '', 'nothing for home');
  t.same(lines(r.at(1, 'ATA')), ['+CME ERROR: 3'], 'home may not answer it');
  t.same(lines(r.at(1, 'ATH')), ['+CME ERROR: 3'], 'nor hang it up');
  t.same(lines(r.at(1, 'AT+CLCC')), ['OK'], 'home sees no call');
  t.same(lines(r.at(0, 'AT+CLCC')), ['+CLCC: 1,1,4,0,0,"+15557777",145', 'OK'], 'work sees its incoming call');
  t.same(lines(r.at(0, 'ATA')), ['OK'], 'work answers');
  t.match(lines(r.at(0, 'AT+CLCC'))[0], /^\+CLCC: 1,1,0,0,0,/, 'active');
  r.h.network.hangUp();
  r.settle(10);
  const after = r.take();
  t.same(lines(after[0]), ['NO CARRIER'], 'the far end hung up: work is told');
  t.equal(after[1], '', 'home is not');
});

t.test('outgoing calls from both guests at once: serialised, each on its own line, each gets only its results', async (t) => {
  const r = new Rig();
  for (const g of [0, 1]) r.at(g, 'ATE0;+CMEE=1');
  r.splitter.fromGuest(0, Buffer.from('ATD+15551111;\r'));
  r.splitter.fromGuest(1, Buffer.from('ATD+15552222;\r'));
  r.settle(30);
  const [work, home] = r.take();
  t.same(lines(work), ['OK'], 'work dials first');
  t.same(lines(home), ['+CME ERROR: 3'], 'home is refused by the modem while the one radio sets up work\'s call: its own result, nobody else\'s');
  t.same(r.h.network.calls().map((c) => [c.number, c.line]), [['+15551111', 1]], 'work\'s call went out on the work line');
  t.same(lines(r.at(1, 'AT+CLCC')), ['OK'], 'home lists no call');
  t.same(lines(r.at(1, 'ATH')), ['+CME ERROR: 3'], 'and may not end work\'s');
  t.same(lines(r.at(0, 'ATH')), ['OK'], 'work ends its call');
  t.same(lines(r.at(1, 'ATD+15552222;')), ['OK'], 'now home dials');
  t.same(r.h.network.calls().map((c) => [c.number, c.line]), [['+15552222', 2]], 'on the home line');
  t.same(lines(r.at(1, 'AT+CLCC')).map((l) => l.split(',')[5]), ['"+15552222"', undefined], 'home lists its call');
  t.same(lines(r.at(0, 'AT+CLCC')), ['OK'], 'work lists none');
});

t.test('SMS: each line\'s message lands in its guest; the prompt exchange is one unit', async (t) => {
  const r = new Rig();
  for (const g of [0, 1]) r.at(g, 'ATE0;+CMGF=1');
  r.h.network.incomingSms('+15553333', 2, 'hi home');
  r.settle(10);
  const [work, home] = r.take();
  t.equal(work, '');
  const cmti = lines(home);
  t.match(cmti[0], /^\+CMTI: "SM",(\d+)$/);
  const index = Number(cmti[0].split(',')[1]);
  t.same(lines(r.at(0, `AT+CMGR=${index}`)), ['+CMS ERROR: 321'], 'work cannot read home\'s message');
  t.match(r.at(1, `AT+CMGR=${index}`), /hi home/);
  r.splitter.fromGuest(0, Buffer.from('AT+CMGS="+15554444"\r'));
  r.settle(5);
  t.match(r.take()[0], /> $/, 'work gets the prompt');
  r.splitter.fromGuest(1, Buffer.from('AT+CSQ\r'));
  r.settle(5);
  t.equal(r.take()[1], '', 'home\'s command waits while work types its message');
  r.splitter.fromGuest(0, Buffer.from('meeting at 3\x1a'));
  r.settle(10);
  const [w2, h2] = r.take();
  t.match(w2, /\+CMGS: \d+\r\n\r\nOK\r\n$/);
  t.match(lines(h2), [/^\+CSQ: \d+,\d+$/, 'OK'], 'then home\'s command runs');
});

t.test('a flooding, garbage-sending guest affects only itself', async (t) => {
  const run = (noisy: boolean) => {
    const r = new Rig();
    r.at(1, 'ATE0');
    if (noisy) {
      for (let k = 0; k < 50; k++) r.splitter.fromGuest(0, Buffer.from('AT+CSQ\r'));
      r.splitter.fromGuest(0, Buffer.from(`AT${'X'.repeat(600)}\r\x00\xff\r\r\nATZZZ\r`));
    }
    const got: string[] = [];
    for (const cmd of ['AT+CSQ', 'AT+CNUM', 'AT+CREG?']) got.push(r.at(1, cmd, 40));
    r.h.network.incomingCall('+15558888', 2);
    r.settle(10);
    got.push(r.take()[1]);
    return got;
  };
  t.same(run(true), run(false), 'home\'s traffic is byte-identical with and without the noise');
});

t.test('a guest that never reads loses its own oldest output, nobody else\'s', async (t) => {
  const r = new Rig();
  r.at(1, 'ATE0');
  for (let k = 0; k < 400; k++) {
    r.splitter.fromGuest(0, Buffer.from('AT+CGMI\r'));
    r.settle(2);
  }
  t.ok(r.splitter.toGuest(0, 1 << 20).length <= 4096, 'bounded');
  t.same(lines(r.at(1, 'AT')), ['OK']);
});

t.test('snapshots: save and load give a splitter that goes on the same way', async (t) => {
  const r = new Rig();
  r.at(0, 'ATE0');
  r.splitter.fromGuest(1, Buffer.from('AT+CS'));
  const copy = new Splitter(2);
  copy.numbers = [WORK, HOME];
  copy.load(JSON.parse(JSON.stringify(r.splitter.save())));
  t.same(copy.save(), r.splitter.save());
  t.throws(() => copy.load({ guests: [] }), { name: 'SnapshotError' });
});

t.test('garbage on the modem wire is survived: the splitter goes on and both guests still get their answers', async (t) => {
  const r = new Rig();
  for (const g of [0, 1]) r.at(g, 'ATE0');
  let seed = 7;
  const noise = Array.from({ length: 5000 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff);
  r.splitter.fromModem(Uint8Array.from(noise));
  r.splitter.fromModem(Buffer.from('\r\n^SALS: 9\r\n\r\nRING\r\n\r\n+CLCC: x,y\r\n\r\nOK\r\n\r\n> \r\n'));
  r.take();
  t.same(lines(r.at(0, 'AT+CNUM')), [`+CNUM: ,"${WORK}",145`, 'OK'], 'work goes on');
  t.same(lines(r.at(1, 'AT+CSQ')).slice(-1), ['OK'], 'home goes on');
});
