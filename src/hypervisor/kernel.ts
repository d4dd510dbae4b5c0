/**
 * The hypervisor personality (ARCHITECTURE §6, docs/hypercalls.md): a TypeScript model of a microkernel
 * that owns the machine and runs paravirtualised guests, one per partition, de-privileged in USR mode on
 * page tables it builds in its own reserved MiB of RAM.
 *
 * It is entered the ways a kernel is: a trap (SVC = hypercall, abort/undefined = guest fault), an
 * interrupt (its SP804 tick, acknowledged at the GIC through the bus), or idle (no partition can run). On
 * every entry it charges the running partition the cycles it used, does the work (charging its cost from
 * costs.ts), fires due virtual timers, chooses who runs next (scheduler.ts), switches worlds (registers,
 * TTBR0, TLB flush, address-space tag), delivers a pending vIRQ as an upcall, and programs the SP804 to
 * end the slice or wake the next virtual timer.
 */
import { CPSR, Mode } from '../cpu/arm.ts';
import type { LoadedImage } from '../loader/types.ts';
import { type StateValue } from '../soc/device.ts';
import { StateReader } from '../soc/state.ts';
import type { ConsoleInput } from '../machine/console-input.ts';
import type { MachineCore, Personality, Trap } from '../machine/personality.ts';
import { managedPartition, type HypervisorConfig } from './config.ts';
import { COSTS, type CostName } from './costs.ts';
import { HC_NAMES, hypercall, RESUMED, type HypercallHost } from './hypercalls.ts';
import { GUEST_DACR, MIB, pageTables, partitionLayouts, VCPU_VA, type PartitionLayout } from './layout.ts';
import { Management, ManagementError, type ManagementApi, type ManagementHost } from './management.ts';
import { MODEM_IRQ_ID, ModemService } from './modem-service.ts';
import { PartitionState, type RunState } from './partition.ts';
import { choose } from './scheduler.ts';
import type { PartitionStore } from './storage.ts';
import { CONTEXT_WORDS, FAULT_KIND, VCPU, vcpuPage, VIRQ, type FaultKindName } from './vcpu.ts';

export interface HypervisorOptions {
  config: HypervisorConfig;
  /** One guest image per partition, in config order, with virtual addresses inside its window. */
  images: readonly LoadedImage[];
  /** One store per partition, in config order. */
  stores: readonly PartitionStore[];
  /**
   * Console input for the foreground partition, a line at a time (read, waiting for it if need be, when
   * every partition waits and the foreground one has nothing left to read): every run with the same input
   * is the same. Interactive front ends type with `typeInto` instead.
   */
  input?: ConsoleInput;
  /**
   * The numbers of the modem's lines (partition i has line i + 1): the hypervisor then drives UART1 and
   * gives each partition with a line a virtual modem channel. Without it the modem hypercalls are ENOSYS.
   */
  modemLines?: readonly string[];
}

export class HypervisorError extends Error {
  override name = 'HypervisorError';
}

/** What `status()` reports per partition. */
export interface PartitionStatus {
  name: string;
  state: RunState;
  foreground: boolean;
  cycles: number;
  /** Share of all cycles the partitions ran. */
  share: number;
  hypercalls: number;
  virqs: number;
  faults: number;
  switches: number;
  boots: number;
  exitStatus: number | null;
  report: string;
}

const GICC = 0x1004_0000;
const GICC_CTLR = GICC + 0x00;
const GICC_PMR = GICC + 0x04;
const GICC_IAR = GICC + 0x0c;
const GICC_EOIR = GICC + 0x10;
const GICD = 0x1004_1000;
const GICD_CTLR = GICD + 0x000;
const GICD_ISENABLER1 = GICD + 0x104;
/** SP804 timer01 (board line 4, GIC ID 36): its Timer1 is the hypervisor's one-shot tick. */
const TICK_ID = 36;
const TIMER1_LOAD = 0x1001_1000;
const TIMER1_CONTROL = 0x1001_1008;
const TIMER1_INTCLR = 0x1001_100c;
/** TimerEn | IntEnable | 32-bit | one-shot; prescale 1: 1 MHz ticks (the SP804's clock on realview-eb). */
const TIMER1_ONE_SHOT = 0x80 | 0x20 | 0x02 | 0x01;
const TICK_HZ = 1_000_000;
const SPURIOUS = 1023;
const CPSR_FLAGS = 0xf800_0000;
/** The longest console line `lines` input hands over at once. */
const MAX_LINE = 4096;
const ZERO_MIB = new Uint8Array(MIB);

