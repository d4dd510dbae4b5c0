// The network side's API: arguments checked with one-line NetworkErrors; requests that do not fit the calls'
// states refused; lines named by number or by their number string; the construction options checked.
import t from 'tap';
import { Baseband, BasebandConfigError, DEFAULT_LINES } from '../../src/modem/baseband.ts';
import { NetworkError } from '../../src/modem/network.ts';
import { Clock } from '../../src/soc/clock.ts';
import { HZ, quiet } from './harness.ts';

t.test('arguments', async (t) => {
  const h = quiet();
  const n = h.network;
  const cases: [string, () => unknown, string][] = [
    ['from not a number', () => n.incomingCall('bob', 1), 'incomingCall: from must be a phone number (an optional + and 1 to 20 digits, * or #), got "bob"'],
    ['from empty', () => n.incomingCall('', 1), 'incomingCall: from must be a phone number (an optional + and 1 to 20 digits, * or #), got ""'],
    ['from too long', () => n.incomingCall('1'.repeat(21), 1), 'incomingCall: from must be a phone number (an optional + and 1 to 20 digits, * or #), got "111111111111111111111"'],
    ['from not a string', () => n.incomingCall(5 as unknown as string, 1), 'incomingCall: from must be a phone number (an optional + and 1 to 20 digits, * or #), got 5'],
    ['line 3', () => n.incomingCall('+1555', 3 as 1), 'incomingCall: line must be 1, 2, "+15550100" or "+15550199", got 3'],
    ['line unknown number', () => n.incomingCall('+1555', '+1999'), 'incomingCall: line must be 1, 2, "+15550100" or "+15550199", got "+1999"'],
    ['sms text control', () => n.incomingSms('+1555', 1, 'a\nb'), 'incomingSms: text must be printable ASCII (no control characters), got "a\\nb"'],
    ['sms text long', () => n.incomingSms('+1555', 1, 'x'.repeat(161)), 'incomingSms: text has 161 characters, at most 160'],
    ['sms line', () => n.incomingSms('+1555', 0 as 1, 'x'), 'incomingSms: line must be 1, 2, "+15550100" or "+15550199", got 0'],
    ['registration 6', () => n.registration(6), 'registration: stat must be 0-5 (0 not registered, 1 home, 2 searching, 3 denied, 4 unknown, 5 roaming), got 6'],
    ['registration 1.5', () => n.registration(1.5), 'registration: stat must be 0-5 (0 not registered, 1 home, 2 searching, 3 denied, 4 unknown, 5 roaming), got 1.5'],
    ['rssi', () => n.signal(32), 'signal: rssi must be 0-31 or 99 (unknown), got 32'],
    ['ber', () => n.signal(10, 8), 'signal: ber must be 0-7 or 99 (unknown), got 8'],
    ['answer nothing', () => n.answer(), 'answer: no outgoing call is being set up'],
    ['busy nothing', () => n.busy(), 'busy: no outgoing call is being set up'],
    ['noAnswer nothing', () => n.noAnswer(), 'noAnswer: no outgoing call is being set up'],
    ['hangUp nothing', () => n.hangUp(), 'hangUp: there is no call'],
    ['hangUp no such call', () => n.hangUp(4), 'hangUp: there is no call 4'],
    ['hangUp bad id', () => n.hangUp('1' as unknown as number), 'hangUp: call id must be an integer, got "1"'],
  ];
  for (const [what, run, message] of cases) t.throws(run, new NetworkError(message), what);
  t.same(n.calls(), [], 'nothing happened');
});

t.test('requests that do not fit the calls', async (t) => {
  const h = quiet();
  const n = h.network;
  n.incomingCall('+15557777', '+15550199');
  t.equal(n.calls()[0].line, 2, 'a line by its number');
  t.throws(() => n.answer(1), new NetworkError('answer: call 1 is not an outgoing call being set up (it is incoming)'));
  t.throws(() => n.busy(1), new NetworkError('busy: call 1 is not an outgoing call being set up (it is incoming)'));
  h.at('ATA');
  h.at('ATD+15551234;');
  h.output();
  n.hangUp();
  t.equal(h.output(), '\r\nNO CARRIER\r\n', 'without an id: the call being set up, if any');
  t.equal(n.calls()[0].state, 'held', 'the other stays');
  h.at('ATD+15551234;');
  n.answer();
  t.throws(() => n.hangUp(), new NetworkError('hangUp: there are 2 calls (ids 1, 2): give a call id'));
  n.hangUp(1);
  t.equal(h.output(), '\r\nNO CARRIER\r\n');
  n.hangUp();
  t.same(n.calls(), []);
  t.same(n.lines, DEFAULT_LINES);
  t.same(n.radio(), { registration: 1, rssi: 20, ber: 99 });
  n.signal(5);
  n.registration(5);
  t.same(n.radio(), { registration: 5, rssi: 5, ber: 99 });
});

t.test('construction: the lines', async (t) => {
  const time = new Clock(HZ);
  t.throws(() => new Baseband({ time, lines: ['+1'] }), new BasebandConfigError('modem lines: expected two numbers, got 1'));
  t.throws(() => new Baseband({ time, lines: ['+1', 'x'] }), new BasebandConfigError('modem lines[1]: not a phone number (an optional + and 1 to 20 digits, * or #): "x"'));
  t.throws(() => new Baseband({ time, lines: ['+1', '+1'] }), new BasebandConfigError('modem lines: both lines have the number +1'));
  const b = new Baseband({ time, lines: ['+111', '+222'], name: 'm2' });
  t.same(b.lines, ['+111', '+222']);
  t.same(time.save().alarms.map((a) => a.name), ['m2.respond', 'm2.dial', 'm2.ring', 'm2.prompt'], 'alarms named after the modem');
});
