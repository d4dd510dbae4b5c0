/**
 * The hypercalls (docs/hypercalls.md §4): numbers, error codes, and each call's argument checks and
 * meaning. Effects on the machine go through `HypercallHost`, which the kernel implements; nothing here
 * trusts a guest value: every length is bounded before anything is allocated, every buffer is checked
 * against the caller's own window and page tables by the host before it is touched.
 */
export const HC = {
  CONSOLE_WRITE: 0,
  CONSOLE_READ: 1,
  YIELD: 2,
  WAIT: 3,
  VIRQ_SET_ENTRY: 4,
  VIRQ_RETURN: 5,
  VIRQ_UNMASK: 6,
  TIMER_SET: 7,
  TIME_GET: 8,
  FOREGROUND: 9,
  EXIT: 10,
  REBOOT: 11,
  FAULT_SET_HANDLER: 12,
  FAULT_RETURN: 13,
  STORE_READ: 14,
  STORE_WRITE: 15,
  AUDIO: 16,
  MODEM_WRITE: 17,
  MODEM_READ: 18,
  POLICY_CHECK: 19,
} as const;

export const HC_NAMES: readonly string[] = Object.keys(HC).map((k) => k.toLowerCase());

export const ERR = { ENOSYS: -1, EINVAL: -2, EFAULT: -3, ENOSPC: -4, EPERM: -5 } as const;

/** POLICY_CHECK's kinds: may I start app NAME, may I send an SMS, these are my installed apps. */
export const POLICY = { APP: 1, SMS: 2, APPS: 3 } as const;
/** An app name (POLICY_CHECK, the management policy): 1 to 32 letters, digits, '.', '_' or '-'. */
export const APP_NAME_RE = /^[A-Za-z0-9._-]{1,32}$/;
export const APP_NAME_MAX = 32;
/** POLICY_CHECK kind 3: at most this many bytes, and this many apps. */
export const APPS_LIST_MAX = 1024;
export const APPS_MAX = 32;

export const CONSOLE_CHUNK = 1024;
export const MODEM_CHUNK = 256;
export const STORE_CHUNK = 4096;
export const MAX_TIMER_US = 60_000_000;

/** The call has set the caller's registers itself (it resumed a saved context, or the caller stopped). */
export const RESUMED = 'resumed';
export type HypercallResult = number | typeof RESUMED;

export interface HypercallHost {
  /** Reads `[va, va + length)` of the caller's window if the caller may read all of it; else undefined. */
  readGuest(va: number, length: number): Uint8Array | undefined;
  /** Writes into the caller's window if the caller may write all of it; else false, nothing written. */
  writeGuest(va: number, bytes: Uint8Array): boolean;
  /** The caller may write all of `[va, va + length)` of its window. */
  canWrite(va: number, length: number): boolean;
  /** `va` is an address in the caller's RAM window. */
  inWindow(va: number): boolean;
  consoleWrite(bytes: Uint8Array): void;
  /** Console input for the caller, up to `max` bytes (removed from its queue). */
  consoleRead(max: number): Uint8Array;
  yield(): void;
  /** The WAIT result if a vIRQ is already pending (the call returns at once); else the caller now waits (result set when it wakes). */
  wait(): number;
  setUpcall(entry: number, stack: number): void;
  virqReturn(): boolean;
  virqUnmask(): void;
  setTimer(intervalUs: number, periodic: boolean): void;
  /** Microseconds of virtual time since the machine started. */
  timeMicros(): number;
  foreground(): boolean;
  exit(status: number): void;
  reboot(): void;
  setFaultHandler(entry: number, stack: number): void;
  faultReturn(): boolean;
  storeSize(): number;
  storeRead(offset: number, length: number): Uint8Array;
  storeWrite(offset: number, bytes: Uint8Array): void;
  audio(play: boolean): void;
  /** The caller's modem channel, or undefined when the handset has no modem (or no line for it). */
  modem: { write(bytes: Uint8Array): number; read(max: number): Uint8Array } | undefined;
  /** Sets r1 (the second result word). */
  setR1(value: number): void;
  /** POLICY_CHECK kinds 1 and 2: whether the caller may start app `name` / send an SMS (always true when it is not managed). */
  policyAllows(kind: 'app' | 'sms', name: string): boolean;
  /** POLICY_CHECK kind 3: the caller's installed apps, as it reports them (checked: valid, distinct names). */
  reportApps(names: string[]): void;
}

