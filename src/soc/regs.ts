/**
 * Declarative register maps (after Renode's RegisterCollection and QEMU's registerfields.h): each register
 * is data (name, offset, reset value, access) plus optional behaviour. One collection does dispatch,
 * reset, naming and guest-error logging of bad offsets, read-only writes and write-only reads.
 */
import type { AccessSize, Logger } from './device.ts';
import type { StateReader } from './state.ts';

export type Access = 'rw' | 'ro' | 'wo';

export interface RegisterSpec {
  name: string;
  offset: number;
  /** Reset value of the stored word (default 0). */
  reset?: number;
  access?: Access;
  /** Bits software may change on a plain store (default all). */
  writeMask?: number;
  /** Computes the value read; default: the stored word. */
  read?: () => number;
  /** Called after a write with the new and previous stored values; when given for a 'wo' register it receives the written value. */
  write?: (value: number, previous: number) => void;
}

interface Register extends Required<Pick<RegisterSpec, 'name' | 'offset' | 'reset' | 'access' | 'writeMask'>> {
  readFn?: () => number;
  writeFn?: (value: number, previous: number) => void;
  value: number;
}

export class RegisterMap {
  private readonly byOffset = new Map<number, Register>();
  private readonly byName = new Map<string, Register>();

  constructor(
    private readonly device: string,
    private readonly logger: Logger,
    specs: RegisterSpec[] = [],
  ) {
    for (const s of specs) this.define(s);
  }

  define(spec: RegisterSpec): this {
    if (this.byOffset.has(spec.offset)) throw new Error(`${this.device}: two registers at 0x${spec.offset.toString(16)}`);
    if (this.byName.has(spec.name)) throw new Error(`${this.device}: two registers named ${spec.name}`);
    const register: Register = {
      name: spec.name,
      offset: spec.offset,
      reset: spec.reset ?? 0,
      access: spec.access ?? 'rw',
      writeMask: spec.writeMask ?? 0xffffffff,
      readFn: spec.read,
      writeFn: spec.write,
      value: spec.reset ?? 0,
    };
    this.byOffset.set(spec.offset, register);
    this.byName.set(spec.name, register);
    return this;
  }

  /** Defines `count` registers `step` bytes apart, named `${name}${i}`. */
  defineMany(count: number, step: number, make: (i: number) => RegisterSpec): this {
    for (let i = 0; i < count; i++) this.define(make(i));
    return this;
  }

  reset(): void {
    for (const r of this.byOffset.values()) r.value = r.reset;
  }

  /** The stored word of a register, by name (for device logic). */
  get(name: string): number {
    return this.find(name).value;
  }

  set(name: string, value: number): void {
    this.find(name).value = value >>> 0;
  }

  /** The stored words of the registers `names`, by name: the part of a device's saved state they hold. */
  save(names: readonly string[]): Record<string, number> {
    return Object.fromEntries(names.map((name) => [name, this.get(name)]));
  }

  /**
   * Reads back what `save(names)` gave (an object of exactly those names) and checks each word: bits outside
   * the register's write mask must keep their reset value. Returns the words; `restore` applies them.
   */
  readState(reader: StateReader, names: readonly string[]): Record<string, number> {
    const values: Record<string, number> = {};
    for (const name of names) {
      const value = reader.int(name);
      const r = this.find(name);
      const fixed = ~r.writeMask;
      if (((value ^ r.reset) & fixed) !== 0) {
        throw reader.error(name, `0x${value.toString(16)} changes read-only bits 0x${(fixed >>> 0).toString(16)}`);
      }
      values[name] = value;
    }
    return values;
  }

  /** Sets stored words by name (from `readState`). No write side effects run. */
  restore(values: Record<string, number>): void {
    for (const [name, value] of Object.entries(values)) this.set(name, value);
  }

  nameAt(offset: number): string | undefined {
    return this.byOffset.get(offset & ~3)?.name;
  }

  has(offset: number): boolean {
    return this.byOffset.has(offset & ~3);
  }

  read(offset: number, size: AccessSize): number {
    const reg = this.byOffset.get(offset & ~3);
    if (reg === undefined) {
      this.guestError(`read of unknown offset 0x${offset.toString(16)}`);
      return 0;
    }
    if (reg.access === 'wo') {
      this.guestError(`read of write-only register ${reg.name}`);
      return 0;
    }
    const word = reg.readFn ? reg.readFn() >>> 0 : reg.value;
    return extract(word, offset, size);
  }

  write(offset: number, size: AccessSize, value: number): void {
    const reg = this.byOffset.get(offset & ~3);
    if (reg === undefined) {
      this.guestError(`write of 0x${(value >>> 0).toString(16)} to unknown offset 0x${offset.toString(16)}`);
      return;
    }
    if (reg.access === 'ro') {
      this.guestError(`write of 0x${(value >>> 0).toString(16)} to read-only register ${reg.name}`);
      return;
    }
    const previous = reg.value;
    const word = deposit(previous, offset, size, value);
    if (reg.access === 'wo') {
      reg.writeFn?.(word, previous);
      return;
    }
    reg.value = ((previous & ~reg.writeMask) | (word & reg.writeMask)) >>> 0;
    reg.writeFn?.(reg.value, previous);
  }

  private find(name: string): Register {
    const r = this.byName.get(name);
    if (r === undefined) throw new Error(`${this.device}: no register ${name}`);
    return r;
  }

  private guestError(message: string): void {
    if (this.logger.enabled('guest-errors')) this.logger.log('guest-errors', `${this.device}: ${message}`);
  }
}

/** The byte or halfword of `word` that an access of `size` at `offset` sees (little-endian). */
export function extract(word: number, offset: number, size: AccessSize): number {
  if (size === 4) return word >>> 0;
  const shift = (offset & 3) * 8;
  return (word >>> shift) & (size === 1 ? 0xff : 0xffff);
}

/** `word` with the bytes an access of `size` at `offset` writes replaced by `value`. */
export function deposit(word: number, offset: number, size: AccessSize, value: number): number {
  if (size === 4) return value >>> 0;
  const shift = (offset & 3) * 8;
  const mask = (size === 1 ? 0xff : 0xffff) << shift;
  return ((word & ~mask) | ((value << shift) & mask)) >>> 0;
}
