/**
 * The management service (ARCHITECTURE §6 "Management", issue 10): what the remote management console may
 * see of and do to ONE managed partition (config `managed`, default the partition named `work`), with an
 * audit log. The console sees of every other partition only its name and whether it runs: nothing here
 * reads another partition's console, memory or store.
 *
 * The policy is enforced by the hypervisor, not only shown: the guest asks POLICY_CHECK before it starts
 * an app or sends an SMS and is refused with EPERM (docs/hypercalls.md), and a locked partition's console
 * input is held by the hypervisor (below). The guest is told of every change with VIRQ_POLICY and reads
 * `policy_flags` / `policy_seq` in its vCPU page.
 *
 * The API (status, policy, setPolicy, lock, unlock, wipe, reboot, audit) takes and returns plain data and
 * copies both ways; a bad argument or an action that cannot be done now is a ManagementError with a
 * one-line message, changes nothing, and is logged as refused. Call it between runs of the machine (a
 * wipe or reboot from inside an event listener, while the hypervisor handles a trap, is refused).
 *
 * The lock: while locked, console input typed for the partition (a front end's keyboard, a scenario, the
 * host's stdin) goes to the hypervisor, never to the guest, not even after the unlock. It is cut into
 * lines (ended by LF, CR or CR LF; at most HOLD_MAX bytes of a line are kept). With a PIN set, a line equal
 * to the PIN unlocks (logged: unlock by the keyboard) and what follows it in the same input is delivered;
 * any other non-empty line is a wrong PIN (logged, refused). Without a PIN only unlock() unlocks. Input the
 * guest had not read yet when the lock came stays its own. While locked, POLICY_CHECK refuses apps and SMS.
 *
 * All state is plain data, saved in the hypervisor's snapshot (save/load, validated).
 */
import type { StateValue } from '../soc/device.ts';
import { StateReader } from '../soc/state.ts';
import { APP_NAME_RE, APPS_MAX } from './hypercalls.ts';
import { POLICY_FLAG } from './vcpu.ts';

/** A request the management service refuses: one line, `ACTION: PROBLEM`. */
export class ManagementError extends Error {
  override name = 'ManagementError';
  constructor(
    readonly action: string,
    readonly problem: string,
  ) {
    super(`${action}: ${problem}`);
  }
}

/** What the managed partition may do. */
export interface ManagementPolicy {
  /** The apps it may start (an allow-list; names as APP_NAME_RE, unknown names are fine), or null: every app. */
  apps: string[] | null;
  /** It may send SMS. */
  sms: boolean;
  /** Typing this line on the locked partition's console unlocks it (4 to 8 digits), or null: only unlock() does. */
  pin: string | null;
}

/** setPolicy's argument: the fields to change (at least one); the others keep their values. */
export interface PolicyUpdate {
  apps?: string[] | null;
  sms?: boolean;
  pin?: string | null;
}

/** `stopped` is not produced by this version (reserved for a partition the hypervisor holds stopped). */
export type ManagedState = 'running' | 'locked' | 'stopped' | 'exited' | 'faulted';

/** Another partition, as the console sees it: its name and whether it runs (can run: ready or waiting). */
export interface OtherPartition {
  name: string;
  running: boolean;
}

export interface ManagementStatus {
  name: string;
  /** `locked` while locked and alive; `exited` / `faulted` when it stopped (until a reboot), else `running`. */
  state: ManagedState;
  locked: boolean;
  /** Cycles it ran, and its share of all cycles the partitions ran (0 to 1). */
  cycles: number;
  share: number;
  faults: number;
  /** Boots: 1 + reboots (its own, and wipes and reboots by management). */
  boots: number;
  /** Its installed apps, as the guest reported them since its last boot (POLICY_CHECK kind 3). */
  apps: string[];
  /** The store's used size: the offset after its last non-zero byte (0: all zero). */
  storeUsedBytes: number;
  storeSize: number;
  policy: ManagementPolicy;
  /** Every other partition: only its name and whether it runs. */
  others: OtherPartition[];
}

export type AuditAction = 'setPolicy' | 'lock' | 'unlock' | 'wipe' | 'reboot' | 'runApp' | 'sendSms';
const AUDIT_ACTIONS: readonly AuditAction[] = ['setPolicy', 'lock', 'unlock', 'wipe', 'reboot', 'runApp', 'sendSms'];
/** Who asked: the management API, the partition's keyboard (the PIN), or the guest (POLICY_CHECK). */
export type AuditSource = 'management' | 'keyboard' | 'guest';
const AUDIT_SOURCES: readonly AuditSource[] = ['management', 'keyboard', 'guest'];

