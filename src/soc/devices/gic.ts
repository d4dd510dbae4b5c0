/**
 * ARM Generic Interrupt Controller v1 as realview-eb has it: the PrimeCell PL390 (ARM DDI 0416, architecture
 * ARM IHI 0048A), modelled after QEMU's hw/intc/arm_gic.c with revision 1, one CPU interface, 96 interrupt IDs
 * (0-15 SGI, 16-31 PPI, 32-95 SPI), 8 priority bits and no security extensions (hence no interrupt groups).
 * Registers use the GICv2 names (GICD_ISENABLERn for ICDISERn and so on).
 *
 * MMIO window 0x2000 bytes: CPU interface (GICC_*) at +0x0000, distributor (GICD_*) at +0x1000; realview-eb maps
 * it at 0x1004_0000.
 * Inputs: `setInput(id, level)` / `input(id)` for PPIs and SPIs (IDs 16-95); board IRQ line n is SPI 32+n.
 * Output: `irq`, the CPU's nIRQ (FIQ is never signalled without groups).
 *
 * QEMU behaviour kept:
 * - The CPU is signalled when the best enabled, pending, inactive interrupt (lowest priority value, then
 *   lowest ID) has priority < GICC_PMR and < the running priority. GICC_HPPIR and GICC_IAR see it only when
 *   it passes GICC_PMR.
 * - A level-sensitive interrupt is pending while its line is high (or after a GICD_ISPENDR write); an
 *   edge-triggered one latches on a rising edge. GICC_IAR clears the latch and makes the interrupt active;
 *   GICC_EOIR drops the running priority (GICC_BPR's group priority) and deactivates the ID written.
 * - Reset: distributor and CPU interface disabled, GICC_PMR = 0 (everything masked), every priority 0,
 *   GICC_BPR = 0, SGIs always enabled and edge-triggered, PPIs and SPIs disabled and level-sensitive.
 * - GICD_ITARGETSR, GICD_IGROUPR, GICC_ABPR, GICC_APR and GICC_NSAPR read as zero and ignore writes; GICD_IIDR
 *   reads 0 as in QEMU 7.2 (QEMU 8.0 and later return 0x43B).
 * Departure: input line levels survive reset() (they are wires driven by other devices); QEMU clears them.
 */
import { IrqLine, type AccessSize, type Device, type DeviceState, type Logger } from '../device.ts';
import { RegisterMap } from '../regs.ts';
import { StateReader } from '../state.ts';
import type { DeviceOptions } from './options.ts';

export type GicOptions = DeviceOptions;

const NUM_IRQ = 96;
const SGIS = 16;
const SPURIOUS = 1023;
const IDLE_PRIORITY = 0x100;
const DIST = 0x1000;
const GICD_SGIR = 0xf00;
const GICC_IIDR = 0x0001_043b;
/** GICD_PIDR4-7, GICD_PIDR0-3 and GICD_CIDR0-3 from 0xFD0: a PL390 (part 0x390). */
const ID_REGISTERS: [string, number][] = [
  ['GICD_PIDR4', 0x04], ['GICD_PIDR5', 0x00], ['GICD_PIDR6', 0x00], ['GICD_PIDR7', 0x00],
  ['GICD_PIDR0', 0x90], ['GICD_PIDR1', 0xb3], ['GICD_PIDR2', 0x1b], ['GICD_PIDR3', 0x00],
  ['GICD_CIDR0', 0x0d], ['GICD_CIDR1', 0xf0], ['GICD_CIDR2', 0x05], ['GICD_CIDR3', 0xb1],
];

/**
 * Saved state. Per-interrupt bits are saved as the sorted list of IDs that have them. `level` is the input
 * lines' levels, kept because a level-sensitive interrupt is pending while its line is high and the devices
 * driving the lines only re-drive them when their level changes. The running priority and the highest
 * pending interrupt are derived (from `apr` and from the rest) on load.
 */
export type GicState = {
  distEnabled: boolean;
  cpuEnabled: boolean;
  pmr: number;
  bpr: number;
  enabled: number[];
  pending: number[];
  active: number[];
  level: number[];
  edge: number[];
  priority: number[];
  sgiSources: number[];
  apr: number[];
};

