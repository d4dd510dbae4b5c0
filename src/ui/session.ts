/**
 * The handset a `handset serve` runs (docs/web.md): one Machine in hypervisor mode, driven through its
 * public API only, paced to host time, with every client message of src/ui/protocol.ts applied between
 * runs and the machine's events turned into server messages for every subscriber.
 *
 * Pacing (the one place here where host time meets the emulation): the machine runs in chunks of at most
 * `chunkInstructions`, each with a cycle limit of the virtual time the host clock allows,
 * anchor cycle + (host now − anchor time) × clockHz × speed, so virtual time is never ahead of host time
 * × speed (by at most the one translated block a limit can overshoot). Caught up, the loop sleeps (a host
 * timer) instead of spinning. A host too slow for the speed falls behind; a backlog of more than
 * `maxLagMs` of host time is forgiven (the anchor moves) rather than raced through later. Pause stops the
 * loop; resume and a new speed re-anchor at the current cycle. The machine never sees host time: inputs
 * are applied at the cycle the last run stopped at, so the same inputs at the same virtual times give the
 * same outputs.
 *
 * Events are buffered while a chunk runs and flushed after it (console bytes of one guest coalesced into
 * one `console` message), so subscribers see them in the order the machine emitted them.
 */
import type { Machine } from '../machine/machine.ts';
import { ringtoneTable, type HypervisorConfig } from '../hypervisor/config.ts';
import type { ManagementApi } from '../hypervisor/management.ts';
import { NetworkError, type Network } from '../modem/network.ts';
import {
  PROTOCOL_VERSION,
  MAX_MESSAGE_BYTES,
  MAX_TYPE_TEXT,
  parseClientMessage,
  ProtocolError,
  requestIdOf,
  type CallView,
  type ClientMessage,
  type HelloMessage,
  type LineRef,
  type PartitionInfo,
  type RadioView,
  type RequestId,
  type RunState,
  type ServerMessage,
  type SnapshotInfo,
  type StatusMessage,
} from './protocol.ts';

/** Host time for the pacing: milliseconds on a monotonic clock, and timers on it. Tests pass a manual one. */
export interface HostClock {
  now(): number;
  /** Calls `fn` once after `ms` milliseconds; returns the function that cancels it. */
  setTimer(fn: () => void, ms: number): () => void;
}

/** The host's clock: performance.now() and setTimeout. */
export const hostClock: HostClock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};

export interface SessionOptions {
  /** A machine in hypervisor mode, booted. */
  machine: Machine;
  /** Its partitions' config (names, ringtones). */
  config: HypervisorConfig;
  /** Virtual seconds per host second (default 1). */
  speed?: number;
  clock?: HostClock;
  /** Instructions per chunk: how long the event loop may wait for a chunk (default 2 M, some 20-60 ms). */
  chunkInstructions?: number;
  /** The largest backlog kept when the host cannot keep up (host ms, default 1000). */
  maxLagMs?: number;
  /** Characters of each screen kept for new clients (default 32 KiB). */
  screenChars?: number;
  /** Snapshots kept; the oldest goes when one more is taken (default 8). */
  maxSnapshots?: number;
  /** How often a running handset broadcasts its status (host ms, default 500). */
  statusIntervalMs?: number;
}

export const DEFAULT_CHUNK_INSTRUCTIONS = 2_000_000;
/** When caught up, the loop sleeps at least this long (host ms) and at most SLEEP_MAX_MS. */
const SLEEP_MIN_MS = 10;
const SLEEP_MAX_MS = 50;

interface StoredSnapshot {
  name: string;
  cycle: number;
  bytes: Uint8Array;
  screens: Record<string, string>;
  ringing: Record<string, string | null>;
}

type Listener = (message: ServerMessage) => void;