export interface AuditEntry {
  /** 1, 2, ... over the whole run (entries past the last AUDIT_MAX are dropped, their numbers are not reused). */
  seq: number;
  /** The virtual cycle of the action. */
  cycle: number;
  action: AuditAction;
  by: AuditSource;
  /** One line: what was done, or why it was refused (never the PIN). */
  detail: string;
  refused: boolean;
}

/** The audit log keeps the last this many entries. */
export const AUDIT_MAX = 256;
/** Bytes kept of one line typed while locked (longer lines are never the PIN). */
export const HOLD_MAX = 64;
const PIN_RE = /^[0-9]{4,8}$/;
const POLICY_FIELDS = ['apps', 'sms', 'pin'] as const;
const STATE_FIELDS = ['partition', 'policy', 'locked', 'seq', 'apps', 'audit', 'nextSeq', 'hold'] as const;
const ENTRY_FIELDS = ['seq', 'cycle', 'action', 'by', 'detail', 'refused'] as const;
const HOLD_FIELDS = ['bytes', 'overflow', 'lastCr'] as const;

/** What the management service needs of the hypervisor (the kernel implements it). */
export interface ManagementHost {
  /** The virtual cycle now. */
  cycles(): number;
  /** Every partition in config order: name, run state and counters. */
  partitions(): readonly { name: string; state: string; cycles: number; share: number; faults: number; boots: number }[];
  /** The managed partition's store: its size and used size (see ManagementStatus). */
  store(): { size: number; used: number };
  /** Writes `policy_flags` / `policy_seq` in the managed partition's vCPU page and raises VIRQ_POLICY there. */
  notify(): void;
  /** Reboots the managed partition from its image, emptying its store first if `wipe`; a ManagementError if it cannot now. */
  reboot(wipe: boolean): void;
}

/** What the console may call (Machine.hypervisor.management). */
export type ManagementApi = Pick<Management, 'partition' | 'status' | 'policy' | 'setPolicy' | 'lock' | 'unlock' | 'wipe' | 'reboot' | 'audit'>;

interface Hold {
  bytes: number[];
  overflow: boolean;
  lastCr: boolean;
}

/** A checked saved state (Management.check). */
export interface SavedManagement {
  readonly current: ManagementPolicy;
  readonly locked: boolean;
  readonly seq: number;
  readonly reported: string[];
  readonly log: AuditEntry[];
  readonly nextSeq: number;
  readonly hold: Hold;
}

export class Management {
  private current: ManagementPolicy = { apps: null, sms: true, pin: null };
  private locked = false;
  /** policy_seq: successful setPolicy calls. */
  private seq = 0;
  private reported: string[] = [];
  private log: AuditEntry[] = [];
  private nextSeq = 1;
  private hold: Hold = { bytes: [], overflow: false, lastCr: false };

  constructor(
    /** The managed partition's name. */
    readonly partition: string,
    private readonly host: ManagementHost,
  ) {}

  // ---- the console's API ----

  status(): ManagementStatus {
    const all = this.host.partitions();
    const me = all.find((p) => p.name === this.partition)!;
    const store = this.host.store();
    return {
      name: me.name,
      state: me.state === 'exited' ? 'exited' : me.state === 'faulted' ? 'faulted' : this.locked ? 'locked' : 'running',
      locked: this.locked,
      cycles: me.cycles,
      share: me.share,
      faults: me.faults,
      boots: me.boots,
      apps: [...this.reported],
      storeUsedBytes: store.used,
      storeSize: store.size,
      policy: this.policy(),
      others: all.filter((p) => p.name !== this.partition).map((p) => ({ name: p.name, running: p.state === 'ready' || p.state === 'waiting' })),
    };
  }

  policy(): ManagementPolicy {
    return copyPolicy(this.current);
  }

  /** Changes the fields given (validated all before any is taken); the guest is told (VIRQ_POLICY). Returns the new policy. */
  setPolicy(update: PolicyUpdate): ManagementPolicy {
    let checked: PolicyUpdate;
    try {
      checked = checkUpdate(update);
    } catch (e) {
      throw this.refuse('setPolicy', e);
    }
    this.current = copyPolicy({ ...this.current, ...checked });
    this.seq = (this.seq + 1) >>> 0;
    this.host.notify();
    this.audit_('setPolicy', 'management', describeUpdate(checked), false);
    return this.policy();
  }

