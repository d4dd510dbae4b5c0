/** Builds hypervisor machines for tests: guests from assembly snippets (or ELF files), stores in memory. */
import { Machine, type MachineEvents } from '../../src/machine/machine.ts';
import { Hypervisor } from '../../src/hypervisor/kernel.ts';
import type { HypervisorConfig, PartitionConfig } from '../../src/hypervisor/config.ts';
import { memoryStore } from '../../src/hypervisor/storage.ts';
import type { LoadedImage } from '../../src/loader/types.ts';
import type { ConsoleInput } from '../../src/machine/console-input.ts';
import type { CpuModelName } from '../../src/cpu/models.ts';
import { assemble } from '../helpers/asm.ts';

export const GUEST_BASE = 0x8000;

/** Hypercall stubs for snippets: `hc NUMBER` (arguments already in r0-r3). */
export const PRELUDE = `
.macro hc n
  mov r7, #\\n
  svc #0
.endm
`;

export function rawGuest(source: string): LoadedImage {
  const data = assemble(PRELUDE + source, GUEST_BASE);
  return { kind: 'raw', segments: [{ addr: GUEST_BASE, data, memSize: data.length }], entry: GUEST_BASE, thumb: false, end: GUEST_BASE + data.length };
}

export function partition(name: string, overrides: Partial<PartitionConfig> = {}): PartitionConfig {
  return { name, image: `${name}.elf`, ramMiB: 4, priority: 1, weight: 1, number: name === 'work' ? '+15550100' : '+15550199', ringtone: 'classic', storeKiB: 64, ...overrides };
}

export interface Guests {
  machine: Machine;
  hypervisor: Hypervisor;
  /** Console text per guest. */
  out: Record<string, string>;
  events: { [K in keyof MachineEvents]?: MachineEvents[K][] };
}

export function hypervisorMachine(
  guests: { config: PartitionConfig; image: LoadedImage }[],
  options: { cpu?: CpuModelName; ramMiB?: number; sliceMicros?: number; input?: ConsoleInput; record?: (keyof MachineEvents)[]; timing?: 'fast' | 'cycle'; modem?: boolean } = {},
): Guests {
  const lines = [guests[0].config.number, guests[1]?.config.number ?? '+15550199'];
  const config: HypervisorConfig = { partitions: guests.map((g) => g.config), sliceMicros: options.sliceMicros ?? 1000, foreground: guests[0].config.name };
  const hypervisor = new Hypervisor({
    config,
    images: guests.map((g) => g.image),
    stores: guests.map((g) => memoryStore(g.config.storeKiB * 1024)),
    input: options.input,
    modemLines: options.modem ? lines : undefined,
  });
  const machine = new Machine({ cpu: options.cpu ?? 'arm926', ramSize: (options.ramMiB ?? 128) << 20, personality: hypervisor, timing: options.timing, modem: options.modem ? { lines } : false });
  const out: Record<string, string> = Object.fromEntries(guests.map((g) => [g.config.name, '']));
  machine.on('guestConsole', (e) => (out[e.guest] += Buffer.from(e.bytes).toString('latin1')));
  const events: Guests['events'] = {};
  for (const name of options.record ?? []) {
    const list: unknown[] = (events[name] = []);
    machine.on(name, (e) => list.push(e));
  }
  machine.boot();
  return { machine, hypervisor, out, events };
}

/** Runs until `guest`'s console text (from `from` on) matches `pattern`, or `budget` more cycles pass; the text after `from`. */
export function runUntil(g: Guests, guest: string, pattern: RegExp, budget = 2e8, from = g.out[guest].length): string {
  const seen = () => g.out[guest].slice(from);
  const off = g.machine.on('guestConsole', (e) => {
    if (e.guest === guest && pattern.test(seen())) g.machine.stop();
  });
  try {
    if (!pattern.test(seen())) g.machine.run({ maxCycles: g.machine.cycles + budget });
  } finally {
    off();
  }
  return seen();
}

/** Types a command line into `guest` and runs until its next prompt; returns what it printed after echoing the line. */
export function command(g: Guests, guest: string, line: string, budget = 2e8): string {
  const from = g.out[guest].length;
  g.hypervisor.typeInto(guest, new TextEncoder().encode(`${line}\n`));
  const text = runUntil(g, guest, new RegExp(`(^|\\n)${guest}> $`), budget, from);
  const echo = `${line}\n`;
  if (!text.startsWith(echo)) throw new Error(`${guest} did not echo ${JSON.stringify(line)}: ${JSON.stringify(text)}`);
  return text.slice(echo.length).replace(new RegExp(`${guest}> $`), '');
}