export class HandsetSession {
  readonly clockHz: number;
  private readonly machine: Machine;
  private readonly config: HypervisorConfig;
  private readonly clock: HostClock;
  private readonly chunk: number;
  private readonly maxLagMs: number;
  private readonly screenChars: number;
  private readonly maxSnapshots: number;
  private readonly statusIntervalMs: number;
  private readonly names: readonly string[];
  private readonly partitions: PartitionInfo[];
  private readonly listeners = new Set<Listener>();
  private readonly pending: ServerMessage[] = [];
  private readonly screens = new Map<string, string>();
  private readonly decoders = new Map<string, TextDecoder>();
  private readonly ringing = new Map<string, string | null>();
  private readonly snapshots: StoredSnapshot[] = [];
  private readonly removers: (() => void)[] = [];
  private speed: number;
  private paused = false;
  /** What the machine last said: it runs, every guest waits, every guest ended, or it failed. */
  private machineState: 'live' | 'waiting' | 'ended' | 'failed' = 'live';
  private detail: string | undefined;
  private anchorHost = 0;
  private anchorCycles = 0;
  private immediate: NodeJS.Immediate | undefined;
  private cancelSleep: (() => void) | undefined;
  private cancelStatus: (() => void) | undefined;
  private lastStatus = '';
  private lastRun: RunState | undefined;
  private lastCalls = '[]';
  private lastRadio = 'null';
  private snapshotCount = 0;
  private settledWaiters: (() => void)[] = [];
  private closed = false;

  constructor(options: SessionOptions) {
    const hypervisor = options.machine.hypervisor;
    if (hypervisor === undefined) throw new Error('HandsetSession: the machine is not in hypervisor mode');
    this.machine = options.machine;
    this.config = options.config;
    this.clock = options.clock ?? hostClock;
    this.clockHz = options.machine.config.clockHz;
    this.speed = options.speed ?? 1;
    this.chunk = options.chunkInstructions ?? DEFAULT_CHUNK_INSTRUCTIONS;
    this.maxLagMs = options.maxLagMs ?? 1000;
    this.screenChars = options.screenChars ?? 32 * 1024;
    this.maxSnapshots = options.maxSnapshots ?? 8;
    this.statusIntervalMs = options.statusIntervalMs ?? 500;
    this.names = hypervisor.partitionNames;
    const lines = options.machine.network?.lines;
    this.partitions = this.config.partitions.map((p, i) => ({
      name: p.name,
      line: i < 2 && lines !== undefined ? ((i + 1) as 1 | 2) : null,
      number: i < 2 && lines !== undefined ? lines[i]! : null,
      ringtone: p.ringtone,
    }));
    for (const name of this.names) {
      this.screens.set(name, '');
      this.decoders.set(name, new TextDecoder());
      this.ringing.set(name, null);
    }
    const m = this.machine;
    this.removers.push(
      m.on('guestConsole', (e) => this.console(e.guest, e.bytes)),
      m.on('button', (e) => this.pending.push({ type: 'button', foreground: e.foreground, cycle: m.cycles })),
      m.on('ringtone', (e) => {
        this.ringing.set(e.guest, e.playing ? e.ringtone : null);
        this.pending.push({ type: 'ringtone', guest: e.guest, ringtone: e.ringtone, playing: e.playing, cycle: m.cycles });
      }),
      m.on('guestState', (e) => this.pending.push({ type: 'guestState', guest: e.guest, state: e.state, detail: e.detail, cycle: m.cycles })),
    );
    this.lastCalls = JSON.stringify(this.calls());
    this.lastRadio = JSON.stringify(this.radio());
  }

  // ---- clients ----

  /** Every message the session broadcasts (events, status); returns the function that unsubscribes. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * A client's message as text: checked (src/ui/protocol.ts), applied, and answered through `reply`; then
   * the events it caused are broadcast. A bad message gets an `error` reply and changes nothing.
   */
  receive(text: string, reply: (message: ServerMessage) => void): void {
    let message: ClientMessage;
    try {
      message = parseClientMessage(text);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      reply(errorReply(e, requestIdOf(text), e.of));
      return;
    }
    this.apply(message, reply);
  }