const STATE_FIELDS = [
  'distEnabled',
  'cpuEnabled',
  'pmr',
  'bpr',
  'enabled',
  'pending',
  'active',
  'level',
  'edge',
  'priority',
  'sgiSources',
  'apr',
] as const;

/**
 * A run of distributor bytes with one meaning. The distributor is byte-addressed (QEMU decodes every access
 * as bytes), so each handler sees the byte index within its bank; banks of several words are named with the
 * word index appended (GICD_ISENABLER1 covers IDs 32-63).
 */
interface Bank {
  name: string;
  offset: number;
  bytes: number;
  read?: (byte: number) => number;
  write?: (byte: number, value: number) => void;
}

export class Gic implements Device {
  readonly name: string;
  readonly size = 0x2000;
  readonly irq: IrqLine;
  private readonly logger: Logger;
  private readonly cpu: RegisterMap;
  private readonly banks: Bank[];

  private readonly enabled = new Uint8Array(NUM_IRQ);
  private readonly pending = new Uint8Array(NUM_IRQ);
  private readonly active = new Uint8Array(NUM_IRQ);
  private readonly level = new Uint8Array(NUM_IRQ);
  private readonly edge = new Uint8Array(NUM_IRQ);
  private readonly priority = new Uint8Array(NUM_IRQ);
  /** Per SGI, the source CPUs it is pending from (bit n = CPU n). */
  private readonly sgiSources = new Uint8Array(SGIS);
  /** Active priorities, one bit per preemption level (GIC_MIN_BPR = 0: 128 levels). */
  private readonly apr = new Uint32Array(4);
  private distEnabled = false;
  private cpuEnabled = false;
  private pmr = 0;
  private bpr = 0;
  private runningPriority = IDLE_PRIORITY;
  private bestPending = SPURIOUS;

  constructor(options: GicOptions) {
    this.name = options.name;
    this.logger = options.logger;
    this.irq = new IrqLine(`${options.name}.irq`);
    this.cpu = new RegisterMap(options.name, options.logger)
      .define({
        name: 'GICC_CTLR',
        offset: 0x00,
        writeMask: 1,
        read: () => +this.cpuEnabled,
        write: (v) => {
          this.cpuEnabled = v === 1;
          this.update();
        },
      })
      .define({
        name: 'GICC_PMR',
        offset: 0x04,
        writeMask: 0xff,
        read: () => this.pmr,
        write: (v) => {
          this.pmr = v;
          this.update();
        },
      })
      .define({ name: 'GICC_BPR', offset: 0x08, writeMask: 7, read: () => this.bpr, write: (v) => (this.bpr = v) })
      .define({ name: 'GICC_IAR', offset: 0x0c, access: 'ro', read: () => this.acknowledge() })
      .define({ name: 'GICC_EOIR', offset: 0x10, access: 'wo', write: (v) => this.complete(v & 0x3ff) })
      .define({ name: 'GICC_RPR', offset: 0x14, access: 'ro', read: () => Math.min(this.runningPriority, 0xff) })
      .define({ name: 'GICC_HPPIR', offset: 0x18, access: 'ro', read: () => this.bestPending })
      .define({ name: 'GICC_ABPR', offset: 0x1c, writeMask: 0 })
      .defineMany(4, 4, (i) => ({ name: `GICC_APR${i}`, offset: 0xd0 + 4 * i, writeMask: 0 }))
      .defineMany(4, 4, (i) => ({ name: `GICC_NSAPR${i}`, offset: 0xe0 + 4 * i, writeMask: 0 }))
      .define({ name: 'GICC_IIDR', offset: 0xfc, access: 'ro', reset: GICC_IIDR });
    this.banks = this.distributorBanks();
    this.reset();
  }

  /** Drives the input of PPI or SPI `id` (16-95). */
  setInput(id: number, level: boolean): void {
    this.checkInput(id);
    if (level === (this.level[id] === 1)) return;
    this.level[id] = +level;
    if (level && this.edge[id]) this.pending[id] = 1;
    this.update();
  }

  /** A listener for an IrqLine, driving interrupt `id`. */
  input(id: number): (level: boolean) => void {
    this.checkInput(id);
    return (level) => this.setInput(id, level);
  }

