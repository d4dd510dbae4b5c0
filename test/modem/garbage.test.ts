// Garbage on the modem wire is survived: random bytes, NUL and CR/LF storms, very long lines, half commands,
// random command lines mixed with network events. Nothing throws, every timer ends, and afterwards the modem
// answers AT with OK. The same inputs on the same clock give the same bytes.
import t from 'tap';
import type { Test } from 'tap';
import { NetworkError } from '../../src/modem/network.ts';
import { Harness, prng } from './harness.ts';

/** Brings any modem back to a known state the way a TE would: ESC (leaves an SMS entry), CR, ATZ; then AT. */
function recover(h: Harness): string {
  h.send('\x1b\rATZ\r');
  h.advance(5);
  h.output();
  return h.at('AT');
}

/** Lets every timer run out: calls ring out or time out, SMS entries are abandoned. */
function settle(t: Test, h: Harness): void {
  h.advance(200_000);
  h.network.calls().filter((c) => c.state === 'active' || c.state === 'held').forEach((c) => h.network.hangUp(c.id));
  h.advance(200_000);
  t.equal(h.clock.nextDeadline(), Infinity, 'no alarm left pending: nothing waits forever');
}

t.test('random bytes (seeded)', async (t) => {
  for (const seed of [1, 2, 3, 42, 20240611]) {
    const random = prng(seed);
    const h = new Harness();
    for (let k = 0; k < 50_000; k++) {
      h.modem.receive(Math.floor(random() * 256));
      if (random() < 0.01) h.advance(random() * 3);
    }
    settle(t, h);
    t.equal(recover(h), 'AT\r\r\nOK\r\n', `seed ${seed}: AT answers OK afterwards`);
  }
});

t.test('random bytes biased to command characters', async (t) => {
  const alphabet = 'ATatDHEVQZIS0123456789+^=?;,"\r\r\r\x08\x1a\x1b CREGSQLCMIPNWH&F';
  for (const seed of [7, 8, 9]) {
    const random = prng(seed);
    const h = new Harness();
    for (let k = 0; k < 30_000; k++) {
      h.modem.receive(alphabet.charCodeAt(Math.floor(random() * alphabet.length)));
      if (random() < 0.02) h.advance(random() * 5);
    }
    settle(t, h);
    t.equal(recover(h), 'AT\r\r\nOK\r\n', `seed ${seed}`);
  }
});

t.test('NUL, CR and LF storms, control characters', async (t) => {
  const h = new Harness();
  h.send('\x00'.repeat(20_000));
  h.send('\r\n'.repeat(10_000));
  h.send('\n\r'.repeat(10_000));
  for (let c = 0; c < 32; c++) h.send(String.fromCharCode(c).repeat(100));
  h.advance(10);
  t.ok(h.output().length > 0, 'echoed');
  t.equal(h.at('AT'), 'AT\r\r\nOK\r\n');
});

t.test('very long lines', async (t) => {
  const h = new Harness();
  h.at('ATE0');
  t.equal(h.at(`AT${'X'.repeat(100_000)}`), '\r\nERROR\r\n', 'an over-long line: ERROR');
  t.equal(h.at(`AT+CSQ${' '.repeat(300)}`), '\r\nERROR\r\n', 'spaces count towards the limit');
  t.equal(h.at('x'.repeat(100_000)), '', 'a long line without AT is nothing');
  t.equal(h.at(`AT${'"'.repeat(300)}`), '\r\nERROR\r\n');
  t.equal(h.at(`AT+CMGS="${'1'.repeat(250)}"`), '\r\nERROR\r\n', 'a long argument');
  t.equal(h.at('AT'), '\r\nOK\r\n');
  t.equal(h.modem.save().input.body, '', 'nothing of them is kept');
});

t.test('half commands and odd forms', async (t) => {
  const h = new Harness();
  h.at('ATE0;+CMEE=1;+CMGF=1');
  const lines = [
    'AT+', 'AT+CMGS="', 'AT+CMGS=', 'AT+CREG=', 'AT+CREG=,', 'AT+CHLD=1,', 'AT"', 'ATD', 'ATD"', 'AT^', 'AT^SALS=1,',
    'AT+CNMI=,,,,,,', 'AT+CMGR=-1', 'AT+CMGR=99999999999', 'ATS', 'ATS=1', 'ATS99999999999?', 'AT&', 'AT&&', 'AT;;;;',
    'AT+CMEE=1;', 'AT+COPS=3,', 'AT+CCWA=,,', 'AT+CHLD=99', 'AT+CHLD=0x', 'ATD>1;', 'ATD+;', 'ATD*#;', 'AT\\', 'AT+X="\\',
    'AT+CSQ=', 'AT+CNUM?', 'AT=', 'AT?', 'ATA;H', 'AT\x80\xff', 'AT+CMGD=,', 'AT+CLCC=2',
  ];
  for (const line of lines) {
    const out = h.at(line);
    t.match(out, /^(\r\n(\+C[A-Z]+: [^\r]*|[0-9]+|\^SALS: [^\r]*)\r\n)*\r\n(OK|ERROR|NO CARRIER|\+CME ERROR: \d+|\+CMS ERROR: \d+)\r\n$/, `${JSON.stringify(line)} -> ${JSON.stringify(out)}`);
  }
  h.at('ATH');
  t.equal(h.at('AT'), '\r\nOK\r\n');
});

