/** Parsing and validation of CLI option values: every bad value is a UsageError with one line. */
import { RAM_SIZES_MIB } from '../soc/board.ts';
import { CPU_MODEL_NAMES } from '../machine/machine.ts';

export class UsageError extends Error {}

/** "128M", "192M", "256M" (also "128MiB", "256m"). */
export function parseRamSize(text: string): number {
  const m = /^(\d+)\s*(m|mb|mib)?$/i.exec(text.trim());
  const mib = m ? Number(m[1]) : NaN;
  if (!(RAM_SIZES_MIB as readonly number[]).includes(mib)) {
    throw new UsageError(`--ram ${text}: RAM must be one of ${RAM_SIZES_MIB.map((s) => `${s}M`).join(', ')}`);
  }
  return mib * 1024 * 1024;
}

/** A 32-bit address in decimal or 0x hex. */
export function parseAddress(option: string, text: string): number {
  const value = addressValue(text);
  if (value === undefined) throw new UsageError(`${option} ${text}: not a 32-bit address (decimal or 0x hex)`);
  return value;
}

function addressValue(text: string): number | undefined {
  const t = text.trim();
  const value = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t, 16) : /^\d+$/.test(t) ? Number(t) : NaN;
  return Number.isInteger(value) && value >= 0 && value <= 0xffffffff ? value : undefined;
}

/** Core clock in MHz: 1 to 2000 in decimal, a fraction to whole Hz (412.5, 100.000001); returned in Hz. */
export function parseClockMhz(text: string): number {
  const t = text.trim();
  const mhz = /^\d+(\.\d{1,6})?$/.test(t) ? Number(t) : NaN;
  if (!(mhz >= 1 && mhz <= 2000)) {
    throw new UsageError(`--clock ${text}: clock must be a number of MHz from 1 to 2000 (e.g. 412 or 412.5)`);
  }
  return Math.round(mhz * 1_000_000);
}

/**
 * The one spelling of whole numbers for counts, cycles and indexes: decimal digits, optionally grouped
 * with `_` (1_000_000) or written with an exponent (1e6, 2.5e6), up to 2^53-1. Not hex: that is for
 * addresses. Undefined when the text is not such a number; Infinity when it is one but too large.
 */
function wholeValue(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+(_\d+)*$/.test(t)) {
    const value = Number(t.replaceAll('_', ''));
    return Number.isSafeInteger(value) ? value : Infinity;
  }
  if (/^\d+(\.\d+)?e\+?\d+$/i.test(t)) {
    const value = Number(t);
    if (!Number.isInteger(value)) return undefined; // 1.5e0
    return Number.isSafeInteger(value) ? value : Infinity;
  }
  return undefined;
}

const WHOLE_EXAMPLES = 'e.g. 1000000, 1_000_000 or 1e6';
const TOO_LARGE = `too large (at most 2^53-1 = ${Number.MAX_SAFE_INTEGER})`;

/** A positive whole count (instructions, cycles, records). */
export function parseCount(option: string, text: string): number {
  const value = wholeValue(text);
  if (value === Infinity) throw new UsageError(`${option} ${text}: ${TOO_LARGE}`);
  if (value === undefined || value <= 0) throw new UsageError(`${option} ${text}: need a positive whole number (${WHOLE_EXAMPLES})`);
  return value;
}

/** A whole number from 0 (an instruction index, a number of context lines). */
export function parseIndex(option: string, text: string): number {
  const value = wholeValue(text);
  if (value === Infinity) throw new UsageError(`${option} ${text}: ${TOO_LARGE}`);
  if (value === undefined) throw new UsageError(`${option} ${text}: need a whole number from 0 (${WHOLE_EXAMPLES})`);
  return value;
}

export const LOG_CLASSES = ['guest-errors', 'unimp'] as const;
export type LogClassName = (typeof LOG_CLASSES)[number];

export function parseLogClasses(text: string): Set<LogClassName> {
  const out = new Set<LogClassName>();
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(LOG_CLASSES as readonly string[]).includes(part)) {
      throw new UsageError(`--log ${part}: unknown log class (known: ${LOG_CLASSES.join(', ')})`);
    }
    out.add(part as LogClassName);
  }
  return out;
}

/** A trace window bound: "N" is an instruction index, "Nc" a cycle. */
export interface TracePoint {
  index?: number;
  cycle?: number;
}

/** A trace window bound: "N" is an instruction index, "Nc" a cycle (N spelt as for counts). */
export function parseTracePoint(option: string, text: string): TracePoint {
  const cycle = /c$/i.test(text.trim());
  const value = wholeValue(cycle ? text.trim().slice(0, -1) : text);
  if (value === Infinity) throw new UsageError(`${option} ${text}: ${TOO_LARGE}`);
  if (value === undefined) {
    throw new UsageError(`${option} ${text}: need an instruction index N or a cycle Nc (e.g. 1000 or 50000c)`);
  }
  return cycle ? { cycle: value } : { index: value };
}

