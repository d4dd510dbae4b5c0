/**
 * The bare-metal handset: CPU + board + clock + the one run loop (ARCHITECTURE §2, §5). The loop runs the
 * CPU until the next clock deadline, advances the clock by the cycles retired, fires due alarms, takes
 * exceptions and interrupts, and when the core waits (WFI) jumps the clock straight to the next alarm.
 *
 * The Machine is a library: hosts give it console sinks and an input source, and call `run`.
 */
import { CPSR, EXCP, type ExceptionKind } from '../cpu/arm.ts';
import { Cpu, CpuError, fastCoster } from '../cpu/cpu.ts';
import { timingModel } from '../timing/block-cost.ts';
import { nativeBlockClockAvailable, type BlockClockKind } from '../cpu/block-clock.ts';
import { CPU_MODELS, type CpuModelName } from '../cpu/models.ts';
import type { LoadedImage, MemoryLayout } from '../loader/types.ts';
import { ALIAS_SPACE, buildBoard, RAM_BASE, REALVIEW_EB, unassignedRanges, type Board } from '../soc/board.ts';
import { Clock } from '../soc/clock.ts';
import { silentLogger, type Logger } from '../soc/device.ts';
import { Semihosting } from './semihosting.ts';
import { heapLayout } from './heap-layout.ts';
import type { ConsoleInput } from './console-input.ts';

export interface MachineOptions {
  cpu: CpuModelName;
  ramSize: number;
  /** Core clock in Hz; default the model's. */
  clockHz?: number;
  /** `fast`: one cycle per instruction; `cycle`: the core's cost tables (src/timing). Default fast. */
  timing?: TimingMode;
  blockClock?: BlockClockKind;
  logger?: Logger;
  /** Bytes the firmware writes to the console (UART0 and semihosting stdout). */
  onConsole?: (bytes: Uint8Array) => void;
  /** Semihosting writes to stderr. */
  onStderr?: (bytes: Uint8Array) => void;
  input?: ConsoleInput;
  /** What semihosting SYS_GET_CMDLINE returns (QEMU: the image path). */
  cmdline?: string;
  /** Which host console streams are terminals (semihosting ISTTY reports it, as QEMU does). Default none. */
  terminals?: { stdin?: boolean; stdout?: boolean; stderr?: boolean };
}

export type TimingMode = 'fast' | 'cycle';

export interface RunLimits {
  maxInsns?: number;
  maxCycles?: number;
}

export type RunOutcome =
  | { kind: 'exit'; status: number }
  | { kind: 'limit'; limit: 'instructions' | 'cycles' };

export class MachineError extends Error {}

/** What a tracer sees of the machine besides instructions. Every method is optional. */
export interface MachineObserver {
  mmio?(device: string, register: string, offset: number, size: number, write: boolean, value: number): void;
  uart?(port: string, direction: 'tx' | 'rx', byte: number): void;
  semihosting?(op: number, param: number, result: number, exit: boolean): void;
  exception?(kind: ExceptionKind, vector: number, returnAddress: number): void;
}

export function memoryLayout(ramSize: number): MemoryLayout {
  return { ramBase: RAM_BASE, ramSize, mmio: REALVIEW_EB.map((e) => ({ name: e.name, base: e.base, size: e.size })) };
}

export class Machine {
  readonly cpu: Cpu;
  readonly clock: Clock;
  readonly board: Board;
  private readonly semihosting: Semihosting;
  private readonly logger: Logger;
  private image: LoadedImage | undefined;
  private heap = { heapBase: 0, heapLimit: 0, stackBase: 0, stackLimit: 0 };
  private sliceDeadline = Infinity;
  private running = false;
  private readonly exceptionEntryCycles: number;
  /** Set while tracing; undefined costs one property check per device access. */
  observer: MachineObserver | undefined;
  /** Called after every CPU slice (a tracer drains its capture buffer here). */
  afterSlice: (() => void) | undefined;

  constructor(private readonly options: MachineOptions) {
    const model = CPU_MODELS[options.cpu];
    this.logger = options.logger ?? silentLogger;
    this.clock = new Clock(options.clockHz ?? model.defaultMhz * 1_000_000);
    const blockClock = options.blockClock ?? (nativeBlockClockAvailable() ? 'native' : 'js');
    const timing = options.timing === 'cycle' ? timingModel(options.cpu) : undefined;
    this.exceptionEntryCycles = timing?.exceptionEntry ?? 0;
    this.cpu = new Cpu({ model: options.cpu, coster: timing ? (block) => timing.block(block) : fastCoster, blockClock });
    this.board = buildBoard({ time: this.clock, logger: this.logger, procId: model.procId });
    this.mapMemory();
    this.connectTime();
    this.connectConsole();
    this.semihosting = new Semihosting({
      readMemory: (va, length) => this.cpu.readVirtual(va, length),
      writeMemory: (va, bytes) => this.cpu.writeVirtual(va, bytes),
      stdout: (bytes) => this.options.onConsole?.(bytes),
      stderr: (bytes) => this.options.onStderr?.(bytes),
      stdin: (max) => this.options.input?.read(max, true) ?? new Uint8Array(0),
      nanos: () => this.clock.nanosAt(),
      isTerminal: (stream) => options.terminals?.[stream] ?? false,
      cmdline: options.cmdline ?? '',
      heap: () => this.heap,
    });
  }

