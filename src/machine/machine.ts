/**
 * The handset machine: CPU + board + bus + clock + the one run loop + a personality (ARCHITECTURE §2, §5).
 * The loop runs the CPU until the next clock deadline, advances the clock by the cycles retired, fires due
 * alarms, hands traps, interrupts and idle to the personality, and when the core waits (WFI) jumps the
 * clock straight to the next alarm.
 *
 * The Machine is a library: `load`, `run(limits)`, `stop()`, `step()`, `snapshot()`/`restore()` and typed
 * events (`on`). Front ends (the CLI, tests, later the UI) use only this API.
 */
import { CPSR, EXCP, type ExceptionKind } from '../cpu/arm.ts';
import { Cpu, CpuError, fastCoster, type StopReason } from '../cpu/cpu.ts';
import { EngineUnavailableError } from '../cpu/errors.ts';
import { nativeBlockClockAvailable, type BlockClockKind } from '../cpu/block-clock.ts';
import { CPU_MODEL_NAMES, CPU_MODELS, type CpuModelName } from '../cpu/models.ts';
import type { CaptureOptions, CaptureSink, TraceCapture } from '../cpu/trace-capture.ts';
import type { LoadedImage, MemoryLayout } from '../loader/types.ts';
import { timingModel } from '../timing/block-cost.ts';
import { ALIAS_SPACE, buildBoard, RAM_BASE, REALVIEW_EB, type Board } from '../soc/board.ts';
import { Bus } from '../soc/bus.ts';
import { Clock } from '../soc/clock.ts';
import { silentLogger, type Logger } from '../soc/device.ts';
import { BareMetal, type BareMetalOptions } from './bare-metal.ts';
import type { ConsoleInput } from './console-input.ts';
import { Emitter, type Listener, type MachineEvents } from './events.ts';
import type { MachineCore, Personality, Trap } from './personality.ts';
import { ExternalModemLink, ModemLink, type ExternalModemOptions, type ModemOptions } from './modem-link.ts';
import { restoreSnapshot, takeSnapshot } from './snapshot.ts';
import type { Network } from '../modem/network.ts';
import { Hypervisor } from '../hypervisor/kernel.ts';

/** What a front end may do with the hypervisor (Machine.hypervisor); `management` is the remote console's API (src/hypervisor/management.ts). */
export type HypervisorControl = Pick<Hypervisor, 'partitionNames' | 'foreground' | 'pressButton' | 'typeInto' | 'status' | 'management'>;

export { CpuError, EngineUnavailableError, CPU_MODEL_NAMES, CPU_MODELS, type CpuModelName };
export type { MachineEvents };

export interface MachineOptions extends BareMetalOptions {
  cpu: CpuModelName;
  ramSize: number;
  /** Core clock in Hz; default the model's. */
  clockHz?: number;
  /** `fast`: one cycle per instruction; `cycle`: the core's cost tables (src/timing). Default fast. */
  timing?: TimingMode;
  blockClock?: BlockClockKind;
  logger?: Logger;
  /** Host console input (UART0 receive and semihosting reads). */
  input?: ConsoleInput;
  /** Who handles traps, interrupts and idle; default BareMetal with the semihosting options above. */
  personality?: Personality;
  /**
   * The baseband behind UART1 (docs/modem.md): its two lines' numbers, or false for none. Default: on, `+15550100` and `+15550199`.
   * `{ external: port }`: UART1's far end is `port` (a host serial port, through a front end) instead: no network side, no snapshots.
   */
  modem?: ModemOptions | ExternalModemOptions | false;
}

export type TimingMode = 'fast' | 'cycle';

export interface RunLimits {
  /** Stop at the first block boundary at or after this many instructions since reset. */
  maxInsns?: number;
  /** Stop at the first block boundary at or after this cycle. */
  maxCycles?: number;
}

export type RunOutcome =
  | { kind: 'exit'; status: number }
  | { kind: 'limit'; limit: 'instructions' | 'cycles' }
  /** `stop()` was called. */
  | { kind: 'stopped' }
  /** The core waits (WFI before `pc`) and nothing can wake it: no alarm, no interrupt, no input yet. */
  | { kind: 'waiting'; pc: number };

export type StepOutcome = RunOutcome | { kind: 'stepped' };

export class MachineError extends Error {}

