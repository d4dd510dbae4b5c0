// Every AT command of the baseband (docs/modem.md): its answers in each form, its errors, the CMEE, echo,
// verbose and quiet modes, and the response timing.
import t from 'tap';
import type { Test } from 'tap';
import { Harness, HZ, quiet, show } from './harness.ts';

const OK = '\r\nOK\r\n';
const ERROR = '\r\nERROR\r\n';
const info = (...lines: string[]) => `\r\n${lines.join('\r\n')}\r\n`;
const cme = (n: number) => `\r\n+CME ERROR: ${n}\r\n`;

/** Each [command line, expected output], on one harness in order. */
function table(t: Test, h: Harness, rows: [string, string][]): void {
  for (const [line, expected] of rows) t.equal(h.at(line), expected, `${line} -> ${show(expected)}`);
}

t.test('echo, ATE, and the response delay', async (t) => {
  const h = new Harness();
  h.send('AT\r');
  t.equal(h.output(), 'AT\r', 'echo comes at once, as the bytes arrive');
  h.advance(0.99);
  t.equal(h.output(), '', 'nothing before 1 ms');
  h.advance(0.01);
  t.equal(h.output(), OK, 'the response 1 ms after the CR');
  t.equal(h.at('ATE0'), `ATE0\r${OK}`, 'ATE0 is echoed (it takes effect after)');
  t.equal(h.at('AT'), OK, 'no echo');
  t.equal(h.at('ATE1'), OK);
  t.equal(h.at('AT'), `AT\r${OK}`);
  t.equal(h.at('xyz\x00AT\r'), `xyz\x00AT\r${OK}\r`, 'everything is echoed, garbage too; echo during a pending response follows it');
  t.equal(h.at('ATE'), `ATE\r${OK}`, 'ATE is ATE0');
  t.equal(h.at('ATE1'), OK);
  t.equal(h.at('ATE2'), `ATE2\r${ERROR}`, 'ATE2 is not a value');
});

t.test('ATV0 numeric and ATQ1 quiet results', async (t) => {
  const h = quiet();
  table(t, h, [
    ['ATV0', '0\r'],
    ['AT', '0\r'],
    ['AT+CSQ', '+CSQ: 20,99\r\n0\r'],
    ['AT+NOPE', '4\r'],
    ['AT+CMEE=1', '0\r'],
    ['AT+NOPE', '+CME ERROR: 4\r\n'],
    ['ATV1Q1', ''],
    ['AT+CSQ', info('+CSQ: 20,99')],
    ['AT+NOPE', ''],
    ['ATQ0', OK],
    ['ATQ2', cme(3)],
  ]);
  const h2 = quiet();
  h2.at('ATV0');
  h2.network.incomingCall('+15551234', 1);
  h2.advance(1);
  t.equal(h2.output(), '2\r', 'RING is numeric too');
  h2.network.hangUp();
  t.equal(h2.output(), '3\r', 'NO CARRIER');
});

t.test('AT+CMEE: errors in each mode', async (t) => {
  const h = quiet();
  table(t, h, [
    ['AT+CMEE?', info('+CMEE: 0') + OK],
    ['AT+CMEE=?', info('+CMEE: (0-2)') + OK],
    ['AT+NOPE', ERROR],
    ['ATX', ERROR],
    ['AT+CMEE=1', OK],
    ['AT+NOPE', cme(4)],
    ['ATX', cme(4)],
    ['AT+CREG=7', cme(3)],
    ['AT+CREG=x', cme(3)],
    ['AT+CREG=1,2', cme(3)],
    ['AT+CSQ?', cme(4)],
    ['AT+CMEE=2', OK],
    ['AT+NOPE', info('+CME ERROR: operation not supported')],
    ['AT+CREG=9', info('+CME ERROR: operation not allowed')],
    ['AT+CMEE=3', info('+CME ERROR: operation not allowed')],
    ['AT+CMEE', info('+CME ERROR: operation not supported')],
    ['AT+CMEE=0', OK],
    ['AT+CMEE?', info('+CMEE: 0') + OK],
  ]);
});

t.test('several commands on one line; an error stops the line', async (t) => {
  const h = quiet();
  table(t, h, [
    ['AT+CSQ;+CPIN?', info('+CSQ: 20,99') + info('+CPIN: READY') + OK],
    ['AT+CMEE=1;+CSQ;+NOPE;+CREG=2', info('+CSQ: 20,99') + cme(4)],
    ['AT+CREG?', info('+CREG: 0,1') + OK],
    ['ATE0V1+CSQ', info('+CSQ: 20,99') + OK],
    ['AT+CSQ;#', info('+CSQ: 20,99') + cme(3)],
    ['AT+CSQ+CPIN?', info('+CSQ: 20,99') + cme(3)],
    ['AT +c s q', info('+CSQ: 20,99') + OK],
    ['at+csq', info('+CSQ: 20,99') + OK],
  ]);
});