export class Hypervisor implements Personality {
  readonly name = 'hypervisor';
  private core!: MachineCore;
  private readonly layouts: PartitionLayout[];
  private readonly parts: PartitionState[];
  private readonly names: string[];
  /** The partition on the CPU (its registers are live), if any. */
  private current: number | undefined;
  private last: number;
  private woken: number | undefined;
  private yielding = false;
  private foregroundIndex: number;
  /** Cycle at which the running partition was last charged. */
  private chargedAt = 0;
  private sliceCycles = 1;
  private modem: ModemService | undefined;
  /** The management service and the partition it manages (-1: none). */
  private readonly managed: Management | undefined;
  private readonly managedIndex: number = -1;
  /** Inside trap(), interrupt() or idle(): a wipe or reboot by management must wait for the run to stop. */
  private handling = 0;

  constructor(private readonly options: HypervisorOptions) {
    const { config, images, stores } = options;
    const n = config.partitions.length;
    if (images.length !== n || stores.length !== n) throw new HypervisorError(`expected ${n} images and stores, got ${images.length} and ${stores.length}`);
    this.names = config.partitions.map((p) => p.name);
    const foreground = this.names.indexOf(config.foreground);
    if (foreground < 0) throw new HypervisorError(`foreground partition "${config.foreground}" is not in the config`);
    this.foregroundIndex = foreground;
    this.parts = config.partitions.map(() => new PartitionState());
    this.last = n - 1; // the first round starts with the first partition
    this.layouts = []; // computed in attach(), once the RAM size is known
    const managed = managedPartition(config);
    if (managed !== null) {
      this.managedIndex = this.names.indexOf(managed);
      if (this.managedIndex < 0) throw new HypervisorError(`managed partition "${managed}" is not in the config`);
      this.managed = new Management(managed, this.managementHost());
    }
  }

  // ---- the personality seam ----

  attach(core: MachineCore): void {
    this.core = core;
    const sizes = this.options.config.partitions.map((p) => p.ramMiB * MIB);
    const layouts = partitionLayouts(sizes, core.ramSize);
    if (typeof layouts === 'string') throw new HypervisorError(`partitions: ${layouts}`);
    this.layouts.push(...layouts);
    if (this.options.modemLines !== undefined) {
      this.modem = new ModemService(core.bus, Math.min(this.parts.length, this.options.modemLines.length), this.options.modemLines, (g) => this.raise(g, VIRQ.modem));
    }
    this.sliceCycles = Math.max(1, Math.round((this.options.config.sliceMicros * core.clock.hz) / TICK_HZ));
    this.options.images.forEach((image, i) => {
      for (const s of image.segments) {
        if (s.addr + s.memSize > layouts[i].windowSize) {
          throw new HypervisorError(`${this.names[i]}: image segment at 0x${hex(s.addr)} (${s.memSize} bytes) is outside its ${layouts[i].windowSize / MIB} MiB window`);
        }
      }
      if (image.entry >= layouts[i].windowSize) throw new HypervisorError(`${this.names[i]}: entry point 0x${hex(image.entry)} is outside its window`);
    });
  }

  loaded(): void {
    throw new HypervisorError('the hypervisor loads its partitions itself: use boot(), not load()');
  }

  /** Builds page tables and vCPU pages, loads every partition, sets up the GIC and the tick, and dispatches. */
  boot(): void {
    const { cpu, bus } = this.core;
    this.layouts.forEach((layout, i) => {
      for (const { address, bytes } of pageTables(layout)) cpu.writeMemory(address, bytes);
      this.bootPartition(i);
    });
    bus.write(GICD_ISENABLER1, 4, (1 << (TICK_ID - 32)) | (this.modem !== undefined ? 1 << (MODEM_IRQ_ID - 32) : 0));
    bus.write(GICD_CTLR, 4, 1);
    bus.write(GICC_PMR, 4, 0xf0);
    bus.write(GICC_CTLR, 4, 1);
    cpu.setCp15(3, 0, 0, 0, GUEST_DACR);
    cpu.setCp15(1, 0, 0, 0, cpu.cp15(1, 0, 0, 0) | 1); // MMU on
    this.modem?.start();
    this.chargedAt = cpu.clock.cycles;
    this.leave();
  }

  trap(trap: Trap): number | 'idle' | undefined {
    this.handling++;
    try {
      return this.onTrap(trap);
    } finally {
      this.handling--;
    }
  }

  private onTrap(trap: Trap): number | 'idle' | undefined {
    this.enter();
    const p = this.currentPartition();
    if (trap.kind === 'swi') {
      const svc = this.svcImmediate(trap.next, trap.thumb);
      if (svc === 0) this.hypercall(p);
      else this.fault(p, 'badSvc', (trap.next - (trap.thumb ? 2 : 4)) >>> 0, false);
    } else {
      const kind: FaultKindName = trap.kind === 'dataAbort' ? 'dataAbort' : trap.kind === 'prefetchAbort' ? 'prefetchAbort' : trap.kind === 'bkpt' ? 'bkpt' : 'undefined';
      let address = trap.pc;
      let write = false;
      if (trap.kind === 'dataAbort' || trap.kind === 'prefetchAbort') {
        const record = this.core.cpu.recordAbort(trap.kind === 'dataAbort' ? 'data' : 'prefetch', trap.pc);
        if (record !== undefined) ({ address, write } = record);
      }
      this.fault(p, kind, address, write, trap.pc);
    }
    const status = this.finished();
    if (status !== undefined) return status;
    return this.leave();
  }

