/**
 * `handset run`: the two-phone handset. The hypervisor boots the partitions of a config (default: the
 * `work` and `home` guests in guests/), both consoles are shown with `[work] ` / `[home] ` prefixes, and
 * the hypervisor's own news (a guest exited or stopped, the button, ringtones) as `[hypervisor] ` lines.
 * With `--audio-out FILE.wav`, the ringtones played are rendered on the virtual clock into a WAV file
 * (src/hypervisor/audio.ts), written when the run ends, as a trace is.
 *
 * Input: with a scenario (`--script`), the scenario types; else, off a terminal, stdin goes a line at a
 * time to the foreground guest whenever it waits with nothing left to read (every run with the same input
 * is the same); on a terminal, keystrokes go to the foreground guest as they come, Ctrl-B is the button
 * Ctrl-T shows the status and Ctrl-N takes a command for the modem's network side (a call to a phone,
 * the far end, an SMS: src/cli/network-commands.ts) (src/cli/terminal-keys.ts); virtual time is paced to
 * host time.
 */
import { readSync } from 'node:fs';
import type { RunOutcome } from '../machine/machine.ts';
import { parseScenario } from '../machine/scenario.ts';
import { playScenario } from '../machine/scenario-player.ts';
import { AudioError, MAX_AUDIO_SECONDS, RingtoneRenderer } from '../hypervisor/audio.ts';
import { configHash, ringtoneTable } from '../hypervisor/config.ts';
import { OutputFile } from '../trace/files.ts';
import { Recorder } from '../trace/recorder.ts';
import { GuestConsoleWriter } from './guest-output.ts';
import { parseCount, traceOptions, UsageError, type TraceArgs } from './options.ts';
import { buildHandset, handsetPlan, partitionImages, partitionStores, readText, storePath } from './handset-machine.ts';
import { refuseOutputOverInput } from './output-file.ts';
import { drainOutputs, runInChunks, type RunEnd } from './run-loop.ts';
import { SIGNAL_EXIT_STATUS, SignalWatch } from './signals.ts';
import { stderr, stdinInput, stdout, whichAreTerminals } from './stdio.ts';
import { keyMode, readableNow, waitReadableFor } from './host-wait.ts';
import { LineEditor } from './terminal-keys.ts';
import { attachModemPort } from './modem-port.ts';
import { networkCommand } from './network-commands.ts';
import { yieldToEventLoop } from './signals.ts';

export interface RunArgs extends TraceArgs {
  config?: string;
  script?: string;
  'max-cycles'?: string;
  timing?: string;
  cpu?: string;
  ram?: string;
  clock?: string;
  state?: string;
  stats: boolean;
  'audio-out'?: string;
  'modem-port'?: string;
}

const EXIT_LIMIT = 124;
/** On a terminal, virtual time runs at most this far ahead of host time (seconds). */
const PACE_AHEAD_S = 0.05;
const EXIT_FAILED = 1;