export function memoryLayout(ramSize: number): MemoryLayout {
  return { ramBase: RAM_BASE, ramSize, mmio: REALVIEW_EB.map((e) => ({ name: e.name, base: e.base, size: e.size })) };
}

/** What a snapshot records of how the machine was built; a snapshot restores only into the same. */
export interface MachineConfig {
  cpu: CpuModelName;
  ramSize: number;
  clockHz: number;
  timing: TimingMode;
  personality: string;
}

export class Machine {
  readonly config: MachineConfig;
  private readonly cpu: Cpu;
  private readonly clock: Clock;
  private readonly board: Board;
  private readonly bus: Bus;
  private readonly events = new Emitter<MachineEvents>();
  private readonly personality: Personality;
  private readonly modem: ModemLink | undefined;
  private readonly externalModem: ExternalModemLink | undefined;
  private readonly exceptionEntryCycles: number;
  private loaded = false;
  private running = false;
  private stopRequested = false;
  private sliceDeadline = Infinity;
  private limits: RunLimits = {};
  /**
   * Set while the core sleeps in WFI before this pc: nothing can wake it (run returned 'waiting'), or a cycle
   * limit ended the run in the middle of the sleep (the next run sleeps on; the core must not wake early).
   */
  private waitingAt: number | undefined;
  /** Set by sleepUntilInterrupt when the run's cycle limit, not an interrupt, ended the sleep. */
  private sleepCutByLimit = false;

  constructor(private readonly options: MachineOptions) {
    const model = CPU_MODELS[options.cpu];
    const logger = options.logger ?? silentLogger;
    this.clock = new Clock(options.clockHz ?? model.defaultMhz * 1_000_000);
    const timing = options.timing === 'cycle' ? timingModel(options.cpu) : undefined;
    this.exceptionEntryCycles = timing?.exceptionEntry ?? 0;
    const blockClock = options.blockClock ?? (nativeBlockClockAvailable() ? 'native' : 'js');
    this.cpu = new Cpu({ model: options.cpu, coster: timing ? (block) => timing.block(block) : fastCoster, blockClock });
    this.board = buildBoard({ time: this.clock, logger, procId: model.procId });
    this.bus = new Bus(this.board, options.ramSize, logger);
    this.personality = options.personality ?? new BareMetal(options);
    this.config = { cpu: options.cpu, ramSize: options.ramSize, clockHz: this.clock.hz, timing: options.timing ?? 'fast', personality: this.personality.name };
    this.mapMemory();
    this.connectTime();
    this.connectUarts();
    const modem = options.modem;
    if (modem !== undefined && modem !== false && 'external' in modem) this.externalModem = new ExternalModemLink(this.board.uarts[1], modem.external, this.events);
    else this.modem = modem === false ? undefined : new ModemLink(this.board.uarts[1], this.clock, modem, this.events);
    this.personality.attach(this.core());
  }

  // ---- the public API ----

  on<K extends keyof MachineEvents>(name: K, listener: Listener<MachineEvents[K]>): () => void {
    return this.events.on(name, listener);
  }

  /** Instructions retired since reset. */
  get instructions(): number {
    return this.cpu.clock.insns;
  }

  /** Cycles of virtual time since reset. */
  get cycles(): number {
    return this.cpu.clock.cycles;
  }

  get pc(): number {
    return this.cpu.pc;
  }

  /**
   * The address space the CPU runs in: 0 for bare metal; under the hypervisor, the running partition's
   * index + 1 (the last one that ran while none runs).
   */
  get addressSpace(): number {
    return this.cpu.addressSpace;
  }

  /** r0-r15 as the current mode sees them, and CPSR. */
  registers(): { r: number[]; cpsr: number } {
    return { r: Array.from({ length: 16 }, (_, n) => this.cpu.reg(n)), cpsr: this.cpu.cpsr };
  }

  /** Places an image in RAM and sets the reset state QEMU realview-eb gives a `-kernel` ELF (HARDWARE §2). */
  load(image: LoadedImage): void {
    for (const s of image.segments) {
      const bytes = new Uint8Array(s.memSize);
      bytes.set(s.data);
      this.cpu.writeMemory(s.addr, bytes);
    }
    for (let r = 0; r <= 14; r++) this.cpu.setReg(r, 0);
    // SVC mode, A/I/F masked; QEMU also shows Z set (PSR=400001d3), which Unicorn's reset state matches.
    this.cpu.cpsr = CPSR.Z | CPSR.A | CPSR.I | CPSR.F | 0x13 | (image.thumb ? CPSR.T : 0);
    this.cpu.setReg(15, image.entry | (image.thumb ? 1 : 0));
    this.personality.loaded(image);
    this.loaded = true;
  }

