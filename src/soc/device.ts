/**
 * What every device model is to the board. Devices know nothing of the CPU, Unicorn or the board: they get
 * a time source and a logger at construction, expose MMIO `read`/`write`, drive named output lines and
 * accept input on named handlers. Only the board wires lines together.
 *
 * Snapshots: `save()` returns the device's state as plain JSON data and `load()` validates such data and
 * makes the device continue exactly as the saved one would. Alarm due times are not device state: the clock
 * owns them (`Clock.save`/`Clock.load`, by alarm name), and a device's `load` restores only its registers and
 * the values its alarms' callbacks use, never (re)schedules an alarm. Devices create their alarms in their
 * constructors, so a freshly built board has every alarm a saved clock names.
 */

/** An interrupt (or any level) line driven by one device and observed by whoever the board connects. */
export class IrqLine {
  private current = false;
  private readonly listeners: ((level: boolean) => void)[] = [];
  constructor(readonly name: string) {}

  get level(): boolean {
    return this.current;
  }

  set(level: boolean): void {
    if (level === this.current) return;
    this.current = level;
    for (const l of this.listeners) l(level);
  }

  connect(listener: (level: boolean) => void): void {
    this.listeners.push(listener);
    listener(this.current);
  }
}

/** Log classes, as QEMU's -d: guest errors (bad offsets, RO writes) and unimplemented features. */
export type LogClass = 'guest-errors' | 'unimp';

export interface Logger {
  enabled(cls: LogClass): boolean;
  log(cls: LogClass, message: string): void;
}

export const silentLogger: Logger = { enabled: () => false, log: () => {} };

export type AccessSize = 1 | 2 | 4;

/** A value of a saved state: what JSON round-trips unchanged (finite numbers only; null for "none"). */
export type StateValue = number | boolean | string | null | StateValue[] | { [field: string]: StateValue };

/** A device's saved state: a plain object of state values. */
export type DeviceState = { [field: string]: StateValue };

/**
 * A snapshot that cannot be loaded (wrong shape, out-of-range or inconsistent value). One line, naming the
 * part (device name, "clock" or "board") and the field, e.g. `timer01: snapshot field timer1.load: …`.
 */
export class SnapshotError extends Error {
  constructor(
    readonly part: string,
    readonly field: string,
    readonly problem: string,
  ) {
    super(field === '' ? `${part}: snapshot: ${problem}` : `${part}: snapshot field ${field}: ${problem}`);
    this.name = 'SnapshotError';
  }
}

export interface Device {
  /** Instance name used in logs and traces, e.g. "uart0". */
  readonly name: string;
  /** Size of the MMIO window in bytes (a multiple of 4 KiB). */
  readonly size: number;
  read(offset: number, size: AccessSize): number;
  write(offset: number, size: AccessSize, value: number): void;
  reset(): void;
  /** Name of the register at `offset`, for traces; undefined where there is none. */
  registerName(offset: number): string | undefined;
  /**
   * The interrupt output a board row's `irq` connects to the interrupt controller (the GIC's is the CPU's
   * nIRQ, which the board does not wire). A device without one cannot have an `irq` in the board table.
   */
  readonly irq?: IrqLine;
  /** The device's state as plain data (JSON round-trips it unchanged). */
  save(): DeviceState;
  /**
   * Replaces the device's state with a saved one, leaving it unchanged if the state is invalid
   * (throws SnapshotError). Output lines take the levels the state implies. Alarms are the clock's (above).
   */
  load(state: DeviceState): void;
}
