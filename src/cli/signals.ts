/**
 * SIGINT and SIGTERM during `handset boot`: the run stops at a block boundary, the trace is finished (a
 * valid, shorter trace), output is flushed, and handset exits with 130 (SIGINT) or 143 (SIGTERM), the
 * statuses a shell shows for those signals.
 *
 * Node runs signal handlers only on its event loop, and `Machine.run()` is synchronous: the handlers here
 * only note the signal; the run loop (src/cli/run-loop.ts) gets back to the event loop between chunks of
 * emulation and whenever a console wait is interrupted (src/cli/host-wait.ts), and looks.
 *
 * A wait is interrupted by a signal that arrives during it (EINTR), and also by one that arrived earlier
 * and whose handler has not run yet: libuv's C handler writes every signal to a pipe that the event loop
 * reads, and waits watch that pipe. Node does not expose it, so `SignalWatch.start` finds it: it sends
 * itself SIGURG (ignored by default; a listener is added for the probe) and takes the one pipe that became
 * readable. If that is ambiguous, waits rely on EINTR alone (a signal that came just before a wait for
 * input is then seen at the next one).
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { readableAmong, watchSignalPipe } from './host-wait.ts';

export type ExitSignal = 'SIGINT' | 'SIGTERM';

export const SIGNAL_EXIT_STATUS: Record<ExitSignal, number> = { SIGINT: 130, SIGTERM: 143 };

export class SignalWatch {
  /** The first SIGINT or SIGTERM since the watch began. */
  received: ExitSignal | undefined;
  private readonly handlers: [NodeJS.Signals, () => void][] = [];

  /** Handlers for SIGINT and SIGTERM, and console waits that end on them (see above). */
  static async start(): Promise<SignalWatch> {
    const watch = new SignalWatch();
    await watch.findSignalPipe();
    return watch;
  }

  private constructor() {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      this.listen(signal, () => {
        this.received ??= signal;
      });
    }
  }

  /** Gives the signals back their default action; waits no longer watch for them. */
  close(): void {
    watchSignalPipe(undefined);
    for (const [signal, handler] of this.handlers) process.removeListener(signal, handler);
    this.handlers.length = 0;
  }

  private listen(signal: NodeJS.Signals, handler: () => void): void {
    process.on(signal, handler);
    this.handlers.push([signal, handler]);
  }

  private async findSignalPipe(): Promise<void> {
    let probed = false;
    this.listen('SIGURG', () => {
      probed = true;
    });
    let candidates: number[];
    try {
      candidates = readdirSync('/proc/self/fd')
        .map(Number)
        .filter((fd) => fd > 2 && isPipe(fd));
    } catch {
      return; // no /proc
    }
    const before = readableAmong(candidates);
    process.kill(process.pid, 'SIGURG'); // handled before kill() returns, on this thread
    const fresh = [...readableAmong(candidates)].filter((fd) => !before.has(fd));
    // The event loop reads the probe from the pipe and runs its listener: only then may waits watch it.
    for (let turn = 0; turn < 100 && !probed; turn++) await yieldToEventLoop();
    if (probed && fresh.length === 1 && !readableAmong(fresh).has(fresh[0]!)) watchSignalPipe(fresh[0]);
  }
}

function isPipe(fd: number): boolean {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`).startsWith('pipe:');
  } catch {
    return false;
  }
}

/** Lets the event loop run once (signal handlers included), then goes on. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