  /** Boots a personality that sets the machine up itself (the hypervisor loads its partitions) instead of `load`. */
  boot(): void {
    if (this.personality.boot === undefined) throw new MachineError(`the ${this.personality.name} personality runs an image given to load()`);
    this.personality.boot();
    this.loaded = true;
  }

  /** In hypervisor mode, its controls: the button, typing into a guest, partition status, management (of the managed partition). */
  get hypervisor(): HypervisorControl | undefined {
    return this.personality instanceof Hypervisor ? this.personality : undefined;
  }

  /** The modem's network side (calls to the handset, the far end, SMS, registration, signal); undefined without a modem. */
  get network(): Network | undefined {
    return this.modem?.network;
  }

  /** What is behind UART1: the built-in baseband, an external port (MachineOptions.modem `{ external }`), or nothing. */
  get modemKind(): 'baseband' | 'external' | 'none' {
    return this.modem !== undefined ? 'baseband' : this.externalModem !== undefined ? 'external' : 'none';
  }

  /** Runs until the firmware exits, a limit is reached, `stop()` is called, or the core waits for input. */
  run(limits: RunLimits = {}): RunOutcome {
    this.requireLoaded();
    this.running = true;
    this.limits = limits;
    try {
      for (;;) {
        const outcome = this.slice();
        if (outcome !== undefined) return outcome;
      }
    } finally {
      this.running = false;
      this.limits = {};
    }
  }

  /** Ends a `run` at the next block boundary (from a listener), or makes the next `run` return at once. */
  stop(): void {
    this.stopRequested = true;
    if (this.running) {
      this.sliceDeadline = 0;
      this.cpu.stopAtNextBlock();
    }
  }

  /** Executes exactly one instruction (taking a pending interrupt first, as the core would). */
  step(): StepOutcome {
    this.requireLoaded();
    this.running = true;
    try {
      if (this.waitingAt !== undefined) {
        const woke = this.idle(this.waitingAt);
        if (woke !== undefined) return woke;
      }
      const before = this.deliverInterrupts();
      if (before !== undefined) return before;
      let stop = this.cpu.step();
      if (stop.kind === 'interrupt') {
        const taken = this.deliverInterrupts();
        if (taken !== undefined) return taken;
        stop = this.cpu.step();
      }
      return this.afterCpu(stop) ?? { kind: 'stepped' };
    } finally {
      this.running = false;
    }
  }

  /** The whole emulation state as bytes (docs/snapshot-format.md). Call between runs. */
  snapshot(): Uint8Array {
    if (this.running) throw new MachineError('snapshot: the machine is running (call it between runs)');
    this.refuseExternalModem('snapshot');
    return takeSnapshot({
      config: this.config,
      cpu: this.cpu,
      clock: this.clock,
      board: this.board,
      personality: this.personality,
      modem: this.modem,
      machine: { loaded: this.loaded, waitingAt: this.waitingAt ?? null },
    });
  }

  /** Replaces the whole emulation state with a snapshot's; a bad snapshot is a SnapshotFileError. */
  restore(bytes: Uint8Array): void {
    if (this.running) throw new MachineError('restore: the machine is running (call it between runs)');
    this.refuseExternalModem('restore');
    const machine = restoreSnapshot(bytes, {
      config: this.config,
      cpu: this.cpu,
      clock: this.clock,
      board: this.board,
      personality: this.personality,
      modem: this.modem,
    });
    this.loaded = machine.loaded;
    this.waitingAt = machine.waitingAt ?? undefined;
  }

  /** Starts an instruction capture (the trace recorder uses it with the events). */
  startTrace(options: CaptureOptions, sink: CaptureSink): TraceCapture {
    return this.cpu.startTrace(options, sink);
  }

  stopTrace(): void {
    this.cpu.stopTrace();
  }

  close(): void {
    this.personality.close();
    this.cpu.close();
  }

