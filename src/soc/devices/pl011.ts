/**
 * ARM PrimeCell UART PL011 (ARM DDI 0183), behaving as QEMU's hw/char/pl011.c.
 *
 * MMIO window 0x1000 bytes: UARTDR +0x000 … UARTDMACR +0x048, peripheral and PrimeCell IDs at +0xFE0..+0xFFC.
 * IRQ: `irq` is UARTINTR, the OR of all masked interrupts. realview-eb: UART0-3 at 0x1000_9000..0x1000_C000 →
 * GIC IDs 44-47.
 * Host side: transmitted bytes go to `onTransmit`; `receive(byte)` fills the receive FIFO (32 entries with
 * UARTLCR_H.FEN set, else a 1-byte holding register) and returns false when it is full, so the caller keeps the
 * byte and retries after `onRxSpace`. `onRxPoll` runs before the guest reads UARTFR or UARTDR, so an adapter can
 * move pending input in lazily.
 *
 * QEMU behaviour kept:
 * - Transmission is instant: the TX FIFO is never full or busy (UARTFR reads TXFE), and every UARTDR write sets
 *   TXRIS until UARTICR clears it.
 * - RXRIS is set when the receive FIFO goes from empty to one byte (QEMU's read trigger is always 1, whatever
 *   UARTIFLS says) and cleared when a UARTDR read empties it; the receive timeout interrupt never fires.
 * - UARTEN, TXE and RXE are not checked; no line errors, break, modem lines or loopback are modelled; toggling
 *   UARTLCR_H.FEN empties the receive FIFO; reading UARTDR when it is empty returns the FIFO slot after the
 *   last byte read (QEMU's read_fifo[read_pos]): the last byte again without the FIFO, stale data with it.
 * - UARTIBRD/UARTFBRD keep 16/6 bits as current QEMU does (QEMU 7.2 kept every bit written).
 */
import { IrqLine, type AccessSize, type Device, type DeviceState, type Logger } from '../device.ts';
import { RegisterMap } from '../regs.ts';
import { StateReader } from '../state.ts';
import type { DeviceOptions } from './options.ts';

export interface Pl011Options extends DeviceOptions {
  onTransmit?: (byte: number) => void;
  onRxSpace?: () => void;
  onRxPoll?: () => void;
}

const FIFO_DEPTH = 32;

/** UARTFR bits. */
const RXFE = 1 << 4;
const RXFF = 1 << 6;
const TXFE = 1 << 7;
/** UARTRIS bits (the same positions in UARTMIS, UARTIMSC and UARTICR). */
const RXRIS = 1 << 4;
const TXRIS = 1 << 5;
const ALL_INTERRUPTS = 0x7ff;
/** UARTLCR_H.FEN */
const FEN = 1 << 4;

/** The registers whose stored word is state; the others are computed, constant or write-only. */
const STATE_REGISTERS = [
  'UARTILPR',
  'UARTIBRD',
  'UARTFBRD',
  'UARTLCR_H',
  'UARTCR',
  'UARTIFLS',
  'UARTIMSC',
  'UARTDMACR',
] as const;

/**
 * Saved state, as QEMU's vmstate_pl011: the stored registers, UARTRIS, and the receive FIFO as a ring (all 32
 * slots, since reading an empty UARTDR returns the slot at rxPos).
 */
export type Pl011State = {
  registers: Record<(typeof STATE_REGISTERS)[number], number>;
  ris: number;
  rxFifo: number[];
  rxPos: number;
  rxCount: number;
};

/** UARTPeriphID0-3 and UARTPCellID0-3. */
const PID = [0x11, 0x10, 0x14, 0x00];
const CID = [0x0d, 0xf0, 0x05, 0xb1];

export class Pl011 implements Device {
  readonly name: string;
  readonly size = 0x1000;
  readonly irq: IrqLine;
  onTransmit: ((byte: number) => void) | undefined;
  onRxSpace: (() => void) | undefined;
  onRxPoll: (() => void) | undefined;
  private readonly logger: Logger;
  private readonly regs: RegisterMap;
  private readonly rxFifo = new Uint8Array(FIFO_DEPTH);
  private rxPos = 0;
  private rxCount = 0;
  private ris = 0;