/**
 * A trace window from --trace-from/--trace-to: both bounds of one kind (instruction indexes, or cycles),
 * and not empty (FROM < TO). Mixed bounds are refused: whether such a window is empty depends on the run.
 */
export function parseTraceWindow(fromText: string | undefined, toText: string | undefined) {
  const from = fromText !== undefined ? parseTracePoint('--trace-from', fromText) : {};
  const to = toText !== undefined ? parseTracePoint('--trace-to', toText) : {};
  const both = `--trace-from ${fromText} --trace-to ${toText}`;
  if (fromText !== undefined && toText !== undefined && (from.index === undefined) !== (to.index === undefined)) {
    throw new UsageError(`${both}: give both bounds as instruction indexes (N) or both as cycles (Nc)`);
  }
  const start = from.index ?? from.cycle ?? 0;
  const end = to.index ?? to.cycle;
  if (end !== undefined && end <= start) {
    const what = toText !== undefined && fromText === undefined ? `--trace-to ${toText}` : both;
    throw new UsageError(`${what}: the window is empty (--trace-to is exclusive and must be above --trace-from)`);
  }
  return { fromIndex: from.index, fromCycle: from.cycle, toIndex: to.index, toCycle: to.cycle };
}

/** The trace options of `boot` and `run` (yargs), and what they give the recorder (traceOptions). */
/** The two-phone handset's options, shared by `run` and `serve`. */
export const HANDSET_OPTIONS = {
  config: { type: 'string', describe: 'partition config file (docs/config.md) [default: work and home from guests/]' },
  state: { type: 'string', describe: "keep each partition's store in DIR/NAME.store (created if missing) [default: in memory]" },
  timing: { type: 'string', choices: ['fast', 'cycle'], describe: 'fast: 1 cycle per instruction; cycle: per-core cost tables [default: fast]' },
  cpu: { type: 'string', choices: CPU_MODEL_NAMES, describe: 'CPU core model [default: arm926]' },
  ram: { type: 'string', describe: 'RAM size: 128M, 192M or 256M [default: 128M]' },
  clock: { type: 'string', describe: 'core clock in MHz [default per CPU]' },
} as const;

export const TRACE_OPTIONS = {
  trace: { type: 'string', describe: 'record an instruction trace to FILE (docs/trace-format.md)' },
  'trace-mem': { type: 'boolean', default: false, describe: 'with --trace: also record data memory accesses' },
  'trace-from': { type: 'string', describe: 'with --trace: start at instruction index N, or at cycle Nc' },
  'trace-to': { type: 'string', describe: 'with --trace: stop before instruction index N, or cycle Nc (the kind of --trace-from, above it)' },
  'trace-range': { type: 'string', describe: 'with --trace: only instructions at BEGIN <= pc < END (BEGIN-END)' },
} as const;

export interface TraceArgs {
  trace?: string;
  'trace-mem': boolean;
  'trace-from'?: string;
  'trace-to'?: string;
  'trace-range'?: string;
}

/** --trace options into recorder options (windows by instruction index or cycle, an address range). */
export function traceOptions(args: TraceArgs) {
  if (args.trace === undefined) {
    const option = (['trace-mem', 'trace-from', 'trace-to', 'trace-range'] as const).find((o) => args[o] !== undefined && args[o] !== false);
    if (option !== undefined) throw new UsageError(`--${option} needs --trace FILE`);
  }
  return {
    ...parseTraceWindow(args['trace-from'], args['trace-to']),
    addressRange: args['trace-range'] !== undefined ? parseAddressRange('--trace-range', args['trace-range']) : undefined,
    memory: args['trace-mem'],
  };
}

/** An address range "BEGIN-END" (END exclusive), each decimal or 0x hex. */
export function parseAddressRange(option: string, text: string): { begin: number; end: number } {
  const parts = text.split('-');
  if (parts.length !== 2 || parts[0]!.trim() === '' || parts[1]!.trim() === '') {
    throw new UsageError(`${option} ${text}: need BEGIN-END, both given, e.g. 0x8000-0x9000`);
  }
  const [begin, end] = parts.map(addressValue);
  for (const [i, value] of [begin, end].entries()) {
    if (value === undefined) {
      throw new UsageError(`${option} ${text}: ${i === 0 ? 'BEGIN' : 'END'} ${parts[i]!.trim()} is not a 32-bit address (decimal or 0x hex)`);
    }
  }
  if (end! <= begin!) throw new UsageError(`${option} ${text}: END must be above BEGIN`);
  return { begin: begin!, end: end! };
}

/** What yargs knows of the options of the command being run (its getOptions(); positionals are keys too). */
export interface OptionTable {
  key: Record<string, unknown>;
  boolean: string[];
  alias: Record<string, string[]>;
}