  /** Locks the partition (a ManagementError if it is locked already); the guest is told. */
  lock(): void {
    if (this.locked) throw this.refuse('lock', new Invalid(`${this.partition} is already locked`));
    this.setLocked(true);
    this.audit_('lock', 'management', `${this.partition} locked${this.current.pin === null ? '' : ' (the PIN unlocks it)'}`, false);
  }

  /** Unlocks the partition (a ManagementError if it is not locked); the guest is told. */
  unlock(): void {
    if (!this.locked) throw this.refuse('unlock', new Invalid(`${this.partition} is not locked`));
    this.setLocked(false);
    this.audit_('unlock', 'management', `${this.partition} unlocked`, false);
  }

  /** Empties the store (every byte zero) and reboots the partition from its image; the other partitions run on untouched. */
  wipe(): void {
    const used = this.host.store().used;
    const at = this.host.cycles();
    try {
      this.host.reboot(true);
    } catch (e) {
      throw this.refuse('wipe', e);
    }
    this.audit_('wipe', 'management', `store emptied (${used} bytes were in use), ${this.partition} rebooted from its image`, false, at);
  }

  /** Reboots the partition from its image (its store kept), also one that exited or stopped on a fault. */
  reboot(): void {
    const at = this.host.cycles();
    try {
      this.host.reboot(false);
    } catch (e) {
      throw this.refuse('reboot', e);
    }
    this.audit_('reboot', 'management', `${this.partition} rebooted from its image`, false, at);
  }

  /** The audit log, oldest first: the last AUDIT_MAX entries. */
  audit(): AuditEntry[] {
    return this.log.map((e) => ({ ...e }));
  }

  // ---- for the hypervisor ----

  /** `policy_flags` for the vCPU page (POLICY_FLAG bits). */
  get flags(): number {
    return (this.locked ? POLICY_FLAG.locked : 0) | (this.current.sms ? 0 : POLICY_FLAG.smsBlocked) | (this.current.apps === null ? 0 : POLICY_FLAG.appsLimited);
  }

  /** `policy_seq` for the vCPU page. */
  get policySeq(): number {
    return this.seq;
  }

  /** POLICY_CHECK kinds 1 and 2 from the managed partition; a refusal is logged. */
  allows(kind: 'app' | 'sms', name: string): boolean {
    const action = kind === 'app' ? 'runApp' : 'sendSms';
    const what = kind === 'app' ? `app ${name}` : 'SMS';
    let why: string | undefined;
    if (this.locked) why = `${what} refused: ${this.partition} is locked`;
    else if (kind === 'app' && this.current.apps !== null && !this.current.apps.includes(name)) why = `${what} blocked by policy`;
    else if (kind === 'sms' && !this.current.sms) why = `${what} blocked by policy`;
    if (why === undefined) return true;
    this.audit_(action, 'guest', why, true);
    return false;
  }

  /** POLICY_CHECK kind 3: the guest's installed apps (already checked by hypercalls.ts). */
  reportApps(names: readonly string[]): void {
    this.reported = [...names];
  }

  /** The partition (re)booted: it reports its apps again, and a half-typed held line is dropped. */
  booted(): void {
    this.reported = [];
    this.hold = { bytes: [], overflow: false, lastCr: false };
  }

  /** Console input for the managed partition: what is delivered to it (while locked, nothing but what follows an unlocking PIN). */
  input(bytes: Uint8Array): Uint8Array {
    let k = 0;
    if (!this.locked) {
      if (bytes.length === 0) return bytes;
      // The LF of a CR LF that ended the unlocking PIN line is part of that line.
      if (this.hold.lastCr && bytes[0] === 0x0a) k = 1;
      this.hold.lastCr = false;
      return bytes.subarray(k);
    }
    while (k < bytes.length) {
      const b = bytes[k++];
      if (b === 0x0a && this.hold.lastCr) {
        this.hold.lastCr = false;
        continue;
      }
      this.hold.lastCr = b === 0x0d;
      if (b === 0x0a || b === 0x0d) {
        this.heldLine();
        if (!this.locked) return this.input(bytes.subarray(k));
      } else if (this.hold.bytes.length < HOLD_MAX) {
        this.hold.bytes.push(b);
      } else {
        this.hold.overflow = true;
      }
    }
    return bytes.subarray(bytes.length);
  }