  /** Instructions retired so far. */
  get instructions(): number {
    return this.cpu.clock.insns;
  }

  get cycles(): number {
    return this.cpu.clock.cycles;
  }

  /** Places an image in RAM and sets the reset state QEMU realview-eb gives a `-kernel` ELF (HARDWARE §2). */
  load(image: LoadedImage): void {
    for (const s of image.segments) {
      const bytes = new Uint8Array(s.memSize);
      bytes.set(s.data);
      this.cpu.writeMemory(s.addr, bytes);
    }
    this.image = image;
    this.heap = heapLayout(image, RAM_BASE, this.options.ramSize);
    for (let r = 0; r <= 14; r++) this.cpu.setReg(r, 0);
    // SVC mode, A/I/F masked; QEMU also shows Z set (PSR=400001d3), which Unicorn's reset state matches.
    this.cpu.cpsr = CPSR.Z | CPSR.A | CPSR.I | CPSR.F | 0x13 | (image.thumb ? CPSR.T : 0);
    this.cpu.setReg(15, image.entry | (image.thumb ? 1 : 0));
  }

  /** Runs until the firmware exits (semihosting) or a limit is reached. */
  run(limits: RunLimits = {}): RunOutcome {
    if (this.image === undefined) throw new MachineError('no image loaded');
    this.running = true;
    try {
      for (;;) {
        const outcome = this.step(limits);
        if (outcome !== undefined) return outcome;
      }
    } finally {
      this.running = false;
    }
  }

  close(): void {
    this.cpu.close();
  }

  // ---- the run loop ----

  private step(limits: RunLimits): RunOutcome | undefined {
    const insns = this.cpu.clock.insns;
    const cycles = this.cpu.clock.cycles;
    if (limits.maxInsns !== undefined && insns >= limits.maxInsns) return { kind: 'limit', limit: 'instructions' };
    if (limits.maxCycles !== undefined && cycles >= limits.maxCycles) return { kind: 'limit', limit: 'cycles' };
    // Every instruction costs at least one cycle, so a cycle deadline this far ahead cannot overshoot the
    // instruction limit by more than one block.
    let deadline = this.clock.nextDeadline();
    if (limits.maxCycles !== undefined) deadline = Math.min(deadline, limits.maxCycles);
    if (limits.maxInsns !== undefined) deadline = Math.min(deadline, cycles + (limits.maxInsns - insns));
    this.sliceDeadline = deadline;
    const stop = this.cpu.run(deadline);
    this.sliceDeadline = Infinity;
    this.afterSlice?.();
    this.syncClock();
    this.clock.fireDue();
    switch (stop.kind) {
      case 'exception': {
        const exit = this.handleException(stop.intno, stop.pc);
        if (exit !== undefined) return { kind: 'exit', status: exit };
        break;
      }
      case 'wfi':
        this.idle(stop.pc, limits);
        break;
      case 'deadline':
      case 'requested':
      case 'interrupt':
        break;
    }
    this.deliverInterrupts();
    return undefined;
  }

  /** Brings the clock up to the cycles the CPU has been charged (also called mid-slice by device reads). */
  private syncClock(): void {
    this.clock.catchUp(this.cpu.clock.cycles);
  }

  private deliverInterrupts(): void {
    if (this.board.gic.irq.level && (this.cpu.cpsr & CPSR.I) === 0) this.enter('irq', this.cpu.pc);
  }

  /** WFI: sleep until an interrupt is pending (even if masked, as the architecture says). */
  private idle(pc: number, limits: RunLimits): void {
    this.pollInput();
    if (this.board.gic.irq.level) return;
    let next = this.clock.nextDeadline();
    if (limits.maxCycles !== undefined) next = Math.min(next, limits.maxCycles);
    if (next === Infinity) {
      if (this.pollInput(true)) return;
      throw new MachineError(
        `the CPU waits for an interrupt (WFI before 0x${pc.toString(16).padStart(8, '0')}) but none can come: no timer is armed and there is no input`,
      );
    }
    const now = this.cpu.clock.cycles;
    if (next > now) this.cpu.clock.adjust(0, next - now);
    this.syncClock();
    this.clock.fireDue();
  }

