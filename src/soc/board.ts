/**
 * The handset board as data: QEMU's realview-eb memory map (HARDWARE.md §1, qemu/qemu hw/arm/realview.c),
 * and `buildBoard`, which instantiates each entry and wires its interrupt line into the GIC
 * (board line n enters the GIC as interrupt ID n + 32). UART1 is the modem port.
 */
import type { TimeSource } from './clock.ts';
import { SnapshotError, type Device, type DeviceState, type Logger } from './device.ts';
import { Gic } from './devices/gic.ts';
import { Pl011 } from './devices/pl011.ts';
import { Placeholder } from './devices/placeholder.ts';
import { Sp804 } from './devices/sp804.ts';
import { SysRegs } from './devices/sysregs.ts';

export type DeviceKind = 'sysregs' | 'pl011' | 'sp804' | 'gic' | 'placeholder';

export interface BoardEntry {
  name: string;
  kind: DeviceKind;
  base: number;
  size: number;
  /** Board interrupt line (GIC ID = line + 32). */
  irq?: number;
  description: string;
}

export const GIC_SPI_BASE = 32;

export const REALVIEW_EB: readonly BoardEntry[] = [
  { name: 'sysregs', kind: 'sysregs', base: 0x1000_0000, size: 0x1000, description: 'System registers' },
  { name: 'sp810', kind: 'placeholder', base: 0x1000_1000, size: 0x1000, description: 'SP810 system controller' },
  { name: 'i2c', kind: 'placeholder', base: 0x1000_2000, size: 0x1000, description: 'SBCon I2C (DS1338 RTC)' },
  { name: 'aaci', kind: 'placeholder', base: 0x1000_4000, size: 0x1000, irq: 19, description: 'PL041 AACI audio' },
  { name: 'mmci', kind: 'placeholder', base: 0x1000_5000, size: 0x1000, irq: 17, description: 'PL181 MMC/SD' },
  { name: 'kmi0', kind: 'placeholder', base: 0x1000_6000, size: 0x1000, irq: 20, description: 'PL050 keyboard' },
  { name: 'kmi1', kind: 'placeholder', base: 0x1000_7000, size: 0x1000, irq: 21, description: 'PL050 mouse' },
  { name: 'uart0', kind: 'pl011', base: 0x1000_9000, size: 0x1000, irq: 12, description: 'PL011 UART0: console' },
  { name: 'uart1', kind: 'pl011', base: 0x1000_a000, size: 0x1000, irq: 13, description: 'PL011 UART1: modem' },
  { name: 'uart2', kind: 'pl011', base: 0x1000_b000, size: 0x1000, irq: 14, description: 'PL011 UART2' },
  { name: 'uart3', kind: 'pl011', base: 0x1000_c000, size: 0x1000, irq: 15, description: 'PL011 UART3' },
  { name: 'wdog', kind: 'placeholder', base: 0x1001_0000, size: 0x1000, description: 'SP805 watchdog' },
  { name: 'timer01', kind: 'sp804', base: 0x1001_1000, size: 0x1000, irq: 4, description: 'SP804 timers 0 and 1' },
  { name: 'timer23', kind: 'sp804', base: 0x1001_2000, size: 0x1000, irq: 5, description: 'SP804 timers 2 and 3' },
  { name: 'gpio0', kind: 'placeholder', base: 0x1001_3000, size: 0x1000, irq: 6, description: 'PL061 GPIO 0' },
  { name: 'gpio1', kind: 'placeholder', base: 0x1001_4000, size: 0x1000, irq: 7, description: 'PL061 GPIO 1' },
  { name: 'gpio2', kind: 'placeholder', base: 0x1001_5000, size: 0x1000, irq: 8, description: 'PL061 GPIO 2' },
  { name: 'rtc', kind: 'placeholder', base: 0x1001_7000, size: 0x1000, irq: 10, description: 'PL031 RTC' },
  { name: 'clcd', kind: 'placeholder', base: 0x1002_0000, size: 0x1000, irq: 23, description: 'PL111 colour LCD' },
  { name: 'dma', kind: 'placeholder', base: 0x1003_0000, size: 0x1000, irq: 24, description: 'PL081 DMA' },
  { name: 'gic', kind: 'gic', base: 0x1004_0000, size: 0x2000, description: 'GIC v1: CPU interface +0, distributor +0x1000' },
];

export const RAM_BASE = 0;
export const RAM_SIZES_MIB = [128, 192, 256] as const;

export interface Board {
  devices: Map<string, { entry: BoardEntry; device: Device }>;
  gic: Gic;
  uarts: Pl011[];
  sysregs: SysRegs;
  timers: Sp804[];
}

export interface BoardOptions {
  time: TimeSource;
  logger: Logger;
  procId: number;
  /** The memory map (default: REALVIEW_EB). It must have one 'gic' row and one 'sysregs' row. */
  table?: readonly BoardEntry[];
}

/**
 * Builds every device of the table and connects each row's `irq` to the device's interrupt output. A row
 * whose device has no output (or a GIC row with an irq: its output is the CPU's) is an error here, at build
 * time, so no line in the table is silently left unwired.
 */