/** --help and --version only print; yargs acts on them before any check. */
const NOT_CHECKED = new Set(['help', 'version']);
/** What yargs-parser takes as a negative number value (`--max-insns -5`), not as short flags (its regex). */
const NEGATIVE_NUMBER = /^-([0-9]+(\.[0-9]+)?|\.[0-9]+)$/;

/**
 * The one rule for the options of every command, checked on the raw command line after yargs has parsed it
 * but before it validates and before any handler runs (a middleware in src/cli/handset.ts):
 *  - each option at most once (any spelling: `-o`/`--output`, `--trace-mem`/`--traceMem`, `--no-stats`):
 *    a run must be reproducible from its command line, so a second `--cpu` is an error, not "last wins";
 *  - a flag takes no value but `=true`/`=false` (`--stats=maybe` is an error);
 *  - an option that takes a value has a non-empty one (`--cpu` at the end of the line, `--trace=`, and
 *    `--ram -128M`, where yargs would read `-128M` as flags) and has no `--no-` form;
 *  - a positional argument (all of them name files) is not empty (`boot ''`), nor given as an option too.
 * Every option that takes a value is a string to yargs (type 'string', also with choices), so that what
 * yargs holds can be compared with the command line.
 */
export function checkArguments(tokens: readonly string[], argv: Record<string, unknown>, table: OptionTable): void {
  const canonical = new Map<string, string>(); // each spelling -> the option's longest name
  for (const key of Object.keys(table.key)) canonical.set(key, key);
  for (const [key, aliases] of Object.entries(table.alias)) {
    const group = [key, ...aliases];
    const name = group.reduce((a, b) => (b.length > a.length ? b : a));
    for (const spelling of group) canonical.set(spelling, name);
  }
  const flags = new Set(table.boolean.map((b) => canonical.get(b) ?? b));
  const at = new Map<string, number>(); // option -> the token that gave it
  const given = (name: string, i: number) => {
    if (NOT_CHECKED.has(name)) return;
    if (at.has(name)) throw new UsageError(`--${name} given twice: give each option once`);
    at.set(name, i);
  };
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === '--') break;
    if (token.startsWith('--')) {
      const eq = token.indexOf('=');
      const spelt = kebab(token.slice(2, eq < 0 ? undefined : eq));
      const inline = eq < 0 ? undefined : token.slice(eq + 1);
      let name = canonical.get(spelt);
      if (name === undefined && spelt.startsWith('no-')) {
        name = canonical.get(spelt.slice(3));
        if (name !== undefined && !flags.has(name)) throw new UsageError(`${token}: --${name} takes a value and has no --no- form`);
      }
      if (name === undefined) continue; // unknown: yargs says so
      given(name, i);
      if (flags.has(name) && inline !== undefined && inline !== 'true' && inline !== 'false') {
        throw new UsageError(`${token}: --${name} is a flag and takes no value`);
      }
    } else if (token.startsWith('-') && token !== '-' && !NEGATIVE_NUMBER.test(token)) {
      for (const letter of token.slice(1).split('=')[0]!) {
        const name = canonical.get(letter);
        if (name !== undefined) given(name, i);
      }
    }
  }
  // Missing values, from the tokens (yargs gives an option with a default its default when the value is
  // missing) and from what yargs made of them.
  for (const name of new Set(canonical.values())) {
    if (flags.has(name) || NOT_CHECKED.has(name)) continue;
    const value = argv[name];
    if (Array.isArray(value)) throw new UsageError(`--${name} given twice: give each option once`); // e.g. <image> and --image
    const i = at.get(name);
    if (i === undefined) {
      if (value === '') throw new UsageError(`the <${name}> argument is empty: name a file`);
      continue;
    }
    const token = tokens[i]!;
    const eq = token.indexOf('=');
    const next = tokens[i + 1];
    const inline = eq >= 0 ? token.slice(eq + 1) : /^--|^-.$/.test(token) ? undefined : value; // -ofile: as yargs read it
    const taken = next !== undefined && (!next.startsWith('-') || NEGATIVE_NUMBER.test(next)); // yargs-parser's rule
    const missing = inline === undefined ? !taken || next === '' : inline === '';
    const asFlags = inline === undefined && !taken && /^-[^-]/.test(next ?? '');
    if (missing || value === '' || typeof value === 'boolean') {
      throw new UsageError(`--${name} needs a value${asFlags ? ` (${next} is read as options: write --${name}=${next})` : ''}`);
    }
    // Given once as an option, yet yargs holds another value: it came as a positional too (`boot a --image b`).
    const fromToken = inline ?? next;
    if (typeof value === 'string' && typeof fromToken === 'string' && value !== fromToken) {
      throw new UsageError(`--${name} given twice: give each option once`);
    }
  }
}

/** yargs also accepts camelCase spellings (`--traceMem` for `--trace-mem`). */
function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
