// Baseband snapshots: the whole modem as plain data (calls, SMS store, settings, partial command line, SMS
// being entered, pending response, held results, output queue); loaded into a new baseband on a clock with
// the same alarms, it goes on byte for byte as the original. Bad states are refused naming the field.
import t from 'tap';
import { Clock } from '../../src/soc/clock.ts';
import { SnapshotError } from '../../src/soc/device.ts';
import { Baseband, type BasebandState } from '../../src/modem/baseband.ts';
import { Harness, HZ } from './harness.ts';

type Step = (h: Harness) => void;

const STEPS: Step[] = [
  (h) => h.send('AT+CLIP=1;+CDIP=1;+CCWA=1;+CLCC=1;^SALS=1,2;+CMGF=1;+CREG=2\r'),
  (h) => h.advance(2),
  (h) => h.network.incomingCall('+15557777', 1),
  (h) => h.advance(5000),
  (h) => h.read(),
  (h) => h.send('ATA\r'),
  (h) => h.network.incomingCall('+15558888', 2),
  (h) => h.send('AT+CL'),
  (h) => h.advance(0.5),
  (h) => h.send('CC\rAT+CHLD=2\r'),
  (h) => h.read(),
  (h) => h.advance(3000),
  (h) => h.read(),
  (h) => h.send('AT+CMGS="+15550100"\r'),
  (h) => h.send('Hel\bl'),
  (h) => h.advance(1),
  (h) => h.network.incomingSms('+15559999', 2, 'while typing'),
  (h) => h.send('lo\x1a'),
  (h) => h.advance(10),
  (h) => h.read(),
  (h) => h.network.hangUp(1),
  (h) => h.advance(1),
  (h) => h.read(),
  (h) => h.send('ATD+15551234;\r'),
  (h) => h.advance(700),
  (h) => h.network.registration(5),
  (h) => h.read(),
  (h) => h.advance(40_000),
  (h) => h.read(),
  (h) => h.send('AT+CMGR=1;+CMGR=2\r'),
  (h) => h.advance(2),
  (h) => h.read(),
  (h) => h.read(),
];

function run(h: Harness, steps: Step[]): void {
  for (const step of steps) step(h);
}

/** A new baseband (and clock) built like the first, loaded from its saved state. */
function restore(h: Harness): Harness {
  const state = JSON.parse(JSON.stringify({ clock: h.clock.save(), modem: h.modem.save() }));
  const copy = new Harness({ clock: new Clock(HZ), capacity: 64 });
  copy.sink.setHolding(h.sink.holding);
  copy.clock.load(state.clock);
  copy.modem.load(state.modem);
  copy.output();
  return copy;
}

t.test('save at every step, load into a new baseband: the same bytes afterwards', async (t) => {
  const whole = new Harness({ capacity: 64 });
  run(whole, STEPS);
  const all = whole.output();
  t.ok(all.length > 500, `the whole run writes ${all.length} bytes`);
  for (let cut = 0; cut <= STEPS.length; cut++) {
    const a = new Harness({ capacity: 64 });
    run(a, STEPS.slice(0, cut));
    const before = a.output();
    const b = restore(a);
    t.same(b.modem.save(), a.modem.save(), `cut ${cut}: the loaded state saves the same`);
    run(a, STEPS.slice(cut));
    run(b, STEPS.slice(cut));
    const after = a.output();
    t.equal(before + after, all, `cut ${cut}: the original run is unchanged by saving`);
    t.equal(b.output(), after, `cut ${cut}: the restored run writes the same bytes`);
  }
});

t.test('what a mid-call state holds', async (t) => {
  const h = new Harness({ capacity: 16 });
  run(h, STEPS.slice(0, 15));
  const s = h.modem.save();
  t.same(s.calls.map((c) => [c.id, c.line, c.direction, c.state]), [[1, 1, 'incoming', 'held'], [2, 2, 'incoming', 'active']]);
  t.same(s.draft, { to: '+15550100', line: 2, text: 'Hel', overflow: false }, 'the SMS being entered');
  t.ok(s.output.length > 0, 'the output queue');
  t.equal(s.settings.clip, 1);
  t.same(h.clock.save().alarms.filter((a) => a.name.startsWith('modem.')).map((a) => a.name), ['modem.respond', 'modem.dial', 'modem.ring', 'modem.prompt'], 'its alarms, by name: due times are the clock\'s');
});

