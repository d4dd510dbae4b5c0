import t from 'tap';
import { Clock } from '../../../src/soc/clock.ts';
import { silentLogger, type LogClass, type Logger } from '../../../src/soc/device.ts';
import { Sp804 } from '../../../src/soc/devices/sp804.ts';
import { restoreTwin } from '../fixtures/snapshot.ts';

// A 100 MHz CPU clock and the SP804's default 1 MHz TIMCLK: one timer tick is exactly 100 cycles, and timer
// clock edges fall on multiples of 100 cycles.
const LOAD = 0x00;
const VALUE = 0x04;
const CONTROL = 0x08;
const INTCLR = 0x0c;
const RIS = 0x10;
const MIS = 0x14;
const BGLOAD = 0x18;
const TIMER2 = 0x20;

const ONESHOT = 0x01;
const SIZE32 = 0x02;
const DIV16 = 0x04;
const DIV256 = 0x08;
const INTEN = 0x20;
const PERIODIC = 0x40;
const ENABLE = 0x80;

function setup() {
  const clock = new Clock(100_000_000);
  const logs: [LogClass, string][] = [];
  const logger: Logger = { enabled: () => true, log: (cls, message) => logs.push([cls, message]) };
  const timer = new Sp804({ name: 'timer01', time: clock, logger });
  const at = (cycle: number): void => {
    clock.advanceTo(cycle);
    clock.fireDue();
  };
  const rd = (o: number): number => timer.read(o, 4);
  const wr = (o: number, v: number): void => timer.write(o, 4, v);
  return { clock, timer, logs, at, rd, wr };
}

t.test('reset state (QEMU arm_timer_reset: Control = IntEnable, Load 0, ptimer count 0)', async (t) => {
  const { timer, clock, rd } = setup();
  t.equal(rd(CONTROL), 0x20);
  t.equal(rd(TIMER2 + CONTROL), 0x20);
  t.equal(rd(LOAD), 0);
  t.equal(rd(BGLOAD), 0);
  t.equal(rd(VALUE), 0, 'QEMU reads the idle ptimer count, 0 (DDI 0271 says 0xFFFFFFFF)');
  t.equal(rd(RIS), 0);
  t.equal(rd(MIS), 0);
  t.equal(timer.irq.level, false);
  t.equal(clock.nextDeadline(), Infinity, 'no alarm until a timer is enabled');
  const ids = [0xfe0, 0xfe4, 0xfe8, 0xfec, 0xff0, 0xff4, 0xff8, 0xffc].map(rd);
  t.same(ids, [0x04, 0x18, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1], 'TimerPeriphID0-3, TimerPCellID0-3');
});

t.test('periodic, Load = 10: interrupt every 10 ticks, Value counts whole ticks left', async (t) => {
  const { timer, clock, rd, wr, at } = setup();
  wr(LOAD, 10);
  wr(CONTROL, ENABLE | PERIODIC | INTEN | SIZE32);
  // Started at cycle 0, an edge: expiry after 10 ticks = 1000 cycles (ptimer legacy policy: N ticks, not N+1).
  t.equal(clock.nextDeadline(), 1000);
  t.equal(rd(VALUE), 10, 'N at the start instant');
  at(1);
  t.equal(rd(VALUE), 9, '999 cycles = 9.99 ticks left, rounded down');
  at(100);
  t.equal(rd(VALUE), 9, 'exactly 9 ticks left');
  at(101);
  t.equal(rd(VALUE), 8);
  at(999);
  t.equal(rd(VALUE), 0, 'last tick reads 0');
  t.equal(timer.irq.level, false);
  t.equal(rd(RIS), 0);
  at(1000);
  t.equal(timer.irq.level, true, 'IRQ rises exactly at cycle 1000');
  t.equal(rd(RIS), 1);
  t.equal(rd(MIS), 1);
  t.equal(rd(VALUE), 10, 'reloaded at the expiry instant');
  t.equal(clock.nextDeadline(), 2000);
  wr(INTCLR, 1);
  t.equal(timer.irq.level, false, 'TimerXIntClr lowers the line');
  t.equal(rd(RIS), 0);
  // Fired 50 cycles late, the next expiry stays on the 1000-cycle grid.
  at(2050);
  t.equal(timer.irq.level, true);
  t.equal(clock.nextDeadline(), 3000, 'no drift: re-armed from the due cycle');
  t.equal(rd(VALUE), 9, '950 cycles = 9.5 ticks left');
});