  interrupt(): 'idle' | void {
    this.handling++;
    try {
      this.enter();
      this.acknowledgeInterrupt();
      return this.leave();
    } finally {
      this.handling--;
    }
  }

  idle(): 'woken' | 'waiting' {
    this.handling++;
    try {
      return this.onIdle();
    } finally {
      this.handling--;
    }
  }

  private onIdle(): 'woken' | 'waiting' {
    const { core } = this;
    for (;;) {
      this.enter();
      if (this.leave() === undefined) return 'woken';
      if (!core.sleepUntilInterrupt()) return 'waiting';
      // A cycle limit ended the sleep: the machine stops at the limit before running the CPU.
      if (core.sleepCutByLimit()) return 'woken';
      // An alarm that raised no interrupt (a device's own timer, e.g. the modem's) ended it: sleep on.
      if (!core.board.gic.irq.level) continue;
      this.enter();
      this.acknowledgeInterrupt();
    }
  }

  save(): StateValue {
    return {
      current: this.current ?? null,
      last: this.last,
      woken: this.woken ?? null,
      yielding: this.yielding,
      foreground: this.foregroundIndex,
      chargedAt: this.chargedAt,
      partitions: this.parts.map((p) => p.save()),
      stores: this.options.stores.map((s) => s.save()),
      modem: this.modem?.save() ?? null,
      images: this.options.images.map((image) => image.sha256 ?? ''),
      management: this.managed?.save() ?? null,
    };
  }

  load(state: StateValue): void {
    const n = this.parts.length;
    const r = new StateReader('hypervisor', '', state, ['current', 'last', 'woken', 'yielding', 'foreground', 'chargedAt', 'partitions', 'stores', 'images', 'modem', 'management']);
    const images = r.array('images', (e) => {
      if (typeof e.value !== 'string') throw e.error('expected a string');
      return e.value;
    }, n);
    images.forEach((sha, i) => {
      if (sha !== (this.options.images[i].sha256 ?? '')) throw r.error(`images[${i}]`, `the snapshot was taken with another ${this.names[i]} image`);
    });
    let k = 0;
    const parts = r.array('partitions', (e) => {
      const p = new PartitionState();
      p.load(e.value as StateValue, `hypervisor: ${this.names[k++]}`);
      return p;
    }, n);
    const scalars = {
      current: r.intOrNull('current', 0, n - 1) ?? undefined,
      last: r.int('last', 0, n - 1),
      woken: r.intOrNull('woken', 0, n - 1) ?? undefined,
      yielding: r.bool('yielding'),
      foregroundIndex: r.int('foreground', 0, n - 1),
      chargedAt: r.count('chargedAt'),
    };
    const stores = r.array('stores', (e) => e.value as StateValue, n);
    const management = (state as { management: StateValue }).management;
    if ((management === null) !== (this.managed === undefined)) throw r.error('management', this.managed === undefined ? 'a management state, but this handset manages no partition' : 'missing');
    const managed = management === null ? undefined : this.managed!.check(management);
    const modem = (state as { modem: StateValue }).modem;
    if ((modem === null) !== (this.modem === undefined)) throw r.error('modem', this.modem === undefined ? 'a modem state, but this handset has no modem' : 'missing');
    if (modem !== null) this.modem!.load(modem);
    stores.forEach((s, i) => this.options.stores[i].load(s));
    if (managed !== undefined) this.managed!.take(managed);
    parts.forEach((p, i) => (this.parts[i] = p));
    Object.assign(this, scalars);
    // The address space the CPU runs in is not saved: it follows from the running partition.
    if (this.current !== undefined) this.core.cpu.setAddressSpace(this.current + 1);
  }

  close(): void {
    for (const store of this.options.stores) store.close();
  }

  // ---- the public control surface (Machine.hypervisor) ----

  get partitionNames(): readonly string[] {
    return this.names;
  }

  get foreground(): string {
    return this.names[this.foregroundIndex];
  }

  /** The management service of the managed partition (config `managed`), or undefined when none is managed. */
  get management(): ManagementApi | undefined {
    return this.managed;
  }

  /** The button: the next partition becomes foreground; both are told with VIRQ_FOREGROUND. */
  pressButton(): void {
    const before = this.foregroundIndex;
    this.foregroundIndex = (before + 1) % this.parts.length;
    for (const i of new Set([before, this.foregroundIndex])) {
      this.writeVcpu(i, VCPU.foreground, i === this.foregroundIndex ? 1 : 0);
      this.raise(i, VIRQ.foreground);
    }
    this.core.events.emit('button', { foreground: this.foreground });
    this.kick();
  }

