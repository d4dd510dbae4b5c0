/**
 * How `handset boot` runs a Machine: in chunks of RUN_CHUNK_INSTRUCTIONS, getting back to Node's event
 * loop between them, so that SIGINT and SIGTERM (src/cli/signals.ts) are seen within a chunk's time.
 *
 * A chunk ends at the first block boundary at or after its instruction count, as any limit does, and the
 * next `run()` goes on from there: the firmware does exactly what it does in one long run (same output,
 * instructions, cycles and trace). Chunks are counted in instructions, not cycles, so that a core sleeping
 * in WFI sleeps as it would without them (a cycle limit would cut the sleep short).
 *
 * The console (src/cli/stdio.ts) reports from inside the emulation through hooks installed here: a failed
 * read or write stops the machine and ends the run; a wait that a signal interrupted stops the machine
 * (or makes it return "waiting") only to get back to the event loop, after which the run goes on.
 */
import type { Machine, RunLimits, RunOutcome } from '../machine/machine.ts';
import { type ExitSignal, type SignalWatch, yieldToEventLoop } from './signals.ts';
import type { ConsoleHooks, HostInput, HostIoError, Output, OutputClosed } from './stdio.ts';

/** About 0.1-0.3 s of emulation on a current host; `run()` costs nothing measurable at this size. */
export const RUN_CHUNK_INSTRUCTIONS = 10_000_000;

export type RunEnd =
  /** The run ended as the machine says: exit, a user limit, waiting, or stopped. */
  | { kind: 'outcome'; outcome: RunOutcome }
  /** SIGINT or SIGTERM: the machine stopped at a block boundary. */
  | { kind: 'signal'; signal: ExitSignal }
  /** Console output or input failed (the reader went away, a full device, stdin too large). */
  | { kind: 'failure'; error: OutputClosed | HostIoError };

/**
 * Virtual time paced to the host's, and what may wake a machine from outside (with a modem port,
 * src/cli/modem-port.ts). Host time stays in the CLI: the machine only gets a cycle limit.
 */
export interface Pacer {
  /** The cycle the machine may run to now (Infinity: no pacing). */
  limit(cycles: number): number;
  /** The machine reached `limit()` at `cycles`: sleeps until the host's time catches up ('interrupted': a signal came). */
  wait(cycles: number): 'ready' | 'interrupted';
  /** The machine waits and nothing in it can wake it: waits for something outside that can ('none': nothing can). */
  waitOutside(): 'ready' | 'interrupted' | 'none';
}

export interface RunOptions {
  /** The user's limits (--max-insns, --max-cycles). */
  limits: RunLimits;
  /** --save-at: `save()` is called when the clock first reaches this cycle (at a block boundary). */
  saveAt?: number;
  save?(): void;
  /** Called when the run ends before `saveAt`. */
  saveMissed?(): void;
  /** The console streams the machine's listeners write to, and its input. */
  outputs?: Output[];
  input?: HostInput;
  signals?: SignalWatch;
  /** With a modem port: virtual time paced to the host's, and a machine that waits woken from outside. */
  pacer?: Pacer;
  /** For tests. */
  chunkInstructions?: number;
}

export async function runInChunks(machine: Machine, options: RunOptions): Promise<RunEnd> {
  const { limits, outputs = [], input, signals, pacer } = options;
  const chunk = options.chunkInstructions ?? RUN_CHUNK_INSTRUCTIONS;
  const saveAt = options.saveAt;
  let saved = saveAt === undefined;
  // A stop() made here, not yet consumed: the next run() returns 'stopped' for it (at once, if it was
  // made between runs or the run ended otherwise first).
  let stopPending = false;
  const stop = () => {
    if (stopPending) return;
    stopPending = true;
    machine.stop();
  };
  const hooks: ConsoleHooks = { failed: stop, interrupted: stop };
  const failure = () => outputs.find((o) => o.failure !== undefined)?.failure ?? input?.failure;
  for (const o of outputs) o.attach(hooks);
  input?.attach(hooks);
  try {
    for (;;) {
      const maxInsns = Math.min(limits.maxInsns ?? Infinity, machine.instructions + chunk);
      let maxCycles = saved ? limits.maxCycles : Math.min(limits.maxCycles ?? Infinity, saveAt!);
      const paced = pacer?.limit(machine.cycles) ?? Infinity;
      if (paced < (maxCycles ?? Infinity)) maxCycles = paced;
      const outcome = machine.run({ maxInsns, maxCycles });
      const failed = failure();
      if (failed !== undefined) return { kind: 'failure', error: failed };
      let ended: RunOutcome | undefined;
      switch (outcome.kind) {
        case 'exit':
          ended = outcome;
          break;
        case 'stopped':
          if (stopPending) stopPending = false;
          else ended = outcome;
          break;
        case 'waiting':
          // With a pacer, something outside (the modem port) may wake it: wait for that, then run on (a
          // signal that ends the wait is seen below, back on the event loop).
          if (input?.interrupted !== true && (pacer === undefined || pacer.waitOutside() === 'none')) ended = outcome;
          break;
        case 'limit': {
          const reached = userLimitReached(machine, limits);
          if (reached !== undefined) ended = { kind: 'limit', limit: reached };
          else if (!saved && machine.cycles >= saveAt!) {
            options.save?.();
            saved = true;
          } else if (machine.cycles >= paced) pacer!.wait(machine.cycles); // a signal: seen below
          break;
        }
      }
      if (ended !== undefined) {
        if (!saved) options.saveMissed?.();
        return { kind: 'outcome', outcome: ended };
      }
      if (input !== undefined) input.interrupted = false;
      await yieldToEventLoop();
      if (signals?.received !== undefined) return { kind: 'signal', signal: signals.received };
      // Output a signal left buffered (its reader is slow): wait for the reader again before going on.
      for (const o of outputs) {
        while (!o.retry()) {
          await yieldToEventLoop();
          if (signals?.received !== undefined) return { kind: 'signal', signal: signals.received };
        }
      }
    }
  } finally {
    for (const o of outputs) o.attach(undefined);
    input?.attach(undefined);
  }
}

/** Which of the user's limits the machine has reached (instructions first, as Machine.run checks). */
function userLimitReached(machine: Machine, limits: RunLimits): 'instructions' | 'cycles' | undefined {
  if (limits.maxInsns !== undefined && machine.instructions >= limits.maxInsns) return 'instructions';
  if (limits.maxCycles !== undefined && machine.cycles >= limits.maxCycles) return 'cycles';
  return undefined;
}

/**
 * Writes what the outputs still hold, waiting for slow readers. After a signal, or when one arrives during
 * a wait, an output gets only what its reader takes at once; the rest is dropped (a reader that has stopped
 * reading must not keep handset from ending). Failures are left in `failure`.
 */
export async function drainOutputs(outputs: Output[], signals?: SignalWatch): Promise<void> {
  const hooks: ConsoleHooks = { failed: () => {}, interrupted: () => {} };
  for (const o of outputs) {
    o.attach(hooks);
    try {
      if (signals?.received !== undefined) {
        o.flushWithoutWaiting();
        continue;
      }
      while (!o.retry()) {
        await yieldToEventLoop();
        if (signals?.received !== undefined) {
          o.flushWithoutWaiting();
          break;
        }
      }
    } finally {
      o.attach(undefined);
    }
  }
}
