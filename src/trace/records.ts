/**
 * The trace record model shared by the recorder, the binary format, `trace show`, `trace diff` and the
 * QEMU import. One record per retired instruction, in order, plus events placed between instructions.
 *
 * An instruction record carries the registers the instruction changed, with their values after it (the
 * first record of a trace carries every register: the state the trace starts from). r15 after an
 * instruction is the next record's pc, so only the first record carries r15. After a mode change
 * r13/r14 read the new mode's banked copies, so a change of bank shows as changed r13/r14 (and spsr).
 */

export const REG_NAMES = [
  'r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'cpsr', 'spsr',
] as const;
export type RegName = (typeof REG_NAMES)[number];
/** Index of each register in REG_NAMES: bit positions of the changed-register mask in the format. */
export const REG_INDEX: Record<RegName, number> = Object.fromEntries(REG_NAMES.map((n, i) => [n, i])) as Record<RegName, number>;

export interface InsnRecord {
  kind: 'insn';
  /** Index of the instruction in the run, from 0. */
  i: number;
  /** Virtual cycle at which the instruction started. */
  cycle: number;
  pc: number;
  /** The instruction's encoding: 32-bit ARM; 16-bit Thumb; a Thumb BL pair as (first << 16) | second. */
  insn: number;
  thumb: boolean;
  /** CPSR mode bits (0x10 usr ... 0x1f sys) while the instruction executed. */
  mode: number;
  /** Registers the instruction changed, with their new values (unsigned 32-bit). */
  regs: Partial<Record<RegName, number>>;
  /**
   * Hypervisor traces only, set by the reader: the partition whose code this is (the `to` of the last
   * world switch before it). The writer ignores it: world-switch events say which partition runs.
   */
  vm?: string;
}

export type TraceEvent =
  /** Exception entry (SWI, undefined, prefetch/data abort, IRQ, FIQ) taken after instruction `i`. */
  | { kind: 'exception'; exception: 'undefined' | 'swi' | 'prefetchAbort' | 'dataAbort' | 'irq' | 'fiq'; vector: number; returnAddress: number }
  /** A device register access. */
  | { kind: 'mmio'; device: string; register: string; offset: number; size: number; write: boolean; value: number }
  /** A byte a UART sent (tx) or the firmware received (rx). */
  | { kind: 'uart'; port: string; direction: 'tx' | 'rx'; byte: number }
  /** A semihosting call (r0 = op, r1 = parameter) and its result (r0 after, or the exit status). */
  | { kind: 'semihosting'; op: number; param: number; result: number; exit: boolean }
  /** A data memory access (--trace-mem). */
  | { kind: 'mem'; address: number; size: number; write: boolean; value: number }
  // Hypervisor runs (format 3): partitions are named by the names in the header.
  /** A hypercall: r7 = `number`, r0-r3 = `args`, and r0 after it (null: the call does not return to its caller). */
  | { kind: 'hypercall'; guest: string; number: number; name: string; args: number[]; result: number | null }
  /** vIRQ bits delivered to a guest, by an upcall or as the result of WAIT (vIRQs masked: the guest polls). */
  | { kind: 'virq'; guest: string; bits: number; via: 'upcall' | 'wait' }
  /** The CPU went from one partition to another (null: none, the hypervisor idles): the instructions after it are `to`'s. */
  | { kind: 'worldSwitch'; from: string | null; to: string | null }
  /** A guest fault (`fault`: undefined, prefetchAbort, dataAbort, bkpt, badSvc); `handled` when its fault handler got it, else the partition stopped. */
  | { kind: 'guestFault'; guest: string; fault: string; address: number; pc: number; write: boolean; handled: boolean }
  /** The button was pressed: `foreground` is the partition now in front. */
  | { kind: 'button'; foreground: string }
  /** A partition changed state (exited, faulted, rebooted): its state after it and the hypervisor's one-line detail. */
  | { kind: 'guestState'; guest: string; state: string; detail: string }
  /** A partition started (`playing`) or stopped playing its ringtone (the AUDIO hypercall, or it stopped or rebooted while ringing). */
  | { kind: 'ringtone'; guest: string; ringtone: string; playing: boolean };

/** An event, placed after the instruction with index `i` (i = -1: before the first instruction). */
export type EventRecord = TraceEvent & { i: number; cycle: number };

export type TraceRecord = InsnRecord | EventRecord;

export interface TraceHeader {
  /** Format version of the file this header came from. */
  version: number;
  /** Who produced the trace: handset itself, or an import of a QEMU log. */
  source: 'handset' | 'qemu';
  cpu: string;
  clockHz: number;
  ramSize: number;
  timing: 'fast' | 'cycle';
  /** SHA-256 (hex) of the image file, '' when unknown (and in a hypervisor trace: the images are per partition). */
  imageSha256: string;
  /** A hypervisor run (`handset run`, format 3); absent: bare metal. */
  hypervisor?: HypervisorTraceInfo;
}

/** What a hypervisor trace's header says about the run. */
export interface HypervisorTraceInfo {
  /** configHash of the partition config (src/hypervisor/config.ts). */
  configHash: string;
  /** The partitions in index order: their names, and the SHA-256 of each one's image ('' when unknown). */
  partitions: { name: string; imageSha256: string }[];
}
