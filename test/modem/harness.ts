/** A baseband on a bare clock with a recording sink, for the modem tests. */
import { Clock } from '../../src/soc/clock.ts';
import { Baseband, type BasebandOptions, type ByteSink } from '../../src/modem/baseband.ts';

/** 100 MHz: one millisecond is 100 000 cycles. */
export const HZ = 100_000_000;

/** A sink that takes everything, or `capacity` bytes until `drain()` (a UART that is read slowly or never). */
export class RecordingSink implements ByteSink {
  readonly bytes: number[] = [];
  private held = 0;
  constructor(private capacity = Infinity) {}
  canReceive(): boolean {
    return this.held < this.capacity;
  }
  receive(byte: number): boolean {
    if (!this.canReceive()) return false;
    this.bytes.push(byte);
    this.held++;
    return true;
  }
  /** The reader takes what is there; returns it. */
  drain(): number[] {
    const taken = this.bytes.slice(this.bytes.length - this.held);
    this.held = 0;
    return taken;
  }
  setCapacity(capacity: number): void {
    this.capacity = capacity;
  }
  /** Bytes taken and not yet drained (the FIFO's fill level). */
  get holding(): number {
    return this.held;
  }
  /** A copy's fill level (restoring a run: the UART's FIFO is part of the machine, not of the modem). */
  setHolding(count: number): void {
    this.held = count;
  }
}

export class Harness {
  readonly clock: Clock;
  readonly modem: Baseband;
  readonly sink: RecordingSink;
  private seen = 0;

  constructor(options: Partial<BasebandOptions> & { capacity?: number; clock?: Clock } = {}) {
    this.clock = options.clock ?? new Clock(HZ);
    this.sink = new RecordingSink(options.capacity);
    this.modem = new Baseband({ time: this.clock, ...options, sink: this.sink });
  }

  get network() {
    return this.modem.network;
  }

  /** The reader empties the sink (a FIFO read out), and the modem moves more in (the UART's onRxSpace). */
  read(): void {
    this.sink.drain();
    this.modem.pump();
  }

  /** Sends bytes (a string of char codes 0-255) to the modem. */
  send(text: string): void {
    for (let i = 0; i < text.length; i++) this.modem.receive(text.charCodeAt(i));
  }

  /** Moves the clock `ms` milliseconds on, firing alarms as they fall due. */
  advance(ms: number): void {
    const end = this.clock.now + Math.round((HZ * ms) / 1000);
    for (;;) {
      const next = this.clock.nextDeadline();
      if (next > end) break;
      this.clock.advanceTo(Math.max(next, this.clock.now));
      this.clock.fireDue();
    }
    this.clock.advanceTo(end);
    this.clock.fireDue();
  }

  /** Everything the modem sent since the last call. */
  output(): string {
    const text = String.fromCharCode(...this.sink.bytes.slice(this.seen));
    this.seen = this.sink.bytes.length;
    return text;
  }

  /** Sends a command line (CR added), lets the response out, returns what came out. */
  at(line: string, ms = 2): string {
    this.send(`${line}\r`);
    this.advance(ms);
    return this.output();
  }
}

/** A quiet harness: echo off, so that outputs are the responses alone. */
export function quiet(options: ConstructorParameters<typeof Harness>[0] = {}): Harness {
  const h = new Harness(options);
  h.at('ATE0');
  return h;
}

/** Shows control characters, for messages. */
export function show(text: string): string {
  return JSON.stringify(text);
}

/** A deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