  /** Console input typed into a partition (a scenario, or a front end's keyboard for that phone). */
  typeInto(name: string, bytes: Uint8Array): void {
    const i = this.indexOf(name);
    if (bytes.length === 0) return;
    this.input(i, bytes);
    this.kick();
  }

  status(): PartitionStatus[] {
    const total = this.parts.reduce((sum, p) => sum + p.stats.cycles, 0);
    return this.parts.map((p, i) => ({
      name: this.names[i],
      state: p.state,
      foreground: i === this.foregroundIndex,
      cycles: p.stats.cycles,
      share: total === 0 ? 0 : p.stats.cycles / total,
      hypercalls: p.stats.hypercalls,
      virqs: p.stats.virqs,
      faults: p.stats.faults,
      switches: p.stats.switches,
      boots: p.stats.boots,
      exitStatus: p.exitStatus,
      report: p.report,
    }));
  }

  // ---- entering and leaving ----

  /** Charges the running partition the cycles it used since it was last charged. */
  private enter(): void {
    const cycles = this.core.cpu.clock.cycles;
    if (this.current !== undefined) {
      const used = cycles - this.chargedAt;
      const p = this.parts[this.current];
      p.budget -= used;
      p.stats.cycles += used;
    }
    this.chargedAt = cycles;
    this.core.cpu.clock.breakEdge(); // the next block does not follow the last one by a branch
  }

  /**
   * Chooses and dispatches the partition to run, delivers its pending vIRQ and programs the tick; 'idle'
   * when no partition can run (the tick is then set for the next virtual timer, if any).
   */
  private leave(): 'idle' | undefined {
    this.fireTimers();
    this.charge('schedule');
    const configs = this.options.config.partitions;
    const entities = this.parts.map((p, i) => ({ ready: p.ready, priority: configs[i].priority, weight: configs[i].weight, budget: p.budget }));
    let next = choose(entities, this.sliceCycles, { current: this.yielding ? undefined : this.current, woken: this.woken, last: this.last });
    // Host input: the next line is typed when the handset is idle (every guest waits), so every run
    // with the same input is the same whatever the host's timing.
    if (next === undefined && this.readLine()) {
      entities[this.foregroundIndex].ready = true;
      next = choose(entities, this.sliceCycles, { current: undefined, woken: this.foregroundIndex, last: this.last });
    }
    entities.forEach((e, i) => (this.parts[i].budget = e.budget));
    this.woken = undefined;
    this.yielding = false;
    this.switchTo(next);
    if (next === undefined) {
      this.programTick(undefined);
      return 'idle';
    }
    this.last = next;
    if (this.parts[next].inWait) {
      this.parts[next].inWait = false;
      this.core.cpu.setReg(0, this.waitResult(next));
    }
    this.deliver(next);
    this.programTick(next);
    return undefined;
  }

  private switchTo(next: number | undefined): void {
    if (next === this.current) return;
    const { cpu, events } = this.core;
    const from = this.current;
    if (from !== undefined) this.parts[from].regs = this.liveRegs();
    this.current = next;
    if (next === undefined) {
      if (events.has('worldSwitch')) events.emit('worldSwitch', { from: from === undefined ? null : this.names[from], to: null });
      return;
    }
    cpu.setCp15(2, 0, 0, 0, this.layouts[next].l1); // TTBR0
    cpu.setCp15(8, 7, 0, 0, 0); // TLBIALL
    cpu.setAddressSpace(next + 1);
    this.setLiveRegs(this.parts[next].regs);
    this.parts[next].stats.switches++;
    this.charge('worldSwitch');
    if (events.has('worldSwitch')) events.emit('worldSwitch', { from: from === undefined ? null : this.names[from], to: this.names[next] });
  }

  /** Programs the SP804 to interrupt at the end of `running`'s budget or at the next virtual timer. */
  private programTick(running: number | undefined): void {
    const { bus, clock } = this.core;
    const now = clock.now;
    let due = Infinity; // a µs tick
    if (running !== undefined) due = clock.ticksAt(TICK_HZ, now + Math.max(1, this.parts[running].budget)) + 1;
    for (const p of this.parts) if (p.timerDue !== null && p.alive) due = Math.min(due, p.timerDue);
    bus.write(TIMER1_INTCLR, 4, 1);
    if (due === Infinity) {
      bus.write(TIMER1_CONTROL, 4, 0);
      return;
    }
    // A count of N started between edges k and k+1 expires at edge k + 1 + N (src/soc/devices/sp804.ts).
    const load = Math.max(0, due - clock.ticksAt(TICK_HZ, now) - 1);
    bus.write(TIMER1_LOAD, 4, Math.min(load, 0xffff_ffff));
    bus.write(TIMER1_CONTROL, 4, TIMER1_ONE_SHOT);
  }