  private handleException(intno: number, pc: number): number | undefined {
    const thumb = this.cpu.thumb;
    switch (intno) {
      case EXCP.SWI: {
        if (this.isSemihostingCall(pc, thumb)) {
          const op = this.cpu.reg(0);
          const param = this.cpu.reg(1);
          const result = this.semihosting.call(op, param);
          this.observer?.semihosting?.(op, param, result.exit ?? result.r0 ?? 0, result.exit !== undefined);
          if (result.exit !== undefined) return result.exit;
          if (result.r0 !== undefined) this.cpu.setReg(0, result.r0);
          return undefined;
        }
        return this.enter('swi', pc);
      }
      case EXCP.UDEF:
        return this.enter('undefined', pc + (thumb ? 2 : 4));
      case EXCP.PREFETCH_ABORT:
        this.cpu.recordAbort('prefetch', pc);
        return this.enter('prefetchAbort', pc);
      case EXCP.BKPT: // BKPT is a prefetch abort (debug event) on ARMv5/ARMv6
        this.cpu.recordAbort('bkpt', pc);
        return this.enter('prefetchAbort', pc);
      case EXCP.DATA_ABORT:
        this.cpu.recordAbort('data', pc);
        return this.enter('dataAbort', pc);
      default:
        throw new CpuError(`unexpected CPU exception ${intno} at pc=0x${pc.toString(16).padStart(8, '0')}`);
    }
  }

  private enter(kind: ExceptionKind, preferredReturn: number): undefined {
    this.cpu.takeException(kind, preferredReturn >>> 0);
    this.cpu.clock.adjust(0, this.exceptionEntryCycles);
    this.observer?.exception?.(kind, this.cpu.pc, this.cpu.reg(14));
    return undefined;
  }

  /** SVC 0x123456 in ARM state or SVC 0xAB in Thumb state; `pc` is the instruction after the SVC. */
  private isSemihostingCall(pc: number, thumb: boolean): boolean {
    if (thumb) {
      const b = this.cpu.readVirtual((pc - 2) >>> 0, 2);
      return b !== undefined && b[1] === 0xdf && b[0] === 0xab;
    }
    const b = this.cpu.readVirtual((pc - 4) >>> 0, 4);
    return b !== undefined && (b[3] & 0x0f) === 0x0f && b[0] === 0x56 && b[1] === 0x34 && b[2] === 0x12;
  }

  // ---- wiring ----

  private mapMemory(): void {
    this.cpu.mapRam(RAM_BASE, this.options.ramSize);
    this.cpu.mapRam(ALIAS_SPACE.base, ALIAS_SPACE.size);
    for (const { entry, device } of this.board.devices.values()) {
      this.cpu.mapMmio(entry.base, entry.size, {
        read: (offset, size) => {
          const value = device.read(offset, size);
          this.observer?.mmio?.(entry.name, device.registerName(offset) ?? '', offset, size, false, value);
          return value;
        },
        write: (offset, size, value) => {
          device.write(offset, size, value);
          this.observer?.mmio?.(entry.name, device.registerName(offset) ?? '', offset, size, true, value);
        },
      });
    }
    for (const gap of unassignedRanges(this.options.ramSize)) {
      this.cpu.mapMmio(gap.base, gap.size, {
        read: (offset, size) => {
          this.unassigned('read', gap.base + offset, size);
          return 0;
        },
        write: (offset, size, value) => this.unassigned(`write 0x${value.toString(16)}`, gap.base + offset, size),
      });
    }
  }

  private unassigned(what: string, address: number, size: number): void {
    if (this.logger.enabled('guest-errors')) {
      this.logger.log('guest-errors', `unassigned ${what} at 0x${address.toString(16).padStart(8, '0')} (size ${size})`);
    }
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

  private connectConsole(): void {
    // UART1 (the modem port) and UART2/3 have nothing behind them yet: what they send is only traced.
    this.board.uarts.slice(1).forEach((uart, k) => {
      uart.onTransmit = (byte) => this.observer?.uart?.(`uart${k + 1}`, 'tx', byte);
    });
    const console = this.board.uarts[0];
    console.onTransmit = (byte) => {
      this.observer?.uart?.('uart0', 'tx', byte);
      this.options.onConsole?.(Uint8Array.of(byte));
    };
    console.onRxPoll = () => this.pollInput();
  }

  /** Moves available host input into UART0's receive FIFO; returns true if any byte moved. */
  private pollInput(block = false): boolean {
    const input = this.options.input;
    const uart = this.board.uarts[0];
    if (input === undefined) return false;
    let moved = false;
    while (uart.canReceive()) {
      const bytes = input.read(1, block && !moved);
      if (bytes.length === 0) break;
      this.observer?.uart?.('uart0', 'rx', bytes[0]);
      uart.receive(bytes[0]);
      moved = true;
    }
    return moved;
  }
}