  /** An external modem's state is outside the machine: a snapshot could not hold it. */
  private refuseExternalModem(what: string): void {
    if (this.externalModem !== undefined) throw new MachineError(`${what}: the modem is an external port, whose state a snapshot cannot hold`);
  }

  // ---- the run loop ----

  private requireLoaded(): void {
    if (!this.loaded) throw new MachineError('no image loaded');
  }

  private slice(): RunOutcome | undefined {
    if (this.stopRequested) {
      this.stopRequested = false;
      return { kind: 'stopped' };
    }
    const limits = this.limits;
    const insns = this.cpu.clock.insns;
    const cycles = this.cpu.clock.cycles;
    if (limits.maxInsns !== undefined && insns >= limits.maxInsns) return { kind: 'limit', limit: 'instructions' };
    if (limits.maxCycles !== undefined && cycles >= limits.maxCycles) return { kind: 'limit', limit: 'cycles' };
    if (this.waitingAt !== undefined) {
      const outcome = this.idle(this.waitingAt);
      if (outcome !== undefined) return outcome;
      return this.deliverInterrupts();
    }
    // Every instruction costs at least one cycle, so a cycle deadline this far ahead cannot overshoot the
    // instruction limit by more than one block.
    let deadline = this.clock.nextDeadline();
    if (limits.maxCycles !== undefined) deadline = Math.min(deadline, limits.maxCycles);
    if (limits.maxInsns !== undefined) deadline = Math.min(deadline, cycles + (limits.maxInsns - insns));
    this.sliceDeadline = deadline;
    const stop = this.cpu.run(deadline);
    this.sliceDeadline = Infinity;
    const outcome = this.afterCpu(stop);
    if (outcome !== undefined) return outcome;
    return this.deliverInterrupts();
  }

  /** Brings the clock up to the CPU's cycles, fires due alarms and hands the stop to the personality. */
  private afterCpu(stop: StopReason): RunOutcome | undefined {
    if (this.events.has('slice')) this.events.emit('slice', {});
    this.syncClock();
    this.clock.fireDue();
    this.externalModem?.poll();
    switch (stop.kind) {
      case 'exception': {
        const status = this.personality.trap(this.trap(stop.intno, stop.pc));
        if (status === 'idle') return this.idle(this.cpu.pc);
        if (status !== undefined) {
          this.events.emit('exit', { status });
          return { kind: 'exit', status };
        }
        return undefined;
      }
      case 'wfi':
        return this.idle(stop.pc);
      default:
        return undefined;
    }
  }

  private trap(intno: number, pc: number): Trap {
    const thumb = this.cpu.thumb;
    switch (intno) {
      case EXCP.SWI:
        return { kind: 'swi', next: pc, thumb };
      case EXCP.UDEF:
        return { kind: 'undefined', pc, thumb };
      case EXCP.PREFETCH_ABORT:
        return { kind: 'prefetchAbort', pc, thumb };
      case EXCP.BKPT:
        return { kind: 'bkpt', pc, thumb };
      case EXCP.DATA_ABORT:
        return { kind: 'dataAbort', pc, thumb };
      default:
        throw new CpuError(`unexpected CPU exception ${intno} at pc=0x${hex(pc)}`);
    }
  }

  private idle(next: number): RunOutcome | undefined {
    this.sleepCutByLimit = false;
    if (this.personality.idle(next) === 'waiting') {
      this.waitingAt = next;
      return { kind: 'waiting', pc: next };
    }
    // A cycle limit ended the sleep before an interrupt came: the core still sleeps (the run loop returns
    // at the limit, and the next run, or a restored snapshot, sleeps on from here).
    this.waitingAt = this.sleepCutByLimit ? next : undefined;
    this.sleepCutByLimit = false;
    return undefined;
  }

  /** Brings the clock up to the cycles the CPU has been charged (also called mid-slice by device reads). */
  private syncClock(): void {
    this.clock.catchUp(this.cpu.clock.cycles);
  }

  private deliverInterrupts(): RunOutcome | undefined {
    if (!this.board.gic.irq.level || (this.cpu.cpsr & CPSR.I) !== 0) return undefined;
    return this.personality.interrupt() === 'idle' ? this.idle(this.cpu.pc) : undefined;
  }

