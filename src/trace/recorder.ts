/**
 * The recorder: joins the CPU's instruction capture and the machine's events (exceptions, device
 * accesses, UART bytes, semihosting calls, data accesses) into one ordered record stream and writes it to
 * a trace file. It exists only while tracing: an untraced run has no capture hook and no observer.
 *
 * Events are placed after the instruction during which they happened (an exception after the instruction
 * that raised it or, for an IRQ, after the last instruction before it was taken) and carry its cycle; an
 * event of an instruction the trace window left out is left out too.
 */
import type { CaptureOptions, CaptureSink, TraceCapture } from '../cpu/trace-capture.ts';
import type { EventRecord, TraceEvent, TraceHeader } from './records.ts';
import { TraceWriter } from './writer.ts';

type Payload<K extends TraceEvent['kind']> = Omit<Extract<TraceEvent, { kind: K }>, 'kind'>;

/** What the recorder needs of a machine: an instruction capture and its events (Machine has both). */
export interface TraceSource {
  startTrace(options: CaptureOptions, sink: CaptureSink): TraceCapture;
  stopTrace(): void;
  on(name: 'device', listener: (e: Payload<'mmio'>) => void): () => void;
  on(name: 'uart', listener: (e: Payload<'uart'>) => void): () => void;
  on(name: 'semihosting', listener: (e: Payload<'semihosting'>) => void): () => void;
  on(name: 'exception', listener: (e: Payload<'exception'>) => void): () => void;
  on(name: 'slice', listener: () => void): () => void;
}

export interface RecorderOptions extends CaptureOptions {
  path: string;
  header: Omit<TraceHeader, 'version' | 'source'>;
}

export class Recorder {
  private readonly writer: TraceWriter;
  private readonly capture;
  /** Events from the machine, in order; the memory accesses of the capture, in order. */
  private readonly events: EventRecord[] = [];
  private readonly memEvents: EventRecord[] = [];
  private instructions = 0;
  /** The instruction written last: events with its index follow it. */
  private lastIndex = -1;
  private lastCycle = 0;

  private readonly unsubscribe: (() => void)[];

  constructor(
    private readonly source: TraceSource,
    options: RecorderOptions,
  ) {
    this.writer = new TraceWriter(options.path, { version: 0, source: 'handset', ...options.header });
    this.capture = source.startTrace(options, {
      insn: (i, cycle, pc, insn, thumb, mode, mask, values) => {
        if (this.events.length + this.memEvents.length > 0) this.flushEvents(i);
        this.writer.writeInsnFields(i, cycle, pc, insn, thumb, mode, mask, values);
        this.instructions++;
        this.lastIndex = i;
        this.lastCycle = cycle;
      },
      mem: (m) => {
        this.memEvents.push({ kind: 'mem', address: m.address, size: m.size, write: m.write, value: m.value, i: m.i, cycle: 0 });
      },
    });
    const event = (e: TraceEvent) => this.events.push({ ...e, i: this.capture.currentIndex, cycle: 0 });
    this.unsubscribe = [
      source.on('device', ({ device, register, offset, size, write, value }) =>
        event({ kind: 'mmio', device, register, offset, size, write, value }),
      ),
      source.on('uart', ({ port, direction, byte }) => event({ kind: 'uart', port, direction, byte })),
      source.on('semihosting', ({ op, param, result, exit }) => event({ kind: 'semihosting', op, param, result, exit })),
      source.on('exception', ({ exception, vector, returnAddress }) => event({ kind: 'exception', exception, vector, returnAddress })),
      source.on('slice', () => this.capture.drain()),
    ];
  }

  /** Instruction records written so far. */
  get written(): number {
    return this.instructions;
  }

  /** Writes what is left and closes the file; the machine is no longer observed. */
  finish(): void {
    this.capture.finish();
    this.capture.drain();
    this.flushEvents(Infinity);
    this.writer.close();
    this.source.stopTrace();
    for (const off of this.unsubscribe) off();
  }

  /**
   * Takes the events of instructions before `index` off both queues, in instruction order, and writes those
   * that belong to the instruction written last.
   */
  private flushEvents(index: number): void {
    let a = 0;
    let b = 0;
    const { events, memEvents } = this;
    while (true) {
      const ea = a < events.length && events[a].i < index ? events[a] : undefined;
      const eb = b < memEvents.length && memEvents[b].i < index ? memEvents[b] : undefined;
      if (ea === undefined && eb === undefined) break;
      const next = eb === undefined || (ea !== undefined && ea.i <= eb.i) ? (a++, ea!) : (b++, eb);
      if (next.i === this.lastIndex) this.writer.writeEvent({ ...next, cycle: this.lastCycle });
    }
    events.splice(0, a);
    memEvents.splice(0, b);
  }
}
