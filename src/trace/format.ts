/**
 * The binary trace format (docs/trace-format.md): its constants, the one error every bad trace file
 * becomes, and the byte-level helpers (little-endian integers, varints, zigzag) the writer and the
 * reader share.
 *
 * Two integer encodings appear in records:
 *   - 32-bit: register and PC deltas, wrapped to int32, zigzagged to uint32, then a varint (1–5 bytes);
 *   - "safe": cycle deltas and event fields, any integer in ±2^52, zigzagged arithmetically, then a
 *     varint (1–8 bytes). Slower, so it stays off the per-register path.
 */

import { CPU_MODEL_NAMES } from '../cpu/models.ts';
import { MAX_PARTITIONS, NAME_RE } from '../hypervisor/config.ts';
import { RAM_SIZES_MIB } from '../soc/board.ts';

/** First 8 bytes of every trace file: a high first byte keeps text tools from taking it for text. */
export const FILE_MAGIC = Uint8Array.of(0x89, 0x48, 0x53, 0x54, 0x52, 0x41, 0x43, 0x45); // \x89 H S T R A C E
/** Last 8 bytes of a finished trace file: the footer's own check that the index was written. */
export const FOOTER_MAGIC = Uint8Array.of(0x48, 0x53, 0x54, 0x52, 0x2d, 0x45, 0x4e, 0x44); // H S T R - E N D
/**
 * Version 2 dropped `commandLine` from the header JSON, so that a trace's bytes depend only on the
 * emulation's inputs (not on where it was written or how the command was spelled). Version 1 files still
 * read: their command line is ignored.
 *
 * Version 3 traces hypervisor runs: the header may describe one (`hypervisor`: config hash, partitions),
 * the keyframe holds the running partition, and seven event records are new (hypercall, virq,
 * worldSwitch, guestFault, button, guestState, and ringtone, added before version 3 was released: a
 * reader without it refuses the record as an unknown event type rather than misreading it). Version 2
 * files still read; they are bare metal.
 */
export const FORMAT_VERSION = 3;

/** magic(8) · u16 version · u16 reserved · u32 header length; the header JSON follows. */
export const FILE_HEADER_SIZE = 16;
/** u64 index offset · u32 chunk count · u32 CRC-32 of the index · magic(8). */
export const FOOTER_SIZE = 24;
/** u64 file offset · u32 stored length · u32 data length · u64 first index · u64 first cycle · u32 instructions · u32 CRC-32. */
export const INDEX_ENTRY_SIZE = 40;
/** u64 first index · u64 cycle · u32 expected PC · u8 mode · 18 × u32 registers · u8 partition (version 3). */
export const KEYFRAME_SIZE = 8 + 8 + 4 + 1 + 18 * 4 + 1;
/** The keyframe of versions 1 and 2: no partition. */
export const KEYFRAME_SIZE_V2 = KEYFRAME_SIZE - 1;

export function keyframeSize(version: number): number {
  return version >= 3 ? KEYFRAME_SIZE : KEYFRAME_SIZE_V2;
}
export const DEFAULT_CHUNK_INSTRUCTIONS = 4096;

/** Instruction record tag bits (bit 7 clear). */
export const INSN_THUMB = 0x01;
export const INSN_WIDE = 0x02;
export const INSN_PC_JUMP = 0x04;
export const INSN_MODE = 0x08;
export const INSN_CYCLES = 0x10;
export const INSN_REGS = 0x20;
export const INSN_INDEX_JUMP = 0x40;
/** Event record tags: EVENT_TAG | the kind's code. */
export const EVENT_TAG = 0x80;
export const EVENT_CODES = {
  exception: 1, mmio: 2, uart: 3, semihosting: 4, mem: 5,
  // version 3
  hypercall: 6, virq: 7, worldSwitch: 8, guestFault: 9, button: 10, guestState: 11, ringtone: 12,
} as const;
/** The highest event code each format version knows. */
export const LAST_EVENT_CODE_V2 = 5;
export const EXCEPTION_KINDS = ['undefined', 'swi', 'prefetchAbort', 'dataAbort', 'irq', 'fiq'] as const;
export const UART_DIRECTIONS = ['tx', 'rx'] as const;
export const VIRQ_VIAS = ['upcall', 'wait'] as const;
/** guestFault flag bits. */
export const FAULT_WRITE = 0x01;
export const FAULT_HANDLED = 0x02;

/** Registers whose deltas are XOR rotated left by 4 (flag changes fit one byte), not differences. */
export const FIRST_STATUS_REGISTER = 16; // cpsr, then spsr

/** Any bad trace or QEMU log file: the message is one line and starts with the file name. */
export class TraceFileError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'TraceFileError';
  }
}

