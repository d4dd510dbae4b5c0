/**
 * The partition configuration of `handset run --config FILE` (docs/config.md): which guests run, with how
 * much RAM, at which priority and CPU share, on which phone line, with which ringtone and store size.
 *
 * Pure data: parsing and validation only. Image files are named, never read here (the caller loads them).
 * Every problem is a ConfigError with a one-line message naming the file and the field, e.g.
 * `config handset.json: partitions[1].ramMiB: expected an integer from 1 to 127, got "12"`.
 *
 * Files are read with the strict JSON reader of src/loader/json.ts (exact line and column for syntax
 * errors, duplicate keys refused), as scenario files are.
 */
import { createHash } from 'node:crypto';
import { basename, resolve } from 'node:path';
import { describeJsonValue, fieldPath, isJsonObject, JsonFileError, JsonSyntaxError, parseJsonStrict } from '../loader/json.ts';

export interface PartitionConfig {
  /** /^[a-z][a-z0-9-]{0,14}$/, unique among partitions. */
  name: string;
  /** The guest ELF: absolute (a relative path in a file is resolved against the file's directory). */
  image: string;
  /** Guest RAM in MiB, integer >= 1. Default floor((boardRamMiB - 1) / partitions.length). */
  ramMiB: number;
  /** 0..15, higher runs first. Default 1. */
  priority: number;
  /** 1..100: CPU share among partitions of equal priority (budget per round = weight × slice). Default 1. */
  weight: number;
  /** The partition's phone number, /^\+?[0-9]{3,20}$/, unique among partitions. Required. */
  number: string;
  /** /^[a-z0-9-]{1,15}$/. Default "classic". */
  ringtone: string;
  /** Size of the partition's persistent store in KiB, 1..4096. Default 64. */
  storeKiB: number;
}

export interface HypervisorConfig {
  /** 1..4 partitions, in config order (a partition's index is its position here). */
  partitions: PartitionConfig[];
  /** 100..1_000_000, default 10_000: a partition's budget per round is weight × sliceMicros. */
  sliceMicros: number;
  /** Name of the partition in the foreground at start. Default the first partition. */
  foreground: string;
}

/** A configuration that cannot be used: one line, `config FILE: FIELD: PROBLEM`. */
export class ConfigError extends JsonFileError {
  override name = 'ConfigError';
  constructor(source: string | undefined, field: string, problem: string) {
    super('config', source, field, problem);
  }
}

export const MAX_PARTITIONS = 4;
/** The first MiB of RAM is the hypervisor's (page tables, vCPU pages); guest windows follow it. */
export const HYPERVISOR_RAM_MIB = 1;

const PARTITION_FIELDS = ['name', 'image', 'ramMiB', 'priority', 'weight', 'number', 'ringtone', 'storeKiB'] as const;
const TOP_FIELDS = ['partitions', 'sliceMicros', 'foreground'] as const;

/** A partition name (also checked in trace headers). */
export const NAME_RE = /^[a-z][a-z0-9-]{0,14}$/;
const NUMBER_RE = /^\+?[0-9]{3,20}$/;
const RINGTONE_RE = /^[a-z0-9-]{1,15}$/;

const DEFAULTS = { priority: 1, weight: 1, ringtone: 'classic', storeKiB: 64, sliceMicros: 10_000 } as const;

/**
 * Parses and validates a configuration file's text. `baseDir` resolves relative image paths (the config
 * file's directory); `boardRamMiB` is the board's RAM (the `--ram` size); `source` names the file in errors.
 */
