/**
 * One partition's state in the hypervisor (plain data, saved in snapshots): its run state, the context
 * it resumes with while another runs, pending vIRQs, registered upcall and fault entries, its virtual
 * timer, scheduling budget, queued console input and counters. What the guest itself can see and change
 * lives in its RAM and vCPU page, which snapshots carry as RAM.
 */
import type { StateValue } from '../soc/device.ts';
import { StateReader } from '../soc/state.ts';
import { CONTEXT_WORDS } from './vcpu.ts';

export type RunState = 'ready' | 'waiting' | 'faulted' | 'exited';
const RUN_STATES: readonly RunState[] = ['ready', 'waiting', 'faulted', 'exited'];

export interface PartitionStats {
  /** Cycles the partition ran (its slices, with the hypervisor work done on its behalf). */
  cycles: number;
  hypercalls: number;
  /** vIRQ deliveries (upcalls, and WAIT results with bits). */
  virqs: number;
  faults: number;
  /** Times it was switched in. */
  switches: number;
  /** Boots (1 + reboots). */
  boots: number;
}

const STAT_FIELDS = ['cycles', 'hypercalls', 'virqs', 'faults', 'switches', 'boots'] as const;
const STATE_FIELDS = [
  'state', 'regs', 'pending', 'inWait', 'upcallEntry', 'upcallStack', 'inUpcall', 'faultEntry', 'faultStack', 'inFault',
  'maskBeforeFault', 'timerDue', 'timerPeriod', 'budget', 'exitStatus', 'report', 'input', 'ringing', 'stats',
] as const;

export class PartitionState {
  state: RunState = 'ready';
  /** r0-r15 and CPSR to resume with, while the partition is not on the CPU. */
  regs: number[] = new Array<number>(CONTEXT_WORDS).fill(0);
  pending = 0;
  /** It waits in WAIT: r0 gets WAIT's result when it next runs. */
  inWait = false;
  upcallEntry = 0;
  upcallStack = 0;
  inUpcall = false;
  faultEntry = 0;
  faultStack = 0;
  inFault = false;
  /** virq_masked as it was when the fault handler was entered (FAULT_RETURN puts it back). */
  maskBeforeFault = 0;
  /** The virtual timer: due at this µs tick (null: disarmed), then every `timerPeriod` µs (0: one-shot). */
  timerDue: number | null = null;
  timerPeriod = 0;
  budget = 0;
  exitStatus: number | null = null;
  /** Why the partition stopped (faulted), one line. */
  report = '';
  /** Console input not yet read by the guest. */
  input: number[] = [];
  ringing = false;
  stats: PartitionStats = { cycles: 0, hypercalls: 0, virqs: 0, faults: 0, switches: 0, boots: 1 };

  get ready(): boolean {
    return this.state === 'ready';
  }

  /** Whether it can ever run again. */
  get alive(): boolean {
    return this.state === 'ready' || this.state === 'waiting';
  }

  save(): StateValue {
    return {
      state: this.state,
      regs: [...this.regs],
      pending: this.pending,
      inWait: this.inWait,
      upcallEntry: this.upcallEntry,
      upcallStack: this.upcallStack,
      inUpcall: this.inUpcall,
      faultEntry: this.faultEntry,
      faultStack: this.faultStack,
      inFault: this.inFault,
      maskBeforeFault: this.maskBeforeFault,
      timerDue: this.timerDue,
      timerPeriod: this.timerPeriod,
      budget: this.budget,
      exitStatus: this.exitStatus,
      report: this.report,
      input: [...this.input],
      ringing: this.ringing,
      stats: { ...this.stats },
    };
  }

  /** Validates `state` completely before changing anything (`part` names it in errors, e.g. "hypervisor: work"). */
  load(state: StateValue, part: string): void {
    const r = new StateReader(part, '', state, STATE_FIELDS);
    const run = r.string('state');
    if (!RUN_STATES.includes(run as RunState)) throw r.error('state', `expected one of ${RUN_STATES.join(', ')}`);
    const stats = r.object('stats', STAT_FIELDS);
    const loaded: Partial<PartitionState> = {
      state: run as RunState,
      regs: r.ints('regs', CONTEXT_WORDS),
      pending: r.int('pending'),
      inWait: r.bool('inWait'),
      upcallEntry: r.int('upcallEntry'),
      upcallStack: r.int('upcallStack'),
      inUpcall: r.bool('inUpcall'),
      faultEntry: r.int('faultEntry'),
      faultStack: r.int('faultStack'),
      inFault: r.bool('inFault'),
      maskBeforeFault: r.int('maskBeforeFault'),
      timerDue: r.intOrNull('timerDue'),
      timerPeriod: r.count('timerPeriod'),
      budget: r.int('budget', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
      exitStatus: r.intOrNull('exitStatus', 0, 0xffff_ffff),
      report: r.string('report'),
      input: r.array('input', (e) => e.int(0, 255)),
      ringing: r.bool('ringing'),
      stats: Object.fromEntries(STAT_FIELDS.map((f) => [f, stats.count(f)])) as unknown as PartitionStats,
    };
    Object.assign(this, loaded);
  }
}
