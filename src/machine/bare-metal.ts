/**
 * The bare-metal personality: the firmware owns the machine. Traps enter the firmware's own vectors, IRQs
 * are taken when CPSR.I is clear, WFI sleeps until an interrupt, and semihosting (QEMU's `-semihosting`)
 * answers SVC 0x123456 / SVC 0xAB from privileged modes only, as QEMU does (`semihosting_enabled(is_user)`):
 * from USR mode such an SVC is an ordinary SVC.
 */
import { CPSR, Mode } from '../cpu/arm.ts';
import type { LoadedImage } from '../loader/types.ts';
import { RAM_BASE } from '../soc/board.ts';
import { SnapshotError, type StateValue } from '../soc/device.ts';
import { heapLayout, type HeapLayout } from './heap-layout.ts';
import type { MachineCore, Personality, Trap } from './personality.ts';
import { Semihosting } from './semihosting.ts';
import { semihostingFiles } from './semihosting-files.ts';

export interface BareMetalOptions {
  /** What semihosting SYS_GET_CMDLINE returns (QEMU: the image path). */
  cmdline?: string;
  /** Which host console streams are terminals (semihosting ISTTY reports it, as QEMU does). Default none. */
  terminals?: { stdin?: boolean; stdout?: boolean; stderr?: boolean };
  /** A host directory the guest's semihosting files live in (its "/"); default a private in-memory directory. */
  semihostingRoot?: string;
}

const NO_HEAP: HeapLayout = { heapBase: 0, heapLimit: 0, stackBase: 0, stackLimit: 0 };

export class BareMetal implements Personality {
  readonly name = 'bare-metal';
  private core!: MachineCore;
  private semihosting!: Semihosting;
  private heap: HeapLayout = NO_HEAP;
  /** Emulation state (a restored run answers GET_CMDLINE as the original did), unlike `terminals`. */
  private cmdline: string;

  constructor(private readonly options: BareMetalOptions = {}) {
    this.cmdline = options.cmdline ?? '';
  }

  attach(core: MachineCore): void {
    this.core = core;
    const { cpu, events } = core;
    const output = (stream: 'stdout' | 'stderr') => (bytes: Uint8Array) => events.emit('console', { source: 'semihosting', stream, bytes });
    this.semihosting = new Semihosting({
      readMemory: (va, length) => cpu.readVirtual(va, length),
      writeMemory: (va, bytes) => cpu.writeVirtual(va, bytes),
      stdout: output('stdout'),
      stderr: output('stderr'),
      stdin: (max) => core.readInput(max, true),
      nanos: () => core.clock.nanosAt(),
      isTerminal: (stream) => this.options.terminals?.[stream] ?? false,
      cmdline: () => this.cmdline,
      heap: () => this.heap,
      files: semihostingFiles(this.options.semihostingRoot),
      ramSize: core.ramSize,
    });
  }

  loaded(image: LoadedImage): void {
    this.heap = heapLayout(image, RAM_BASE, this.core.ramSize);
  }

  trap(trap: Trap): number | undefined {
    const { cpu } = this.core;
    switch (trap.kind) {
      case 'swi':
        if (this.privileged() && this.isSemihostingCall(trap.next, trap.thumb)) return this.semihostingCall();
        this.core.enterException('swi', trap.next);
        return undefined;
      case 'undefined':
        this.core.enterException('undefined', trap.pc + (trap.thumb ? 2 : 4));
        return undefined;
      case 'prefetchAbort':
        cpu.recordAbort('prefetch', trap.pc);
        this.core.enterException('prefetchAbort', trap.pc);
        return undefined;
      case 'bkpt': // BKPT is a prefetch abort (debug event) on ARMv5/ARMv6
        cpu.recordAbort('bkpt', trap.pc);
        this.core.enterException('prefetchAbort', trap.pc);
        return undefined;
      case 'dataAbort':
        cpu.recordAbort('data', trap.pc);
        this.core.enterException('dataAbort', trap.pc);
        return undefined;
    }
  }

  interrupt(): void {
    this.core.enterException('irq', this.core.cpu.pc);
  }

  idle(): 'woken' | 'waiting' {
    return this.core.sleepUntilInterrupt() ? 'woken' : 'waiting';
  }

  save(): StateValue {
    return { heap: { ...this.heap }, cmdline: this.cmdline, semihosting: this.semihosting.save() as unknown as StateValue };
  }

  load(state: StateValue): void {
    if (typeof state !== 'object' || state === null || Array.isArray(state)) throw new SnapshotError('bare-metal', '', 'expected an object');
    const heap = state.heap;
    const fields = ['heapBase', 'heapLimit', 'stackBase', 'stackLimit'] as const;
    if (typeof heap !== 'object' || heap === null || Array.isArray(heap)) throw new SnapshotError('bare-metal', 'heap', 'expected an object');
    for (const f of fields) {
      const v = heap[f];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new SnapshotError('bare-metal', `heap.${f}`, 'not a 32-bit address');
    }
    if (typeof state.cmdline !== 'string') throw new SnapshotError('bare-metal', 'cmdline', 'expected a string');
    this.semihosting.load(state.semihosting as never);
    this.cmdline = state.cmdline;
    this.heap = { heapBase: heap.heapBase as number, heapLimit: heap.heapLimit as number, stackBase: heap.stackBase as number, stackLimit: heap.stackLimit as number };
  }

  close(): void {
    this.semihosting.close();
  }

  private privileged(): boolean {
    return (this.core.cpu.cpsr & CPSR.MODE_MASK) !== Mode.USR;
  }

  private semihostingCall(): number | undefined {
    const { cpu, events } = this.core;
    const op = cpu.reg(0);
    const param = cpu.reg(1);
    const result = this.semihosting.call(op, param);
    if (events.has('semihosting')) events.emit('semihosting', { op, param, result: result.exit ?? result.r0 ?? 0, exit: result.exit !== undefined });
    if (result.exit !== undefined) return result.exit;
    if (result.r0 !== undefined) cpu.setReg(0, result.r0);
    return undefined;
  }

  /** SVC 0x123456 in ARM state or SVC 0xAB in Thumb state; `next` is the instruction after the SVC. */
  private isSemihostingCall(next: number, thumb: boolean): boolean {
    const { cpu } = this.core;
    if (thumb) {
      const b = cpu.readVirtual((next - 2) >>> 0, 2);
      return b !== undefined && b[1] === 0xdf && b[0] === 0xab;
    }
    const b = cpu.readVirtual((next - 4) >>> 0, 4);
    return b !== undefined && (b[3] & 0x0f) === 0x0f && b[0] === 0x56 && b[1] === 0x34 && b[2] === 0x12;
  }
}