export function parseConfig(
  text: string,
  options: { baseDir: string; boardRamMiB: number; source?: string },
): HypervisorConfig {
  checkBoardRam(options.boardRamMiB);
  const source = options.source;
  const fail = (field: string, problem: string): ConfigError => new ConfigError(source, field, problem);
  let doc: unknown;
  try {
    doc = parseJsonStrict(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw fail('', e.message);
    throw e;
  }
  const top = fields(doc, '', TOP_FIELDS, fail);

  const list = top.partitions;
  if (list === undefined) throw fail('partitions', `missing (a list of 1 to ${MAX_PARTITIONS} partitions)`);
  if (!Array.isArray(list)) throw fail('partitions', `expected a list of 1 to ${MAX_PARTITIONS} partitions, got ${describeJsonValue(list)}`);
  if (list.length < 1 || list.length > MAX_PARTITIONS) {
    const got = list.length === 0 ? 'an empty list' : `${list.length} of them`;
    throw fail('partitions', `expected a list of 1 to ${MAX_PARTITIONS} partitions, got ${got}`);
  }
  const board = options.boardRamMiB;
  const defaultRam = Math.floor((board - HYPERVISOR_RAM_MIB) / list.length);
  const partitions: PartitionConfig[] = [];
  list.forEach((item: unknown, i) => {
    const at = `partitions[${i}]`;
    const f = fields(item, at, PARTITION_FIELDS, fail);
    const p: PartitionConfig = {
      name: pattern(f, at, 'name', NAME_RE, 'a name of 1 to 15 lower-case letters, digits or "-", starting with a letter', fail),
      image: imagePath(f, at, options.baseDir, fail),
      ramMiB: integer(f, at, 'ramMiB', 1, board - HYPERVISOR_RAM_MIB, defaultRam, fail),
      priority: integer(f, at, 'priority', 0, 15, DEFAULTS.priority, fail),
      weight: integer(f, at, 'weight', 1, 100, DEFAULTS.weight, fail),
      number: pattern(f, at, 'number', NUMBER_RE, 'a phone number of 3 to 20 digits after an optional "+"', fail),
      ringtone: pattern(f, at, 'ringtone', RINGTONE_RE, 'a ringtone name of 1 to 15 lower-case letters, digits or "-"', fail, DEFAULTS.ringtone),
      storeKiB: integer(f, at, 'storeKiB', 1, 4096, DEFAULTS.storeKiB, fail),
    };
    const sameName = partitions.findIndex((q) => q.name === p.name);
    if (sameName >= 0) throw fail(`${at}.name`, `"${p.name}" is also the name of partitions[${sameName}] (names must be unique)`);
    const sameNumber = partitions.findIndex((q) => q.number === p.number);
    if (sameNumber >= 0) {
      throw fail(`${at}.number`, `"${p.number}" is also the number of partitions[${sameNumber}] (each partition has its own line)`);
    }
    partitions.push(p);
  });

  const guestRam = partitions.reduce((sum, p) => sum + p.ramMiB, 0);
  if (guestRam + HYPERVISOR_RAM_MIB > board) {
    throw fail(
      'partitions',
      `${guestRam} MiB of guest RAM do not fit in ${board - HYPERVISOR_RAM_MIB} MiB ` +
        `(${board} MiB of RAM, ${HYPERVISOR_RAM_MIB} MiB reserved for the hypervisor)`,
    );
  }

  const sliceMicros = integer(top, '', 'sliceMicros', 100, 1_000_000, DEFAULTS.sliceMicros, fail);

  let foreground = partitions[0]!.name;
  if (top.foreground !== undefined) {
    if (typeof top.foreground !== 'string') throw fail('foreground', `expected a partition name, got ${describeJsonValue(top.foreground)}`);
    if (!partitions.some((p) => p.name === top.foreground)) {
      throw fail(
        'foreground',
        `${describeJsonValue(top.foreground)} is not a partition (expected one of ${partitions.map((p) => p.name).join(', ')})`,
      );
    }
    foreground = top.foreground;
  }
  return { partitions, sliceMicros, foreground };
}

/**
 * The configuration `handset run` uses without --config: `work` (+15550100, ringtone "office") and `home`
 * (+15550199, ringtone "melody"), images `<guestsDir>/work.elf` and `<guestsDir>/home.elf`, every other
 * field at its default (so each partition gets half of the guest RAM).
 */
export function defaultConfig(options: { guestsDir: string; boardRamMiB: number }): HypervisorConfig {
  checkBoardRam(options.boardRamMiB);
  const ramMiB = Math.floor((options.boardRamMiB - HYPERVISOR_RAM_MIB) / 2);
  const partition = (name: string, number: string, ringtone: string): PartitionConfig => ({
    name,
    image: resolve(options.guestsDir, `${name}.elf`),
    ramMiB,
    priority: DEFAULTS.priority,
    weight: DEFAULTS.weight,
    number,
    ringtone,
    storeKiB: DEFAULTS.storeKiB,
  });
  return {
    partitions: [partition('work', '+15550100', 'office'), partition('home', '+15550199', 'melody')],
    sliceMicros: DEFAULTS.sliceMicros,
    foreground: 'work',
  };
}

/**
 * SHA-256 (hex) of the configuration's canonical JSON: fields in the order of the interfaces above, no
 * spaces, image paths replaced by their base names (so one configuration hashes the same in any
 * checkout; the images' contents are hashed separately). For trace headers.
 */
export function configHash(config: HypervisorConfig): string {
  return createHash('sha256').update(canonicalConfigJson(config)).digest('hex');
}

/** The text configHash hashes (exported for tests and for tools that show it). */
export function canonicalConfigJson(config: HypervisorConfig): string {
  return JSON.stringify({
    partitions: config.partitions.map((p) => ({
      name: p.name,
      image: basename(p.image),
      ramMiB: p.ramMiB,
      priority: p.priority,
      weight: p.weight,
      number: p.number,
      ringtone: p.ringtone,
      storeKiB: p.storeKiB,
    })),
    sliceMicros: config.sliceMicros,
    foreground: config.foreground,
  });
}

type Fail = (field: string, problem: string) => ConfigError;

/** A caller's mistake, not the user's: board RAM is one of the board's sizes (128, 192, 256 MiB). */
function checkBoardRam(mib: number): void {
  if (!Number.isInteger(mib) || mib < 8 || mib > 65536) throw new RangeError(`boardRamMiB ${mib}: expected an integer from 8 to 65536`);
}

const join = fieldPath;

/** `value` as an object whose keys are all among `known`. */
function fields(value: unknown, at: string, known: readonly string[], fail: Fail): Record<string, unknown> {
  if (!isJsonObject(value)) throw fail(at, `expected an object, got ${describeJsonValue(value)}`);
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw fail(join(at, key), `unknown field (expected one of ${known.join(', ')})`);
  }
  return value;
}

function integer(f: Record<string, unknown>, at: string, key: string, min: number, max: number, fallback: number, fail: Fail): number {
  const v = f[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw fail(join(at, key), `expected an integer from ${min} to ${max}, got ${describeJsonValue(v)}`);
  }
  return v;
}

function pattern(f: Record<string, unknown>, at: string, key: string, re: RegExp, what: string, fail: Fail, fallback?: string): string {
  const v = f[key];
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw fail(join(at, key), `missing (expected ${what})`);
  }
  if (typeof v !== 'string' || !re.test(v)) throw fail(join(at, key), `expected ${what}, got ${describeJsonValue(v)}`);
  return v;
}

function imagePath(f: Record<string, unknown>, at: string, baseDir: string, fail: Fail): string {
  const v = f.image;
  const what = 'the path of the guest ELF file (relative to the config file\'s directory)';
  if (v === undefined) throw fail(`${at}.image`, `missing (expected ${what})`);
  if (typeof v !== 'string' || v === '' || v.includes('\0')) throw fail(`${at}.image`, `expected ${what}, got ${describeJsonValue(v)}`);
  return resolve(baseDir, v);
}