/** Random command lines built from AT words, mixed with random network events. */
function commandFuzz(seed: number): { h: Harness; errors: string[]; states: Set<string>; sent: number } {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const words = [
    '+CLCC', '^HCLCC', '+CHLD=', '0', '1', '2', '11', '12', '21', '22', ';', 'D+15551234;', 'D5550000;', 'D123', 'A', 'H',
    '+CHUP', '+CMGF=1', '+CMGF=1', '+CMGF=1', '+CMGF=0', '+CMGS="+15551234"', '+CMGS="+15550199"', '+CMGR=1', '+CMGR=2', '+CMGD=1', '+CMGD=0,4',
    '+CNMI=2,1', '+CNMI=1,2', '+CNMI=0,0', '+CREG=2', '+CREG?', '+CSQ', '+COPS?', '+CLIP=1', '+CDIP=1', '+CRC=1',
    '+CCWA=1', '+CCWA=1,0', '+CCWA=1,1', '+CLCC=1', '^SALS=1,2', '^SALS=1,1', '^SALS=0', 'S0=1', 'S0=0', 'E0', 'E1',
    'V0', 'V1', 'Q1', 'Q0', '+CMEE=2', '+CMEE=1', '=?', '?', '"', ',', 'Z', 'I', '+CNUM', '+CPIN?',
  ];
  const h = new Harness();
  const errors: string[] = [];
  const states = new Set<string>();
  const network = h.network;
  const events: (() => unknown)[] = [
    () => network.incomingCall(pick(['+15557777', '+15558888', '123']), pick([1, 2] as const)),
    () => network.answer(),
    () => network.hangUp(),
    () => network.hangUp(pick([1, 2, 3])),
    () => network.busy(),
    () => network.noAnswer(),
    () => network.incomingSms('+15557777', pick([1, 2] as const), pick(['hi', '', 'x'.repeat(160)])),
    () => network.registration(pick([0, 1, 1, 1, 2, 5])),
    () => network.signal(pick([0, 10, 31, 99])),
  ];
  for (let k = 0; k < 3000; k++) {
    const r = random();
    if (r < 0.6) {
      let line = 'AT';
      const n = 1 + Math.floor(random() * 4);
      for (let w = 0; w < n; w++) line += pick(words);
      h.send(`${line}\r`);
      if (line.includes('+CMGS=') || random() < 0.1) h.send(`text ${k}${pick(['\x1a', '\x1a', '\x1b', '\r', ''])}`);
    } else if (r < 0.85) {
      try {
        events[Math.floor(random() * events.length)]();
      } catch (e) {
        if (!(e instanceof NetworkError)) throw e;
        errors.push(e.message);
      }
    }
    h.advance(random() < 0.1 ? random() * 10_000 : random() * 3);
    for (const c of network.calls()) states.add(c.state);
  }
  return { h, errors, states, sent: network.sent().length };
}

t.test('random command lines and network events', async (t) => {
  for (const seed of [11, 12, 13, 14]) {
    const { h, errors, states, sent } = commandFuzz(seed);
    t.ok(errors.every((m) => !m.includes('\n')), `seed ${seed}: network errors are one line (${errors.length} refused)`);
    t.same([...states].sort(), ['active', 'alerting', 'dialing', 'held', 'incoming', 'waiting'], `seed ${seed}: every call state was reached`);
    t.ok(sent > 0, `seed ${seed}: SMS were sent (${sent})`);
    settle(t, h);
    t.equal(recover(h), 'AT\r\r\nOK\r\n', `seed ${seed}`);
  }
});

t.test('determinism: the same inputs on the same clock give the same bytes', async (t) => {
  const a = commandFuzz(99);
  const b = commandFuzz(99);
  t.ok(a.h.sink.bytes.length > 10_000, `a long run (${a.h.sink.bytes.length} bytes)`);
  t.same(b.h.sink.bytes, a.h.sink.bytes, 'identical output');
  t.same(b.h.modem.save(), a.h.modem.save(), 'identical state');
  t.same(b.h.clock.save(), a.h.clock.save(), 'identical alarms');
  const c = commandFuzz(100);
  t.not(Buffer.from(c.h.sink.bytes).toString('latin1'), Buffer.from(a.h.sink.bytes).toString('latin1'), 'another seed, other bytes');
});
