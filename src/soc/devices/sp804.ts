/**
 * ARM Dual-Timer Module SP804 (ARM DDI 0271), behaving as QEMU's hw/timer/arm_timer.c.
 *
 * MMIO window 0x1000 bytes: Timer1 registers at +0x00, Timer2 at +0x20, TimerITCR/TimerITOP at +0xF00/+0xF04
 * (integration test, not modelled), peripheral and PrimeCell IDs at +0xFE0..+0xFFC.
 * IRQ: `irq` (TIMINTC) = Timer1 MIS OR Timer2 MIS. realview-eb: 0x1001_1000 → GIC ID 36, 0x1001_2000 → ID 37.
 *
 * Counting follows QEMU's ptimer with the legacy policy that arm_timer.c selects:
 * - A count of N expires N timer ticks after it starts and raises the interrupt then; periodic and
 *   free-running modes reload at that instant, so the period is N ticks (the DDI 0271 counter would show 0
 *   for one more tick, a period of N+1).
 * - TimerXValue reads the whole ticks left before the expiry, rounded down (ptimer_get_count): N when the
 *   count starts, N-1 right after, 0 during the last tick.
 * - Ticks are the edges of the prescaled timer clock counted from cycle 0 of the virtual clock, so expiries
 *   fall on edges: a count started between two edges expires N ticks after the next one. QEMU counts from the
 *   start instant instead; both agree when the count starts on an edge. ÷256 is exact here (QEMU rounds the
 *   frequency down to 3906 Hz).
 * Departures from DDI 0271 that QEMU makes, kept for trace parity:
 * - Writing TimerXControl with TimerEn set restarts the count from the reload value.
 * - Free-running mode counts from 0xFFFFFFFF (or 0xFFFF) even right after a TimerXLoad write.
 * - TimerSize only selects the free-running wrap value; TimerXLoad is never truncated to 16 bits.
 * - After a one-shot expiry the counter stays at 0 until TimerXControl is written (a TimerXLoad write does
 *   not restart it).
 * - TimerPre = 0b11 divides by 1; TimerXValue reads 0 after reset; a zero reload value interrupts at once
 *   and stops the counter.
 */
import type { Alarm, TimeSource } from '../clock.ts';
import { IrqLine, type AccessSize, type Device, type DeviceState, type Logger } from '../device.ts';
import { RegisterMap } from '../regs.ts';
import { StateReader } from '../state.ts';
import type { DeviceOptions } from './options.ts';

export interface Sp804Options extends DeviceOptions {
  /** TIMCLK of both timers in Hz (QEMU's freq0/freq1 default: 1 MHz). */
  freqHz?: number;
}

/** TimerXControl fields. */
const OneShot = 1 << 0;
const TimerSize = 1 << 1;
const IntEnable = 1 << 5;
const TimerMode = 1 << 6;
const TimerEn = 1 << 7;
const CONTROL_RESET = IntEnable;

/** TimerPeriphID0-3 and TimerPCellID0-3. */
const PID = [0x04, 0x18, 0x14, 0x00];
const CID = [0x0d, 0xf0, 0x05, 0xb1];

/**
 * Saved state of one counter. The count is lazy, so what is saved is what computes it: `count` while the
 * counter is stopped, or `endTick` (the prescaled tick at which it reaches zero) while it runs; the other is
 * null. The expiry alarm's due cycle is the clock's to save.
 */
export type TimerState = { load: number; control: number; ris: boolean; count: number | null; endTick: number | null };

/** Saved state: Timer1 and Timer2. */
export type Sp804State = { timer1: TimerState; timer2: TimerState };

const TIMER_FIELDS = ['load', 'control', 'ris', 'count', 'endTick'] as const;

/** One of the two counters: its registers' state plus a lazily evaluated count. */
class Timer {
  load = 0;
  control = CONTROL_RESET;
  ris = false;
  private running = false;
  /** The count while stopped. */
  private count = 0;
  /** While running: the prescaled tick at which the count reaches zero. */
  private endTick = 0;
  private readonly alarm: Alarm;

  constructor(
    name: string,
    private readonly time: TimeSource,
    private readonly freqHz: number,
    private readonly expired: () => void,
  ) {
    this.alarm = time.createAlarm(name, () => this.expire());
  }

  get mis(): boolean {
    return this.ris && (this.control & IntEnable) !== 0;
  }

  value(): number {
    if (!this.running) return this.count;
    return Math.max(0, this.endTick - this.edgeAtOrAfter(this.time.now));
  }

  writeLoad(value: number): void {
    this.load = value;
    this.count = this.reloadValue();
    if (this.running) this.start();
  }

  writeBGLoad(value: number): void {
    this.load = value;
  }

  writeControl(value: number): void {
    if (this.running) {
      this.count = this.value();
      this.running = false;
      this.alarm.cancel();
    }
    this.control = value;
    if (value & TimerEn) {
      this.count = this.reloadValue();
      this.start();
    }
  }

  reset(): void {
    this.alarm.cancel();
    this.running = false;
    this.count = 0;
    this.load = 0;
    this.control = CONTROL_RESET;
    this.ris = false;
  }

  save(): TimerState {
    return {
      load: this.load,
      control: this.control,
      ris: this.ris,
      count: this.running ? null : this.count,
      endTick: this.running ? this.endTick : null,
    };
  }

  /** Checks a saved state and returns the function that applies it (so that a bad Timer2 leaves Timer1 alone). */
  static check(state: StateReader): (timer: Timer) => void {
    const load = state.int('load');
    const control = state.int('control');
    const ris = state.bool('ris');
    const count = state.intOrNull('count', 0, 0xffff_ffff);
    const endTick = state.intOrNull('endTick');
    if ((count === null) === (endTick === null)) throw state.error('', 'exactly one of count and endTick must be null');
    if (endTick !== null && (control & TimerEn) === 0) throw state.error('endTick', 'running, but TimerEn is clear');
    return (timer) => {
      timer.load = load;
      timer.control = control;
      timer.ris = ris;
      timer.running = endTick !== null;
      timer.count = count ?? 0;
      timer.endTick = endTick ?? 0;
    };
  }

