/**
 * Reading saved states back: snapshots come from files, so every field is checked for shape and range
 * before a device takes it, and the first problem is a SnapshotError naming the part and the field path.
 */
import { SnapshotError } from './device.ts';

export class StateReader {
  private readonly fields: Record<string, unknown>;

  /** Opens `value` as an object with exactly the keys `keys` (no missing or unknown fields). */
  constructor(
    private readonly part: string,
    private readonly path: string,
    value: unknown,
    keys: readonly string[],
  ) {
    if (!isPlainObject(value)) throw this.error('', `expected an object, got ${describe(value)}`);
    for (const key of keys) if (!Object.hasOwn(value, key)) throw this.error(key, 'missing');
    for (const key of Object.keys(value)) if (!keys.includes(key)) throw this.error(key, 'unknown field');
    this.fields = value;
  }

  /** An integer in [min, max] (default: an unsigned 32-bit word). */
  int(key: string, min = 0, max = 0xffff_ffff): number {
    return checkInt(this.fields[key], min, max, (problem) => this.error(key, problem));
  }

  /** A cycle or tick count: a non-negative safe integer. */
  count(key: string): number {
    return this.int(key, 0, Number.MAX_SAFE_INTEGER);
  }

  /** An integer in [min, max], or null for "none" (e.g. an alarm that is not scheduled). */
  intOrNull(key: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | null {
    return this.fields[key] === null ? null : this.int(key, min, max);
  }

  bool(key: string): boolean {
    const v = this.fields[key];
    if (typeof v !== 'boolean') throw this.error(key, `expected true or false, got ${describe(v)}`);
    return v;
  }

  string(key: string): string {
    const v = this.fields[key];
    if (typeof v !== 'string') throw this.error(key, `expected a string, got ${describe(v)}`);
    return v;
  }

  /** A nested object with exactly the keys `keys`. */
  object(key: string, keys: readonly string[]): StateReader {
    return new StateReader(this.part, this.join(key), this.fields[key], keys);
  }

  /** An array (of exactly `length` elements when given), each element read by `item`. */
  array<T>(key: string, item: (element: Element) => T, length?: number): T[] {
    const v = this.fields[key];
    if (!Array.isArray(v)) throw this.error(key, `expected an array, got ${describe(v)}`);
    if (length !== undefined && v.length !== length) {
      throw this.error(key, `expected ${length} elements, got ${v.length}`);
    }
    return v.map((value, i) => item(new Element(this.part, `${this.join(key)}[${i}]`, value)));
  }

  /** An array of `length` integers in [min, max]. */
  ints(key: string, length: number, min = 0, max = 0xffff_ffff): number[] {
    return this.array(key, (e) => e.int(min, max), length);
  }

  /** A set of integers in [min, max] as a strictly increasing array (how bit sets are saved). */
  set(key: string, min: number, max: number): number[] {
    const values = this.array(key, (e) => e.int(min, max));
    for (let i = 1; i < values.length; i++) {
      if (values[i] <= values[i - 1]) throw this.error(key, 'expected strictly increasing values');
    }
    return values;
  }

  /** A problem with field `key` of this object (or with the object itself when `key` is empty). */
  error(key: string, problem: string): SnapshotError {
    return new SnapshotError(this.part, key === '' ? this.path : this.join(key), problem);
  }

  private join(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`;
  }
}

/** One element of an array being read. */
export class Element {
  constructor(
    private readonly part: string,
    readonly path: string,
    readonly value: unknown,
  ) {}

  int(min = 0, max = 0xffff_ffff): number {
    return checkInt(this.value, min, max, (problem) => this.error(problem));
  }

  object(keys: readonly string[]): StateReader {
    return new StateReader(this.part, this.path, this.value, keys);
  }

  error(problem: string): SnapshotError {
    return new SnapshotError(this.part, this.path, problem);
  }
}

function checkInt(v: unknown, min: number, max: number, error: (problem: string) => SnapshotError): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw error(`expected an integer, got ${describe(v)}`);
  if (v < min || v > max) throw error(`${v} is out of range ${min}..${max}`);
  return v;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A short, one-line description of an unexpected value. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…` : value);
  return String(value);
}