t.test('one-shot started between two timer clock edges', async (t) => {
  const { timer, clock, rd, wr, at } = setup();
  at(250);
  wr(LOAD, 5);
  wr(CONTROL, ENABLE | ONESHOT | INTEN | SIZE32);
  // The next edge is at cycle 300 (tick 3); 5 ticks after it is tick 8 = cycle 800.
  t.equal(clock.nextDeadline(), 800);
  t.equal(rd(VALUE), 5);
  at(300);
  t.equal(rd(VALUE), 5, 'held until the first edge: 5 whole ticks left from cycle 300');
  at(301);
  t.equal(rd(VALUE), 4);
  at(799);
  t.equal(rd(VALUE), 0);
  t.equal(timer.irq.level, false);
  at(800);
  t.equal(timer.irq.level, true, 'one-shot expiry at cycle 800');
  t.equal(rd(VALUE), 0, 'halted at 0');
  t.equal(clock.nextDeadline(), Infinity, 'no reload');
  at(5000);
  t.equal(rd(VALUE), 0);
  wr(LOAD, 3);
  t.equal(rd(VALUE), 3, 'Load sets the count...');
  t.equal(clock.nextDeadline(), Infinity, '...but, as in QEMU, does not restart a halted one-shot');
  wr(CONTROL, ENABLE | ONESHOT | INTEN | SIZE32);
  t.equal(clock.nextDeadline(), 5300, 'a TimerXControl write restarts it: 3 ticks from the edge at 5000');
});

t.test('prescale divides the timer clock by 16 and 256, exactly', async (t) => {
  const { timer, clock, rd, wr, at } = setup();
  wr(LOAD, 2);
  wr(CONTROL, ENABLE | PERIODIC | INTEN | SIZE32 | DIV16);
  // One prescaled tick = 16 µs = 1600 cycles.
  t.equal(clock.nextDeadline(), 3200);
  at(1599);
  t.equal(rd(VALUE), 1);
  at(1600);
  t.equal(rd(VALUE), 1);
  at(1601);
  t.equal(rd(VALUE), 0);
  at(3200);
  t.equal(timer.irq.level, true);
  wr(INTCLR, 1);
  wr(LOAD, 1);
  wr(CONTROL, ENABLE | PERIODIC | INTEN | SIZE32 | DIV256);
  // ÷256 edges fall on multiples of 25 600 cycles; the first one at or after cycle 3200 is 25 600.
  t.equal(clock.nextDeadline(), 51_200);
});

t.test('free-running mode wraps at 0xFFFF or 0xFFFFFFFF whatever Load says', async (t) => {
  const { timer, clock, rd, wr, at } = setup();
  wr(CONTROL, ENABLE | INTEN);
  t.equal(rd(VALUE), 0xffff, '16-bit free-running starts at 0xFFFF');
  wr(LOAD, 0x1234);
  t.equal(rd(LOAD), 0x1234);
  t.equal(rd(VALUE), 0xffff, 'QEMU reloads 0xFFFF, not Load, in free-running mode');
  t.equal(clock.nextDeadline(), 0xffff * 100);
  at(0xffff * 100);
  t.equal(timer.irq.level, true);
  t.equal(rd(VALUE), 0xffff);
  t.equal(clock.nextDeadline(), 2 * 0xffff * 100);
  wr(CONTROL, ENABLE | INTEN | SIZE32);
  t.equal(rd(VALUE), 0xffffffff, '32-bit free-running starts at 0xFFFFFFFF');
});

t.test('16-bit periodic mode does not truncate Load (QEMU)', async (t) => {
  const { rd, wr } = setup();
  wr(LOAD, 0x12345);
  wr(CONTROL, ENABLE | PERIODIC | INTEN);
  t.equal(rd(VALUE), 0x12345);
});

t.test('writing TimerXControl while enabled restarts the count (QEMU)', async (t) => {
  const { clock, rd, wr, at } = setup();
  wr(LOAD, 10);
  wr(CONTROL, ENABLE | PERIODIC | INTEN | SIZE32);
  at(450);
  wr(CONTROL, ENABLE | PERIODIC | INTEN | SIZE32);
  t.equal(rd(VALUE), 10);
  t.equal(clock.nextDeadline(), 1500, '10 ticks from the edge at 500');
});

t.test('disabling freezes Value, re-enabling reloads', async (t) => {
  const { timer, clock, rd, wr, at } = setup();
  wr(LOAD, 10);
  wr(CONTROL, ENABLE | PERIODIC | INTEN | SIZE32);
  at(350);
  wr(CONTROL, PERIODIC | INTEN | SIZE32);
  t.equal(rd(VALUE), 6, '650 cycles = 6.5 ticks left, rounded down');
  t.equal(clock.nextDeadline(), Infinity);
  at(5000);
  t.equal(rd(VALUE), 6);
  t.equal(timer.irq.level, false);
  wr(CONTROL, ENABLE | PERIODIC | INTEN | SIZE32);
  t.equal(rd(VALUE), 10);
  t.equal(clock.nextDeadline(), 6000);
});

