/**
 * Typed events of a Machine, with any number of listeners each (ARCHITECTURE §2 "The core is a library").
 * Emitting costs one array-length check when nobody listens, so hot paths (device accesses) stay cheap.
 */
import type { ExceptionKind } from '../cpu/arm.ts';
import type { BusAccess } from '../soc/bus.ts';

export interface MachineEvents {
  /** Bytes for a console: what a UART transmitted, or semihosting output (stdout / stderr streams). */
  console: { source: 'uart0' | 'uart1' | 'uart2' | 'uart3' | 'semihosting'; stream: 'stdout' | 'stderr'; bytes: Uint8Array };
  /** A byte a UART sent (tx) or the firmware received from the host (rx). */
  uart: { port: string; direction: 'tx' | 'rx'; byte: number };
  /** A device register access, by the CPU or by host-side code (the hypervisor) through the bus. */
  device: BusAccess;
  /** An exception entry the personality performed. */
  exception: { exception: ExceptionKind; vector: number; returnAddress: number };
  /** A semihosting call and its result (the exit status when `exit`). */
  semihosting: { op: number; param: number; result: number; exit: boolean };
  /** The core slept (WFI) from cycle `from` to cycle `to`. */
  idle: { from: number; to: number };
  /** The firmware exited. */
  exit: { status: number };
  /** A CPU slice ended (a tracer drains its capture here). */
  slice: Record<string, never>;

  // Hypervisor mode (src/hypervisor): per-guest consoles, hypercalls, vIRQs, world switches, faults.
  /** Bytes a guest wrote to its console (CONSOLE_WRITE). */
  guestConsole: { guest: string; bytes: Uint8Array };
  /** A hypercall and its result (null when the call did not return to the caller: it resumed a context, exited or rebooted). */
  hypercall: { guest: string; number: number; name: string; args: number[]; result: number | null };
  /** vIRQ bits delivered, by an upcall or as the result of WAIT (vIRQs masked: the guest polls). */
  virq: { guest: string; bits: number; via: 'upcall' | 'wait' };
  /** The CPU went from one partition to another (null: none, the hypervisor idles). */
  worldSwitch: { from: string | null; to: string | null };
  /** A guest faulted; `handled` when its fault handler got it (else the partition stopped). */
  guestFault: { guest: string; kind: string; address: number; pc: number; write: boolean; handled: boolean };
  /** A partition changed state: it exited, faulted (stopped) or rebooted. */
  guestState: { guest: string; state: string; detail: string };
  /** The button was pressed: `foreground` is the partition now in front. */
  button: { foreground: string };
  /** A partition started or stopped playing its ringtone. */
  ringtone: { guest: string; ringtone: string; playing: boolean };
}

export type Listener<T> = (event: T) => void;

export class Emitter<Events extends object> {
  private readonly listeners: { [K in keyof Events]?: Listener<Events[K]>[] } = {};

  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof Events>(name: K, listener: Listener<Events[K]>): () => void {
    const list = (this.listeners[name] ??= []);
    list.push(listener);
    return () => {
      const at = list.indexOf(listener);
      if (at >= 0) list.splice(at, 1);
    };
  }

  /** Whether anyone listens (check before building an event object on a hot path). */
  has<K extends keyof Events>(name: K): boolean {
    const list = this.listeners[name];
    return list !== undefined && list.length > 0;
  }

  emit<K extends keyof Events>(name: K, event: Events[K]): void {
    const list = this.listeners[name];
    if (list === undefined) return;
    for (const l of [...list]) l(event);
  }
}