  save(): StateValue {
    return {
      partition: this.partition,
      policy: { apps: this.current.apps === null ? null : [...this.current.apps], sms: this.current.sms, pin: this.current.pin },
      locked: this.locked,
      seq: this.seq,
      apps: [...this.reported],
      audit: this.log.map((e) => ({ ...e })),
      nextSeq: this.nextSeq,
      hold: { bytes: [...this.hold.bytes], overflow: this.hold.overflow, lastCr: this.hold.lastCr },
    };
  }

  /** Validates `state` completely, then takes it (SnapshotError, part `hypervisor: management`, if it is invalid). */
  load(state: StateValue): void {
    this.take(this.check(state));
  }

  /** A saved state, validated (SnapshotError), for take(): the hypervisor checks all its parts before it changes any. */
  check(state: StateValue): SavedManagement {
    const r = new StateReader('hypervisor: management', '', state, STATE_FIELDS);
    if (r.string('partition') !== this.partition) throw r.error('partition', `the snapshot manages another partition (this handset manages ${this.partition})`);
    const p = r.object('policy', POLICY_FIELDS);
    let policy: ManagementPolicy;
    try {
      policy = { apps: null, sms: true, pin: null, ...checkUpdate((state as unknown as { policy: unknown }).policy) };
    } catch (e) {
      if (!(e instanceof Invalid)) throw e;
      throw p.error('', e.message);
    }
    const apps = r.array('apps', (e) => {
      if (typeof e.value !== 'string' || !APP_NAME_RE.test(e.value)) throw e.error('expected an app name');
      return e.value;
    });
    if (apps.length > APPS_MAX || new Set(apps).size !== apps.length) throw r.error('apps', `expected up to ${APPS_MAX} distinct app names`);
    const nextSeq = r.int('nextSeq', 1, Number.MAX_SAFE_INTEGER);
    let last = 0;
    const log = r.array('audit', (e) => {
      const f = e.object(ENTRY_FIELDS);
      const entry: AuditEntry = {
        seq: f.int('seq', 1, nextSeq - 1),
        cycle: f.count('cycle'),
        action: f.string('action') as AuditAction,
        by: f.string('by') as AuditSource,
        detail: f.string('detail'),
        refused: f.bool('refused'),
      };
      if (entry.seq <= last) throw f.error('seq', `expected above the previous entry's ${last}`);
      if (!AUDIT_ACTIONS.includes(entry.action)) throw f.error('action', `expected one of ${AUDIT_ACTIONS.join(', ')}`);
      if (!AUDIT_SOURCES.includes(entry.by)) throw f.error('by', `expected one of ${AUDIT_SOURCES.join(', ')}`);
      last = entry.seq;
      return entry;
    });
    if (log.length > AUDIT_MAX) throw r.error('audit', `expected at most ${AUDIT_MAX} entries, got ${log.length}`);
    const h = r.object('hold', HOLD_FIELDS);
    const hold: Hold = { bytes: h.array('bytes', (e) => e.int(0, 255)), overflow: h.bool('overflow'), lastCr: h.bool('lastCr') };
    if (hold.bytes.length > HOLD_MAX) throw h.error('bytes', `expected at most ${HOLD_MAX} bytes`);
    return { current: policy, locked: r.bool('locked'), seq: r.int('seq'), reported: apps, log, nextSeq, hold };
  }

  take(saved: SavedManagement): void {
    Object.assign(this, saved);
  }

  // ---- inside ----

  private setLocked(locked: boolean): void {
    this.locked = locked;
    this.hold = { bytes: [], overflow: false, lastCr: false };
    this.host.notify();
  }

  /** A complete line typed while locked (the hold has it): the PIN unlocks, anything else is a wrong PIN. */
  private heldLine(): void {
    const line = String.fromCharCode(...this.hold.bytes);
    const overflow = this.hold.overflow;
    this.hold.bytes = [];
    this.hold.overflow = false;
    const pin = this.current.pin;
    if (pin === null || (line === '' && !overflow)) return;
    if (!overflow && line === pin) {
      const lastCr = this.hold.lastCr;
      this.setLocked(false);
      this.hold.lastCr = lastCr;
      this.audit_('unlock', 'keyboard', `${this.partition} unlocked with the PIN`, false);
    } else {
      this.audit_('unlock', 'keyboard', 'wrong PIN typed', true);
    }
  }

