/**
 * The modem behind UART1 (ARCHITECTURE §7, docs/modem.md "Wiring"): what the CPU (bare-metal firmware, or the
 * hypervisor's splitter through the bus) transmits on UART1 goes to the baseband, and the baseband's output goes
 * into UART1's receive FIFO as fast as `canReceive()` allows, the rest when `onRxSpace` says a byte was read.
 * Machine events: `modem` {direction, byte} for each byte into ('in') and out of ('out') the modem, emitted
 * only while someone listens.
 */
import { Baseband } from '../modem/baseband.ts';
import type { Network } from '../modem/network.ts';
import type { TimeSource } from '../soc/clock.ts';
import type { StateValue } from '../soc/device.ts';
import type { Pl011 } from '../soc/devices/pl011.ts';
import type { Emitter, MachineEvents } from './events.ts';

/** A byte on the modem wire: `in` from the CPU to the modem (commands), `out` from the modem (responses, unsolicited results). */
export interface ModemEvent {
  direction: 'in' | 'out';
  byte: number;
}

declare module './events.ts' {
  interface MachineEvents {
    /** A byte on the modem wire (UART1 ↔ baseband). */
    modem: ModemEvent;
  }
}

/** MachineOptions.modem: the two subscriber lines' numbers (default `+15550100`, `+15550199`). */
export interface ModemOptions {
  lines?: string[];
}

export class ModemLink {
  readonly baseband: Baseband;

  constructor(uart: Pl011, time: TimeSource, options: ModemOptions = {}, events?: Emitter<MachineEvents>) {
    this.baseband = new Baseband({ time, lines: options.lines, name: 'modem', sink: uart });
    const previous = uart.onTransmit;
    uart.onTransmit = (byte) => {
      previous?.(byte);
      this.baseband.receive(byte);
    };
    uart.onRxSpace = () => this.baseband.pump();
    if (events !== undefined) {
      this.baseband.onInput = (byte) => {
        if (events.has('modem')) events.emit('modem', { direction: 'in', byte });
      };
      this.baseband.onOutput = (byte) => {
        if (events.has('modem')) events.emit('modem', { direction: 'out', byte });
      };
    }
  }

  /** The network side: calls to the handset, the far end, SMS, registration, signal. */
  get network(): Network {
    return this.baseband.network;
  }

  save(): StateValue {
    return this.baseband.save();
  }

  load(state: StateValue): void {
    this.baseband.load(state);
  }
}