t.test('a zero reload value interrupts at once and stops', async (t) => {
  const { timer, clock, rd, wr } = setup();
  wr(CONTROL, ENABLE | PERIODIC | INTEN | SIZE32);
  t.equal(timer.irq.level, true);
  t.equal(rd(RIS), 1);
  t.equal(rd(VALUE), 0);
  t.equal(clock.nextDeadline(), Infinity);
});

t.test('TimerXBGLoad changes the next reload only', async (t) => {
  const { clock, rd, wr, at } = setup();
  wr(LOAD, 10);
  wr(CONTROL, ENABLE | PERIODIC | INTEN | SIZE32);
  at(500);
  wr(BGLOAD, 4);
  t.equal(rd(VALUE), 5, 'current period continues');
  t.equal(rd(LOAD), 4, 'Load and BGLoad read the same value');
  t.equal(clock.nextDeadline(), 1000);
  at(1000);
  t.equal(rd(VALUE), 4);
  t.equal(clock.nextDeadline(), 1400);
});

t.test('the line is Timer1 MIS OR Timer2 MIS', async (t) => {
  const { timer, rd, wr, at } = setup();
  wr(LOAD, 3);
  wr(CONTROL, ENABLE | PERIODIC | SIZE32);
  wr(TIMER2 + LOAD, 5);
  wr(TIMER2 + CONTROL, ENABLE | PERIODIC | INTEN | SIZE32);
  at(300);
  t.equal(rd(RIS), 1, 'Timer1 raw interrupt at cycle 300');
  t.equal(rd(MIS), 0, 'masked: IntEnable clear');
  t.equal(timer.irq.level, false);
  at(500);
  t.equal(rd(TIMER2 + MIS), 1);
  t.equal(timer.irq.level, true, 'Timer2 at cycle 500');
  wr(TIMER2 + INTCLR, 0);
  t.equal(timer.irq.level, false);
  wr(CONTROL, ENABLE | PERIODIC | INTEN | SIZE32);
  t.equal(timer.irq.level, true, 'unmasking Timer1 with its RIS still set');
});

t.test('reset stops the timers and lowers the line', async (t) => {
  const { timer, clock, rd, wr } = setup();
  wr(CONTROL, ENABLE | PERIODIC | INTEN | SIZE32);
  wr(LOAD, 7);
  t.equal(timer.irq.level, true);
  timer.reset();
  t.equal(timer.irq.level, false);
  t.equal(clock.nextDeadline(), Infinity);
  t.equal(rd(CONTROL), 0x20);
  t.equal(rd(LOAD), 0);
});

t.test('bad offsets and unmodelled registers are logged', async (t) => {
  const { timer, logs, rd, wr } = setup();
  t.equal(rd(0x1c), 0);
  t.equal(rd(0xf00), 0);
  wr(VALUE, 5);
  t.same(
    logs.map(([cls]) => cls),
    ['guest-errors', 'unimp', 'guest-errors'],
  );
  t.equal(timer.registerName(0x24), 'Timer2Value');
  t.equal(timer.registerName(0x40), undefined);
});

/** Timer1 periodic (10 ticks) with its interrupt pending and half a period gone; Timer2 one-shot ÷16 mid-count. */
function runningPair() {
  const s = setup();
  s.wr(LOAD, 10);
  s.wr(CONTROL, ENABLE | PERIODIC | INTEN | SIZE32);
  s.at(1234);
  s.wr(TIMER2 + LOAD, 5);
  // The next ÷16 edge is at cycle 1600 (prescaled tick 1); 5 ticks after it: tick 6 = cycle 9600.
  s.wr(TIMER2 + CONTROL, ENABLE | ONESHOT | INTEN | SIZE32 | DIV16);
  s.at(1500);
  return s;
}

const make = (clock: Clock): Sp804 => new Sp804({ name: 'timer01', time: clock, logger: silentLogger });
const ALL = [LOAD, VALUE, CONTROL, RIS, MIS, BGLOAD].flatMap((o) => [o, TIMER2 + o]);