/** Header JSON longer than this is not a handset header (the real ones are about 200 bytes). */
export const MAX_HEADER_JSON = 64 * 1024;
/** The core clocks the CLI accepts (--clock 1 to 2000 MHz), in Hz. */
export const MIN_CLOCK_HZ = 1_000_000;
export const MAX_CLOCK_HZ = 2_000_000_000;
/** The header JSON fields every trace has, in the order the writer writes them. */
export const HEADER_FIELDS = ['source', 'cpu', 'clockHz', 'ramSize', 'timing', 'imageSha256'] as const;
/** Version 3: a hypervisor trace's header adds this one, last. */
export const HYPERVISOR_FIELD = 'hypervisor';

const SHA256_RE = /^[0-9a-f]{64}$/;

/** A header value in a message: JSON, cut to 40 characters. */
function show(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/**
 * What is wrong with a trace header's fields (undefined: nothing): every field present, of its type and
 * one of the values handset can produce; no unknown fields (version 1 also had `commandLine`, an array of
 * strings; version 3 may have `hypervisor`). `version` is the file's format version (the u16 before the JSON).
 */
export function headerProblem(fields: unknown, version: number): string | undefined {
  if (!Number.isInteger(version) || version < 1 || version > FORMAT_VERSION) return `unknown format version ${version}`;
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return 'not a JSON object';
  const h = fields as Record<string, unknown>;
  const required: readonly string[] = version === 1 ? [...HEADER_FIELDS, 'commandLine'] : HEADER_FIELDS;
  const optional: readonly string[] = version >= 3 ? [HYPERVISOR_FIELD] : [];
  const unknown = Object.keys(h).find((key) => !required.includes(key) && !optional.includes(key));
  if (unknown !== undefined) return `unknown field ${JSON.stringify(unknown)}`;
  const missing = required.find((key) => !(key in h));
  if (missing !== undefined) return `no ${missing}`;
  if (h.source !== 'handset' && h.source !== 'qemu') return `source ${show(h.source)}: not handset or qemu`;
  if (!(CPU_MODEL_NAMES as readonly unknown[]).includes(h.cpu)) return `cpu ${show(h.cpu)}: not one of ${CPU_MODEL_NAMES.join(', ')}`;
  if (!(Number.isInteger(h.clockHz) && (h.clockHz as number) >= MIN_CLOCK_HZ && (h.clockHz as number) <= MAX_CLOCK_HZ)) {
    return `clockHz ${show(h.clockHz)}: not a whole number of Hz from ${MIN_CLOCK_HZ} to ${MAX_CLOCK_HZ}`;
  }
  if (!RAM_SIZES_MIB.some((mib) => h.ramSize === mib * 1024 * 1024)) {
    return `ramSize ${show(h.ramSize)}: not one of ${RAM_SIZES_MIB.map((mib) => mib * 1024 * 1024).join(', ')}`;
  }
  if (h.timing !== 'fast' && h.timing !== 'cycle') return `timing ${show(h.timing)}: not fast or cycle`;
  if (typeof h.imageSha256 !== 'string' || !(h.imageSha256 === '' || SHA256_RE.test(h.imageSha256))) {
    return `imageSha256 ${show(h.imageSha256)}: not 64 lower-case hex digits or empty`;
  }
  if (version === 1 && !(Array.isArray(h.commandLine) && h.commandLine.every((a) => typeof a === 'string'))) {
    return 'commandLine: not an array of strings';
  }
  if (HYPERVISOR_FIELD in h) {
    if (h.source !== 'handset') return `source ${show(h.source)}: a hypervisor trace comes from handset`;
    if (h.imageSha256 !== '') return `imageSha256 ${show(h.imageSha256)}: empty in a hypervisor trace (the images are per partition)`;
    return hypervisorProblem(h[HYPERVISOR_FIELD]);
  }
  return undefined;
}

/** What is wrong with a header's `hypervisor` value: {"configHash", "partitions": [{"name", "imageSha256"}, ...]}. */
function hypervisorProblem(value: unknown): string | undefined {
  const fieldsProblem = (v: unknown, at: string, fields: readonly string[]): string | undefined => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${at}: not a JSON object`;
    const unknown = Object.keys(v).find((key) => !fields.includes(key));
    if (unknown !== undefined) return `${at}: unknown field ${JSON.stringify(unknown)}`;
    const missing = fields.find((key) => !(key in v));
    return missing === undefined ? undefined : `${at}: no ${missing}`;
  };
  const problem = fieldsProblem(value, HYPERVISOR_FIELD, ['configHash', 'partitions']);
  if (problem !== undefined) return problem;
  const { configHash, partitions } = value as Record<string, unknown>;
  if (typeof configHash !== 'string' || !SHA256_RE.test(configHash)) return `hypervisor.configHash ${show(configHash)}: not 64 lower-case hex digits`;
  if (!Array.isArray(partitions) || partitions.length < 1 || partitions.length > MAX_PARTITIONS) {
    return `hypervisor.partitions ${show(partitions)}: not a list of 1 to ${MAX_PARTITIONS} partitions`;
  }
  const names: unknown[] = [];
  for (const [k, p] of partitions.entries()) {
    const at = `hypervisor.partitions[${k}]`;
    const fields = fieldsProblem(p, at, ['name', 'imageSha256']);
    if (fields !== undefined) return fields;
    const { name, imageSha256 } = p as Record<string, unknown>;
    if (typeof name !== 'string' || !NAME_RE.test(name)) return `${at}.name ${show(name)}: not a partition name (1 to 15 lower-case letters, digits or "-", starting with a letter)`;
    if (names.includes(name)) return `${at}.name ${show(name)}: the name of another partition too`;
    names.push(name);
    if (typeof imageSha256 !== 'string' || !(imageSha256 === '' || SHA256_RE.test(imageSha256))) {
      return `${at}.imageSha256 ${show(imageSha256)}: not 64 lower-case hex digits or empty`;
    }
  }
  return undefined;
}

/** The byte length of an encoding: 4 for ARM and for a Thumb BL/BLX pair, 2 for other Thumb. */
export function encodingSize(insn: number, thumb: boolean): number {
  return thumb && insn <= 0xffff ? 2 : 4;
}

export function statusDelta(before: number, after: number): number {
  const x = (before ^ after) >>> 0;
  return ((x << 4) | (x >>> 28)) >>> 0;
}

export function applyStatusDelta(before: number, delta: number): number {
  return (before ^ ((delta >>> 4) | (delta << 28))) >>> 0;
}

/** A growable byte buffer written front to back. */
export class ByteWriter {
  bytes: Uint8Array;
  pos = 0;

  constructor(initialSize: number) {
    this.bytes = new Uint8Array(initialSize);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.pos + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.pos + n) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.bytes.subarray(0, this.pos));
    this.bytes = bigger;
  }

  u8(v: number): void {
    this.bytes[this.pos++] = v;
  }

  u16(v: number): void {
    this.bytes[this.pos++] = v;
    this.bytes[this.pos++] = v >>> 8;
  }

  u32(v: number): void {
    const b = this.bytes;
    b[this.pos++] = v;
    b[this.pos++] = v >>> 8;
    b[this.pos++] = v >>> 16;
    b[this.pos++] = v >>> 24;
  }

  /** A non-negative safe integer as two u32 halves. */
  u64(v: number): void {
    this.u32(v >>> 0);
    this.u32(Math.floor(v / 0x1_0000_0000));
  }

  /** An unsigned 32-bit value as a varint. */
  varU32(v: number): void {
    this.pos = putVarU32(this.bytes, this.pos, v);
  }

  /** Any integer in ±2^52: zigzag, then varint. */
  varInt(v: number): void {
    let z = v >= 0 ? v * 2 : -v * 2 - 1;
    if (z <= 0x7fffffff) {
      this.varU32(z);
      return;
    }
    const b = this.bytes;
    while (z > 0x7f) {
      b[this.pos++] = (z % 0x80) | 0x80;
      z = Math.floor(z / 0x80);
    }
    b[this.pos++] = z;
  }

  bytesOf(data: Uint8Array): void {
    this.reserve(data.length);
    this.bytes.set(data, this.pos);
    this.pos += data.length;
  }
}

/** Thrown by ByteReader when data ends early or a value is out of range; callers add the context. */
export class MalformedData extends Error {}

/** Reads what ByteWriter wrote, checking every read against the end of the data. */
export class ByteReader {
  pos = 0;

  constructor(readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  private need(n: number): void {
    if (this.pos + n > this.bytes.length) throw new MalformedData('data ends inside a record');
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const b = this.bytes;
    const v = b[this.pos]! | (b[this.pos + 1]! << 8);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const b = this.bytes;
    const p = this.pos;
    this.pos += 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  }

  u64(): number {
    const low = this.u32();
    const high = this.u32();
    if (high > 0x1fffff) throw new MalformedData('64-bit value beyond 2^53');
    return high * 0x1_0000_0000 + low;
  }

  varU32(): number {
    const b = this.bytes;
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= b.length) throw new MalformedData('data ends inside a varint');
      const byte = b[this.pos++]!;
      v |= (byte & 0x7f) << shift;
      if (byte < 0x80) return v >>> 0;
    }
    throw new MalformedData('varint longer than 32 bits');
  }

  varInt(): number {
    const b = this.bytes;
    let z = 0;
    let scale = 1;
    for (let n = 0; n < 8; n++) {
      if (this.pos >= b.length) throw new MalformedData('data ends inside a varint');
      const byte = b[this.pos++]!;
      z += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (z > Number.MAX_SAFE_INTEGER) break;
        return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      }
      scale *= 0x80;
    }
    throw new MalformedData('varint beyond 2^53');
  }

  take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

/** Writes `v` (unsigned 32-bit) as a varint at `b[p]`; returns the position after it. */
export function putVarU32(b: Uint8Array, p: number, v: number): number {
  while (v > 0x7f) {
    b[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  b[p++] = v;
  return p;
}

export function zigzag32(v: number): number {
  return ((v << 1) ^ (v >> 31)) >>> 0;
}

export function unzigzag32(z: number): number {
  return (z >>> 1) ^ -(z & 1);
}