/** Performs hypercall `number` with arguments `a` (r0-r3) for the caller behind `host`. */
export function hypercall(number: number, a: readonly number[], host: HypercallHost): HypercallResult {
  switch (number) {
    case HC.CONSOLE_WRITE: {
      const length = Math.min(a[1], CONSOLE_CHUNK);
      const bytes = host.readGuest(a[0], length);
      if (bytes === undefined) return ERR.EFAULT;
      host.consoleWrite(bytes);
      return length;
    }
    case HC.CONSOLE_READ: {
      const max = Math.min(a[1], CONSOLE_CHUNK);
      // Check the whole buffer before taking input, so a bad buffer loses none.
      if (!host.canWrite(a[0], max)) return ERR.EFAULT;
      const bytes = host.consoleRead(max);
      if (!host.writeGuest(a[0], bytes)) return ERR.EFAULT;
      return bytes.length;
    }
    case HC.YIELD:
      host.yield();
      return 0;
    case HC.WAIT:
      return host.wait();
    case HC.VIRQ_SET_ENTRY:
    case HC.FAULT_SET_HANDLER: {
      const [entry, stack] = a;
      if (entry !== 0 && (!host.inWindow(entry & ~1) || !host.inWindow(stack - 1) || stack === 0)) return ERR.EFAULT;
      if (number === HC.VIRQ_SET_ENTRY) host.setUpcall(entry, stack);
      else host.setFaultHandler(entry, stack);
      return 0;
    }
    case HC.VIRQ_RETURN:
      return host.virqReturn() ? RESUMED : ERR.EINVAL;
    case HC.VIRQ_UNMASK:
      host.virqUnmask();
      return 0;
    case HC.TIMER_SET: {
      const [interval, periodic] = a;
      if (interval > MAX_TIMER_US || periodic > 1) return ERR.EINVAL;
      host.setTimer(interval, periodic === 1);
      return 0;
    }
    case HC.TIME_GET: {
      const us = host.timeMicros();
      host.setR1(Math.floor(us / 2 ** 32) >>> 0);
      return us >>> 0;
    }
    case HC.FOREGROUND:
      return host.foreground() ? 1 : 0;
    case HC.EXIT:
      host.exit(a[0]);
      return RESUMED;
    case HC.REBOOT:
      host.reboot();
      return RESUMED;
    case HC.FAULT_RETURN:
      return host.faultReturn() ? RESUMED : ERR.EINVAL;
    case HC.STORE_READ: {
      const [offset, buf, len] = a;
      const size = host.storeSize();
      const length = offset >= size ? 0 : Math.min(len, STORE_CHUNK, size - offset);
      if (length === 0) return 0;
      if (!host.writeGuest(buf, host.storeRead(offset, length))) return ERR.EFAULT;
      return length;
    }
    case HC.STORE_WRITE: {
      const [offset, buf, len] = a;
      const length = Math.min(len, STORE_CHUNK);
      if (offset + length > host.storeSize()) return ERR.ENOSPC;
      const bytes = host.readGuest(buf, length);
      if (bytes === undefined) return ERR.EFAULT;
      host.storeWrite(offset, bytes);
      return length;
    }
    case HC.MODEM_WRITE: {
      if (host.modem === undefined) return ERR.ENOSYS;
      const bytes = host.readGuest(a[0], Math.min(a[1], MODEM_CHUNK));
      if (bytes === undefined) return ERR.EFAULT;
      return host.modem.write(bytes);
    }
    case HC.MODEM_READ: {
      if (host.modem === undefined) return ERR.ENOSYS;
      const max = Math.min(a[1], CONSOLE_CHUNK);
      if (!host.canWrite(a[0], max)) return ERR.EFAULT;
      const bytes = host.modem.read(max);
      host.writeGuest(a[0], bytes);
      return bytes.length;
    }
    case HC.AUDIO:
      if (a[0] > 1) return ERR.EINVAL;
      host.audio(a[0] === 1);
      return 0;
    case HC.POLICY_CHECK:
      return policyCheck(a[0], a[1], a[2], host);
    default:
      return ERR.ENOSYS;
  }
}

function policyCheck(kind: number, buf: number, len: number, host: HypercallHost): number {
  switch (kind) {
    case POLICY.APP: {
      if (len < 1 || len > APP_NAME_MAX) return ERR.EINVAL;
      const bytes = host.readGuest(buf, len);
      if (bytes === undefined) return ERR.EFAULT;
      const name = Buffer.from(bytes).toString('latin1');
      if (!APP_NAME_RE.test(name)) return ERR.EINVAL;
      return host.policyAllows('app', name) ? 0 : ERR.EPERM;
    }
    case POLICY.SMS:
      if (len !== 0) return ERR.EINVAL;
      return host.policyAllows('sms', '') ? 0 : ERR.EPERM;
    case POLICY.APPS: {
      if (len > APPS_LIST_MAX) return ERR.EINVAL;
      const bytes = host.readGuest(buf, len);
      if (bytes === undefined) return ERR.EFAULT;
      const names = len === 0 ? [] : Buffer.from(bytes).toString('latin1').split('\n');
      if (names.length > APPS_MAX || names.some((n) => !APP_NAME_RE.test(n)) || new Set(names).size !== names.length) return ERR.EINVAL;
      host.reportApps(names);
      return 0;
    }
    default:
      return ERR.EINVAL;
  }
}
