/**
 * The bus: the one path from a physical address to a device (ARCHITECTURE §2). The CPU's MMIO hooks and
 * host-side code (the hypervisor programming the GIC, an SP804 or UART1 like privileged code would) both
 * go through it, so every device access is observed and traced the same way. Addresses with nothing
 * behind them read as zero and ignore writes, as on QEMU's realview-eb, and are logged as guest errors.
 */
import { unassignedRanges, type Board, type BoardEntry } from './board.ts';
import type { AccessSize, Device, Logger } from './device.ts';

export interface BusAccess {
  device: string;
  register: string;
  offset: number;
  size: number;
  write: boolean;
  value: number;
  /** Who made the access: the emulated CPU, or host-side code (the hypervisor model). */
  initiator: 'cpu' | 'host';
}

/** A window of the physical address space: a device, or a gap with nothing in it. */
export interface BusRegion {
  base: number;
  size: number;
  /** undefined for a gap */
  entry?: BoardEntry;
  device?: Device;
}

export class BusError extends Error {
  override name = 'BusError';
}

export class Bus {
  readonly regions: readonly BusRegion[];
  /** Called after every device access (the machine turns it into an event); undefined costs nothing. */
  onAccess: ((access: BusAccess) => void) | undefined;

  constructor(
    board: Board,
    ramSize: number,
    private readonly logger: Logger,
  ) {
    const devices: BusRegion[] = [...board.devices.values()].map(({ entry, device }) => ({ base: entry.base, size: entry.size, entry, device }));
    const gaps: BusRegion[] = unassignedRanges(ramSize).map((g) => ({ base: g.base, size: g.size }));
    this.regions = [...devices, ...gaps].sort((a, b) => a.base - b.base);
  }

  /** Reads a device register at physical `address` (host side). */
  read(address: number, size: AccessSize): number {
    const region = this.find(address, size);
    return this.readRegion(region, address - region.base, size, 'host');
  }

  /** Writes a device register at physical `address` (host side). */
  write(address: number, size: AccessSize, value: number): void {
    const region = this.find(address, size);
    this.writeRegion(region, address - region.base, size, value >>> 0, 'host');
  }

  readRegion(region: BusRegion, offset: number, size: AccessSize, initiator: 'cpu' | 'host'): number {
    const device = region.device;
    if (device === undefined) {
      this.unassigned('read', region.base + offset, size);
      return 0;
    }
    const value = device.read(offset, size) >>> 0;
    this.onAccess?.({ device: device.name, register: device.registerName(offset) ?? '', offset, size, write: false, value, initiator });
    return value;
  }

  writeRegion(region: BusRegion, offset: number, size: AccessSize, value: number, initiator: 'cpu' | 'host'): void {
    const device = region.device;
    if (device === undefined) {
      this.unassigned(`write 0x${value.toString(16)}`, region.base + offset, size);
      return;
    }
    device.write(offset, size, value);
    this.onAccess?.({ device: device.name, register: device.registerName(offset) ?? '', offset, size, write: true, value, initiator });
  }

  private find(address: number, size: AccessSize): BusRegion {
    if (!Number.isInteger(address) || address < 0 || address > 0xffffffff || ![1, 2, 4].includes(size)) {
      throw new BusError(`bad bus access: address ${address}, size ${size}`);
    }
    if (address % size !== 0) throw new BusError(`unaligned ${size}-byte bus access at 0x${address.toString(16)}`);
    const region = this.regions.find((r) => address >= r.base && address + size <= r.base + r.size);
    if (region === undefined) throw new BusError(`no device or gap at 0x${address.toString(16)} (RAM is not on the bus)`);
    return region;
  }

  private unassigned(what: string, address: number, size: number): void {
    if (this.logger.enabled('guest-errors')) {
      this.logger.log('guest-errors', `unassigned ${what} at 0x${address.toString(16).padStart(8, '0')} (size ${size})`);
    }
  }
}