  read(offset: number, size: AccessSize): number {
    if (offset < DIST) return this.cpu.read(offset, size);
    const o = offset - DIST;
    const bank = this.bankAt(o);
    if (bank?.read === undefined) return this.guestError(`read of unknown distributor offset 0x${o.toString(16)}`);
    let value = 0;
    for (let i = 0; i < size; i++) value |= (bank.read(o + i - bank.offset) & 0xff) << (8 * i);
    return value >>> 0;
  }

  write(offset: number, size: AccessSize, value: number): void {
    if (offset < DIST) {
      this.cpu.write(offset, size, value);
      return;
    }
    const o = offset - DIST;
    if (o === GICD_SGIR && size === 4) {
      this.softwareInterrupt(value);
      return;
    }
    const bank = this.bankAt(o);
    if (bank?.write === undefined) {
      this.guestError(`write of 0x${(value >>> 0).toString(16)} to unknown distributor offset 0x${o.toString(16)}`);
      return;
    }
    for (let i = 0; i < size; i++) bank.write(o + i - bank.offset, (value >>> (8 * i)) & 0xff);
    this.update();
  }

  reset(): void {
    this.cpu.reset();
    const perInterrupt = [this.enabled, this.pending, this.active, this.edge, this.priority, this.sgiSources];
    for (const state of perInterrupt) state.fill(0);
    this.apr.fill(0);
    this.enabled.fill(1, 0, SGIS);
    this.edge.fill(1, 0, SGIS);
    this.distEnabled = false;
    this.cpuEnabled = false;
    this.pmr = 0;
    this.bpr = 0;
    this.runningPriority = IDLE_PRIORITY;
    this.update();
  }

  registerName(offset: number): string | undefined {
    if (offset < DIST) return this.cpu.nameAt(offset);
    const o = offset - DIST;
    const bank = this.bankAt(o);
    if (bank === undefined) return undefined;
    return bank.bytes > 4 ? `${bank.name}${(o - bank.offset) >> 2}` : bank.name;
  }

  save(): GicState {
    return {
      distEnabled: this.distEnabled,
      cpuEnabled: this.cpuEnabled,
      pmr: this.pmr,
      bpr: this.bpr,
      enabled: idsOf(this.enabled),
      pending: idsOf(this.pending),
      active: idsOf(this.active),
      level: idsOf(this.level),
      edge: idsOf(this.edge),
      priority: Array.from(this.priority),
      sgiSources: Array.from(this.sgiSources),
      apr: Array.from(this.apr),
    };
  }

  load(state: DeviceState): void {
    const reader = new StateReader(this.name, '', state, STATE_FIELDS);
    const distEnabled = reader.bool('distEnabled');
    const cpuEnabled = reader.bool('cpuEnabled');
    const pmr = reader.int('pmr', 0, 0xff);
    const bpr = reader.int('bpr', 0, 7);
    const everySgi = (field: 'enabled' | 'edge'): number[] => {
      const ids = reader.set(field, 0, NUM_IRQ - 1);
      if (ids.length < SGIS || ids[SGIS - 1] !== SGIS - 1) throw reader.error(field, 'SGIs 0-15 must all be in it');
      return ids;
    };
    const enabled = everySgi('enabled');
    const pending = reader.set('pending', 0, NUM_IRQ - 1);
    const active = reader.set('active', 0, NUM_IRQ - 1);
    const level = reader.set('level', SGIS, NUM_IRQ - 1);
    const edge = everySgi('edge');
    const priority = reader.ints('priority', NUM_IRQ, 0, 0xff);
    const sgiSources = reader.ints('sgiSources', SGIS, 0, 0xff);
    const apr = reader.ints('apr', 4);
    for (let id = 0; id < SGIS; id++) {
      if (pending.includes(id) !== (sgiSources[id] !== 0)) {
        throw reader.error('pending', `SGI ${id} must be pending exactly when it has a source in sgiSources`);
      }
    }
    this.distEnabled = distEnabled;
    this.cpuEnabled = cpuEnabled;
    this.pmr = pmr;
    this.bpr = bpr;
    setIds(this.enabled, enabled);
    setIds(this.pending, pending);
    setIds(this.active, active);
    setIds(this.level, level);
    setIds(this.edge, edge);
    this.priority.set(priority);
    this.sgiSources.set(sgiSources);
    this.apr.set(apr);
    this.runningPriority = this.priorityOfActive();
    this.update();
  }

