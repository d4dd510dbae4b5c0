/**
 * The partition configuration of `handset run --config FILE` (docs/config.md): which guests run, with how
 * much RAM, at which priority and CPU share, on which phone line, with which ringtone and store size, and
 * the ringtones themselves (tone sequences: the built-in ones, and any the file defines).
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
  /** /^[a-z0-9-]{1,15}$/, a built-in ringtone or one of the config's `ringtones`. Default "classic". */
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
  /**
   * Ringtones the file defines (name -> steps), beside or instead of the built-in ones (BUILTIN_RINGTONES);
   * absent when it defines none. ringtoneTable() gives every ringtone a partition can name.
   */
  ringtones?: Record<string, RingtoneStep[]>;
  /**
   * The partition the management service (src/hypervisor/management.ts) manages, or null for none. Absent:
   * the partition named `work` if there is one, else none (managedPartition() resolves it).
   */
  managed?: string | null;
  /**
   * The token the remote management console of `handset serve` wants (docs/web.md); absent: serve makes a
   * random one at start and prints it. Only `serve` uses it.
   */
  managementToken?: string;
}

/** One step of a ringtone: a sine tone of `hz` (0: silence) for `ms` milliseconds. A ringtone loops its steps. */
export interface RingtoneStep {
  /** 0 (silence) or MIN_TONE_HZ..MAX_TONE_HZ. */
  hz: number;
  /** MIN_STEP_MS..MAX_STEP_MS. */
  ms: number;
}

/** Tones below the 4000 Hz Nyquist limit of the 8000 Hz audio (src/hypervisor/audio.ts), with a margin. */
export const MIN_TONE_HZ = 50;
export const MAX_TONE_HZ = 3900;
export const MIN_STEP_MS = 10;
export const MAX_STEP_MS = 5000;
export const MAX_RINGTONE_STEPS = 64;
export const MAX_RINGTONES = 16;

const tones = (...steps: [number, number][]): RingtoneStep[] => steps.map(([hz, ms]) => ({ hz, ms }));

/**
 * The ringtones every config has (docs/config.md), with frequencies far enough apart to tell them apart
 * by ear and by filter:
 *   classic: a 1 s burst of 440 and 480 Hz alternating every 50 ms, then 1 s of silence;
 *   office:  1000 and 1400 Hz alternating, 200 ms each, twice, then 800 ms of silence;
 *   melody:  four rising notes, G6 B6 D7 E7 (1568, 1976, 2349, 2637 Hz), 150 ms each, then 400 ms of silence.
 */
export const BUILTIN_RINGTONES: Readonly<Record<string, readonly RingtoneStep[]>> = Object.freeze({
  classic: tones(...Array.from({ length: 20 }, (_, k): [number, number] => [k % 2 === 0 ? 440 : 480, 50]), [0, 1000]),
  office: tones([1000, 200], [1400, 200], [1000, 200], [1400, 200], [0, 800]),
  melody: tones([1568, 150], [1976, 150], [2349, 150], [2637, 150], [0, 400]),
});

/** Every ringtone a partition of `config` can name: the built-in ones, then the config's (which win on a name clash). */
export function ringtoneTable(config: HypervisorConfig): Record<string, readonly RingtoneStep[]> {
  return { ...BUILTIN_RINGTONES, ...config.ringtones };
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
const TOP_FIELDS = ['partitions', 'sliceMicros', 'foreground', 'ringtones', 'managed', 'managementToken'] as const;
const STEP_FIELDS = ['hz', 'ms'] as const;

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

  const ringtones = ringtoneDefinitions(top.ringtones, fail);
  const known = { ...BUILTIN_RINGTONES, ...ringtones };
  partitions.forEach((p, i) => {
    if (!Object.hasOwn(known, p.ringtone)) {
      throw fail(`partitions[${i}].ringtone`, `"${p.ringtone}" is not a ringtone (expected one of ${Object.keys(known).join(', ')})`);
    }
  });
  const config: HypervisorConfig = ringtones === undefined ? { partitions, sliceMicros, foreground } : { partitions, sliceMicros, foreground, ringtones };
  if (top.managed !== undefined) {
    const names = partitions.map((p) => p.name);
    if (top.managed !== null && (typeof top.managed !== 'string' || !names.includes(top.managed))) {
      throw fail('managed', `expected the name of a partition (one of ${names.join(', ')}) or null for none, got ${describeJsonValue(top.managed)}`);
    }
    config.managed = top.managed;
  }
  if (top.managementToken !== undefined) {
    if (typeof top.managementToken !== 'string' || !isManagementToken(top.managementToken)) {
      throw fail('managementToken', `expected 16 to 256 characters of A-Z a-z 0-9 - . _ ~ + / = (a bearer token), got ${typeof top.managementToken === 'string' ? `${top.managementToken.length} characters that are not` : describeJsonValue(top.managementToken)}`);
    }
    config.managementToken = top.managementToken;
  }
  return config;
}

