/**
 * A named stand-in for a realview-eb peripheral that is not modelled (SP810, I2C, AACI, MMCI, KMI, SP805, GPIO,
 * RTC, CLCD, DMA, …): reads as zero and ignores writes, as QEMU does for the board's unimplemented ranges
 * (`ignore_memory_transaction_failures`), and logs every access under `unimp` (QEMU's LOG_UNIMP) so stray
 * accesses name their target. MMIO window: `size` bytes at `base`.
 * IRQ: `irq`, never raised, so that the board table can give the part its real interrupt line. No state.
 */
import { IrqLine, type AccessSize, type Device, type DeviceState, type Logger } from '../device.ts';
import { StateReader } from '../state.ts';
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
  readonly irq: IrqLine;
  private readonly logger: Logger;

  constructor(options: PlaceholderOptions) {
    this.name = options.name;
    this.irq = new IrqLine(`${options.name}.irq`);
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

  save(): DeviceState {
    return {};
  }

  load(state: DeviceState): void {
    new StateReader(this.name, '', state, []);
  }

  private where(offset: number): string {
    return `0x${this.base.toString(16).padStart(8, '0')}+0x${offset.toString(16)}`;
  }

  private log(access: string): void {
    if (!this.logger.enabled('unimp')) return;
    this.logger.log('unimp', `${this.name}: unmodelled device ${access}`);
  }
}
