// The call state machine end to end: AT commands on one side, the network API on the other, timings on the
// virtual clock (docs/modem.md "Calls").
import t from 'tap';
import { quiet } from './harness.ts';

const OK = '\r\nOK\r\n';
const info = (...lines: string[]) => `\r\n${lines.join('\r\n')}\r\n`;
const clcc = (...rows: string[]) => (rows.length === 0 ? OK : info(...rows.map((r) => `+CLCC: ${r}`)) + OK);
const RING_GROUP = info('RING') + info('+CLIP: "+15557777",145') + info('+CDIP: "+15550199",145');

t.test('incoming call: RING, +CLIP, +CDIP every 5 s; ATA; the far end hangs up', async (t) => {
  const h = quiet();
  h.at('AT+CLIP=1;+CDIP=1');
  t.same(h.network.incomingCall('+15557777', 2), { accepted: true, id: 1 });
  t.equal(h.output(), RING_GROUP, 'RING, the caller and the called line at once');
  t.equal(h.at('AT+CLCC'), clcc('1,1,4,0,0,"+15557777",145'), 'incoming (stat 4), mobile terminated');
  h.advance(4990);
  t.equal(h.output(), '', 'no RING before 5 s');
  h.advance(10);
  t.equal(h.output(), RING_GROUP, 'again at 5 s');
  h.advance(5000);
  t.equal(h.output(), RING_GROUP, 'and 10 s');
  t.equal(h.at('ATA'), OK);
  t.equal(h.at('AT+CLCC'), clcc('1,1,0,0,0,"+15557777",145'), 'active');
  t.same(h.network.calls(), [{ id: 1, line: 2, direction: 'incoming', state: 'active', number: '+15557777' }]);
  h.advance(20_000);
  t.equal(h.output(), '', 'no more RING once answered');
  h.network.hangUp();
  t.equal(h.output(), info('NO CARRIER'), 'the far end hung up');
  t.equal(h.at('AT+CLCC'), OK, 'released');
  t.equal(h.clock.nextDeadline(), Infinity, 'no alarm left');
});

t.test('incoming call nobody takes: 6 RINGs, NO CARRIER after 30 s', async (t) => {
  const h = quiet();
  h.network.incomingCall('+15557777', 1);
  let rings = (h.output().match(/RING/g) ?? []).length;
  h.advance(29_999);
  rings += (h.output().match(/RING/g) ?? []).length;
  t.equal(rings, 6, 'RING at 0, 5, ..., 25 s');
  h.advance(1);
  t.equal(h.output(), info('NO CARRIER'), 'the caller gave up at 30 s');
  t.same(h.network.calls(), []);
});

t.test('+CRC=1: +CRING: VOICE; S0 answers after that many rings; ATA with nothing: NO CARRIER', async (t) => {
  const h = quiet();
  h.at('AT+CRC=1;S0=2');
  h.network.incomingCall('+15557777', 1);
  t.equal(h.output(), info('+CRING: VOICE'));
  h.advance(5000);
  t.equal(h.output(), info('+CRING: VOICE'), 'the second ring...');
  t.same(h.network.calls().map((c) => c.state), ['active'], '...answers it');
  h.network.hangUp(1);
  h.output();
  t.equal(h.at('ATA'), info('NO CARRIER'), 'nothing to answer');
  h.at('AT+CMEE=1');
  t.equal(h.at('ATA1'), '\r\n+CME ERROR: 3\r\n');
});

t.test('outgoing call: dialing, alerting after 1 s, the far end answers, ATH', async (t) => {
  const h = quiet();
  t.equal(h.at('ATD+15551234;'), OK, 'OK at once: a voice call returns to command state');
  t.equal(h.at('AT+CLCC'), clcc('1,0,2,0,0,"+15551234",145'), 'dialing (stat 2), mobile originated');
  h.advance(995);
  t.equal(h.at('AT+CLCC'), clcc('1,0,2,0,0,"+15551234",145'), 'still dialing at 999 ms');
  t.equal(h.at('AT+CLCC'), clcc('1,0,3,0,0,"+15551234",145'), 'alerting (stat 3) 1 s after the dial');
  h.network.answer();
  t.equal(h.output(), '', 'no result code: the TE sees it in +CLCC (or AT+CLCC=1 reports)');
  t.equal(h.at('AT+CLCC'), clcc('1,0,0,0,0,"+15551234",145'), 'active');
  h.advance(60_000);
  t.equal(h.output(), '', 'an active call has no timeout');
  t.equal(h.at('ATH'), OK);
  t.equal(h.at('AT+CLCC'), OK);
  t.same(h.network.calls(), []);
  t.equal(h.at('ATD5551234;'), OK);
  t.equal(h.at('AT+CLCC'), clcc('1,0,2,0,0,"5551234",129'), 'national number: type 129');
  t.equal(h.at('AT+CHUP'), OK, '+CHUP hangs up too');
  t.equal(h.at('AT+CLCC'), OK);
});