t.test('bad states are refused, naming the field, and nothing changes', async (t) => {
  const h = new Harness();
  run(h, STEPS.slice(0, 10));
  const good = h.modem.save();
  const edit = (change: (s: any) => void): unknown => {
    const s = JSON.parse(JSON.stringify(good));
    change(s);
    return s;
  };
  const cases: [string, unknown, RegExp][] = [
    ['not an object', 5, /^modem: snapshot: expected an object, got 5$/],
    ['a missing field', edit((s) => delete s.calls), /snapshot field calls: missing/],
    ['an unknown field', edit((s) => (s.extra = 1)), /snapshot field extra: unknown field/],
    ['other lines', edit((s) => (s.lines = ['+1', '+2'])), /snapshot field lines: the snapshot's lines are \+1, \+2; this modem's are \+15550100, \+15550199/],
    ['a setting out of range', edit((s) => (s.settings.cmee = 3)), /snapshot field settings\.cmee: 3 is out of range 0\.\.2/],
    ['cnmi', edit((s) => (s.settings.cnmi = [2, 1, 1, 0, 0])), /snapshot field settings\.cnmi: element 2 is 1, at most 0/],
    ['rssi', edit((s) => (s.rssi = 50)), /snapshot field rssi: 50 is not 0-31 or 99/],
    ['a call id', edit((s) => (s.calls[0].id = 8)), /snapshot field calls\[0\]\.id: 8 is out of range 1\.\.7/],
    ['a call state', edit((s) => (s.calls[0].state = 'ringing')), /snapshot field calls\[0\]\.state: "ringing" is not one of active, held/],
    ['a call number', edit((s) => (s.calls[0].number = 'abc')), /snapshot field calls\[0\]\.number: not a phone number/],
    ['two ids', edit((s) => (s.calls[1].id = s.calls[0].id)), /snapshot field calls: two calls have the same id/],
    ['an incoming call dialing', edit((s) => (s.calls[0].state = 'dialing')), /snapshot field calls\[0\]\.direction: an incoming call cannot be dialing/],
    ['the partial line', edit((s) => (s.input = { phase: 'idle', body: 'x' })), /snapshot field input: a partial line in phase idle/],
    ['the output', edit((s) => (s.output = 'x'.repeat(5000))), /snapshot field output: 5000 bytes, at most 4096/],
    ['not bytes', edit((s) => (s.held = '\u0100')), /snapshot field held: character 256 is not a byte/],
    ['a draft', edit((s) => (s.draft = { to: '+1', line: 3, text: '', overflow: false })), /snapshot field draft\.line: 3 is out of range 1\.\.2/],
    ['the response', edit((s) => (s.response = 7)), /snapshot field response: expected a string, got 7/],
    ['sms', edit((s) => (s.sms = [{ index: 21, line: 1, from: '+1', text: '', timestamp: '25/01/01,00:00:00+00', unread: true }])), /snapshot field sms\[0\]\.index: 21 is out of range 1\.\.20/],
    ['sms time', edit((s) => (s.sms = [{ index: 1, line: 1, from: '+1', text: '', timestamp: 'yesterday', unread: true }])), /snapshot field sms\[0\]\.timestamp: not a time stamp/],
    ['dropped', edit((s) => (s.dropped = -1)), /snapshot field dropped: -1 is out of range/],
  ];
  const fresh = new Baseband({ time: new Clock(HZ) });
  const before = fresh.save();
  for (const [what, state, message] of cases) {
    t.throws(() => fresh.load(state), SnapshotError, what);
    try {
      fresh.load(state);
    } catch (e) {
      t.match((e as Error).message, message, `${what}: ${(e as Error).message}`);
      t.notOk((e as Error).message.includes('\n'), 'one line');
    }
    t.same(fresh.save(), before, `${what}: nothing changed`);
  }
  fresh.load(good);
  t.same(fresh.save(), good as BasebandState, 'the good state loads');
});
