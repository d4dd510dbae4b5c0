/**
 * The personality seam (ARCHITECTURE §2, §6): the run loop runs the CPU and the clock, and hands every
 * trap (SVC, undefined instruction, aborts), every interrupt the core can take, and idle (WFI) to a
 * personality. `BareMetal` (bare-metal.ts) is firmware owning the machine; the hypervisor is the other.
 */
import type { ExceptionKind } from '../cpu/arm.ts';
import type { Cpu } from '../cpu/cpu.ts';
import type { LoadedImage } from '../loader/types.ts';
import type { Board } from '../soc/board.ts';
import type { Bus } from '../soc/bus.ts';
import type { Clock } from '../soc/clock.ts';
import type { StateValue } from '../soc/device.ts';
import type { Emitter, MachineEvents } from './events.ts';

/** A CPU exception the engine raised, not yet taken. */
export type Trap =
  /** `next`: the address of the instruction after the SVC. */
  | { kind: 'swi'; next: number; thumb: boolean }
  /** `pc`: the instruction that raised it. */
  | { kind: 'undefined' | 'prefetchAbort' | 'dataAbort' | 'bkpt'; pc: number; thumb: boolean };

/** What the machine offers its personality. */
export interface MachineCore {
  readonly cpu: Cpu;
  readonly clock: Clock;
  readonly board: Board;
  readonly bus: Bus;
  readonly events: Emitter<MachineEvents>;
  readonly ramSize: number;
  /** Architectural exception entry (SPSR, banked LR, mode, vector), its entry cycles, and the event. */
  enterException(kind: ExceptionKind, preferredReturn: number): void;
  /**
   * Moves the clock to the next alarm until an interrupt is pending (the run's cycle limit caps the jump).
   * Returns false when nothing can ever wake the core: no alarm, no pending interrupt and no input now.
   */
  sleepUntilInterrupt(): boolean;
  /** The last sleep ended at the run's cycle limit, not because an interrupt (or any alarm) came. */
  sleepCutByLimit(): boolean;
  /** Host console input, `max` bytes at most; `block` waits for at least one byte (empty: end of input). */
  readInput(max: number, block: boolean): Uint8Array;
}

export interface Personality {
  readonly name: string;
  attach(core: MachineCore): void;
  /** An image was placed in RAM. */
  loaded(image: LoadedImage): void;
  /**
   * Sets the machine up itself instead of taking an image (the hypervisor loads its partitions); a
   * personality without it runs images given to `Machine.load`.
   */
  boot?(): void;
  /** Handles a trap; returns an exit status to end the run, or 'idle' when the core has nothing to run (then `idle` is called). */
  trap(trap: Trap): number | 'idle' | undefined;
  /** The interrupt line is high and CPSR.I is clear; 'idle' as for `trap`. */
  interrupt(): 'idle' | void;
  /** The core executed WFI (`next` is the instruction after it), or a trap or interrupt left nothing to run: 'waiting' when nothing can wake it. */
  idle(next: number): 'woken' | 'waiting';
  save(): StateValue;
  load(state: StateValue): void;
  /** Releases host resources (open host files). */
  close(): void;
}