export function buildBoard(options: BoardOptions): Board {
  const { time, logger } = options;
  const table = options.table ?? REALVIEW_EB;
  for (const kind of ['gic', 'sysregs'] as const) {
    const count = table.filter((e) => e.kind === kind).length;
    if (count !== 1) throw new Error(`board table: expected one ${kind} row, found ${count}`);
  }
  const gic = new Gic({ name: table.find((e) => e.kind === 'gic')!.name, time, logger });
  const devices = new Map<string, { entry: BoardEntry; device: Device }>();
  const uarts: Pl011[] = [];
  const timers: Sp804[] = [];
  let sysregs: SysRegs | undefined;
  for (const entry of table) {
    if (devices.has(entry.name)) throw new Error(`board table: two rows named ${entry.name}`);
    const device = create(entry);
    devices.set(entry.name, { entry, device });
    if (entry.irq === undefined) continue;
    const row = `board table: ${entry.name} has IRQ line ${entry.irq}`;
    if (device === gic) throw new Error(`${row}, but the GIC's output is the CPU's`);
    if (device.irq === undefined) throw new Error(`${row}, but a ${entry.kind} has no interrupt output`);
    device.irq.connect(gic.input(entry.irq + GIC_SPI_BASE));
  }
  return { devices, gic, uarts, sysregs: sysregs!, timers };

  function create(entry: BoardEntry): Device {
    const name = entry.name;
    switch (entry.kind) {
      case 'gic':
        return gic;
      case 'pl011': {
        const uart = new Pl011({ name, time, logger });
        uarts.push(uart);
        return uart;
      }
      case 'sp804': {
        const timer = new Sp804({ name, time, logger });
        timers.push(timer);
        return timer;
      }
      case 'sysregs':
        sysregs = new SysRegs({ name, time, logger, procId: options.procId });
        return sysregs;
      case 'placeholder':
        return new Placeholder({ name, base: entry.base, size: entry.size, logger });
    }
  }
}

/** Every device's saved state, by board name. The clock is not in it: the machine saves the clock itself. */
export type BoardState = { [device: string]: DeviceState };

export function saveBoard(board: Board): BoardState {
  const state: BoardState = {};
  for (const [name, { device }] of board.devices) state[name] = device.save();
  return state;
}

/**
 * Loads every device's state. The state must name exactly the board's devices. All or nothing: if a
 * device refuses its state (SnapshotError), the devices already loaded get their previous state back.
 * Load the clock (Clock.load) as well, before or after: the clock holds the alarms' due times.
 */
export function loadBoard(board: Board, state: BoardState): void {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) {
    throw new SnapshotError('board', '', 'expected an object of device states');
  }
  for (const name of Object.keys(state)) {
    if (!board.devices.has(name)) throw new SnapshotError('board', name, 'no such device on this board');
  }
  for (const name of board.devices.keys()) {
    if (!Object.hasOwn(state, name)) throw new SnapshotError('board', name, 'missing');
  }
  // The GIC last: loading the others re-drives its input lines, and its own state then replaces whatever
  // those edges latched.
  const entries = [...board.devices].map(([name, { device }]) => [name, device] as const);
  const order = [...entries.filter(([, d]) => d !== board.gic), ...entries.filter(([, d]) => d === board.gic)];
  const previous = saveBoard(board);
  try {
    for (const [name, device] of order) device.load(state[name]);
  } catch (error) {
    for (const [name, device] of order) device.load(previous[name]);
    throw error;
  }
}

/**
 * Address ranges with nothing in them, up to the end of the device area: QEMU marks realview
 * `ignore_memory_transaction_failures`, so accesses there read as zero and ignore writes instead of
 * aborting. Returned page-aligned.
 */
export function unassignedRanges(ramSize: number): { base: number; size: number }[] {
  const used = [{ base: RAM_BASE, size: ramSize }, ...REALVIEW_EB.map((e) => ({ base: e.base, size: e.size }))].sort(
    (a, b) => a.base - b.base,
  );
  const gaps: { base: number; size: number }[] = [];
  let at = 0;
  for (const u of used) {
    if (u.base > at) gaps.push({ base: at, size: u.base - at });
    at = Math.max(at, u.base + u.size);
  }
  if (at < ALIAS_SPACE.base) gaps.push({ base: at, size: ALIAS_SPACE.base - at });
  return gaps;
}

/**
 * Unicorn 2.0.x checks an access against its own memory map at the *virtual* address before the MMU
 * translates it (unicorn-engine/unicorn#1718), so code running at a virtual alias must find a mapped,
 * executable region there. Everything from 512 MiB to 4 GiB, where realview-eb has nothing but where
 * kernels put their virtual aliases and high vectors, is therefore backed by plain memory: accesses with
 * the MMU on reach the translated physical address; with the MMU off they read what was last written
 * there (zero at first) instead of QEMU's read-as-zero, write-ignored, and are not logged.
 */
export const ALIAS_SPACE = { base: 0x2000_0000, size: 0x1_0000_0000 - 0x2000_0000 };