t.test('identity, SIM, registration, operator, signal, numbers', async (t) => {
  const h = quiet();
  table(t, h, [
    ['ATI', info('Handset Project', 'HB-2 virtual baseband', 'Revision: 1.0') + OK],
    ['ATI0', info('Handset Project', 'HB-2 virtual baseband', 'Revision: 1.0') + OK],
    ['ATI3', ERROR],
    ['AT+CGMI', info('Handset Project') + OK],
    ['AT+CGMM', info('HB-2 virtual baseband') + OK],
    ['AT+CGMR', info('1.0') + OK],
    ['AT+CGSN', info('351234567890124') + OK],
    ['AT+CGSN=?', OK],
    ['AT+CPIN?', info('+CPIN: READY') + OK],
    ['AT+CPIN=?', OK],
    ['AT+CPIN="1234"', ERROR],
    ['AT+CREG?', info('+CREG: 0,1') + OK],
    ['AT+CREG=?', info('+CREG: (0-2)') + OK],
    ['AT+CREG=2', OK],
    ['AT+CREG?', info('+CREG: 2,1,"2A1F","0B47"') + OK],
    ['AT+CREG=1', OK],
    ['AT+CREG?', info('+CREG: 1,1') + OK],
    ['AT+COPS?', info('+COPS: 0,0,"Handset Mobile",0') + OK],
    ['AT+COPS=3,1', OK],
    ['AT+COPS?', info('+COPS: 0,1,"Handset",0') + OK],
    ['AT+COPS=3,2', OK],
    ['AT+COPS?', info('+COPS: 0,2,"00101",0') + OK],
    ['AT+COPS=0', OK],
    ['AT+COPS=3', ERROR],
    ['AT+COPS=1,2,"00101"', ERROR],
    ['AT+COPS=?', info('+COPS: (2,"Handset Mobile","Handset","00101",0),,(0-4),(0-2)') + OK],
    ['AT+CSQ', info('+CSQ: 20,99') + OK],
    ['AT+CSQ=?', info('+CSQ: (0-31,99),(0-7,99)') + OK],
    ['AT+CNUM', info('+CNUM: "Line 1","+15550100",145', '+CNUM: "Line 2","+15550199",145') + OK],
  ]);
  h.network.signal(31, 0);
  t.equal(h.at('AT+CSQ'), info('+CSQ: 31,0') + OK, 'the network side sets the signal');
  h.network.registration(0);
  t.equal(h.output(), info('+CREG: 0'), 'AT+CREG=1: unsolicited +CREG');
  t.equal(h.at('AT+COPS?'), info('+COPS: 0') + OK, 'no operator when not registered');
  h.at('AT+CREG=2');
  h.network.registration(5);
  t.equal(h.output(), info('+CREG: 5,"2A1F","0B47"'), 'AT+CREG=2: with location when registered');
  h.network.registration(5);
  t.equal(h.output(), '', 'no report without a change');
  h.network.registration(3);
  t.equal(h.output(), info('+CREG: 3'), 'no location when not registered');
  h.at('AT+CREG=0');
  h.network.registration(1);
  t.equal(h.output(), '', 'AT+CREG=0: no report');

  const other = quiet({ lines: ['+441234', '5550000'] });
  t.equal(other.at('AT+CNUM'), info('+CNUM: "Line 1","+441234",145', '+CNUM: "Line 2","5550000",129') + OK, 'the lines given at construction; 129 without +');
});

