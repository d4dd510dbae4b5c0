/**
 * The recorder: joins the CPU's instruction capture and the machine's events (exceptions, device
 * accesses, UART bytes, semihosting calls, data accesses; under the hypervisor also hypercalls, vIRQs,
 * world switches, guest faults, button presses, partition state changes and ringtones) into one ordered record
 * stream and writes it to a trace file. It exists only while tracing: an untraced run has no capture hook
 * and no observer.
 *
 * Events are placed after the instruction during which they happened (an exception after the instruction
 * that raised it or, for an IRQ, after the last instruction before it was taken) and carry its cycle; an
 * event of an instruction the trace window left out is left out too (an address range is different: the
 * capture sees only the instructions in it, so an event during another follows the last one recorded).
 * The partition of every instruction written must be known, so world switches are followed even when
 * left out: the trace starts in the partition running at its first instruction (the first keyframe
 * holds it), and switches left out with their instructions become one switch record, from the partition
 * of the instruction written last to the one running, before the next instruction written (none when
 * that is the same partition).
 */
import type { CaptureOptions, CaptureSink, TraceCapture } from '../cpu/trace-capture.ts';
import type { EventRecord, TraceEvent, TraceHeader } from './records.ts';
import { TraceWriter } from './writer.ts';

type Payload<K extends TraceEvent['kind']> = Omit<Extract<TraceEvent, { kind: K }>, 'kind'>;

/** What the recorder needs of a machine: an instruction capture and its events (Machine has both). */
export interface TraceSource {
  startTrace(options: CaptureOptions, sink: CaptureSink): TraceCapture;
  stopTrace(): void;
  /** Under the hypervisor, the running partition's index + 1 (0: bare metal). */
  readonly addressSpace: number;
  on(name: 'device', listener: (e: Payload<'mmio'>) => void): () => void;
  on(name: 'uart', listener: (e: Payload<'uart'>) => void): () => void;
  on(name: 'semihosting', listener: (e: Payload<'semihosting'>) => void): () => void;
  on(name: 'exception', listener: (e: Payload<'exception'>) => void): () => void;
  on(name: 'slice', listener: () => void): () => void;
  on(name: 'hypercall', listener: (e: Payload<'hypercall'>) => void): () => void;
  on(name: 'virq', listener: (e: { guest: string; bits: number; via?: 'upcall' | 'wait' }) => void): () => void;
  on(name: 'worldSwitch', listener: (e: Payload<'worldSwitch'>) => void): () => void;
  on(name: 'guestFault', listener: (e: Omit<Payload<'guestFault'>, 'fault'> & { kind: string }) => void): () => void;
  on(name: 'button', listener: (e: Payload<'button'>) => void): () => void;
  on(name: 'guestState', listener: (e: Payload<'guestState'>) => void): () => void;
  on(name: 'ringtone', listener: (e: Payload<'ringtone'>) => void): () => void;
}

export interface RecorderOptions extends CaptureOptions {
  path: string;
  /** With `hypervisor`, a trace of a hypervisor run: its events are recorded too. */
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
  /** Hypervisor traces: the running partition (null: none), as the world switches taken off the queue say. */
  private running: string | null = null;
  /** The partition the writer's records say runs (undefined: nothing written yet). */
  private writtenPartition: string | null | undefined;
  /** The index of the last world switch left out with its instruction. */
  private unwrittenSwitch = -1;
  private readonly hypervisor: boolean;

  private readonly unsubscribe: (() => void)[];

  constructor(
    private readonly source: TraceSource,
    options: RecorderOptions,
  ) {
    this.writer = new TraceWriter(options.path, { version: 0, source: 'handset', ...options.header });
    const partitions = options.header.hypervisor?.partitions;
    this.hypervisor = partitions !== undefined;
    if (partitions !== undefined) this.running = partitions[source.addressSpace - 1]?.name ?? null;
    this.capture = source.startTrace(options, {
      insn: (i, cycle, pc, insn, thumb, mode, mask, values) => {
        if (this.events.length + this.memEvents.length > 0) this.flushEvents(i);
        if (this.hypervisor && this.writtenPartition !== this.running) this.partitionChanged();
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
    // Hypervisor events only in a hypervisor trace (the hypervisor builds them only while someone listens).
    if (this.hypervisor) {
      this.unsubscribe.push(
        source.on('hypercall', ({ guest, number, name, args, result }) => event({ kind: 'hypercall', guest, number, name, args: [...args], result })),
        source.on('virq', ({ guest, bits, via }) => event({ kind: 'virq', guest, bits, via: via ?? 'upcall' })),
        source.on('worldSwitch', ({ from, to }) => event({ kind: 'worldSwitch', from, to })),
        source.on('guestFault', ({ guest, kind, address, pc, write, handled }) => event({ kind: 'guestFault', guest, fault: kind, address, pc, write, handled })),
        source.on('button', ({ foreground }) => event({ kind: 'button', foreground })),
        source.on('guestState', ({ guest, state, detail }) => event({ kind: 'guestState', guest, state, detail })),
        source.on('ringtone', ({ guest, ringtone, playing }) => event({ kind: 'ringtone', guest, ringtone, playing })),
      );
    }
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
   * The next instruction written runs in another partition than the writer's records say: the first
   * instruction of the trace (its keyframe says where it starts), or one after world switches that were
   * left out with their instructions (one switch record stands for them).
   */
  private partitionChanged(): void {
    if (this.writtenPartition === undefined) this.writer.startIn(this.running);
    else this.writer.writeEvent({ kind: 'worldSwitch', from: this.writtenPartition, to: this.running, i: this.unwrittenSwitch, cycle: this.lastCycle });
    this.writtenPartition = this.running;
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
      if (next.kind === 'worldSwitch') this.running = next.to;
      if (next.i === this.lastIndex) {
        this.writer.writeEvent({ ...next, cycle: this.lastCycle });
        if (next.kind === 'worldSwitch') this.writtenPartition = next.to;
      } else if (next.kind === 'worldSwitch') {
        this.unwrittenSwitch = next.i;
      }
    }
    events.splice(0, a);
    memEvents.splice(0, b);
  }
}
