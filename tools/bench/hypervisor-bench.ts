/**
 * `npm run bench`, hypervisor section (issue 8): what running under the hypervisor costs, measured in one
 * run against bare metal on the same machine.
 *
 * - CPU-bound: two guests/bench.elf guests (firmware/cpu-bound.S's loop, 6100 passes each; default config:
 *   63 MiB windows on a 128 MiB board, weights 1:1, the default slice) until both EXIT, against
 *   firmware/cpu-bound.elf (12200 passes, the two guests' together) on a bare-metal Machine. Host MIPS of
 *   each (guest instructions only: the hypervisor model is TypeScript and executes none) and their ratio;
 *   the rounds alternate between the two so that a noisy machine slows both alike.
 * - Hypercalls: two guests/bench-calls.elf guests, each making 20000 YIELDs (every one a world switch to
 *   the other), then the same image patched to make TIME_GET calls (no world switch): hypercalls and world
 *   switches per host second, counted by the hypervisor's status() (no event listener slows the run).
 * - Boot: the real guests/work.elf and guests/home.elf (default config), virtual cycles and host
 *   milliseconds from machine.boot() until both have printed their prompt.
 *
 * Host time is read here only: this is a measuring tool, not the emulation.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultConfig, type HypervisorConfig } from '../../src/hypervisor/config.ts';
import { Hypervisor } from '../../src/hypervisor/kernel.ts';
import { memoryStore } from '../../src/hypervisor/storage.ts';
import { parseElf } from '../../src/loader/elf.ts';
import { loadImage } from '../../src/loader/image.ts';
import type { LoadedImage } from '../../src/loader/types.ts';
import { CPU_MODELS, Machine, memoryLayout } from '../../src/machine/machine.ts';
import { symbolFileOffset } from './elf-patch.ts';

const GUESTS = 'guests';
const BARE_IMAGE = 'firmware/cpu-bound.elf';
const BENCH_IMAGE = join(GUESTS, 'bench.elf');
const CALLS_IMAGE = join(GUESTS, 'bench-calls.elf');
const BOARD_MIB = 128;
const MIB = 1 << 20;
/** Hypercall numbers (docs/hypercalls.md §4.1). */
const HC_YIELD = 2;
const HC_TIME_GET = 8;
/** Width of the labels before the numbers. */
const LABEL = 35;
/** A run that goes past this many cycles is broken (the bench workloads take ~10^8). */
const CYCLE_LIMIT = 2e9;

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function best<T>(rounds: T[], key: (t: T) => number): T {
  return rounds.reduce((b, r) => (key(r) < key(b) ? r : b));
}

/** The default config (work and home, their RAM, weights and slice) with every partition's image replaced. */
function config(image?: string): HypervisorConfig {
  const base = defaultConfig({ guestsDir: GUESTS, boardRamMiB: BOARD_MIB });
  return image === undefined ? base : { ...base, partitions: base.partitions.map((p) => ({ ...p, image })) };
}

/** A guest image for a partition of `ramMiB`, with 32-bit words at symbols patched (as tools/bench/elf-patch.ts). */
function guestImage(path: string, ramMiB: number, patch: Record<string, number> = {}): LoadedImage {
  const bytes = new Uint8Array(readFileSync(path));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const [symbol, value] of Object.entries(patch)) view.setUint32(symbolFileOffset(bytes, symbol), value, true);
  return parseElf(bytes, path, { ramBase: 0, ramSize: ramMiB * MIB, mmio: [] });
}

function hypervisorMachine(cfg: HypervisorConfig, patch: Record<string, number> = {}) {
  const images = cfg.partitions.map((p) => guestImage(p.image, p.ramMiB, patch));
  const stores = cfg.partitions.map((p) => memoryStore(p.storeKiB * 1024));
  const hypervisor = new Hypervisor({ config: cfg, images, stores });
  const machine = new Machine({ cpu: 'arm926', ramSize: BOARD_MIB * MIB, personality: hypervisor });
  const out: Record<string, string> = Object.fromEntries(cfg.partitions.map((p) => [p.name, '']));
  machine.on('guestConsole', (e) => (out[e.guest] += Buffer.from(e.bytes).toString('latin1')));
  return { machine, hypervisor, out };
}

interface Run {
  ms: number;
  insns: number;
  cycles: number;
}

function bareMetal(): Run {
  const machine = new Machine({ cpu: 'arm926', ramSize: BOARD_MIB * MIB });
  try {
    machine.load(loadImage(BARE_IMAGE, {}, memoryLayout(BOARD_MIB * MIB)));
    const start = process.hrtime.bigint();
    const outcome = machine.run({ maxCycles: CYCLE_LIMIT });
    const elapsed = ms(start);
    if (outcome.kind !== 'exit' || outcome.status !== 0) throw new Error(`${BARE_IMAGE} did not exit 0: ${JSON.stringify(outcome)}`);
    return { ms: elapsed, insns: machine.instructions, cycles: machine.cycles };
  } finally {
    machine.close();
  }
}

interface GuestsRun extends Run {
  hypercalls: number;
  switches: number;
  out: Record<string, string>;
}

/** Boots two guests of `image` (patched), runs until both EXIT 0; the host time of the run (boot excluded). */
function guestsRun(image: string, patch: Record<string, number> = {}): GuestsRun {
  const { machine, hypervisor, out } = hypervisorMachine(config(image), patch);
  try {
    machine.boot();
    const start = process.hrtime.bigint();
    const outcome = machine.run({ maxCycles: CYCLE_LIMIT });
    const elapsed = ms(start);
    const status = hypervisor.status();
    if (outcome.kind !== 'exit' || outcome.status !== 0) {
      throw new Error(`${image} guests did not both exit 0: ${JSON.stringify(outcome)}; ${status.map((s) => `${s.name} ${s.state} ${s.report}`).join('; ')}`);
    }
    const sum = (f: (s: (typeof status)[number]) => number) => status.reduce((n, s) => n + f(s), 0);
    return { ms: elapsed, insns: machine.instructions, cycles: machine.cycles, hypercalls: sum((s) => s.hypercalls), switches: sum((s) => s.switches), out };
  } finally {
    machine.close();
  }
}