  private update(): void {
    this.bestPending = SPURIOUS;
    if (!this.distEnabled || !this.cpuEnabled) {
      this.irq.set(false);
      return;
    }
    let best = SPURIOUS;
    let bestPriority = IDLE_PRIORITY;
    for (let id = 0; id < NUM_IRQ; id++) {
      if (this.enabled[id] && this.isPending(id) && !this.active[id] && this.priority[id] < bestPriority) {
        best = id;
        bestPriority = this.priority[id];
      }
    }
    if (bestPriority < this.pmr) this.bestPending = best;
    this.irq.set(bestPriority < this.pmr && bestPriority < this.runningPriority);
  }

  private checkInput(id: number): void {
    if (!Number.isInteger(id) || id < SGIS || id >= NUM_IRQ) {
      throw new RangeError(`${this.name}: no input for interrupt ${id}`);
    }
  }

  private isPending(id: number): boolean {
    return this.pending[id] === 1 || (this.edge[id] === 0 && this.level[id] === 1);
  }

  private acknowledge(): number {
    const id = this.bestPending;
    if (id === SPURIOUS || this.priority[id] >= this.runningPriority) return SPURIOUS;
    const groupPriority = this.priority[id] & (0xff << (this.bpr + 1)) & 0xff;
    const preemptionLevel = groupPriority >> 1;
    this.apr[preemptionLevel >> 5] |= 1 << (preemptionLevel & 31);
    this.runningPriority = groupPriority;
    this.active[id] = 1;
    let result = id;
    if (id < SGIS) {
      const source = ctz(this.sgiSources[id]);
      this.sgiSources[id] &= ~(1 << source);
      if (this.sgiSources[id] === 0) this.pending[id] = 0;
      result |= (source & 7) << 10;
    } else {
      this.pending[id] = 0;
    }
    this.update();
    return result;
  }

  private complete(id: number): void {
    if (id >= NUM_IRQ || this.runningPriority === IDLE_PRIORITY) return;
    const word = this.apr.findIndex((bits) => bits !== 0);
    if (word >= 0) this.apr[word] &= this.apr[word] - 1;
    this.runningPriority = this.priorityOfActive();
    this.active[id] = 0;
    this.update();
  }

  /** The running priority the active priorities imply: the highest one's group priority, else idle. */
  private priorityOfActive(): number {
    const word = this.apr.findIndex((bits) => bits !== 0);
    return word < 0 ? IDLE_PRIORITY : (word * 32 + ctz(this.apr[word])) << 1;
  }

  /** GICD_SGIR: with a single CPU interface only targets that include CPU 0 have an effect. */
  private softwareInterrupt(value: number): void {
    const id = value & 0xf;
    const filter = (value >>> 24) & 3;
    const targets = filter === 0 ? (value >>> 16) & 0xff : filter === 1 ? 0xfe : filter === 2 ? 0x01 : 0xff;
    if (targets & 1) {
      this.pending[id] = 1;
      this.sgiSources[id] |= 1;
    }
    this.update();
  }

  private bankAt(offset: number): Bank | undefined {
    return this.banks.find((b) => offset >= b.offset && offset < b.offset + b.bytes);
  }

