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