t.test('outgoing call: busy, no answer, the far end hangs up while alerting, timeout', async (t) => {
  const h = quiet();
  h.at('ATD+15551234;');
  h.network.busy();
  t.equal(h.output(), info('BUSY'));
  h.at('ATD+15551234;');
  h.advance(1000);
  h.network.noAnswer();
  t.equal(h.output(), info('NO ANSWER'));
  h.at('ATD+15551234;');
  h.network.hangUp();
  t.equal(h.output(), info('NO CARRIER'));
  h.at('ATD+15551234;');
  h.advance(30_997);
  t.equal(h.output(), '', 'still alerting 30 s after alerting began...');
  h.advance(2);
  t.equal(h.output(), info('NO ANSWER'), '...and then NO ANSWER (31 s after the dial)');
  t.same(h.network.calls(), []);
});

t.test('dialling errors', async (t) => {
  const h = quiet();
  h.at('AT+CMEE=1');
  t.equal(h.at('ATD+15551234'), '\r\n+CME ERROR: 4\r\n', 'no ; : a data call, not supported');
  t.equal(h.at('ATD;'), '\r\n+CME ERROR: 3\r\n', 'no number');
  t.equal(h.at('ATDabc;'), '\r\n+CME ERROR: 3\r\n', 'not a number');
  t.equal(h.at(`ATD${'1'.repeat(21)};`), '\r\n+CME ERROR: 3\r\n', 'more than 20 digits');
  t.equal(h.at('ATDT+1555 1234I;'), OK, 'T, spaces and a trailing CLIR modifier are accepted');
  t.equal(h.at('AT+CLCC'), clcc('1,0,2,0,0,"+15551234",145'));
  t.equal(h.at('ATD+15550000;'), '\r\n+CME ERROR: 3\r\n', 'a second call while one is being set up');
  h.at('ATH');
  h.network.registration(2);
  t.equal(h.at('ATD+15551234;'), '\r\n+CME ERROR: 30\r\n', 'no network service');
});

t.test('call waiting: +CCWA, +CHLD=2 swaps, +CHLD=1 and 1x, +CHLD=0', async (t) => {
  const h = quiet();
  h.at('AT+CCWA=1;+CDIP=1');
  h.network.incomingCall('+15557777', 2);
  h.at('ATA');
  h.output();
  t.same(h.network.incomingCall('+15558888', 1), { accepted: true, id: 2 });
  t.equal(h.output(), info('+CCWA: "+15558888",145,1') + info('+CDIP: "+15550100",145'), '+CCWA (and +CDIP), no RING');
  t.equal(h.at('AT+CLCC'), clcc('1,1,0,0,0,"+15557777",145', '2,1,5,0,0,"+15558888",145'), 'waiting (stat 5)');
  h.advance(5000);
  t.equal(h.output(), '', 'a waiting call does not RING');
  t.equal(h.at('AT+CHLD=2'), OK, 'hold the active call, accept the waiting one');
  t.equal(h.at('AT+CLCC'), clcc('1,1,1,0,0,"+15557777",145', '2,1,0,0,0,"+15558888",145'));
  t.equal(h.at('AT+CHLD=2'), OK, 'swap');
  t.equal(h.at('AT+CLCC'), clcc('1,1,0,0,0,"+15557777",145', '2,1,1,0,0,"+15558888",145'));
  t.equal(h.at('AT+CHLD=22'), OK, '2x: call 2 active, the rest held');
  t.equal(h.at('AT+CLCC'), clcc('1,1,1,0,0,"+15557777",145', '2,1,0,0,0,"+15558888",145'));
  t.equal(h.at('AT+CHLD=22'), OK, '2x on the active call: nothing to do');
  t.equal(h.at('AT^HCLCC'), info('^HCLCC: 1,1,1,0,0,"+15557777",145,2', '^HCLCC: 2,1,0,0,0,"+15558888",145,1') + OK, '^HCLCC: each call with its line');
  t.equal(h.at('AT+CHLD=1'), OK, 'release the active call, retrieve the held one');
  t.equal(h.at('AT+CLCC'), clcc('1,1,0,0,0,"+15557777",145'));
  t.same(h.network.incomingCall('+15559999', 1), { accepted: true, id: 2 });
  h.output();
  t.equal(h.at('AT+CHLD=0'), OK, 'reject the waiting call (UDUB)');
  t.equal(h.at('AT+CLCC'), clcc('1,1,0,0,0,"+15557777",145'));
  h.network.incomingCall('+15559999', 1);
  h.output();
  t.equal(h.at('AT+CHLD=1'), OK, 'release the active call, accept the waiting one');
  t.equal(h.at('AT+CLCC'), clcc('2,1,0,0,0,"+15559999",145'));
  t.equal(h.at('AT+CHLD=2'), OK, 'hold the only call');
  t.equal(h.at('AT+CLCC'), clcc('2,1,1,0,0,"+15559999",145'));
  t.equal(h.at('AT+CHLD=0'), OK, 'release the held calls');
  t.equal(h.at('AT+CLCC'), OK);
  h.at('AT+CMEE=1');
  t.equal(h.at('AT+CHLD=0'), '\r\n+CME ERROR: 3\r\n', 'nothing held or waiting');
  t.equal(h.at('AT+CHLD=1'), '\r\n+CME ERROR: 3\r\n', 'no call at all');
  t.equal(h.at('AT+CHLD=2'), '\r\n+CME ERROR: 3\r\n');
  t.equal(h.at('AT+CHLD=13'), '\r\n+CME ERROR: 3\r\n', '1x: no call 3');
  t.equal(h.at('AT+CHLD=3'), '\r\n+CME ERROR: 4\r\n', 'multiparty is not supported');
});