for (const clockFirst of [true, false]) {
  t.test(`snapshot mid-period continues exactly (clock loaded ${clockFirst ? 'before' : 'after'} the device)`, async (t) => {
    const { clock, timer } = runningPair();
    const twins = restoreTwin(clock, timer, make, clockFirst);
    const { copy } = twins;
    t.equal(copy.clock.now, 1500);
    t.equal(copy.device.irq.level, true, 'the pending Timer1 interrupt holds the line high after load');
    t.equal(copy.device.read(VALUE, 4), 5, 'Timer1: 500 cycles = 5 ticks to the expiry at 2000');
    t.equal(copy.device.read(TIMER2 + VALUE, 4), 5, 'Timer2: 5 prescaled ticks to the expiry at 9600');
    t.equal(copy.clock.nextDeadline(), 2000);
    const steps: [number, ((d: Sp804) => void)?][] = [
      [1999],
      [2000],
      [2050, (d) => d.write(INTCLR, 4, 1)],
      [2999],
      [3000],
      [3500, (d) => (d.write(INTCLR, 4, 1), d.write(CONTROL, 4, ENABLE | PERIODIC | SIZE32))],
      [4321, (d) => d.write(BGLOAD, 4, 7)],
      [5000],
      [5699],
      [9599],
      [9600],
      [20_000],
    ];
    for (const [cycle, action] of steps) {
      twins.at(cycle);
      if (action) twins.both(action);
      const [a, b] = twins.read(ALL);
      t.same(b, a, `registers at cycle ${cycle}`);
      t.equal(copy.clock.nextDeadline(), twins.original.clock.nextDeadline(), `next alarm at cycle ${cycle}`);
    }
    t.same(copy.irq, twins.original.irq, 'same IRQ line history');
    t.same(copy.irq, [[1500, true], [2050, false], [3000, true], [3500, false], [9600, true]]);
  });
}

t.test('the state is plain data; load leaves alarm due times to the clock', async (t) => {
  const { clock, timer } = runningPair();
  const state = timer.save();
  t.strictSame(JSON.parse(JSON.stringify(state)), state, 'JSON round-trips it unchanged');
  t.same(state, {
    timer1: { load: 10, control: ENABLE | PERIODIC | INTEN | SIZE32, ris: true, count: null, endTick: 20 },
    timer2: { load: 5, control: ENABLE | ONESHOT | INTEN | SIZE32 | DIV16, ris: false, count: null, endTick: 6 },
  });
  const fresh = new Clock(clock.hz);
  const copy = make(fresh);
  copy.load(state);
  t.equal(fresh.nextDeadline(), Infinity, 'the device did not schedule its alarms');
  fresh.load(clock.save());
  t.equal(fresh.nextDeadline(), 2000);
  timer.write(CONTROL, 4, PERIODIC | INTEN | SIZE32);
  t.match(timer.save().timer1, { count: 5, endTick: null }, 'stopped: the count itself is saved');
});

t.test('a bad SP804 state is a one-line SnapshotError and changes nothing', async (t) => {
  const { timer } = runningPair();
  const good = timer.save();
  const target = setup().timer;
  const with1 = (patch: object) => ({ ...good, timer1: { ...good.timer1, ...patch } });
  const with2 = (patch: object) => ({ ...good, timer2: { ...good.timer2, ...patch } });
  const cases: [unknown, string][] = [
    ['timer', 'timer01: snapshot: expected an object, got "timer"'],
    [{ timer1: good.timer1 }, 'timer01: snapshot field timer2: missing'],
    [with1({ load: 2 ** 32 }), 'timer01: snapshot field timer1.load: 4294967296 is out of range 0..4294967295'],
    [with1({ control: -1 }), 'timer01: snapshot field timer1.control: -1 is out of range 0..4294967295'],
    [with1({ ris: 1 }), 'timer01: snapshot field timer1.ris: expected true or false, got 1'],
    [with1({ count: 3 }), 'timer01: snapshot field timer1: exactly one of count and endTick must be null'],
    [with1({ endTick: null }), 'timer01: snapshot field timer1: exactly one of count and endTick must be null'],
    [with1({ endTick: Number.NaN }), 'timer01: snapshot field timer1.endTick: expected an integer, got NaN'],
    [with1({ control: PERIODIC }), 'timer01: snapshot field timer1.endTick: running, but TimerEn is clear'],
    [with2({ count: 2 ** 32, endTick: null }), 'timer01: snapshot field timer2.count: 4294967296 is out of range 0..4294967295'],
    [with2({ prescale: 16 }), 'timer01: snapshot field timer2.prescale: unknown field'],
  ];
  const before = target.save();
  for (const [state, message] of cases) {
    t.throws(() => target.load(state as never), { name: 'SnapshotError', message }, message);
  }
  t.same(target.save(), before, 'a bad Timer2 left Timer1 alone too');
});
