/**
 * What every device model is to the board. Devices know nothing of the CPU, Unicorn or the board: they get
 * a time source and a logger at construction, expose MMIO `read`/`write`, drive named output lines and
 * accept input on named handlers. Only the board wires lines together.
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
}