  constructor(options: Pl011Options) {
    this.name = options.name;
    this.logger = options.logger;
    this.onTransmit = options.onTransmit;
    this.onRxSpace = options.onRxSpace;
    this.onRxPoll = options.onRxPoll;
    this.irq = new IrqLine(`${options.name}.irq`);
    this.regs = new RegisterMap(options.name, options.logger)
      .define({ name: 'UARTDR', offset: 0x000, read: () => this.readData(), write: (v) => this.transmit(v & 0xff) })
      .define({ name: 'UARTRSR/UARTECR', offset: 0x004, writeMask: 0 })
      .define({ name: 'UARTFR', offset: 0x018, access: 'ro', read: () => this.flags() })
      .define({ name: 'UARTILPR', offset: 0x020 })
      .define({ name: 'UARTIBRD', offset: 0x024, writeMask: 0xffff })
      .define({ name: 'UARTFBRD', offset: 0x028, writeMask: 0x3f })
      .define({ name: 'UARTLCR_H', offset: 0x02c, write: (v, previous) => this.lineControl(v, previous) })
      .define({ name: 'UARTCR', offset: 0x030, reset: 0x300 })
      .define({ name: 'UARTIFLS', offset: 0x034, reset: 0x12 })
      .define({ name: 'UARTIMSC', offset: 0x038, write: () => this.update() })
      .define({ name: 'UARTRIS', offset: 0x03c, access: 'ro', read: () => this.ris })
      .define({ name: 'UARTMIS', offset: 0x040, access: 'ro', read: () => this.mis() })
      .define({ name: 'UARTICR', offset: 0x044, access: 'wo', write: (v) => this.clearInterrupts(v) })
      .define({ name: 'UARTDMACR', offset: 0x048, write: (v) => this.dmaControl(v) })
      .defineMany(4, 4, (i) => ({ name: `UARTPeriphID${i}`, offset: 0xfe0 + 4 * i, access: 'ro', reset: PID[i] }))
      .defineMany(4, 4, (i) => ({ name: `UARTPCellID${i}`, offset: 0xff0 + 4 * i, access: 'ro', reset: CID[i] }));
  }

  /** True when the receive FIFO (or holding register) can take another byte. */
  canReceive(): boolean {
    return this.rxCount < this.depth();
  }

  /** Host input: queues `byte`, or returns false (keeping nothing) when the receive FIFO is full. */
  receive(byte: number): boolean {
    if (!this.canReceive()) return false;
    this.rxFifo[(this.rxPos + this.rxCount) & (this.depth() - 1)] = byte;
    this.rxCount++;
    if (this.rxCount === 1) this.ris |= RXRIS;
    this.update();
    return true;
  }

  read(offset: number, size: AccessSize): number {
    const o = offset & ~3;
    if (o === 0x000 || o === 0x018) this.onRxPoll?.();
    return this.regs.read(offset, size);
  }

  write(offset: number, size: AccessSize, value: number): void {
    this.regs.write(offset, size, value);
  }

  reset(): void {
    this.regs.reset();
    this.rxFifo.fill(0);
    this.ris = 0;
    this.flushRx();
    this.update();
  }

  registerName(offset: number): string | undefined {
    return this.regs.nameAt(offset);
  }

  save(): Pl011State {
    return {
      registers: this.regs.save(STATE_REGISTERS) as Pl011State['registers'],
      ris: this.ris,
      rxFifo: Array.from(this.rxFifo),
      rxPos: this.rxPos,
      rxCount: this.rxCount,
    };
  }

  load(state: DeviceState): void {
    const reader = new StateReader(this.name, '', state, ['registers', 'ris', 'rxFifo', 'rxPos', 'rxCount']);
    const registers = this.regs.readState(reader.object('registers', STATE_REGISTERS), STATE_REGISTERS);
    const depth = registers.UARTLCR_H & FEN ? FIFO_DEPTH : 1;
    const ris = reader.int('ris', 0, ALL_INTERRUPTS);
    const rxFifo = reader.ints('rxFifo', FIFO_DEPTH, 0, 0xff);
    const rxPos = reader.int('rxPos', 0, depth - 1);
    const rxCount = reader.int('rxCount', 0, depth);
    this.regs.restore(registers);
    this.ris = ris;
    this.rxFifo.set(rxFifo);
    this.rxPos = rxPos;
    this.rxCount = rxCount;
    this.update();
  }

  private update(): void {
    this.irq.set((this.mis() & ALL_INTERRUPTS) !== 0);
  }

  private mis(): number {
    return this.ris & this.regs.get('UARTIMSC');
  }

  private depth(): number {
    return this.regs.get('UARTLCR_H') & FEN ? FIFO_DEPTH : 1;
  }

  private flags(): number {
    return TXFE | (this.rxCount === 0 ? RXFE : 0) | (this.rxCount === this.depth() ? RXFF : 0);
  }

  private transmit(byte: number): void {
    this.onTransmit?.(byte);
    this.ris |= TXRIS;
    this.update();
  }

  private readData(): number {
    const byte = this.rxFifo[this.rxPos];
    const popped = this.rxCount > 0;
    if (popped) {
      this.rxCount--;
      this.rxPos = (this.rxPos + 1) & (this.depth() - 1);
    }
    if (this.rxCount === 0) this.ris &= ~RXRIS;
    this.update();
    if (popped) this.onRxSpace?.();
    return byte;
  }

  private lineControl(value: number, previous: number): void {
    if ((value ^ previous) & FEN) this.flushRx();
  }

  private flushRx(): void {
    const hadData = this.rxCount > 0;
    this.rxPos = 0;
    this.rxCount = 0;
    if (hadData) this.onRxSpace?.();
  }

  private clearInterrupts(value: number): void {
    this.ris &= ~value;
    this.update();
  }

  private dmaControl(value: number): void {
    if (value & 3 && this.logger.enabled('unimp')) {
      this.logger.log('unimp', `${this.name}: DMA not modelled (UARTDMACR 0x${value.toString(16)})`);
    }
  }
}