export async function runHandset(args: RunArgs): Promise<number> {
  const plan = handsetPlan(args);
  const { cpu, ramSize, clockHz, timing, config } = plan;
  const maxCycles = args['max-cycles'] !== undefined ? parseCount('--max-cycles', args['max-cycles']) : undefined;
  const names = config.partitions.map((p) => p.name);
  const scenario = args.script === undefined ? undefined : parseScenario(readText('scenario', args.script), { guests: names, source: args.script });
  const images = partitionImages(config);
  const traceWindow = traceOptions(args);
  const audioOut = args['audio-out'];
  if (audioOut !== undefined && maxCycles !== undefined && maxCycles > MAX_AUDIO_SECONDS * clockHz) {
    throw new UsageError(`--audio-out ${audioOut}: --max-cycles ${args['max-cycles']} is more than the ${MAX_AUDIO_SECONDS} s of virtual time an audio file holds at ${clockHz / 1e6} MHz`);
  }
  // Before a store file is created or opened: the trace is written over none of the run's files.
  refuseOutputOverInput(
    [{ what: '--trace', path: args.trace }, { what: '--audio-out', path: audioOut }],
    [
      { what: '--config', path: args.config },
      { what: '--script', path: args.script },
      ...config.partitions.map((p) => ({ what: `partition ${p.name}'s image`, path: p.image })),
      ...config.partitions.map((p) => ({ what: `partition ${p.name}'s store`, path: storePath(args.state, p.name) })),
    ],
  );
  const stores = partitionStores(config, args.state);
  const terminal = scenario === undefined && whichAreTerminals().stdin;
  const input = scenario === undefined && !terminal ? stdinInput() : undefined;
  // --modem-port: the hypervisor's modem service drives UART1 as ever, and UART1's far end is the host's port.
  const modemPort = attachModemPort(args['modem-port'], clockHz, []);
  const { machine, hypervisor } = buildHandset(plan, images, stores, { input, modem: modemPort?.options });
  const screen = new GuestConsoleWriter((bytes) => stdout.write(bytes));
  const news = (text: string) => {
    screen.endLine();
    stdout.write(Buffer.from(`[hypervisor] ${text}\n`));
  };
  machine.on('guestConsole', (e) => screen.add(e.guest, e.bytes));
  machine.on('guestState', (e) => news(`${e.guest} ${e.state === 'faulted' ? `stopped: ${e.detail}` : e.detail}`));
  machine.on('button', (e) => news(`button: ${e.foreground} is in the foreground`));
  machine.on('ringtone', (e) => news(`${e.guest} ${e.playing ? 'rings' : 'stops ringing'} (${e.ringtone})`));
  const audio = audioOut === undefined ? undefined : new RingtoneRenderer({ clockHz: machine.config.clockHz, ringtones: ringtoneTable(config) });
  audio?.listen(machine);
  const signals = await SignalWatch.start();
  const outputs = [stdout, stderr];
  let recorder: Recorder | undefined;
  let audioFile: OutputFile | undefined;
  let running = false;
  try {
    machine.boot();
    // Before the run: a path that cannot be written is one line now, not after the run.
    if (audioOut !== undefined) audioFile = new OutputFile(audioOut);
    if (args.trace !== undefined) {
      const partitions = config.partitions.map((p, k) => ({ name: p.name, imageSha256: images[k]!.sha256 ?? '' }));
      const header = { cpu, clockHz: machine.config.clockHz, ramSize, timing, imageSha256: '', hypervisor: { configHash: configHash(config), partitions } };
      recorder = new Recorder(machine, { path: args.trace, ...traceWindow, header });
    }
    running = true;
    const started = process.hrtime.bigint();
    let status: number;
    if (terminal) {
      status = await finish(await interactive());
    } else if (scenario === undefined) {
      const end = await runInChunks(machine, { limits: { maxCycles }, outputs, input, signals, pacer: modemPort?.pacer });
      status = await finish(end);
    } else {
      const result = await playScenario<RunEnd>(machine, scenario, async (until) => {
        const end = await runInChunks(machine, { limits: { maxCycles: Math.min(until, maxCycles ?? Infinity) }, outputs, signals, pacer: modemPort?.pacer });
        const userLimit = end.kind === 'outcome' && end.outcome.kind === 'limit' && maxCycles !== undefined && machine.cycles >= maxCycles;
        return end.kind !== 'outcome' || userLimit ? { other: end } : { outcome: end.outcome };
      });
      if (result.kind === 'done') status = 0;
      else if (result.kind === 'failed') {
        screen.endLine();
        await drainOutputs([stdout], signals);
        stderr.writeText(`handset: scenario ${args.script}: ${result.message}\n`);
        status = EXIT_FAILED;
      } else status = await finish(asRunEnd(result.end));
    }
    screen.endLine();
    if (args.stats) {
      const hostMs = Number(process.hrtime.bigint() - started) / 1e6;
      await drainOutputs([stdout], signals);
      stderr.writeText(statusLines());
      stderr.writeText(`instructions=${machine.instructions} cycles=${machine.cycles} host_ms=${Math.round(hostMs)}\n`);
    }
    await drainOutputs(outputs, signals);
    const failed = stdout.failure ?? stderr.failure;
    if (failed !== undefined) throw failed;
    return status;
  } finally {
    try {
      recorder?.finish(); // a failed trace throws here: what the guests printed is out already
    } finally {
      try {
        if (running && audioFile !== undefined) writeAudio(audioFile);
        else audioFile?.discard(); // the run never started: no file
      } finally {
        machine.close();
        modemPort?.port.close();
      }
    }
  }

  /** The audio from cycle 0 to the end of the run; the file is replaced only when all of it is written. */
  function writeAudio(file: OutputFile): void {
    try {
      for (const chunk of audio!.wavChunks(machine.cycles)) file.write(chunk);
      file.commit();
    } catch (e) {
      if (e instanceof AudioError) throw new UsageError(`--audio-out ${audioOut}: ${e.message} (bound the run with --max-cycles)`);
      throw e;
    } finally {
      file.discard();
    }
  }

  /** Per partition: state, cycles, share, hypercalls, vIRQs, faults (the status hotkey and --stats). */
  function statusLines(): string {
    return hypervisor
      .status()
      .map((s) => `${s.name}${s.foreground ? '*' : ''}: state=${s.state} cycles=${s.cycles} share=${(s.share * 100).toFixed(1)}% hypercalls=${s.hypercalls} virqs=${s.virqs} faults=${s.faults} switches=${s.switches} boots=${s.boots}\n`)
      .join('');
  }

  /**
   * On a terminal: keys go to the foreground phone as they are typed (src/cli/terminal-keys.ts), and
   * virtual time is paced to the host's (never ahead of it by more than PACE_AHEAD_S): an idle handset
   * sleeps instead of racing through its timers. This is the one place host time meets the emulation.
   */
  async function interactive(): Promise<RunEnd> {
    const hz = machine.config.clockHz;
    const editor = new LineEditor({
      echo: (bytes, network) => {
        if (network) stdout.write(bytes);
        else screen.add(hypervisor.foreground, bytes);
        stdout.flush(); // typed keys show at once (a signal may leave them buffered: settleOutput retries)
      },
      line: (bytes) => hypervisor.typeInto(hypervisor.foreground, bytes),
      button: () => hypervisor.pressButton(),
      status: () => {
        screen.endLine();
        stdout.write(Buffer.from(statusLines()));
      },
      networkPrompt: () => {
        screen.endLine();
        stdout.write(Buffer.from('[network] '));
        stdout.flush();
      },
      networkLine: (text) => {
        const answer = networkCommand(text, machine.network, hypervisor.partitionNames);
        stdout.write(Buffer.from(answer.split('\n').map((l) => `[network] ${l}\n`).join('')));
      },
    });
    const restore = keyMode(0);
    const started = process.hrtime.bigint();
    const startCycles = machine.cycles;
    const keys = Buffer.alloc(256);
    let keysOpen = true;
    // Between runs, output written here must not wait on a terminal that does not read while a signal
    // waits to be handled (Output.flush would retry forever): with these hooks a wait a signal interrupts
    // leaves the bytes buffered, and settleOutput() retries from the event loop.
    const quiet = { failed: () => {}, interrupted: () => {} };
    const settleOutput = async (): Promise<boolean> => {
      for (const o of outputs) {
        while (!o.retry()) {
          await yieldToEventLoop();
          if (signals.received !== undefined) return false;
        }
      }
      return true;
    };
    try {
      for (;;) {
        for (const o of outputs) o.attach(quiet); // runInChunks attaches its own hooks, and detaches them
        while (keysOpen && readableNow(0)) {
          let n = 0;
          try {
            n = readSync(0, keys, 0, keys.length, null);
          } catch {
            break; // nothing after all (EAGAIN), or the terminal went away: try again later
          }
          if (n === 0) keysOpen = false; // end of input (^D at a line start is not sent: key mode)
          else editor.feed(keys.subarray(0, n));
        }
        if (!(await settleOutput())) return { kind: 'signal', signal: signals.received! };
        const hostCycles = startCycles + (Number(process.hrtime.bigint() - started) / 1e9) * hz;
        if (machine.cycles >= hostCycles) {
          waitReadableFor(keysOpen ? 0 : -1, Math.min(50, ((machine.cycles - hostCycles) / hz) * 1000 + 1));
          await yieldToEventLoop();
          if (signals.received !== undefined) return { kind: 'signal', signal: signals.received };
          continue;
        }
        const target = Math.min(Math.ceil(hostCycles + hz * PACE_AHEAD_S), maxCycles ?? Infinity);
        const end = await runInChunks(machine, { limits: { maxCycles: target }, outputs, signals });
        if (end.kind !== 'outcome') return end;
        const reachedUserLimit = maxCycles !== undefined && machine.cycles >= maxCycles;
        if ((end.outcome.kind === 'limit' && !reachedUserLimit) || end.outcome.kind === 'stopped') continue;
        return end;
      }
    } finally {
      for (const o of outputs) o.attach(undefined);
      restore?.();
    }
  }

  async function finish(end: RunEnd): Promise<number> {
    screen.endLine();
    if (end.kind === 'failure') throw end.error;
    await drainOutputs([stdout], signals);
    if (end.kind === 'signal') {
      stderr.writeTextWithoutWaiting(`handset: ${end.signal} at cycle ${machine.cycles}\n`);
      return SIGNAL_EXIT_STATUS[end.signal];
    }
    const outcome = end.outcome;
    switch (outcome.kind) {
      case 'exit':
        return outcome.status;
      case 'limit':
        stderr.writeText(`handset: stopped at the cycle limit (${maxCycles}) after ${machine.cycles} cycles\n`);
        return EXIT_LIMIT;
      case 'waiting':
        stderr.writeText('handset: every guest waits and nothing can wake them: no virtual timer is armed and there is no more input\n');
        return EXIT_FAILED;
      case 'stopped':
        stderr.writeText(`handset: stopped at cycle ${machine.cycles}\n`);
        return EXIT_FAILED;
    }
  }
}

/** A play that ended early ended with the run's end, or with a machine outcome (every guest exited). */
function asRunEnd(end: RunEnd | RunOutcome): RunEnd {
  return end.kind === 'outcome' || end.kind === 'signal' || end.kind === 'failure' ? end : { kind: 'outcome', outcome: end };
}