  /** A checked message: applied and answered; then the events it caused are broadcast. */
  apply(message: ClientMessage, reply: (message: ServerMessage) => void): void {
    let answer: ServerMessage;
    try {
      answer = this.act(message);
    } catch (e) {
      if (e instanceof ProtocolError) answer = errorReply(e, message.id, message.type);
      else if (e instanceof NetworkError) answer = errorReply(new ProtocolError('refused', e.message), message.id, message.type);
      else throw e;
    }
    reply(answer);
    this.afterChange();
  }

  /** The virtual cycle the machine stopped at (where the next input applies). */
  get cycle(): number {
    return this.machine.cycles;
  }

  /** The management service of the managed partition, or undefined when the handset manages none. */
  get management(): ManagementApi | undefined {
    return this.hypervisor.management;
  }

  /**
   * The management console's way in (src/ui/manage-api.ts): `action` runs on the management service now,
   * between chunks (never inside one); then a handset whose phones all waited or had ended runs again (a
   * policy, a lock or a reboot gives the managed phone something to do), and the events it caused are
   * broadcast. A ManagementError from `action` comes out of it.
   */
  manage<T>(action: (management: ManagementApi) => T): T {
    const management = this.hypervisor.management;
    if (management === undefined) throw new Error('manage: this handset manages no partition');
    try {
      return action(management);
    } finally {
      if (this.machineState === 'waiting' || this.machineState === 'ended') {
        this.setMachineState('live', undefined);
        this.reanchor();
        this.schedule();
      }
      this.afterChange();
    }
  }

  /** Everything a new client needs: partitions, ringtones, screens, calls, snapshots, status. */
  hello(id?: RequestId): HelloMessage {
    return {
      type: 'hello',
      ...(id !== undefined ? { id } : {}),
      protocol: PROTOCOL_VERSION,
      clockHz: this.clockHz,
      partitions: this.partitions,
      ringtones: ringtoneTable(this.config),
      screens: Object.fromEntries(this.screens),
      ringing: Object.fromEntries(this.ringing),
      calls: this.calls(),
      radio: this.radio(),
      snapshots: this.snapshotList(),
      status: this.status(),
      limits: { maxMessageBytes: MAX_MESSAGE_BYTES, maxTypeText: MAX_TYPE_TEXT },
    };
  }

  status(id?: RequestId): StatusMessage {
    const cycle = this.machine.cycles;
    return {
      type: 'status',
      ...(id !== undefined ? { id } : {}),
      run: this.runState(),
      ...(this.detail !== undefined && (this.machineState === 'ended' || this.machineState === 'failed') ? { detail: this.detail } : {}),
      speed: this.speed,
      cycle,
      seconds: cycle / this.clockHz,
      foreground: this.hypervisor.foreground,
      partitions: this.hypervisor.status().map((s) => ({ ...s })),
    };
  }

  runState(): RunState {
    if (this.machineState === 'failed') return 'failed';
    if (this.machineState === 'ended') return 'ended';
    if (this.paused) return 'paused';
    return this.machineState === 'waiting' ? 'waiting' : 'running';
  }

  // ---- the paced loop ----

  /** Starts the paced loop (at the current cycle and host time) and the periodic status. */
  start(): void {
    this.reanchor();
    this.schedule();
    const everyInterval = () => {
      this.cancelStatus = this.clock.setTimer(everyInterval, this.statusIntervalMs);
      this.broadcastStatusIfChanged();
    };
    this.cancelStatus = this.clock.setTimer(everyInterval, this.statusIntervalMs);
  }

  /** Stops the loop and the timers; the machine is the caller's to close. */
  close(): void {
    this.closed = true;
    this.stopLoop();
    this.cancelStatus?.();
    for (const remove of this.removers) remove();
    this.listeners.clear();
    this.settle();
  }

