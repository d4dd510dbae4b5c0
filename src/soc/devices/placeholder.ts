/**
 * A named stand-in for a realview-eb peripheral that is not modelled (SP810, I2C, AACI, MMCI, KMI, SP805, GPIO,
 * RTC, CLCD, DMA, …): reads as zero and ignores writes, as QEMU does for the board's unimplemented ranges
 * (`ignore_memory_transaction_failures`), and logs every access as a guest error so stray accesses name their
 * target. MMIO window: `size` bytes at `base`; no interrupt lines.
 */
import type { AccessSize, Device, Logger } from '../device.ts';
import type { DeviceOptions } from './options.ts';

export interface PlaceholderOptions extends Omit<DeviceOptions, 'time'> {
  /** Physical base address, for the log lines. */
  base: number;
  size: number;
}

export class Placeholder implements Device {
  readonly name: string;
  readonly size: number;
  readonly base: number;
  private readonly logger: Logger;

  constructor(options: PlaceholderOptions) {
    this.name = options.name;
    this.base = options.base;
    this.size = options.size;
    this.logger = options.logger;
  }

  read(offset: number, size: AccessSize): number {
    this.log(`read at ${this.where(offset)} (size ${size}) -> 0`);
    return 0;
  }

  write(offset: number, size: AccessSize, value: number): void {
    this.log(`write at ${this.where(offset)} (size ${size}) <- 0x${(value >>> 0).toString(16)}`);
  }

  reset(): void {}

  registerName(): undefined {
    return undefined;
  }

  private where(offset: number): string {
    return `0x${this.base.toString(16).padStart(8, '0')}+0x${offset.toString(16)}`;
  }

  private log(access: string): void {
    if (!this.logger.enabled('guest-errors')) return;
    this.logger.log('guest-errors', `${this.name}: unmodelled device ${access}`);
  }
}