  /** An external event (the button, typed input) is looked at now: the tick fires at once. */
  private kick(): void {
    const { bus } = this.core;
    bus.write(TIMER1_LOAD, 4, 0);
    bus.write(TIMER1_CONTROL, 4, TIMER1_ONE_SHOT);
  }

  private acknowledgeInterrupt(): void {
    const { bus } = this.core;
    this.charge('interrupt');
    const iar = bus.read(GICC_IAR, 4);
    const id = iar & 0x3ff;
    if (id === SPURIOUS) return;
    if (id === TICK_ID) bus.write(TIMER1_INTCLR, 4, 1);
    else if (id === MODEM_IRQ_ID) this.modem?.interrupt();
    bus.write(GICC_EOIR, 4, iar);
  }

  // ---- hypercalls ----

  private hypercall(p: number): void {
    const { cpu, events } = this.core;
    const number = cpu.reg(7);
    const args = [cpu.reg(0), cpu.reg(1), cpu.reg(2), cpu.reg(3)];
    const state = this.parts[p];
    state.stats.hypercalls++;
    this.charge('hypercall');
    const result = hypercall(number, args, this.host(p));
    if (result !== RESUMED) cpu.setReg(0, result >>> 0);
    if (events.has('hypercall')) {
      events.emit('hypercall', { guest: this.names[p], number, name: HC_NAMES[number] ?? 'unknown', args, result: result === RESUMED ? null : result });
    }
  }

  private host(p: number): HypercallHost {
    const { cpu, events } = this.core;
    const state = this.parts[p];
    const layout = this.layouts[p];
    const store = this.options.stores[p];
    const inRange = (va: number, length: number) => va < layout.windowSize && length <= layout.windowSize - va;
    return {
      readGuest: (va, length) => {
        if (length === 0) return new Uint8Array(0);
        if (!inRange(va, length)) return undefined;
        const bytes = cpu.readVirtualChecked(va, length, 'user');
        if (!(bytes instanceof Uint8Array)) return undefined;
        this.chargeCycles(Math.ceil(length * COSTS.copyPerByte));
        return bytes;
      },
      writeGuest: (va, bytes) => {
        if (bytes.length === 0) return true;
        if (!inRange(va, bytes.length)) return false;
        if (cpu.writeVirtualChecked(va, bytes, 'user') !== undefined) return false;
        this.chargeCycles(Math.ceil(bytes.length * COSTS.copyPerByte));
        return true;
      },
      canWrite: (va, length) => length === 0 || (inRange(va, length) && cpu.canAccessVirtual(va, length, 'write', 'user')),
      inWindow: (va) => va < layout.windowSize,
      consoleWrite: (bytes) => events.emit('guestConsole', { guest: this.names[p], bytes }),
      consoleRead: (max) => Uint8Array.from(state.input.splice(0, max)),
      yield: () => (this.yielding = true),
      wait: () => {
        if (state.pending !== 0) return this.waitResult(p);
        state.state = 'waiting';
        state.inWait = true;
        return 0;
      },
      setUpcall: (entry, stack) => {
        state.upcallEntry = entry;
        state.upcallStack = stack;
      },
      virqReturn: () => {
        if (!state.inUpcall) return false;
        state.inUpcall = false;
        this.setLiveRegs(this.readContext(p, VCPU.upcallCtx));
        this.writeVcpu(p, VCPU.virqMasked, 0);
        this.charge('virqReturn');
        return true;
      },
      virqUnmask: () => this.writeVcpu(p, VCPU.virqMasked, 0),
      setTimer: (interval, periodic) => {
        state.timerDue = interval === 0 ? null : this.core.clock.ticksAt(TICK_HZ) + interval;
        state.timerPeriod = interval !== 0 && periodic ? interval : 0;
      },
      timeMicros: () => this.core.clock.ticksAt(TICK_HZ),
      foreground: () => p === this.foregroundIndex,
      exit: (status) => this.stop(p, 'exited', `exited with status ${status}`, status),
      reboot: () => {
        this.current = undefined; // its registers are dropped, not saved
        this.modem?.reset(p);
        this.bootPartition(p);
        state.stats.boots++;
        this.emitState(p, 'rebooted');
      },
      setFaultHandler: (entry, stack) => {
        state.faultEntry = entry;
        state.faultStack = stack;
      },
      faultReturn: () => {
        if (!state.inFault) return false;
        state.inFault = false;
        this.setLiveRegs(this.readContext(p, VCPU.faultCtx));
        this.writeVcpu(p, VCPU.virqMasked, state.maskBeforeFault);
        return true;
      },
      storeSize: () => store.size,
      storeRead: (offset, length) => store.read(offset, length),
      storeWrite: (offset, bytes) => store.write(offset, bytes),
      audio: (play) => {
        if (state.ringing === play) return;
        state.ringing = play;
        this.emitRingtone(p, play);
      },
      setR1: (value) => cpu.setReg(1, value),
      modem:
        this.modem !== undefined && p < this.modem.splitter.guestCount
          ? { write: (bytes) => this.modem!.write(p, bytes), read: (max) => this.modem!.read(p, max) }
          : undefined,
      policyAllows: (kind, name) => p !== this.managedIndex || this.managed!.allows(kind, name),
      reportApps: (names) => {
        if (p === this.managedIndex) this.managed!.reportApps(names);
      },
    };
  }