  private distributorBanks(): Bank[] {
    type Test = (id: number) => boolean;
    const bitBank = (name: string, offset: number, test: Test, set?: (id: number) => void): Bank => ({
      name,
      offset,
      bytes: NUM_IRQ / 8,
      read: (byte) => bitsOf(byte * 8, test),
      write: set && ((byte, value) => forEachBit(byte * 8, value, set)),
    });
    const zero = (): number => 0;
    const ignore = (): void => {};
    return [
      {
        name: 'GICD_CTLR',
        offset: 0x000,
        bytes: 4,
        read: (b) => (b === 0 ? +this.distEnabled : 0),
        write: (b, v) => {
          if (b === 0) this.distEnabled = (v & 1) === 1;
        },
      },
      { name: 'GICD_TYPER', offset: 0x004, bytes: 4, read: (b) => (b === 0 ? NUM_IRQ / 32 - 1 : 0) },
      { name: 'GICD_IIDR', offset: 0x008, bytes: 4, read: zero },
      { name: 'GICD_IGROUPR', offset: 0x080, bytes: 0x80, read: zero, write: ignore },
      bitBank('GICD_ISENABLER', 0x100, (id) => this.enabled[id] === 1, (id) => (this.enabled[id] = 1)),
      bitBank('GICD_ICENABLER', 0x180, (id) => this.enabled[id] === 1, (id) => id >= SGIS && (this.enabled[id] = 0)),
      bitBank('GICD_ISPENDR', 0x200, (id) => this.isPending(id), (id) => id >= SGIS && (this.pending[id] = 1)),
      bitBank('GICD_ICPENDR', 0x280, (id) => this.isPending(id), (id) => id >= SGIS && (this.pending[id] = 0)),
      bitBank('GICD_ISACTIVER', 0x300, (id) => this.active[id] === 1),
      {
        name: 'GICD_IPRIORITYR',
        offset: 0x400,
        bytes: NUM_IRQ,
        read: (id) => this.priority[id],
        write: (id, v) => (this.priority[id] = v),
      },
      { name: 'GICD_ITARGETSR', offset: 0x800, bytes: 0x400, read: zero, write: ignore },
      {
        name: 'GICD_ICFGR',
        offset: 0xc00,
        bytes: NUM_IRQ / 4,
        read: (byte) => [0, 1, 2, 3].reduce((v, i) => v | (this.edge[byte * 4 + i] << (2 * i + 1)), 0),
        write: (byte, value) => {
          for (let i = 0; i < 4; i++) {
            const id = byte * 4 + i;
            if (id >= SGIS) this.edge[id] = (value >> (2 * i + 1)) & 1;
          }
        },
      },
      { name: 'GICD_SGIR', offset: GICD_SGIR, bytes: 4 },
      {
        name: 'GICD_CPENDSGIR',
        offset: 0xf10,
        bytes: SGIS,
        read: (id) => this.sgiSources[id],
        write: (id, v) => {
          this.sgiSources[id] &= ~v;
          if (this.sgiSources[id] === 0) this.pending[id] = 0;
        },
      },
      {
        name: 'GICD_SPENDSGIR',
        offset: 0xf20,
        bytes: SGIS,
        read: (id) => this.sgiSources[id],
        // QEMU also marks the SGI pending when no source bit is written, then trips an assertion when it is
        // acknowledged; here such a write does nothing.
        write: (id, v) => {
          if (v === 0) return;
          this.sgiSources[id] |= v;
          this.pending[id] = 1;
        },
      },
      ...ID_REGISTERS.map(
        ([name, value], i): Bank => ({ name, offset: 0xfd0 + 4 * i, bytes: 4, read: (b) => (b === 0 ? value : 0) }),
      ),
    ];
  }

  private guestError(message: string): number {
    if (this.logger.enabled('guest-errors')) this.logger.log('guest-errors', `${this.name}: ${message}`);
    return 0;
  }
}

function bitsOf(firstId: number, test: (id: number) => boolean): number {
  let value = 0;
  for (let i = 0; i < 8; i++) if (test(firstId + i)) value |= 1 << i;
  return value;
}

function forEachBit(firstId: number, value: number, action: (id: number) => void): void {
  for (let i = 0; i < 8; i++) if (value & (1 << i)) action(firstId + i);
}

/** The IDs whose entry is 1, in increasing order. */
function idsOf(bits: Uint8Array): number[] {
  const ids: number[] = [];
  bits.forEach((bit, id) => bit && ids.push(id));
  return ids;
}

function setIds(bits: Uint8Array, ids: number[]): void {
  bits.fill(0);
  for (const id of ids) bits[id] = 1;
}

/** Index of the lowest set bit of a non-zero 32-bit value. */
function ctz(value: number): number {
  return 31 - Math.clz32(value & -value);
}
