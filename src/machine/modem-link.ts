/**
 * The modem behind UART1 (ARCHITECTURE §7, docs/modem.md "Wiring"): what the CPU (bare-metal firmware, or the
 * hypervisor's splitter through the bus) transmits on UART1 goes to the baseband, and the baseband's output goes
 * into UART1's receive FIFO as fast as `canReceive()` allows, the rest when `onRxSpace` says a byte was read.
 * Or, with `{ external: port }`, a far end outside the machine instead of the baseband (ExternalModemLink: a
 * host serial port or pseudo-terminal, src/cli/modem-port.ts; docs/modem.md "--modem-port").
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

/**
 * A far end for UART1 outside the machine (MachineOptions.modem `{ external }`): the machine hands it what
 * UART1 transmits and asks it for bytes when it polls (at slice boundaries, when the core sleeps, and when
 * UART1's UARTFR or UARTDR is read). Neither call may wait: the emulation never waits for the modem.
 */
export interface ModemPort {
  /** A byte UART1 transmitted. */
  send(byte: number): void;
  /** At most `max` bytes the far end sent that have not been taken yet; empty when none are there now. */
  poll(max: number): Uint8Array;
}

/** MachineOptions.modem: UART1's far end is `external` instead of the baseband (no network side, no snapshots). */
export interface ExternalModemOptions {
  external: ModemPort;
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

/**
 * UART1 wired to a ModemPort: transmitted bytes go to `send`; `poll()` moves what the port has into the
 * receive FIFO while it has room (the rest stays with the port until a read of UARTDR makes room).
 */
export class ExternalModemLink {
  constructor(
    private readonly uart: Pl011,
    private readonly port: ModemPort,
    private readonly events?: Emitter<MachineEvents>,
  ) {
    const previous = uart.onTransmit;
    uart.onTransmit = (byte) => {
      previous?.(byte);
      if (events?.has('modem')) events.emit('modem', { direction: 'in', byte });
      port.send(byte);
    };
    uart.onRxSpace = () => this.poll();
    uart.onRxPoll = () => this.poll();
  }

  /** Moves bytes from the port into UART1's receive FIFO while it has room; true if any moved. */
  poll(): boolean {
    let moved = false;
    while (this.uart.canReceive()) {
      const bytes = this.port.poll(1);
      if (bytes.length === 0) break;
      if (this.events?.has('modem')) this.events.emit('modem', { direction: 'out', byte: bytes[0] });
      this.uart.receive(bytes[0]);
      moved = true;
    }
    return moved;
  }
}