  /** Console input for partition `i`, through management's lock (which holds it while locked): queued, VIRQ_CONSOLE. */
  private input(i: number, bytes: Uint8Array): void {
    const deliver = i === this.managedIndex ? this.managed!.input(bytes) : bytes;
    if (deliver.length === 0) return;
    this.parts[i].input.push(...deliver);
    this.raise(i, VIRQ.console);
  }

  // ---- management (management.ts) ----

  private managementHost(): ManagementHost {
    const i = () => this.managedIndex;
    return {
      cycles: () => this.core.cpu.clock.cycles,
      partitions: () => this.status(),
      store: () => {
        const store = this.options.stores[i()];
        return { size: store.size, used: usedBytes(store) };
      },
      notify: () => {
        this.writeVcpu(i(), VCPU.policyFlags, this.managed!.flags);
        this.writeVcpu(i(), VCPU.policySeq, this.managed!.policySeq);
        this.raise(i(), VIRQ.policy);
        this.kick();
      },
      reboot: (wipe) => this.rebootByManagement(i(), wipe),
    };
  }

  /**
   * Management's wipe or reboot of partition `i`, at once: the others are not paused (the one on the CPU
   * goes on with its slice). When `i` itself is on the CPU it goes on from its entry point.
   */
  private rebootByManagement(i: number, wipe: boolean): void {
    if (this.handling > 0) throw new ManagementError(wipe ? 'wipe' : 'reboot', 'the hypervisor is handling a trap: call it between runs, not from an event listener');
    this.enter();
    if (wipe) this.options.stores[i].wipe();
    this.modem?.reset(i);
    this.bootPartition(i);
    this.parts[i].stats.boots++;
    this.emitState(i, wipe ? 'wiped and rebooted by management' : 'rebooted by management');
    if (this.current === i) this.setLiveRegs(this.parts[i].regs);
    // None on the CPU (every partition waits or has stopped): this one is, until the tick below schedules.
    else if (this.current === undefined) this.switchTo(i);
    this.kick();
  }

  /** Host input: the next line for the foreground guest, if it can take it (it waits with nothing to read); true if one came. */
  private readLine(): boolean {
    const input = this.options.input;
    const p = this.foregroundIndex;
    const state = this.parts[p];
    if (input === undefined || state.state !== 'waiting' || state.input.length > 0) return false;
    // A line the lock holds (management.ts) wakes nothing: read the next one.
    while (state.state === 'waiting') {
      const line: number[] = [];
      while (line.length < MAX_LINE) {
        const byte = input.read(1, true); // nothing: the end of input (or a signal interrupted the wait)
        if (byte.length === 0) break;
        line.push(byte[0]);
        if (byte[0] === 0x0a) break;
      }
      if (line.length === 0) return false;
      this.input(p, Uint8Array.from(line));
    }
    return true;
  }

  // ---- virtual interrupts and timers ----

  private raise(i: number, bits: number): void {
    const p = this.parts[i];
    p.pending |= bits;
    this.writeVcpu(i, VCPU.virqPending, p.pending);
    if (p.state === 'waiting') {
      p.state = 'ready';
      this.woken = i;
    }
  }

  private fireTimers(): void {
    const now = this.core.clock.ticksAt(TICK_HZ);
    this.parts.forEach((p, i) => {
      if (p.timerDue === null || p.timerDue > now || !p.alive) return;
      if (p.timerPeriod === 0) p.timerDue = null;
      else p.timerDue += Math.ceil((now - p.timerDue + 1) / p.timerPeriod) * p.timerPeriod; // missed periods merge into one
      this.raise(i, VIRQ.timer);
    });
  }

  /**
   * What WAIT returns once a vIRQ is pending: with upcalls off (masked, or no entry) the pending bits,
   * which are then cleared (the guest polls); else 0, and the bits go to the upcall that follows.
   */
  private waitResult(i: number): number {
    const p = this.parts[i];
    if (p.upcallEntry !== 0 && !p.inFault && this.readVcpu(i, VCPU.virqMasked) === 0) return 0;
    const bits = p.pending;
    p.pending = 0;
    this.writeVcpu(i, VCPU.virqPending, 0);
    p.stats.virqs++;
    const { events } = this.core;
    if (events.has('virq')) events.emit('virq', { guest: this.names[i], bits, via: 'wait' });
    return bits;
  }

