/**
 * The one source of emulated time: a virtual clock counted in CPU core cycles, with an alarm scheduler.
 *
 * Nothing here reads host time. The run loop moves `now` forward by the cycles the CPU retired and calls
 * `fireDue()`; devices schedule alarms in cycles (or convert their own tick rate with `cyclesFor`/`ticksAt`).
 * Alarms fire in order of due cycle, ties broken by creation order, so every run is identical.
 */
import { SnapshotError } from './device.ts';
import { scaleFloor } from './scale.ts';
import { StateReader } from './state.ts';

/**
 * The clock's saved state: the current cycle and every alarm's due cycle (null when not scheduled), in
 * creation order. The clock is the one owner of alarm due times: devices save and load only their registers.
 */
export type ClockState = { now: number; alarms: { name: string; due: number | null }[] };

export type AlarmCallback = (lateBy: number) => void;

export interface Alarm {
  readonly name: string;
  /** Due cycle, or Infinity when not scheduled. */
  readonly due: number;
  readonly pending: boolean;
  /** Fire `delta` cycles from now (delta >= 0); replaces any earlier schedule. */
  schedule(delta: number): void;
  /** Fire at an absolute cycle (a past one fires at the next `fireDue`, late); replaces any earlier schedule. */
  scheduleAt(cycle: number): void;
  cancel(): void;
}

/** The view of time a device gets: it can read it and set alarms, never move it. */
export interface TimeSource {
  readonly hz: number;
  readonly now: number;
  createAlarm(name: string, callback: AlarmCallback): Alarm;
  /** Whole ticks of a `tickHz` clock elapsed at cycle `cycle` (default: now). */
  ticksAt(tickHz: number, cycle?: number): number;
  /** The first cycle at which `ticks` ticks of a `tickHz` clock have elapsed. */
  cycleOfTick(tickHz: number, ticks: number): number;
}

class ClockAlarm implements Alarm {
  due = Infinity;
  constructor(
    private readonly clock: Clock,
    readonly name: string,
    readonly order: number,
    readonly callback: AlarmCallback,
  ) {}
  get pending(): boolean {
    return this.due !== Infinity;
  }
  schedule(delta: number): void {
    if (!(delta >= 0)) throw new RangeError(`alarm ${this.name}: negative or invalid delay ${delta}`);
    this.scheduleAt(this.clock.now + delta);
  }
  scheduleAt(cycle: number): void {
    this.due = Math.ceil(cycle);
    this.clock.alarmChanged(this);
  }
  cancel(): void {
    this.due = Infinity;
  }
}

export class Clock implements TimeSource {
  private current = 0;
  private readonly alarms: ClockAlarm[] = [];
  /** Called when an alarm is scheduled earlier than the current deadline (the run loop shortens its slice). */
  onDeadlineEarlier: ((cycle: number) => void) | undefined;
  /**
   * Called before `now` is read, so that a run loop in the middle of a slice can bring the clock up to the
   * cycles retired so far (MMIO reads of counters see exact-as-possible time).
   */
  sync: (() => void) | undefined;

  constructor(readonly hz: number) {
    if (!Number.isInteger(hz) || hz <= 0) throw new RangeError(`clock frequency must be a positive integer, got ${hz}`);
  }

  get now(): number {
    this.sync?.();
    return this.current;
  }

  /** Moves time forward (never back). Does not fire alarms: call `fireDue()`. */
  advanceTo(cycle: number): void {
    if (cycle < this.current) throw new RangeError(`clock cannot go back from ${this.current} to ${cycle}`);
    this.current = cycle;
  }

  /** Moves time forward to `cycle` if it is ahead (the run loop's catch-up; never goes back). */
  catchUp(cycle: number): void {
    if (cycle > this.current) this.current = cycle;
  }

  /** Alarm names must be unique: a saved clock restores due times by name. */
  createAlarm(name: string, callback: AlarmCallback): Alarm {
    if (this.alarms.some((a) => a.name === name)) throw new Error(`clock: two alarms named ${name}`);
    const alarm = new ClockAlarm(this, name, this.alarms.length, callback);
    this.alarms.push(alarm);
    return alarm;
  }

  /** Earliest due cycle of any pending alarm, or Infinity. */
  nextDeadline(): number {
    let best = Infinity;
    for (const a of this.alarms) if (a.due < best) best = a.due;
    return best;
  }

  /** Fires every alarm due at or before now, in (due, creation) order; alarms may re-arm themselves. */
  fireDue(): number {
    let fired = 0;
    for (;;) {
      let next: ClockAlarm | undefined;
      for (const a of this.alarms) {
        if (a.due <= this.current && (next === undefined || a.due < next.due)) next = a;
      }
      if (next === undefined) return fired;
      const lateBy = this.current - next.due;
      next.due = Infinity;
      next.callback(lateBy);
      fired++;
    }
  }

  ticksAt(tickHz: number, cycle = this.now): number {
    return scaleFloor(cycle, tickHz, this.hz);
  }

  cycleOfTick(tickHz: number, ticks: number): number {
    // Smallest c with floor(c * tickHz / hz) >= ticks, i.e. ceil(ticks * hz / tickHz).
    const c = scaleFloor(ticks, this.hz, tickHz);
    return scaleFloor(c, tickHz, this.hz) >= ticks ? c : c + 1;
  }

  /** Nanoseconds of virtual time at `cycle` (default: now). */
  nanosAt(cycle = this.now): number {
    return scaleFloor(cycle, 1_000_000_000, this.hz);
  }

  save(): ClockState {
    return {
      now: this.now,
      alarms: this.alarms.map((a) => ({ name: a.name, due: a.due === Infinity ? null : a.due })),
    };
  }

  /**
   * Restores `now` and every alarm's due cycle, by name. The state must name exactly the alarms this clock
   * has (the devices of a freshly built board create them); on any problem nothing changes. A due cycle
   * before `now` is kept: that alarm fires, late, at the next `fireDue`. Does not call `onDeadlineEarlier`:
   * whoever restores the clock starts its next slice from `nextDeadline()`.
   */
  load(state: ClockState): void {
    const reader = new StateReader('clock', '', state, ['now', 'alarms']);
    const now = reader.count('now');
    const dues = new Map<string, number>();
    reader.array('alarms', (e) => {
      const alarm = e.object(['name', 'due']);
      const name = alarm.string('name');
      if (dues.has(name)) throw alarm.error('name', `alarm ${name} is listed twice`);
      if (!this.alarms.some((a) => a.name === name)) throw alarm.error('name', `no alarm named ${name}`);
      dues.set(name, alarm.intOrNull('due') ?? Infinity);
    });
    const missing = this.alarms.find((a) => !dues.has(a.name));
    if (missing !== undefined) throw new SnapshotError('clock', 'alarms', `alarm ${missing.name} is missing`);
    this.current = now;
    for (const a of this.alarms) a.due = dues.get(a.name)!;
  }

  /** @internal used by alarms */
  alarmChanged(alarm: ClockAlarm): void {
    this.onDeadlineEarlier?.(alarm.due);
  }
}
