// The virtual clock: alarms fire in (due, creation) order with their lateness, re-arm without drift,
// and clock-domain conversions are exact.
import t from 'tap';
import { Clock } from '../../src/soc/clock.ts';

t.test('alarms fire in due order, ties in creation order, with lateBy', async (t) => {
  const clock = new Clock(100_000_000);
  const log: string[] = [];
  const a = clock.createAlarm('a', (late) => log.push(`a+${late}`));
  const b = clock.createAlarm('b', (late) => log.push(`b+${late}`));
  const c = clock.createAlarm('c', (late) => log.push(`c+${late}`));
  c.schedule(50);
  b.schedule(100);
  a.schedule(100);
  t.equal(clock.nextDeadline(), 50);
  clock.advanceTo(120);
  t.equal(clock.fireDue(), 3);
  t.same(log, ['c+70', 'a+20', 'b+20']);
  t.equal(clock.nextDeadline(), Infinity);
  t.throws(() => clock.advanceTo(100), /cannot go back/);
});

t.test('a periodic alarm re-armed from its due time does not drift', async (t) => {
  const clock = new Clock(1000);
  const fired: number[] = [];
  let due = 10;
  const periodic = clock.createAlarm('periodic', (late) => {
    fired.push(clock.now - late);
    due += 10;
    periodic.scheduleAt(due);
  });
  periodic.scheduleAt(due);
  clock.advanceTo(37);
  clock.fireDue();
  t.same(fired, [10, 20, 30], 'each period measured from the due time, not from when it fired');
});

t.test('an alarm scheduled earlier than the deadline is reported', async (t) => {
  const clock = new Clock(1000);
  const seen: number[] = [];
  clock.onDeadlineEarlier = (due) => seen.push(due);
  clock.createAlarm('x', () => {}).schedule(30);
  t.same(seen, [30]);
});

t.test('conversions between clock domains are exact', async (t) => {
  const clock = new Clock(200_000_000);
  t.equal(clock.ticksAt(24_000_000, 200_000_000), 24_000_000, 'one second');
  t.equal(clock.ticksAt(1_000_000, 199), 0);
  t.equal(clock.ticksAt(1_000_000, 200), 1);
  t.equal(clock.cycleOfTick(1_000_000, 1), 200);
  // 3 MHz ticks on a 200 MHz clock: tick 1 is at cycle 66.67, so the first whole cycle past it is 67.
  t.equal(clock.cycleOfTick(3_000_000, 1), 67);
  t.equal(clock.ticksAt(3_000_000, 67), 1);
  t.equal(clock.ticksAt(3_000_000, 66), 0);
  t.equal(clock.nanosAt(2 ** 40), Number((2n ** 40n * 1_000_000_000n) / 200_000_000n));
  t.throws(() => new Clock(0), /positive integer/);
});

t.test('save lists now and every alarm in creation order; load restores them by name', async (t) => {
  const clock = new Clock(1000);
  const a = clock.createAlarm('a', () => {});
  clock.createAlarm('b', () => {});
  const c = clock.createAlarm('c', () => {});
  c.schedule(40);
  a.schedule(25);
  clock.advanceTo(10);
  const saved = JSON.parse(JSON.stringify(clock.save()));
  t.same(saved, {
    now: 10,
    alarms: [
      { name: 'a', due: 25 },
      { name: 'b', due: null },
      { name: 'c', due: 40 },
    ],
  });

  // A fresh clock whose alarms were created in another order, with other schedules.
  const fresh = new Clock(1000);
  const fired: string[] = [];
  for (const name of ['c', 'b', 'a']) fresh.createAlarm(name, (late) => fired.push(`${name}@${fresh.now - late}`)).schedule(5);
  // Listed in another order, too: names, not positions, match.
  fresh.load({ now: saved.now, alarms: [...saved.alarms].reverse() });
  t.equal(fresh.now, 10);
  t.equal(fresh.nextDeadline(), 25);
  fresh.advanceTo(100);
  fresh.fireDue();
  t.same(fired, ['a@25', 'c@40'], 'b was not scheduled in the saved clock');
});

t.test('an alarm due before the saved now still fires, late, after load', async (t) => {
  const clock = new Clock(1000);
  let late = -1;
  clock.createAlarm('x', (l) => (late = l));
  clock.load({ now: 50, alarms: [{ name: 'x', due: 30 }] });
  t.equal(clock.fireDue(), 1);
  t.equal(late, 20);
});

t.test('alarm names are unique', async (t) => {
  const clock = new Clock(1000);
  clock.createAlarm('timer01.timer1', () => {});
  t.throws(() => clock.createAlarm('timer01.timer1', () => {}), /two alarms named timer01\.timer1/);
});

t.test('a bad clock state is a one-line SnapshotError and changes nothing', async (t) => {
  const clock = new Clock(1000);
  clock.createAlarm('a', () => {}).schedule(7);
  clock.createAlarm('b', () => {});
  const cases: [unknown, string][] = [
    [null, 'clock: snapshot: expected an object, got null'],
    [{ alarms: [] }, 'clock: snapshot field now: missing'],
    [{ now: -1, alarms: [] }, 'clock: snapshot field now: -1 is out of range 0..9007199254740991'],
    [{ now: 1.5, alarms: [] }, 'clock: snapshot field now: expected an integer, got 1.5'],
    [{ now: '5', alarms: [] }, 'clock: snapshot field now: expected an integer, got "5"'],
    [{ now: 5, alarms: {} }, 'clock: snapshot field alarms: expected an array, got an object'],
    [{ now: 5, alarms: [{ name: 'a', due: 9 }] }, 'clock: snapshot field alarms: alarm b is missing'],
    [
      { now: 5, alarms: [{ name: 'a', due: 9 }, { name: 'b', due: null }, { name: 'z', due: null }] },
      'clock: snapshot field alarms[2].name: no alarm named z',
    ],
    [
      { now: 5, alarms: [{ name: 'a', due: 9 }, { name: 'a', due: 9 }, { name: 'b', due: null }] },
      'clock: snapshot field alarms[1].name: alarm a is listed twice',
    ],
    [
      { now: 5, alarms: [{ name: 'a', due: 9 }, { name: 'b', due: -3 }] },
      'clock: snapshot field alarms[1].due: -3 is out of range 0..9007199254740991',
    ],
    [
      { now: 5, alarms: [{ name: 'a', due: 9, late: 0 }, { name: 'b', due: null }] },
      'clock: snapshot field alarms[0].late: unknown field',
    ],
  ];
  for (const [state, message] of cases) {
    t.throws(() => clock.load(state as never), { name: 'SnapshotError', message }, message);
  }
  t.same(clock.save(), { now: 0, alarms: [{ name: 'a', due: 7 }, { name: 'b', due: null }] }, 'unchanged');
});