  /** WFI: sleep until an interrupt is pending (even if masked, as the architecture says). */
  private sleepUntilInterrupt(): boolean {
    const typed = this.pollInput(false);
    this.externalModem?.poll();
    if (this.board.gic.irq.level) return true;
    let next = this.clock.nextDeadline();
    const limit = this.limits.maxCycles;
    const cut = limit !== undefined && limit < next;
    if (cut) next = limit;
    // With an external modem, never wait for input here: what can wake the core may come from the modem
    // instead, and a front end waits for either while the run is 'waiting'.
    if (next === Infinity) return this.externalModem === undefined ? this.pollInput(true) : typed;
    const now = this.cpu.clock.cycles;
    if (next > now) {
      this.cpu.clock.adjust(0, next - now);
      if (this.events.has('idle')) this.events.emit('idle', { from: now, to: next });
    }
    this.syncClock();
    this.clock.fireDue();
    // No alarm was due before the limit, so nothing woke the core: it sleeps on (see idle()).
    if (cut && !this.board.gic.irq.level) this.sleepCutByLimit = true;
    return true;
  }

  private enterException(kind: ExceptionKind, preferredReturn: number): void {
    this.cpu.takeException(kind, preferredReturn >>> 0);
    this.cpu.clock.adjust(0, this.exceptionEntryCycles);
    if (this.events.has('exception')) this.events.emit('exception', { exception: kind, vector: this.cpu.pc, returnAddress: this.cpu.reg(14) });
  }

  private core(): MachineCore {
    return {
      cpu: this.cpu,
      clock: this.clock,
      board: this.board,
      bus: this.bus,
      events: this.events,
      ramSize: this.options.ramSize,
      enterException: (kind, preferredReturn) => this.enterException(kind, preferredReturn),
      sleepUntilInterrupt: () => this.sleepUntilInterrupt(),
      sleepCutByLimit: () => this.sleepCutByLimit,
      readInput: (max, block) => this.options.input?.read(max, block) ?? new Uint8Array(0),
    };
  }

  // ---- wiring ----

  private mapMemory(): void {
    this.cpu.mapRam(RAM_BASE, this.options.ramSize);
    this.cpu.mapRam(ALIAS_SPACE.base, ALIAS_SPACE.size);
    for (const region of this.bus.regions) {
      this.cpu.mapMmio(region.base, region.size, {
        read: (offset, size) => this.bus.readRegion(region, offset, size, 'cpu'),
        write: (offset, size, value) => this.bus.writeRegion(region, offset, size, value, 'cpu'),
      });
    }
    this.bus.onAccess = (access) => {
      if (this.events.has('device')) this.events.emit('device', access);
    };
  }

  private connectTime(): void {
    // Devices read the clock in the middle of a slice: give them the cycles charged so far.
    this.clock.sync = () => this.syncClock();
    // A device alarm earlier than the running slice's deadline shortens the slice.
    this.clock.onDeadlineEarlier = (due) => {
      if (this.running && due < this.sliceDeadline) {
        this.sliceDeadline = due;
        this.cpu.clock.setDeadline(due);
      }
    };
    // An interrupt raised mid-slice is taken at the next block boundary where CPSR.I is clear: the block
    // clock stops there by itself. Never stop the engine from here: this runs inside the MMIO callback of
    // the write that raised the line, and Unicorn would restart that block, repeating its earlier stores.
    this.board.gic.irq.connect((level) => this.cpu.clock.setIrqPending(level));
  }

  private connectUarts(): void {
    this.board.uarts.forEach((uart, k) => {
      const port = `uart${k}` as const;
      uart.onTransmit = (byte) => {
        if (this.events.has('uart')) this.events.emit('uart', { port, direction: 'tx', byte });
        this.events.emit('console', { source: port as 'uart0', stream: 'stdout', bytes: Uint8Array.of(byte) });
      };
    });
    this.board.uarts[0].onRxPoll = () => this.pollInput(false);
  }

  /** Moves available host input into UART0's receive FIFO; returns true if any byte moved. */
  private pollInput(block: boolean): boolean {
    const input = this.options.input;
    const uart = this.board.uarts[0];
    if (input === undefined) return false;
    let moved = false;
    while (uart.canReceive()) {
      const bytes = input.read(1, block && !moved);
      if (bytes.length === 0) break;
      if (this.events.has('uart')) this.events.emit('uart', { port: 'uart0', direction: 'rx', byte: bytes[0] });
      uart.receive(bytes[0]);
      moved = true;
    }
    return moved;
  }
}

function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