interface Boot {
  ms: number;
  cycles: number;
}

/** The real work and home guests: from machine.boot() until both have printed their first prompt. */
function bootToPrompts(): Boot {
  const cfg = config();
  const { machine, out } = hypervisorMachine(cfg);
  try {
    const names = cfg.partitions.map((p) => p.name);
    let reached: Boot | undefined;
    const start = process.hrtime.bigint();
    machine.on('guestConsole', () => {
      if (reached === undefined && names.every((n) => out[n].endsWith(`${n}> `))) {
        reached = { ms: ms(start), cycles: machine.cycles };
        machine.stop();
      }
    });
    machine.boot();
    const outcome = machine.run({ maxCycles: CYCLE_LIMIT });
    if (reached === undefined) throw new Error(`the guests did not both reach their prompt: ${JSON.stringify(outcome)}; ${JSON.stringify(out)}`);
    return reached;
  } finally {
    machine.close();
  }
}

/** Runs the section and prints its lines. */
export function hypervisorBench(rounds: number): void {
  const mips = (r: Run) => r.insns / r.ms / 1000;
  const perSecond = (n: number, r: Run) => Math.round((n / r.ms) * 1000);

  // CPU-bound: alternate bare metal and hypervisor rounds.
  const bare: Run[] = [];
  const hyper: GuestsRun[] = [];
  for (let i = 0; i < rounds; i++) {
    bare.push(bareMetal());
    hyper.push(guestsRun(BENCH_IMAGE));
  }
  const b = best(bare, (r) => r.ms);
  const h = best(hyper, (r) => r.ms);
  const lines = Object.values(h.out).map((text) => /bench \S+ passes=(\d+) checksum=(0x[0-9a-f]{8})\n/.exec(text));
  if (lines.some((m) => m === null) || lines[0]![2] !== lines[1]![2]) throw new Error(`bench guests' output: ${JSON.stringify(h.out)}`);
  const cfg = config(BENCH_IMAGE);
  const ratio = mips(h) / mips(b);
  const parts = cfg.partitions;
  console.log(
    `hypervisor workload: 2 x ${BENCH_IMAGE} (${lines[0]![1]} passes each, ${parts.map((p) => `${p.name} ${p.ramMiB} MiB`).join(', ')}, weights ${parts.map((p) => p.weight).join(':')}, slice ${cfg.sliceMicros} us) against ${BARE_IMAGE}, best of ${rounds}`,
  );
  console.log(`${'bare metal (cpu-bound.elf)'.padEnd(LABEL)} ${mips(b).toFixed(1)} MIPS (${b.insns} instructions)`);
  console.log(`${'hypervisor (two bench.elf guests)'.padEnd(LABEL)} ${mips(h).toFixed(1)} MIPS (${h.insns} instructions, ${h.switches} world switches, ${h.hypercalls} hypercalls)`);
  console.log(`ratio hypervisor/bare metal = ${ratio.toFixed(2)} (target >= 0.5: ${ratio >= 0.5 ? 'met' : 'NOT met'})`);

  // Hypercalls: YIELD ping-pong (a world switch per call), then TIME_GET (none).
  const calls = (number: number) => {
    const r = best(Array.from({ length: rounds }, () => guestsRun(CALLS_IMAGE, { bench_calls_number: number })), (x) => x.ms);
    const done = Object.values(r.out).map((text) => /bench-calls \S+ number=(\d+) calls=(\d+)\n/.exec(text));
    if (done.some((m) => m === null || Number(m[1]) !== number)) throw new Error(`bench-calls guests' output: ${JSON.stringify(r.out)}`);
    return { ...r, each: Number(done[0]![2]) };
  };
  const yields = calls(HC_YIELD);
  const timeGets = calls(HC_TIME_GET);
  console.log(
    `hypercall workload: 2 x ${CALLS_IMAGE}, ${yields.each} calls each: YIELD (each a world switch to the other guest), then TIME_GET (bench_calls_number patched; no switch), best of ${rounds}`,
  );
  for (const [label, r] of [['YIELD (ping-pong)', yields], ['TIME_GET', timeGets]] as const) {
    console.log(
      `${label.padEnd(LABEL)} ${perSecond(r.hypercalls, r)} hypercalls/s, ${perSecond(r.switches, r)} world switches/s, ${((r.ms * 1000) / r.hypercalls).toFixed(1)} us per call (${r.hypercalls} hypercalls, ${r.switches} switches in ${r.ms.toFixed(1)} ms)`,
    );
  }

  // Boot of the real phones.
  const boot = best(Array.from({ length: rounds }, bootToPrompts), (r) => r.ms);
  const hz = CPU_MODELS.arm926.defaultMhz * 1e6;
  console.log(
    `boot from machine.boot() to both prompts (${GUESTS}/work.elf, ${GUESTS}/home.elf; ${config().partitions.map((p) => `${p.ramMiB} MiB`).join(' + ')} on ${BOARD_MIB} MiB): ${boot.cycles} cycles (${((boot.cycles / hz) * 1000).toFixed(3)} ms virtual at ${hz / 1e6} MHz), ${boot.ms.toFixed(1)} host ms`,
  );
}
