/**
 * The hypervisor's modem service: it alone drives UART1 (the modem port), through the bus as privileged
 * code would, and runs the virtual modem splitter (src/modem/splitter.ts) between it and the guests'
 * virtual modem channels (hypercalls MODEM_WRITE / MODEM_READ and VIRQ_MODEM, docs/hypercalls.md).
 *
 * UART1 runs with its FIFOs on and only the receive interrupt unmasked (GIC ID 45); every interrupt reads
 * the receive FIFO empty. Transmission is instant on this board, so bytes for the modem go out at once.
 */
import type { Bus } from '../soc/bus.ts';
import type { StateValue } from '../soc/device.ts';
import { Splitter } from '../modem/splitter.ts';

const UART1 = 0x1000_a000;
const DR = UART1 + 0x000;
const FR = UART1 + 0x018;
const LCR_H = UART1 + 0x02c;
const CR = UART1 + 0x030;
const IMSC = UART1 + 0x038;
const FR_RXFE = 1 << 4;
const FR_TXFF = 1 << 5;
const LCR_H_FEN_8BIT = 0x70; // FIFOs on, 8 data bits
const CR_ENABLE = 0x301; // UARTEN, TXE, RXE
const IMSC_RX = 1 << 4;
/** UART1 is board line 13: GIC ID 45, bit 13 of GICD_ISENABLER1. */
export const MODEM_IRQ_ID = 45;

export class ModemService {
  readonly splitter: Splitter;
  /** Bytes for the modem not yet written (UART1's TX FIFO was full). */
  private unsent: number[] = [];

  constructor(
    private readonly bus: Bus,
    guestCount: number,
    numbers: readonly string[],
    onOutput: (guest: number) => void,
  ) {
    this.splitter = new Splitter(guestCount);
    this.splitter.numbers = [...numbers];
    this.splitter.onOutput = onOutput;
  }

  /** Sets UART1 up and sends the link's set-up commands. */
  start(): void {
    this.bus.write(LCR_H, 4, LCR_H_FEN_8BIT);
    this.bus.write(CR, 4, CR_ENABLE);
    this.bus.write(IMSC, 4, IMSC_RX);
    this.flush();
  }

  /** UART1's interrupt: what the modem said goes to the splitter. */
  interrupt(): void {
    // Read until the FIFO is empty: that is what clears the receive interrupt (the PL011 raises it again
    // only when an empty FIFO gets a byte), and the modem refills the FIFO as it empties.
    const bytes: number[] = [];
    while ((this.bus.read(FR, 4) & FR_RXFE) === 0) bytes.push(this.bus.read(DR, 4) & 0xff);
    if (bytes.length > 0) this.splitter.fromModem(Uint8Array.from(bytes));
    this.flush();
  }

  /** Guest `g` writes to its modem channel; returns the bytes taken. */
  write(g: number, bytes: Uint8Array): number {
    const n = this.splitter.fromGuest(g, bytes);
    this.flush();
    return n;
  }

  read(g: number, max: number): Uint8Array {
    return this.splitter.toGuest(g, max);
  }

  /** Guest g rebooted: its virtual modem starts afresh. */
  reset(g: number): void {
    if (g >= this.splitter.guestCount) return;
    this.splitter.resetGuest(g);
    this.flush();
  }

  /** Writes what the splitter has for the modem while UART1 takes it. */
  private flush(): void {
    this.unsent.push(...this.splitter.takeWire());
    while (this.unsent.length > 0 && (this.bus.read(FR, 4) & FR_TXFF) === 0) this.bus.write(DR, 4, this.unsent.shift()!);
  }

  save(): StateValue {
    return { splitter: this.splitter.save(), unsent: [...this.unsent] };
  }

  load(state: StateValue): void {
    const s = state as { splitter: StateValue; unsent: number[] };
    this.splitter.load(s.splitter);
    this.unsent = [...s.unsent];
  }
}