t.test('call settings: +CLIP, +CDIP, +CRC, +CCWA, +CLCC, +CHLD, ^SALS, S registers', async (t) => {
  const h = quiet();
  table(t, h, [
    ['AT+CLIP?', info('+CLIP: 0,1') + OK],
    ['AT+CLIP=1', OK],
    ['AT+CLIP?', info('+CLIP: 1,1') + OK],
    ['AT+CLIP=?', info('+CLIP: (0,1)') + OK],
    ['AT+CLIP=2', ERROR],
    ['AT+CDIP?', info('+CDIP: 0,1') + OK],
    ['AT+CDIP=1', OK],
    ['AT+CDIP?', info('+CDIP: 1,1') + OK],
    ['AT+CRC?', info('+CRC: 0') + OK],
    ['AT+CRC=1', OK],
    ['AT+CRC?', info('+CRC: 1') + OK],
    ['AT+CCWA?', info('+CCWA: 0') + OK],
    ['AT+CCWA=1', OK],
    ['AT+CCWA?', info('+CCWA: 1') + OK],
    ['AT+CCWA=1,2', info('+CCWA: 1,1') + OK],
    ['AT+CCWA=1,0', OK],
    ['AT+CCWA=1,2', info('+CCWA: 0,1') + OK],
    ['AT+CCWA=1,1,1', OK],
    ['AT+CCWA=,2', info('+CCWA: 1,1') + OK],
    ['AT+CCWA=1,3', ERROR],
    ['AT+CLCC', OK],
    ['AT+CLCC?', info('+CLCC: 0') + OK],
    ['AT+CLCC=?', info('+CLCC: (0,1)') + OK],
    ['AT^HCLCC', OK],
    ['AT+CHLD=?', info('+CHLD: (0,1,1x,2,2x)') + OK],
    ['AT+CHLD=3', ERROR],
    ['AT+CHLD', ERROR],
    ['AT+CHLD=', ERROR],
    ['AT+CHLD=0', ERROR],
    ['AT+CHLD=abc', ERROR],
    ['AT^SALS?', info('^SALS: 0,1') + OK],
    ['AT^SALS=?', info('^SALS: (0,1),(1,2)') + OK],
    ['AT^SALS=1,2', OK],
    ['AT^SALS?', info('^SALS: 1,2') + OK],
    ['AT^SALS=0', OK],
    ['AT^SALS?', info('^SALS: 0,2') + OK],
    ['AT^SALS=0,3', ERROR],
    ['AT^SALS=', ERROR],
    ['ATS0?', info('000') + OK],
    ['ATS0=2', OK],
    ['ATS0?', info('002') + OK],
    ['ATS0=256', ERROR],
    ['ATS3?S4?S5?', info('013') + info('010') + info('008') + OK],
    ['ATS3=13', OK],
    ['ATS3=10', ERROR],
    ['ATS9?', ERROR],
  ]);
});

t.test('ATZ and AT&F restore the default settings (and answer in them)', async (t) => {
  const h = quiet();
  h.at('ATV0');
  h.at('AT+CMEE=2;+CLIP=1;+CRC=1;^SALS=1,2;S0=3');
  t.equal(h.at('ATZ'), OK, 'verbose again for its own OK (the line itself came while echo was off)');
  t.equal(h.at('AT+CMEE?;+CLIP?;+CRC?;^SALS?;S0?'), `AT+CMEE?;+CLIP?;+CRC?;^SALS?;S0?\r${info('+CMEE: 0') + info('+CLIP: 0,1') + info('+CRC: 0') + info('^SALS: 0,2') + info('000')}${OK}`, 'echo on, settings back; the ALS line is the SIM\'s and stays');
  h.at('ATE0V0');
  t.equal(h.at('AT&F'), OK, 'AT&F too');
  t.equal(h.at('ATZ1'), `ATZ1\r${ERROR}`, 'only profile 0');
});

t.test('AT+CNMI and AT+CMGF', async (t) => {
  const h = quiet();
  table(t, h, [
    ['AT+CNMI?', info('+CNMI: 2,1,0,0,0') + OK],
    ['AT+CNMI=?', info('+CNMI: (0-3),(0-3),(0),(0-2),(0,1)') + OK],
    ['AT+CNMI=1,2', OK],
    ['AT+CNMI?', info('+CNMI: 1,2,0,0,0') + OK],
    ['AT+CNMI=,,,1,1', OK],
    ['AT+CNMI?', info('+CNMI: 1,2,0,1,1') + OK],
    ['AT+CNMI=2,1,1', ERROR],
    ['AT+CNMI=4', ERROR],
    ['AT+CMGF?', info('+CMGF: 0') + OK],
    ['AT+CMGF=?', info('+CMGF: (0,1)') + OK],
    ['AT+CMGF=1', OK],
    ['AT+CMGF?', info('+CMGF: 1') + OK],
    ['AT+CMGF=2', ERROR],
  ]);
});

t.test('the response delay is 1 ms of virtual time on any clock', async (t) => {
  for (const hz of [HZ, 200_000_000, 1_953_125]) {
    const { Clock } = await import('../../src/soc/clock.ts');
    const clock = new Clock(hz);
    const h = new Harness({ clock });
    h.send('AT\r');
    t.equal(clock.nextDeadline(), Math.ceil(hz / 1000), `${hz} Hz: due ${Math.ceil(hz / 1000)} cycles after the CR`);
  }
});