  /** Makes an upcall into the running partition `i` if it has one registered, unmasked, and bits pending. */
  private deliver(i: number): void {
    const p = this.parts[i];
    if (p.upcallEntry === 0 || p.pending === 0 || p.inFault || this.readVcpu(i, VCPU.virqMasked) !== 0) return;
    const bits = p.pending;
    this.writeContext(i, VCPU.upcallCtx, this.liveRegs());
    this.writeVcpu(i, VCPU.virqMasked, 1);
    p.pending = 0;
    this.writeVcpu(i, VCPU.virqPending, 0);
    p.inUpcall = true;
    p.stats.virqs++;
    this.enterGuest(p.upcallEntry, p.upcallStack, [bits]);
    this.charge('upcall');
    const { events } = this.core;
    if (events.has('virq')) events.emit('virq', { guest: this.names[i], bits, via: 'upcall' });
  }

  // ---- faults and partition life ----

  private fault(i: number, kind: FaultKindName, address: number, write: boolean, pc = address): void {
    const p = this.parts[i];
    p.stats.faults++;
    this.charge('fault');
    const handled = p.faultEntry !== 0 && !p.inFault;
    const { events } = this.core;
    if (events.has('guestFault')) events.emit('guestFault', { guest: this.names[i], kind, address, pc, write, handled });
    if (!handled) {
      const why = p.faultEntry === 0 ? 'no fault handler' : 'fault in its fault handler';
      this.stop(i, 'faulted', `${faultName(kind)} at 0x${hex(address)}${kind === 'dataAbort' ? (write ? ' (write)' : ' (read)') : ''}, pc 0x${hex(pc)} (${why})`, null);
      return;
    }
    const regs = this.liveRegs();
    regs[15] = pc;
    this.writeContext(i, VCPU.faultCtx, regs);
    this.writeVcpu(i, VCPU.faultKind, FAULT_KIND[kind]);
    this.writeVcpu(i, VCPU.faultAddress, address);
    this.writeVcpu(i, VCPU.faultWrite, write ? 1 : 0);
    p.maskBeforeFault = this.readVcpu(i, VCPU.virqMasked);
    this.writeVcpu(i, VCPU.virqMasked, 1);
    p.inFault = true;
    this.enterGuest(p.faultEntry, p.faultStack, [FAULT_KIND[kind], address, pc]);
  }

  /** The partition stops for good (until a reboot by management); the others run on. */
  private stop(i: number, state: 'exited' | 'faulted', detail: string, status: number | null): void {
    this.silence(i);
    const p = this.parts[i];
    p.state = state;
    p.exitStatus = status;
    p.report = state === 'faulted' ? detail : '';
    p.timerDue = null;
    if (this.current === i) this.current = undefined;
    this.emitState(i, detail);
  }

  /** Puts partition `i` in its boot state: zeroed window, image loaded, fresh vCPU page, entry registers. */
  private bootPartition(i: number): void {
    this.silence(i);
    const { cpu } = this.core;
    const layout = this.layouts[i];
    const config = this.options.config.partitions[i];
    const image = this.options.images[i];
    for (let at = 0; at < layout.windowSize; at += MIB) cpu.writeMemory(layout.windowBase + at, ZERO_MIB);
    for (const s of image.segments) cpu.writeMemory(layout.windowBase + s.addr, s.data);
    const store = this.options.stores[i];
    const managed = i === this.managedIndex ? this.managed : undefined;
    managed?.booted();
    cpu.writeMemory(
      layout.vcpu,
      vcpuPage({ index: i, ramSize: layout.windowSize, storeSize: store.size, name: config.name, number: config.number, foreground: i === this.foregroundIndex, policyFlags: managed?.flags, policySeq: managed?.policySeq }),
    );
    const stats = this.parts[i].stats;
    const p = new PartitionState();
    p.stats = stats;
    p.budget = this.parts[i].budget;
    p.regs = new Array<number>(CONTEXT_WORDS).fill(0);
    p.regs[0] = VCPU_VA;
    p.regs[1] = layout.windowSize;
    p.regs[2] = i;
    p.regs[13] = layout.windowSize;
    p.regs[15] = image.entry;
    p.regs[16] = Mode.USR | (image.thumb ? CPSR.T : 0);
    this.parts[i] = p;
  }

  /** The run's exit status once no partition can run again: 0 if every one exited with 0, else 1. */
  private finished(): number | undefined {
    if (this.parts.some((p) => p.alive)) return undefined;
    return this.parts.every((p) => p.state === 'exited' && p.exitStatus === 0) ? 0 : 1;
  }

  /** A partition that stops or restarts stops ringing: it can no longer call AUDIO(0) for the ringtone it started. */
  private silence(i: number): void {
    if (!this.parts[i].ringing) return;
    this.parts[i].ringing = false;
    this.emitRingtone(i, false);
  }