/** A management token: 16 to 256 of RFC 6750's token68 characters (long enough not to be guessed). */
export function isManagementToken(text: string): boolean {
  return text.length >= 16 && text.length <= 256 && /^[A-Za-z0-9\-._~+/]+=*$/.test(text);
}

/** The partition management manages: `managed` if the config sets it (null: none), else `work` if there is one, else none. */
export function managedPartition(config: HypervisorConfig): string | null {
  if (config.managed !== undefined) return config.managed;
  return config.partitions.some((p) => p.name === 'work') ? 'work' : null;
}

/** The file's `ringtones` (undefined when it has none, or an empty object). */
function ringtoneDefinitions(value: unknown, fail: Fail): Record<string, RingtoneStep[]> | undefined {
  if (value === undefined) return undefined;
  const what = `an object of up to ${MAX_RINGTONES} ringtones (name: list of steps)`;
  if (!isJsonObject(value)) throw fail('ringtones', `expected ${what}, got ${describeJsonValue(value)}`);
  const names = Object.keys(value);
  if (names.length > MAX_RINGTONES) throw fail('ringtones', `expected ${what}, got ${names.length} of them`);
  if (names.length === 0) return undefined;
  const table: Record<string, RingtoneStep[]> = {};
  for (const name of names) {
    const at = join('ringtones', name);
    if (!RINGTONE_RE.test(name)) throw fail(at, 'a ringtone name is 1 to 15 lower-case letters, digits or "-"');
    const list = value[name];
    const steps = `a list of 1 to ${MAX_RINGTONE_STEPS} steps ({"hz": ..., "ms": ...})`;
    if (!Array.isArray(list) || list.length < 1 || list.length > MAX_RINGTONE_STEPS) {
      const got = Array.isArray(list) && list.length > 0 ? `${list.length} of them` : describeJsonValue(list);
      throw fail(at, `expected ${steps}, got ${got}`);
    }
    table[name] = list.map((item: unknown, k) => {
      const step = `${at}[${k}]`;
      const f = fields(item, step, STEP_FIELDS, fail);
      const hz = f.hz;
      if (hz === undefined) throw fail(`${step}.hz`, `missing (expected 0 for silence or an integer from ${MIN_TONE_HZ} to ${MAX_TONE_HZ})`);
      if (typeof hz !== 'number' || !Number.isInteger(hz) || (hz !== 0 && (hz < MIN_TONE_HZ || hz > MAX_TONE_HZ))) {
        throw fail(`${step}.hz`, `expected 0 for silence or an integer from ${MIN_TONE_HZ} to ${MAX_TONE_HZ}, got ${describeJsonValue(hz)}`);
      }
      if (f.ms === undefined) throw fail(`${step}.ms`, `missing (expected an integer from ${MIN_STEP_MS} to ${MAX_STEP_MS})`);
      return { hz, ms: integer(f, step, 'ms', MIN_STEP_MS, MAX_STEP_MS, 0, fail) };
    });
  }
  return table;
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
 * checkout; the images' contents are hashed separately), and the ringtones the config defines, if any,
 * as a list sorted by name, and `managed` when it is not the default. For trace headers.
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
    // Only when there are some: a config without ringtones hashes as it did before they existed.
    ...(config.ringtones === undefined || Object.keys(config.ringtones).length === 0
      ? {}
      : {
          ringtones: Object.keys(config.ringtones)
            .sort()
            .map((name) => ({ name, steps: config.ringtones![name]!.map((s) => ({ hz: s.hz, ms: s.ms })) })),
        }),
    // Only when it is not the default (`work` if there is one): other configs hash as they did before.
    ...(config.managed === undefined || config.managed === managedPartition({ ...config, managed: undefined }) ? {} : { managed: config.managed }),
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
