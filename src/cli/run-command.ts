/**
 * `handset run`: the two-phone handset. The hypervisor boots the partitions of a config (default: the
 * `work` and `home` guests in guests/), both consoles are shown with `[work] ` / `[home] ` prefixes, and
 * the hypervisor's own news (a guest exited or stopped, the button, ringtones) as `[hypervisor] ` lines.
 *
 * Input: with a scenario (`--script`), the scenario types; else, off a terminal, stdin goes a line at a
 * time to the foreground guest whenever it waits with nothing left to read (every run with the same input
 * is the same); on a terminal, keystrokes go to the foreground guest as they come (src/cli/terminal-keys.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadImage } from '../loader/image.ts';
import { CPU_MODELS, Machine, type CpuModelName, type RunOutcome, type TimingMode } from '../machine/machine.ts';
import { parseScenario } from '../machine/scenario.ts';
import { playScenario } from '../machine/scenario-player.ts';
import { defaultConfig, parseConfig, type HypervisorConfig } from '../hypervisor/config.ts';
import { Hypervisor } from '../hypervisor/kernel.ts';
import { fileStore, memoryStore } from '../hypervisor/storage.ts';
import { readRegularFile } from '../trace/files.ts';
import { GuestConsoleWriter } from './guest-output.ts';
import { parseClockMhz, parseCount, parseRamSize, UsageError } from './options.ts';
import { drainOutputs, runInChunks, type RunEnd } from './run-loop.ts';
import { SIGNAL_EXIT_STATUS, SignalWatch } from './signals.ts';
import { stderr, stdinInput, stdout, whichAreTerminals } from './stdio.ts';

export interface RunArgs {
  config?: string;
  script?: string;
  'max-cycles'?: string;
  timing?: string;
  cpu?: string;
  ram?: string;
  clock?: string;
  state?: string;
  stats: boolean;
}

const EXIT_LIMIT = 124;
const EXIT_FAILED = 1;
const MIB = 1 << 20;

/** The directory the built guests are in: guests/ of the handset package this file belongs to. */
export function guestsDirectory(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new UsageError('cannot find the handset package (its guests/ directory): give --config FILE');
    dir = up;
  }
  return join(dir, 'guests');
}

function readText(what: string, path: string): string {
  const bytes = readRegularFile(path, (problem) => {
    throw new UsageError(`cannot read ${what} ${path}: ${problem}`);
  });
  return Buffer.from(bytes).toString('utf8');
}

function loadConfig(args: RunArgs, boardRamMiB: number): HypervisorConfig {
  if (args.config === undefined) return defaultConfig({ guestsDir: guestsDirectory(), boardRamMiB });
  return parseConfig(readText('config', args.config), { baseDir: dirname(resolve(args.config)), boardRamMiB, source: args.config });
}

export async function runHandset(args: RunArgs): Promise<number> {
  const cpu = (args.cpu ?? 'arm926') as CpuModelName;
  const ramSize = parseRamSize(args.ram ?? '128M');
  const clockHz = args.clock !== undefined ? parseClockMhz(args.clock) : CPU_MODELS[cpu].defaultMhz * 1_000_000;
  const timing = (args.timing ?? 'fast') as TimingMode;
  const maxCycles = args['max-cycles'] !== undefined ? parseCount('--max-cycles', args['max-cycles']) : undefined;
  const config = loadConfig(args, ramSize / MIB);
  const names = config.partitions.map((p) => p.name);
  const scenario = args.script === undefined ? undefined : parseScenario(readText('scenario', args.script), { guests: names, source: args.script });
  const images = config.partitions.map((p) => {
    try {
      return loadImage(p.image, {}, { ramBase: 0, ramSize: p.ramMiB * MIB, mmio: [] });
    } catch (e) {
      if (e instanceof Error) throw new UsageError(`partition ${p.name}: ${e.message}`);
      throw e;
    }
  });
  const stores = config.partitions.map((p) => (args.state !== undefined ? fileStore(args.state, p.name, p.storeKiB * 1024) : memoryStore(p.storeKiB * 1024)));
  const terminal = scenario === undefined && whichAreTerminals().stdin;
  const input = scenario === undefined ? stdinInput() : undefined;
  const hypervisor = new Hypervisor({ config, images, stores, input, hostInput: terminal ? 'live' : 'lines' });
  const machine = new Machine({ cpu, ramSize, clockHz, timing, personality: hypervisor });
  const screen = new GuestConsoleWriter((bytes) => stdout.write(bytes));
  const news = (text: string) => {
    screen.endLine();
    stdout.write(Buffer.from(`[hypervisor] ${text}\n`));
  };
  machine.on('guestConsole', (e) => screen.add(e.guest, e.bytes));
  machine.on('guestState', (e) => news(`${e.guest} ${e.state === 'faulted' ? `stopped: ${e.detail}` : e.detail}`));
  machine.on('button', (e) => news(`button: ${e.foreground} is in the foreground`));
  machine.on('ringtone', (e) => news(`${e.guest} ${e.playing ? `rings (${e.ringtone})` : 'stops ringing'}`));
  const signals = await SignalWatch.start();
  const outputs = [stdout, stderr];
  try {
    machine.boot();
    const started = process.hrtime.bigint();
    let status: number;
    if (scenario === undefined) {
      const end = await runInChunks(machine, { limits: { maxCycles }, outputs, input, signals });
      status = await finish(end);
    } else {
      const result = await playScenario<RunEnd>(machine, scenario, async (until) => {
        const end = await runInChunks(machine, { limits: { maxCycles: Math.min(until, maxCycles ?? Infinity) }, outputs, signals });
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
      for (const s of hypervisor.status()) {
        stderr.writeText(
          `${s.name}: state=${s.state} cycles=${s.cycles} share=${(s.share * 100).toFixed(1)}% hypercalls=${s.hypercalls} virqs=${s.virqs} faults=${s.faults} switches=${s.switches} boots=${s.boots}\n`,
        );
      }
      stderr.writeText(`instructions=${machine.instructions} cycles=${machine.cycles} host_ms=${Math.round(hostMs)}\n`);
    }
    await drainOutputs(outputs, signals);
    const failed = stdout.failure ?? stderr.failure;
    if (failed !== undefined) throw failed;
    return status;
  } finally {
    machine.close();
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
