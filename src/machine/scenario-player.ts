/**
 * Plays a scenario (docs/scenarios.md) on a hypervisor machine, through the Machine's public API only:
 * `type` and `button` act at once, `wait` and `waitFor` run the machine (on the virtual clock), `expect`
 * looks at the lines already printed. Each guest's console is split into complete lines with a cursor.
 *
 * The caller runs the machine (`run(maxCycles)`), so that a front end can run in chunks, watch signals
 * and stop on its own limits; anything other than a machine outcome it returns ends the play as is.
 */
import type { Machine, RunOutcome } from './machine.ts';
import { describeStep, type Scenario } from './scenario.ts';
import { NetworkError } from '../modem/network.ts';

export type PlayResult<E> =
  | { kind: 'done' }
  | { kind: 'failed'; message: string }
  /** The run ended for another reason: the caller's (a signal, a user limit) or the machine's (every guest exited). */
  | { kind: 'ended'; end: E | RunOutcome };

/** One guest's console as complete lines (text before `\n`, a trailing `\r` removed), with a cursor. */
class ConsoleLines {
  readonly lines: string[] = [];
  private partial = '';
  /** Streaming, so that a character split across two writes stays whole. */
  private readonly decoder = new TextDecoder();
  cursor = 0;

  add(bytes: Uint8Array): void {
    const text = this.partial + this.decoder.decode(bytes, { stream: true });
    const parts = text.split('\n');
    this.partial = parts.pop()!;
    for (const line of parts) this.lines.push(line.endsWith('\r') ? line.slice(0, -1) : line);
  }

  /** Moves the cursor past the first line after it that `test` accepts; false if there is none. */
  take(test: (line: string) => boolean): boolean {
    for (let k = this.cursor; k < this.lines.length; k++) {
      if (test(this.lines[k])) {
        this.cursor = k + 1;
        return true;
      }
    }
    this.cursor = this.lines.length; // lines looked at are not looked at again
    return false;
  }
}

export async function playScenario<E>(
  machine: Machine,
  scenario: Scenario,
  run: (maxCycles: number) => Promise<{ outcome: RunOutcome } | { other: E }>,
): Promise<PlayResult<E>> {
  const hypervisor = machine.hypervisor;
  if (hypervisor === undefined) throw new Error('a scenario needs the hypervisor');
  const consoles = new Map(hypervisor.partitionNames.map((name) => [name, new ConsoleLines()]));
  // While a waitFor runs, a new line of its guest stops the machine so that the step can look at it.
  let watching: string | undefined;
  const off = machine.on('guestConsole', (e) => {
    const lines = consoles.get(e.guest)!;
    const before = lines.lines.length;
    lines.add(e.bytes);
    if (e.guest === watching && lines.lines.length > before) machine.stop();
  });
  try {
    for (let k = 0; k < scenario.steps.length; k++) {
      const step = scenario.steps[k];
      const fail = (why: string): PlayResult<E> => ({ kind: 'failed', message: `${describeStep(scenario, k)} failed: ${why}` });
      switch (step.kind) {
        case 'type':
          hypervisor.typeInto(step.guest, new TextEncoder().encode(step.text));
          break;
        case 'button':
          hypervisor.pressButton();
          break;
        case 'wait': {
          const until = machine.cycles + step.cycles;
          while (machine.cycles < until) {
            const r = await run(until);
            if ('other' in r) return { kind: 'ended', end: r.other };
            if (r.outcome.kind !== 'limit' && r.outcome.kind !== 'stopped') return { kind: 'ended', end: r.outcome };
          }
          break;
        }
        case 'waitFor': {
          const lines = consoles.get(step.guest)!;
          const until = machine.cycles + step.timeout;
          const matches = (line: string) => step.pattern.test(line);
          watching = step.guest;
          try {
            while (!lines.take(matches)) {
              if (machine.cycles >= until) return fail(`no line of ${step.guest} matched ${step.pattern} within ${step.timeout} cycles`);
              const r = await run(until);
              if ('other' in r) return { kind: 'ended', end: r.other };
              if (r.outcome.kind === 'exit' || r.outcome.kind === 'waiting') {
                if (lines.take(matches)) break;
                return fail(`no line of ${step.guest} matched ${step.pattern}: ${r.outcome.kind === 'exit' ? 'every guest had ended' : 'every guest waits and nothing can wake them'}`);
              }
            }
          } finally {
            watching = undefined;
          }
          break;
        }
        case 'call':
        case 'farEnd':
        case 'sms':
        case 'registration':
        case 'signal': {
          const network = machine.network;
          if (network === undefined) {
            return fail(machine.modemKind === 'external' ? 'the modem is an external port: its network side is not the handset\'s to drive' : 'the handset has no modem');
          }
          const index = 'guest' in step && step.guest !== undefined ? hypervisor.partitionNames.indexOf(step.guest) : 0;
          if (index > 1) return fail(`${(step as { guest: string }).guest} has no modem line (the modem's two lines are the first two partitions')`);
          const line = (index + 1) as 1 | 2;
          try {
            if (step.kind === 'call') {
              const r = network.incomingCall(step.from, line);
              if (!r.accepted) return fail(`the network could not place the call (${r.reason})`);
            } else if (step.kind === 'farEnd') {
              const call = step.guest === undefined ? undefined : network.calls().find((c) => c.line === line);
              if (step.guest !== undefined && call === undefined) return fail(`${step.guest}'s line has no call`);
              network[step.action](call?.id);
            }
            else if (step.kind === 'sms') {
              const r = network.incomingSms(step.from, line, step.text);
              if (!r.accepted) return fail(`the network could not deliver the SMS (${r.reason})`);
            } else if (step.kind === 'registration') network.registration(step.stat);
            else network.signal(step.rssi);
          } catch (e) {
            if (e instanceof NetworkError) return fail(e.message);
            throw e;
          }
          break;
        }
        case 'expect': {
          const lines = consoles.get(step.guest)!;
          const test = step.line !== undefined ? (l: string) => l === step.line : (l: string) => step.pattern!.test(l);
          const want = step.line !== undefined ? JSON.stringify(step.line) : String(step.pattern);
          if (!lines.take(test)) return fail(`${step.guest} printed no line ${step.line !== undefined ? 'equal to' : 'matching'} ${want}`);
          break;
        }
      }
    }
    return { kind: 'done' };
  } finally {
    off();
  }
}
