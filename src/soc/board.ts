/**
 * The handset board as data: QEMU's realview-eb memory map (HARDWARE.md §1, qemu/qemu hw/arm/realview.c),
 * and `buildBoard`, which instantiates each entry and wires its interrupt line into the GIC
 * (board line n enters the GIC as interrupt ID n + 32). UART1 is the modem port.
 */
import type { TimeSource } from './clock.ts';
import type { Device, Logger } from './device.ts';
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
}

export function buildBoard(options: BoardOptions): Board {
  const { time, logger } = options;
  const gic = new Gic({ name: 'gic', time, logger });
  const devices = new Map<string, { entry: BoardEntry; device: Device }>();
  const uarts: Pl011[] = [];
  const timers: Sp804[] = [];
  let sysregs: SysRegs | undefined;
  for (const entry of REALVIEW_EB) {
    const device = create(entry);
    devices.set(entry.name, { entry, device });
    if (entry.irq !== undefined && (device instanceof Pl011 || device instanceof Sp804)) {
      device.irq.connect(gic.input(entry.irq + GIC_SPI_BASE));
    }
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