t.test('+CHLD=1x releases one call; a waiting call left alone starts ringing', async (t) => {
  const h = quiet();
  h.at('AT+CCWA=1');
  h.network.incomingCall('+15557777', 1);
  h.at('ATA');
  h.network.incomingCall('+15558888', 2);
  h.output();
  t.equal(h.at('AT+CHLD=11'), OK + info('RING'), 'call 1 released; call 2 is now incoming and rings (after the OK)');
  t.equal(h.at('AT+CLCC'), clcc('2,1,4,0,0,"+15558888",145'));
  t.equal(h.at('ATA'), OK);
  h.network.incomingCall('+15557777', 1);
  h.output();
  h.network.hangUp(2);
  t.equal(h.output(), info('NO CARRIER') + info('RING'), 'the far end of the active call hangs up: the waiting call rings');
});

t.test('holding and dialling: ATD holds the active call; limits of accept', async (t) => {
  const h = quiet();
  h.at('AT+CMEE=1');
  h.network.incomingCall('+15557777', 1);
  h.at('ATA');
  t.equal(h.at('ATD+15551234;'), OK);
  t.equal(h.at('AT+CLCC'), clcc('1,1,1,0,0,"+15557777",145', '2,0,2,0,0,"+15551234",145'), 'the active call went on hold');
  t.equal(h.at('AT+CHLD=2'), '\r\n+CME ERROR: 3\r\n', 'no swapping while a call is being set up');
  h.network.answer();
  t.equal(h.at('ATD+15550000;'), '\r\n+CME ERROR: 3\r\n', 'an active and a held call: no third');
  h.network.incomingCall('+15558888', 2);
  h.output();
  t.equal(h.at('AT+CLCC'), clcc('1,1,1,0,0,"+15557777",145', '2,0,0,0,0,"+15551234",145', '3,1,5,0,0,"+15558888",145'), 'a call may wait beside an active and a held one');
  t.equal(h.at('AT+CHLD=2'), '\r\n+CME ERROR: 3\r\n', 'but not be accepted while both exist');
  t.equal(h.at('ATA'), '\r\n+CME ERROR: 3\r\n');
  t.equal(h.at('AT+CHLD=1'), OK, '1: the active call goes, the waiting one is accepted');
  t.equal(h.at('AT+CLCC'), clcc('1,1,1,0,0,"+15557777",145', '3,1,0,0,0,"+15558888",145'));
  t.equal(h.at('AT+CHLD=21'), OK, '2x on a held call: retrieve it, hold the other');
  t.equal(h.at('AT+CLCC'), clcc('1,1,0,0,0,"+15557777",145', '3,1,1,0,0,"+15558888",145'));
  t.equal(h.at('ATH'), OK, 'ATH releases every call');
  t.same(h.network.calls(), []);
});