  /**
   * Resolves once the loop has caught up with host time (or is not running: paused, waiting, ended,
   * failed): for tests that move a manual clock and then look.
   */
  settled(): Promise<void> {
    if (this.immediate === undefined) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  private get hypervisor() {
    return this.machine.hypervisor!;
  }

  private reanchor(): void {
    this.anchorHost = this.clock.now();
    this.anchorCycles = this.machine.cycles;
  }

  private stopLoop(): void {
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
    this.cancelSleep?.();
    this.cancelSleep = undefined;
  }

  /** Runs the next chunk soon (after what the event loop has waiting). */
  private schedule(): void {
    if (this.closed || this.immediate !== undefined) return;
    this.cancelSleep?.();
    this.cancelSleep = undefined;
    this.immediate = setImmediate(() => this.tick());
  }

  private settle(): void {
    const waiters = this.settledWaiters;
    this.settledWaiters = [];
    for (const w of waiters) w();
  }

  /** One step of the loop: a chunk of emulation up to what host time allows, or a sleep until it allows more. */
  private tick(): void {
    this.immediate = undefined;
    if (this.closed || this.runState() !== 'running') {
      this.settle();
      return;
    }
    const now = this.clock.now();
    const perMs = (this.clockHz * this.speed) / 1000;
    const cycles = this.machine.cycles;
    let target = this.anchorCycles + (now - this.anchorHost) * perMs;
    if (target - cycles > this.maxLagMs * perMs) {
      // The host cannot keep up: keep a backlog of maxLagMs, not more.
      this.anchorHost = now - this.maxLagMs;
      this.anchorCycles = cycles;
      target = cycles + this.maxLagMs * perMs;
    }
    const limit = Math.floor(target);
    if (cycles >= limit) {
      const ms = Math.min(SLEEP_MAX_MS, Math.max(SLEEP_MIN_MS, (cycles + 1 - target) / perMs));
      this.cancelSleep = this.clock.setTimer(() => {
        this.cancelSleep = undefined;
        this.schedule();
      }, ms);
      this.settle();
      return;
    }
    try {
      const outcome = this.machine.run({ maxCycles: limit, maxInsns: this.machine.instructions + this.chunk });
      if (outcome.kind === 'exit') this.setMachineState('ended', `every partition has ended (status ${outcome.status})`);
      else if (outcome.kind === 'waiting') this.setMachineState('waiting', undefined);
    } catch (e) {
      this.setMachineState('failed', e instanceof Error ? e.message : String(e));
    }
    this.afterChange();
    if (this.runState() === 'running') this.schedule();
    else this.settle();
  }

  private setMachineState(state: HandsetSession['machineState'], detail: string | undefined): void {
    this.machineState = state;
    this.detail = detail;
  }

  /** Something from outside can wake a machine whose guests all wait: it runs again from now. */
  private wake(): void {
    if (this.machineState !== 'waiting') return;
    this.machineState = 'live';
    this.reanchor();
    this.schedule();
  }

  // ---- events ----

  private console(guest: string, bytes: Uint8Array): void {
    const text = this.decoders.get(guest)!.decode(bytes, { stream: true });
    if (text === '') return;
    let screen = this.screens.get(guest)! + text;
    if (screen.length > this.screenChars) {
      screen = screen.slice(screen.length - this.screenChars);
      const nl = screen.indexOf('\n');
      if (nl >= 0) screen = screen.slice(nl + 1);
    }
    this.screens.set(guest, screen);
    const last = this.pending[this.pending.length - 1];
    if (last?.type === 'console' && last.guest === guest) last.text += text;
    else this.pending.push({ type: 'console', guest, text });
  }

  /** After a chunk or a message: the calls and radio if they changed, then every buffered event out. */
  private afterChange(): void {
    const calls = this.calls();
    const callsJson = JSON.stringify(calls);
    if (callsJson !== this.lastCalls) {
      this.lastCalls = callsJson;
      this.pending.push({ type: 'calls', calls });
    }
    const radio = this.radio();
    const radioJson = JSON.stringify(radio);
    if (radio !== null && radioJson !== this.lastRadio) {
      this.lastRadio = radioJson;
      this.pending.push({ type: 'radio', radio });
    }
    this.flush();
    // A change of run state is news at once; the cycle count waits for the periodic status.
    const status = this.status();
    if (status.run !== this.lastRun) this.broadcast(status);
  }

  private broadcastStatusIfChanged(): void {
    const status = this.status();
    const json = JSON.stringify(status);
    if (json !== this.lastStatus) this.broadcast(status);
  }

  private broadcast(message: ServerMessage): void {
    if (message.type === 'status' && message.id === undefined) {
      this.lastStatus = JSON.stringify(message);
      this.lastRun = message.run;
    }
    for (const l of [...this.listeners]) l(message);
  }

  private flush(): void {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0);
      for (const message of batch) this.broadcast(message);
    }
  }

  private calls(): CallView[] {
    const network = this.machine.network;
    if (network === undefined) return [];
    return network.calls().map((c) => ({ id: c.id, line: c.line, guest: this.partitions[c.line - 1]?.name ?? null, direction: c.direction, state: c.state, number: c.number }));
  }

  private radio(): RadioView | null {
    const radio = this.machine.network?.radio();
    return radio === undefined ? null : { registration: radio.registration, rssi: radio.rssi, ber: radio.ber };
  }

  private snapshotList(): SnapshotInfo[] {
    return this.snapshots.map((s) => ({ name: s.name, cycle: s.cycle, bytes: s.bytes.length }));
  }

  // ---- messages ----

  private act(message: ClientMessage): ServerMessage {
    const ok = (result?: string): ServerMessage => ({
      type: 'ok',
      ...(message.id !== undefined ? { id: message.id } : {}),
      of: message.type,
      cycle: this.machine.cycles,
      ...(result !== undefined ? { result } : {}),
    });
    const hypervisor = this.hypervisor;
    switch (message.type) {
      case 'hello':
        return this.hello(message.id);
      case 'status':
        return this.status(message.id);
      case 'type': {
        const guest = message.guest ?? hypervisor.foreground;
        if (!this.names.includes(guest)) throw new ProtocolError('bad-field', `type: no partition "${guest}" (the partitions are ${this.names.join(', ')})`, 'guest');
        this.refuseFailed();
        hypervisor.typeInto(guest, new TextEncoder().encode(message.text));
        this.wake();
        return ok();
      }
      case 'button':
        this.refuseFailed();
        hypervisor.pressButton();
        this.wake();
        return ok(hypervisor.foreground);
      case 'call': {
        const network = this.network();
        const line = this.line(message.to, 'to');
        const r = network.incomingCall(message.from, line);
        if (!r.accepted) throw new ProtocolError('refused', `the call did not go through: ${r.reason}`);
        this.wake();
        return ok(`call ${r.id}`);
      }
      case 'farEnd': {
        const network = this.network();
        let id: number | undefined;
        if (message.line !== undefined) {
          const line = this.line(message.line, 'line');
          const call = network.calls().find((c) => c.line === line);
          if (call === undefined) throw new ProtocolError('refused', `farEnd: line ${line} has no call`);
          id = call.id;
        }
        network[message.action](id);
        this.wake();
        return ok();
      }
      case 'sms': {
        const network = this.network();
        const line = this.line(message.to, 'to');
        const r = network.incomingSms(message.from, line, message.text);
        if (!r.accepted) throw new ProtocolError('refused', `the SMS was not delivered: ${r.reason}`);
        this.wake();
        return ok(r.index === null ? 'shown' : `stored at ${r.index}`);
      }
      case 'registration':
        this.network().registration(message.stat);
        this.wake();
        return ok();
      case 'signal':
        this.network().signal(message.rssi, message.ber);
        this.wake();
        return ok();
      case 'pause':
        if (!this.paused) {
          this.paused = true;
          this.stopLoop();
          this.settle();
        }
        return ok();
      case 'resume':
        if (this.paused) {
          this.paused = false;
          this.reanchor();
          this.schedule();
        }
        return ok();
      case 'speed':
        this.speed = message.value;
        this.reanchor();
        this.pending.push(this.status());
        return ok();
      case 'snapshot':
        return this.takeSnapshot(message.name, message.id);
      case 'restore':
        return this.restoreSnapshot(message.name, ok);
    }
  }

  private refuseFailed(): void {
    if (this.machineState === 'failed') throw new ProtocolError('refused', `the handset failed (${this.detail}): restore a snapshot`);
  }

  private network(): Network {
    const network = this.machine.network;
    if (network === undefined) throw new ProtocolError('refused', 'the handset has no modem');
    this.refuseFailed();
    return network;
  }

  private line(ref: LineRef, field: string): 1 | 2 {
    if (ref === 1 || ref === 2) return ref;
    const info = this.partitions.find((p) => p.name === ref);
    if (info === undefined) throw new ProtocolError('bad-field', `no partition "${ref}" (the partitions are ${this.names.join(', ')})`, field);
    if (info.line === null) throw new ProtocolError('bad-field', `${ref} has no modem line (the modem's two lines are the first two partitions')`, field);
    return info.line;
  }

  private takeSnapshot(name: string | undefined, id: RequestId | undefined): ServerMessage {
    this.refuseFailed();
    const chosen = name ?? `snapshot-${this.snapshotCount + 1}`;
    const bytes = this.machine.snapshot();
    this.snapshotCount++;
    const at = this.snapshots.findIndex((s) => s.name === chosen);
    if (at >= 0) this.snapshots.splice(at, 1);
    this.snapshots.push({ name: chosen, cycle: this.machine.cycles, bytes, screens: Object.fromEntries(this.screens), ringing: Object.fromEntries(this.ringing) });
    if (this.snapshots.length > this.maxSnapshots) this.snapshots.shift();
    this.pending.push({ type: 'snapshots', snapshots: this.snapshotList() });
    return { type: 'snapshot', ...(id !== undefined ? { id } : {}), name: chosen, cycle: this.machine.cycles, bytes: bytes.length };
  }

  private restoreSnapshot(name: string, ok: () => ServerMessage): ServerMessage {
    const snapshot = this.snapshots.find((s) => s.name === name);
    if (snapshot === undefined) throw new ProtocolError('refused', `no snapshot "${name}" (${this.snapshots.length === 0 ? 'none taken yet' : `taken: ${this.snapshots.map((s) => s.name).join(', ')}`})`);
    try {
      this.machine.restore(snapshot.bytes);
    } catch (e) {
      // A snapshot this machine took: it restores, or the machine is in no state to go on.
      this.stopLoop();
      this.setMachineState('failed', `restore ${name}: ${e instanceof Error ? e.message : String(e)}`);
      throw new ProtocolError('refused', this.detail!);
    }
    for (const guest of this.names) {
      this.screens.set(guest, snapshot.screens[guest] ?? '');
      this.decoders.set(guest, new TextDecoder());
      this.ringing.set(guest, snapshot.ringing[guest] ?? null);
    }
    this.setMachineState('live', undefined);
    this.reanchor();
    this.pending.push({
      type: 'restored',
      name,
      cycle: this.machine.cycles,
      foreground: this.hypervisor.foreground,
      screens: Object.fromEntries(this.screens),
      ringing: Object.fromEntries(this.ringing),
    });
    if (!this.paused) this.schedule();
    return ok();
  }
}

function errorReply(e: ProtocolError, id: RequestId | undefined, of: string | undefined): ServerMessage {
  return {
    type: 'error',
    ...(id !== undefined ? { id } : {}),
    ...(of !== undefined ? { of } : {}),
    error: e.code,
    ...(e.field !== undefined ? { field: e.field } : {}),
    message: e.message,
  };
}
