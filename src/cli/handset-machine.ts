/**
 * Builds the two-phone handset as `handset run` and `handset serve` both do: the machine options
 * (--cpu, --ram, --clock, --timing), the partitions' config (--config, or work and home from guests/),
 * their images, their stores (--state DIR, or in memory), and the Machine with the Hypervisor personality
 * and the baseband on the first two partitions' lines.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConsoleInput } from '../machine/console-input.ts';
import { loadImage } from '../loader/image.ts';
import type { LoadedImage } from '../loader/types.ts';
import { CPU_MODELS, Machine, type CpuModelName, type TimingMode } from '../machine/machine.ts';
import type { ExternalModemOptions } from '../machine/modem-link.ts';
import { defaultConfig, parseConfig, type HypervisorConfig } from '../hypervisor/config.ts';
import { Hypervisor } from '../hypervisor/kernel.ts';
import { fileStore, memoryStore, type PartitionStore } from '../hypervisor/storage.ts';
import { DEFAULT_LINES } from '../modem/baseband.ts';
import { readRegularFile } from '../trace/files.ts';
import { parseClockMhz, parseRamSize, UsageError } from './options.ts';

const MIB = 1 << 20;

/** The options that say which handset to build. */
export interface HandsetArgs {
  config?: string;
  cpu?: string;
  ram?: string;
  clock?: string;
  timing?: string;
  state?: string;
}

/** The machine's settings and the partitions' config, from the options. */
export interface HandsetPlan {
  cpu: CpuModelName;
  ramSize: number;
  clockHz: number;
  timing: TimingMode;
  config: HypervisorConfig;
}

/** The handset package this file belongs to (the checkout: where package.json is); else a UsageError saying `problem`. */
export function packageDirectory(problem: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new UsageError(problem);
    dir = up;
  }
  return dir;
}

/** The directory the built guests are in: guests/ of the handset package this file belongs to. */
export function guestsDirectory(): string {
  return join(packageDirectory('cannot find the handset package (its guests/ directory): give --config FILE'), 'guests');
}

/** A text input file (config, scenario): a regular file, else a UsageError naming it. */
export function readText(what: string, path: string): string {
  const bytes = readRegularFile(path, (problem) => {
    throw new UsageError(`cannot read ${what} ${path}: ${problem}`);
  });
  return Buffer.from(bytes).toString('utf8');
}

/** The machine options and the config (a bad one is a ConfigError naming the field). */
export function handsetPlan(args: HandsetArgs): HandsetPlan {
  const cpu = (args.cpu ?? 'arm926') as CpuModelName;
  const ramSize = parseRamSize(args.ram ?? '128M');
  const clockHz = args.clock !== undefined ? parseClockMhz(args.clock) : CPU_MODELS[cpu].defaultMhz * 1_000_000;
  const timing = (args.timing ?? 'fast') as TimingMode;
  const boardRamMiB = ramSize / MIB;
  const config =
    args.config === undefined
      ? defaultConfig({ guestsDir: guestsDirectory(), boardRamMiB })
      : parseConfig(readText('config', args.config), { baseDir: dirname(resolve(args.config)), boardRamMiB, source: args.config });
  return { cpu, ramSize, clockHz, timing, config };
}

/** Each partition's image, in config order (a bad one is a UsageError naming the partition). */
export function partitionImages(config: HypervisorConfig): LoadedImage[] {
  return config.partitions.map((p) => {
    try {
      return loadImage(p.image, {}, { ramBase: 0, ramSize: p.ramMiB * MIB, mmio: [] });
    } catch (e) {
      if (e instanceof Error) throw new UsageError(`partition ${p.name}: ${e.message}`);
      throw e;
    }
  });
}

/** The path of a partition's store under --state DIR (undefined: in memory). */
export function storePath(stateDir: string | undefined, name: string): string | undefined {
  return stateDir === undefined ? undefined : join(stateDir, `${name}.store`);
}

/** Each partition's store: `DIR/NAME.store` with --state DIR (created if missing), else in memory. */
export function partitionStores(config: HypervisorConfig, stateDir: string | undefined): PartitionStore[] {
  return config.partitions.map((p) => (stateDir !== undefined ? fileStore(stateDir, p.name, p.storeKiB * 1024) : memoryStore(p.storeKiB * 1024)));
}

/** The modem's two lines: the first two partitions' numbers (a third or fourth partition has no line). */
export function modemLines(config: HypervisorConfig): string[] {
  return [config.partitions[0].number, config.partitions[1]?.number ?? DEFAULT_LINES[1]];
}

/**
 * The Machine with the Hypervisor personality and the baseband on the first two partitions' lines, or with
 * `modem` (--modem-port) as UART1's far end instead; `input`: stdin for the foreground guest, a line at a
 * time. Not booted yet: call `machine.boot()`.
 */
export function buildHandset(
  plan: HandsetPlan,
  images: readonly LoadedImage[],
  stores: readonly PartitionStore[],
  options: { input?: ConsoleInput; modem?: ExternalModemOptions } = {},
): { machine: Machine; hypervisor: Hypervisor } {
  const lines = modemLines(plan.config);
  // The hypervisor's modem service drives UART1 either way; with an external modem its far end is the host's port.
  const hypervisor = new Hypervisor({ config: plan.config, images, stores, input: options.input, modemLines: lines });
  const machine = new Machine({ cpu: plan.cpu, ramSize: plan.ramSize, clockHz: plan.clockHz, timing: plan.timing, personality: hypervisor, modem: options.modem ?? { lines } });
  return { machine, hypervisor };
}