  private start(): void {
    if (this.count === 0) {
      this.ris = true;
      this.running = false;
      this.alarm.cancel();
      return;
    }
    this.running = true;
    this.endTick = this.edgeAtOrAfter(this.time.now) + this.count;
    this.alarm.scheduleAt(this.edgeCycle(this.endTick));
  }

  private expire(): void {
    this.ris = true;
    const reload = this.reloadValue();
    if (this.control & OneShot || reload === 0) {
      this.running = false;
      this.count = 0;
    } else {
      this.endTick += reload;
      this.alarm.scheduleAt(this.edgeCycle(this.endTick));
    }
    this.expired();
  }

  private reloadValue(): number {
    if ((this.control & (TimerMode | OneShot)) !== 0) return this.load;
    return this.control & TimerSize ? 0xffffffff : 0xffff;
  }

  private prescale(): number {
    const pre = (this.control >> 2) & 3;
    return pre === 1 ? 16 : pre === 2 ? 256 : 1;
  }

  private edgeCycle(tick: number): number {
    return this.time.cycleOfTick(this.freqHz, tick * this.prescale());
  }

  /** The first prescaled tick whose edge is at or after `cycle`. */
  private edgeAtOrAfter(cycle: number): number {
    const tick = Math.floor(this.time.ticksAt(this.freqHz, cycle) / this.prescale());
    return this.edgeCycle(tick) === cycle ? tick : tick + 1;
  }
}

export class Sp804 implements Device {
  readonly name: string;
  readonly size = 0x1000;
  readonly irq: IrqLine;
  private readonly timers: [Timer, Timer];
  private readonly regs: RegisterMap;
  private readonly logger: Logger;

  constructor(options: Sp804Options) {
    const freqHz = options.freqHz ?? 1_000_000;
    if (!Number.isInteger(freqHz) || freqHz <= 0) throw new RangeError(`${options.name}: bad timer clock ${freqHz}`);
    this.name = options.name;
    this.logger = options.logger;
    this.irq = new IrqLine(`${options.name}.irq`);
    const update = (): void => this.update();
    this.timers = [
      new Timer(`${options.name}.timer1`, options.time, freqHz, update),
      new Timer(`${options.name}.timer2`, options.time, freqHz, update),
    ];
    this.regs = new RegisterMap(options.name, options.logger);
    this.timers.forEach((t, i) => {
      const base = i * 0x20;
      const n = `Timer${i + 1}`;
      this.regs
        .define({
          name: `${n}Load`,
          offset: base + 0x00,
          read: () => t.load,
          write: (v) => {
            t.writeLoad(v);
            this.update();
          },
        })
        .define({ name: `${n}Value`, offset: base + 0x04, access: 'ro', read: () => t.value() })
        .define({
          name: `${n}Control`,
          offset: base + 0x08,
          reset: CONTROL_RESET,
          read: () => t.control,
          write: (v) => {
            t.writeControl(v);
            this.update();
          },
        })
        .define({
          name: `${n}IntClr`,
          offset: base + 0x0c,
          access: 'wo',
          write: () => {
            t.ris = false;
            this.update();
          },
        })
        .define({ name: `${n}RIS`, offset: base + 0x10, access: 'ro', read: () => (t.ris ? 1 : 0) })
        .define({ name: `${n}MIS`, offset: base + 0x14, access: 'ro', read: () => (t.mis ? 1 : 0) })
        .define({ name: `${n}BGLoad`, offset: base + 0x18, read: () => t.load, write: (v) => t.writeBGLoad(v) });
    });
    this.regs
      .define({ name: 'TimerITCR', offset: 0xf00, access: 'ro', read: () => this.unimplemented('TimerITCR') })
      .define({ name: 'TimerITOP', offset: 0xf04, access: 'ro', read: () => this.unimplemented('TimerITOP') })
      .defineMany(4, 4, (i) => ({ name: `TimerPeriphID${i}`, offset: 0xfe0 + 4 * i, access: 'ro', reset: PID[i] }))
      .defineMany(4, 4, (i) => ({ name: `TimerPCellID${i}`, offset: 0xff0 + 4 * i, access: 'ro', reset: CID[i] }));
  }

  read(offset: number, size: AccessSize): number {
    return this.regs.read(offset, size);
  }

  write(offset: number, size: AccessSize, value: number): void {
    this.regs.write(offset, size, value);
  }

  reset(): void {
    this.regs.reset();
    for (const t of this.timers) t.reset();
    this.update();
  }

  registerName(offset: number): string | undefined {
    return this.regs.nameAt(offset);
  }

  save(): Sp804State {
    return { timer1: this.timers[0].save(), timer2: this.timers[1].save() };
  }

  load(state: DeviceState): void {
    const reader = new StateReader(this.name, '', state, ['timer1', 'timer2']);
    const timer1 = Timer.check(reader.object('timer1', TIMER_FIELDS));
    const timer2 = Timer.check(reader.object('timer2', TIMER_FIELDS));
    timer1(this.timers[0]);
    timer2(this.timers[1]);
    this.update();
  }

  private update(): void {
    this.irq.set(this.timers[0].mis || this.timers[1].mis);
  }

  private unimplemented(register: string): number {
    if (this.logger.enabled('unimp')) {
      this.logger.log('unimp', `${this.name}: integration test register ${register} not modelled`);
    }
    return 0;
  }
}