  private emitRingtone(i: number, playing: boolean): void {
    this.core.events.emit('ringtone', { guest: this.names[i], ringtone: this.options.config.partitions[i].ringtone, playing });
  }

  private emitState(i: number, detail: string): void {
    this.core.events.emit('guestState', { guest: this.names[i], state: this.parts[i].state, detail });
  }

  // ---- registers, contexts and the vCPU page ----

  private currentPartition(): number {
    if (this.current === undefined) throw new HypervisorError('a trap with no partition on the CPU');
    return this.current;
  }

  /** r0-r15 and CPSR of the code on the CPU (PC with bit 0 clear; the Thumb state is in CPSR.T). */
  private liveRegs(): number[] {
    const { cpu } = this.core;
    const regs = Array.from({ length: 16 }, (_, n) => cpu.reg(n));
    regs.push(cpu.cpsr);
    return regs;
  }

  /** Loads a context into the CPU; its CPSR is sanitised to USR mode with only flags and Thumb kept. */
  private setLiveRegs(regs: readonly number[]): void {
    const { cpu } = this.core;
    const cpsr = ((regs[16] & (CPSR_FLAGS | CPSR.T)) | Mode.USR) >>> 0;
    cpu.cpsr = cpsr;
    for (let n = 0; n <= 14; n++) cpu.setReg(n, regs[n]);
    const thumb = (cpsr & CPSR.T) !== 0;
    cpu.setReg(15, thumb ? (regs[15] | 1) >>> 0 : regs[15] & ~3);
  }

  /** Enters guest code at `entry` (bit 0: Thumb) on `stack` with the first arguments in r0-r2. */
  private enterGuest(entry: number, stack: number, args: readonly number[]): void {
    const regs = new Array<number>(CONTEXT_WORDS).fill(0);
    args.forEach((a, k) => (regs[k] = a >>> 0));
    regs[13] = stack;
    regs[15] = entry & ~1;
    regs[16] = Mode.USR | (entry & 1 ? CPSR.T : 0);
    this.setLiveRegs(regs);
  }

  private readContext(i: number, offset: number): number[] {
    const bytes = this.core.cpu.readMemory(this.layouts[i].vcpu + offset, CONTEXT_WORDS * 4);
    const view = new DataView(bytes.buffer);
    return Array.from({ length: CONTEXT_WORDS }, (_, k) => view.getUint32(k * 4, true));
  }

  private writeContext(i: number, offset: number, regs: readonly number[]): void {
    const bytes = new Uint8Array(CONTEXT_WORDS * 4);
    const view = new DataView(bytes.buffer);
    regs.forEach((r, k) => view.setUint32(k * 4, r >>> 0, true));
    this.core.cpu.writeMemory(this.layouts[i].vcpu + offset, bytes);
  }

  private readVcpu(i: number, offset: number): number {
    return this.core.cpu.read32(this.layouts[i].vcpu + offset);
  }

  private writeVcpu(i: number, offset: number, value: number): void {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, value >>> 0, true);
    this.core.cpu.writeMemory(this.layouts[i].vcpu + offset, bytes);
  }

  /** The immediate of the SVC before `next`, read with the guest's own permissions. */
  private svcImmediate(next: number, thumb: boolean): number {
    const size = thumb ? 2 : 4;
    const bytes = this.core.cpu.readVirtualChecked((next - size) >>> 0, size, 'user');
    if (!(bytes instanceof Uint8Array)) return -1;
    return thumb ? bytes[0] : bytes[0] | (bytes[1] << 8) | (bytes[2] << 16);
  }

  private indexOf(name: string): number {
    const i = this.names.indexOf(name);
    if (i < 0) throw new HypervisorError(`no partition named "${name}" (there are ${this.names.join(', ')})`);
    return i;
  }

  private charge(cost: CostName): void {
    this.chargeCycles(COSTS[cost]);
  }

  private chargeCycles(cycles: number): void {
    this.core.cpu.clock.adjust(0, cycles);
  }
}

function faultName(kind: FaultKindName): string {
  return { undefined: 'undefined instruction', prefetchAbort: 'prefetch abort', dataAbort: 'data abort', bkpt: 'breakpoint', badSvc: 'SVC with a non-zero immediate' }[kind];
}

/** The offset after the store's last non-zero byte (0: all zero), found from the end a chunk at a time. */
function usedBytes(store: PartitionStore): number {
  const CHUNK = 4096;
  for (let end = store.size; end > 0; end -= CHUNK) {
    const start = Math.max(0, end - CHUNK);
    const bytes = store.read(start, end - start);
    for (let k = bytes.length - 1; k >= 0; k--) if (bytes[k] !== 0) return start + k + 1;
  }
  return 0;
}

function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