  /** Logs a refused request and gives the error to throw. */
  private refuse(action: AuditAction, e: unknown): ManagementError {
    if (!(e instanceof Invalid) && !(e instanceof ManagementError)) throw e;
    const problem = e instanceof Invalid ? e.message : e.problem;
    this.audit_(action, 'management', problem, true);
    return new ManagementError(action, problem);
  }

  /** Logs an action done (or asked for) at virtual cycle `cycle`. */
  private audit_(action: AuditAction, by: AuditSource, detail: string, refused: boolean, cycle = this.host.cycles()): void {
    this.log.push({ seq: this.nextSeq++, cycle, action, by, detail, refused });
    if (this.log.length > AUDIT_MAX) this.log.splice(0, this.log.length - AUDIT_MAX);
  }
}

/** A bad argument: its message is the problem. */
class Invalid extends Error {}

function copyPolicy(p: ManagementPolicy): ManagementPolicy {
  return { apps: p.apps === null ? null : [...p.apps], sms: p.sms, pin: p.pin };
}

/** The fields of a policy update, checked (Invalid names the first problem). */
function checkUpdate(update: unknown): PolicyUpdate {
  if (typeof update !== 'object' || update === null || Array.isArray(update) || ![Object.prototype, null].includes(Object.getPrototypeOf(update))) {
    throw new Invalid(`expected an object with some of ${POLICY_FIELDS.join(', ')}, got ${describe(update)}`);
  }
  const fields = update as Record<string, unknown>;
  const keys = Object.keys(fields);
  for (const key of keys) if (!(POLICY_FIELDS as readonly string[]).includes(key)) throw new Invalid(`${describe(key)} is not a policy field (expected ${POLICY_FIELDS.join(', ')})`);
  if (keys.length === 0) throw new Invalid(`nothing to change (expected some of ${POLICY_FIELDS.join(', ')})`);
  const out: PolicyUpdate = {};
  if (Object.hasOwn(fields, 'apps')) {
    const apps = fields.apps;
    const what = `null (every app) or a list of up to ${APPS_MAX} distinct app names (1 to 32 letters, digits, ".", "_" or "-")`;
    if (apps !== null) {
      if (!Array.isArray(apps) || apps.length > APPS_MAX) throw new Invalid(`apps: expected ${what}, got ${describe(apps)}`);
      apps.forEach((a: unknown, i) => {
        if (typeof a !== 'string' || !APP_NAME_RE.test(a)) throw new Invalid(`apps[${i}]: expected an app name (1 to 32 letters, digits, ".", "_" or "-"), got ${describe(a)}`);
        if (apps.indexOf(a) !== i) throw new Invalid(`apps[${i}]: ${describe(a)} is also apps[${apps.indexOf(a)}]`);
      });
    }
    out.apps = apps === null ? null : [...(apps as string[])];
  }
  if (Object.hasOwn(fields, 'sms')) {
    if (typeof fields.sms !== 'boolean') throw new Invalid(`sms: expected true or false, got ${describe(fields.sms)}`);
    out.sms = fields.sms;
  }
  if (Object.hasOwn(fields, 'pin')) {
    const pin = fields.pin;
    // Never echo what was given for a PIN: it may be a real one, mistyped.
    if (pin !== null && (typeof pin !== 'string' || !PIN_RE.test(pin))) throw new Invalid(`pin: expected null or a string of 4 to 8 digits`);
    out.pin = pin as string | null;
  }
  return out;
}

function describeUpdate(update: PolicyUpdate): string {
  const parts: string[] = [];
  if (update.apps !== undefined) parts.push(update.apps === null ? 'apps: all' : update.apps.length === 0 ? 'apps: none' : `apps: ${update.apps.join(', ')}`);
  if (update.sms !== undefined) parts.push(`sms: ${update.sms ? 'allowed' : 'blocked'}`);
  if (update.pin !== undefined) parts.push(`pin: ${update.pin === null ? 'removed' : 'set'}`);
  return parts.join('; ');
}

/** A short, one-line description of an unexpected value. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 32 ? `${value.slice(0, 32)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value;
}