t.test('refused incoming calls: another one ringing, call waiting off, no network', async (t) => {
  const h = quiet();
  h.network.incomingCall('+15557777', 1);
  t.same(h.network.incomingCall('+15558888', 2), { accepted: false, reason: 'busy' }, 'one call rings already');
  h.at('ATA');
  h.at('AT+CCWA=0,0');
  t.same(h.network.incomingCall('+15558888', 2), { accepted: false, reason: 'busy' }, 'call waiting is off');
  h.at('AT+CCWA=0,1');
  t.same(h.network.incomingCall('+15558888', 2), { accepted: true, id: 2 }, 'on again: it waits (without +CCWA, n=0)');
  t.equal(h.output(), '');
  h.at('ATH');
  h.network.registration(0);
  t.same(h.network.incomingCall('+15558888', 2), { accepted: false, reason: 'no network' });
});

t.test('losing the network releases every call', async (t) => {
  const h = quiet();
  h.network.incomingCall('+15557777', 1);
  h.at('ATA');
  h.at('ATD+15551234;');
  h.output();
  h.network.registration(3);
  t.equal(h.output(), info('NO CARRIER') + info('NO CARRIER'), 'one NO CARRIER per call');
  t.same(h.network.calls(), []);
  t.equal(h.clock.nextDeadline(), Infinity, 'the dial timer went with its call');
});

t.test('line selection (^SALS) and line tags', async (t) => {
  const h = quiet();
  h.at('AT+CLIP=1;+CDIP=1;^SALS=1,2');
  t.equal(h.at('ATD+15551234;'), OK);
  t.equal(h.at('AT^HCLCC'), info('^HCLCC: 1,0,2,0,0,"+15551234",145,2') + OK, 'dialled on line 2');
  t.same(h.network.calls()[0].line, 2);
  h.network.busy();
  t.equal(h.output(), info('^SALS: 2') + info('BUSY'), 'an unsolicited call result is tagged with its line');
  h.network.incomingCall('+15557777', '+15550100');
  t.equal(h.output(), info('^SALS: 1') + info('RING') + info('+CLIP: "+15557777",145') + info('+CDIP: "+15550100",145'), 'a call for line 1 (named by its number)');
  h.advance(5000);
  t.match(h.output(), /^\r\n\^SALS: 1\r\n\r\nRING\r\n/, 'every RING group is tagged');
  h.network.hangUp();
  t.equal(h.output(), info('^SALS: 1') + info('NO CARRIER'));
  h.at('AT^SALS=0');
  h.network.incomingCall('+15557777', 2);
  t.equal(h.output(), info('RING') + info('+CLIP: "+15557777",145') + info('+CDIP: "+15550199",145'), 'view 0: no tag; +CDIP still names the line');
});

t.test('AT+CLCC=1: unsolicited +CLCC on every change, stat 6 when released', async (t) => {
  const h = quiet();
  h.at('AT+CLCC=1;^SALS=1,1');
  t.equal(h.at('ATD+15551234;'), OK + info('^SALS: 1') + info('+CLCC: 1,0,2,0,0,"+15551234",145'), 'the report follows the OK');
  h.advance(1000);
  t.equal(h.output(), info('^SALS: 1') + info('+CLCC: 1,0,3,0,0,"+15551234",145'), 'alerting');
  h.network.answer();
  t.equal(h.output(), info('^SALS: 1') + info('+CLCC: 1,0,0,0,0,"+15551234",145'), 'active');
  t.equal(h.at('ATH'), OK + info('^SALS: 1') + info('+CLCC: 1,0,6,0,0,"+15551234",145'), 'released');
});

t.test('unsolicited results never split a response', async (t) => {
  const h = quiet();
  h.send('AT+CSQ\r');
  h.network.incomingCall('+15557777', 1);
  t.equal(h.output(), '', 'the RING waits for the pending response');
  h.advance(1);
  t.equal(h.output(), info('+CSQ: 20,99') + OK + info('RING'));
  h.send('AT+CSQ\r');
  h.advance(0.5);
  h.send('AT+CPIN?\r');
  h.network.hangUp();
  h.advance(1);
  t.equal(h.output(), info('+CSQ: 20,99') + OK + info('+CPIN: READY') + OK + info('NO CARRIER'), 'a line that came while a response was pending: its response joins it');
});
