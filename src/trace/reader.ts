/**
 * Reads a trace file (docs/trace-format.md). Opening checks the file header, the footer and the chunk
 * index; records(from) then reads only the chunks from the one holding instruction `from` on, each
 * decoded from its own keyframe. Every way a file can be bad becomes a TraceFileError naming it.
 */
import { closeSync, fstatSync, readSync } from 'node:fs';
import { crc32, inflateRawSync } from 'node:zlib';
import {
  applyStatusDelta,
  ByteReader,
  encodingSize,
  EVENT_CODES,
  EVENT_TAG,
  EXCEPTION_KINDS,
  FAULT_HANDLED,
  FAULT_WRITE,
  FILE_HEADER_SIZE,
  FILE_MAGIC,
  FIRST_STATUS_REGISTER,
  FOOTER_MAGIC,
  FOOTER_SIZE,
  FORMAT_VERSION,
  headerProblem,
  INDEX_ENTRY_SIZE,
  INSN_CYCLES,
  INSN_INDEX_JUMP,
  INSN_MODE,
  INSN_PC_JUMP,
  INSN_REGS,
  INSN_THUMB,
  INSN_WIDE,
  keyframeSize,
  LAST_EVENT_CODE_V2,
  MalformedData,
  MAX_HEADER_JSON,
  TraceFileError,
  UART_DIRECTIONS,
  unzigzag32,
  VIRQ_VIAS,
} from './format.ts';
import { describeFsError, openRegularFile } from './files.ts';
import { REG_NAMES, type EventRecord, type InsnRecord, type TraceHeader, type TraceRecord } from './records.ts';

export interface TraceFile {
  readonly path: string;
  readonly header: TraceHeader;
  /** Instruction records in the file. */
  readonly instructionCount: number;
  /** Index of the first instruction (0 for a trace of a whole run). */
  readonly firstIndex: number;
  /**
   * `count` instruction records (default: all) from the first whose index is `from` or more (default: the
   * first), each followed by the events written after it; the events written before the first
   * instruction come too when `from` is at or before it.
   */
  records(from?: number, count?: number): Iterable<TraceRecord>;
}

interface ChunkEntry {
  offset: number;
  storedLength: number;
  dataLength: number;
  firstIndex: number;
  firstCycle: number;
  instructions: number;
  crc: number;
}

const REG_COUNT = REG_NAMES.length;
const EVENT_KINDS = Object.fromEntries(Object.entries(EVENT_CODES).map(([kind, code]) => [code, kind]));

export function openTrace(path: string): TraceFile {
  const fd = openForReading(path);
  try {
    return readLayout(path, fd);
  } finally {
    closeSync(fd);
  }
}

/** Opens a trace file, refusing anything but a regular file before it could block (a FIFO) or never end. */
function openForReading(path: string): number {
  return openRegularFile(path, (problem) => {
    throw new TraceFileError(path, problem);
  });
}

function readLayout(path: string, fd: number): TraceFile {
  const size = fstatSync(fd).size;
  if (size === 0) throw new TraceFileError(path, 'empty file');
  const start = readAt(path, fd, 0, Math.min(size, FILE_HEADER_SIZE));
  const magicSeen = start.subarray(0, FILE_MAGIC.length);
  if (!startsWith(FILE_MAGIC, magicSeen)) throw new TraceFileError(path, 'not a handset trace file (no trace magic)');
  if (size < FILE_HEADER_SIZE) throw new TraceFileError(path, 'truncated trace (ends inside the file header)');
  const fixed = new ByteReader(start);
  fixed.take(FILE_MAGIC.length);
  const version = fixed.u16();
  fixed.u16();
  const headerLength = fixed.u32();
  if (version > FORMAT_VERSION) {
    throw new TraceFileError(path, `trace format version ${version} is newer than this handset reads (${FORMAT_VERSION})`);
  }
  if (version === 0) throw new TraceFileError(path, 'corrupt trace (format version 0)');
  if (headerLength > MAX_HEADER_JSON) throw new TraceFileError(path, `corrupt trace header (${headerLength} bytes long)`);
  const dataStart = FILE_HEADER_SIZE + headerLength;
  if (dataStart + FOOTER_SIZE > size) throw new TraceFileError(path, 'truncated trace (ends inside the trace header)');
  const header = parseHeader(path, version, readAt(path, fd, FILE_HEADER_SIZE, headerLength));
  const chunks = readIndex(path, fd, size, dataStart, keyframeSize(version));
  return new TraceReader(path, header, chunks);
}

function parseHeader(path: string, version: number, bytes: Uint8Array): TraceHeader {
  let fields: unknown;
  try {
    fields = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new TraceFileError(path, 'corrupt trace header (not JSON)');
  }
  const problem = headerProblem(fields, version);
  if (problem !== undefined) throw new TraceFileError(path, `corrupt trace header (${problem})`);
  // Version 1 also held the command line that wrote the trace: checked, then dropped.
  const { source, cpu, clockHz, ramSize, timing, imageSha256, hypervisor } = fields as Omit<TraceHeader, 'version'>;
  const header: TraceHeader = { version, source, cpu, clockHz, ramSize, timing, imageSha256 };
  if (hypervisor !== undefined) header.hypervisor = hypervisor;
  return header;
}

function readIndex(path: string, fd: number, size: number, dataStart: number, keyframe: number): ChunkEntry[] {
  const footerBytes = readAt(path, fd, size - FOOTER_SIZE, FOOTER_SIZE);
  if (!startsWith(footerBytes.subarray(FOOTER_SIZE - FOOTER_MAGIC.length), FOOTER_MAGIC)) {
    throw new TraceFileError(path, 'truncated trace (no chunk index at the end: was the trace closed?)');
  }
  const footer = new ByteReader(footerBytes);
  const indexOffset = footerField(path, () => footer.u64());
  const chunkCount = footer.u32();
  const indexCrc = footer.u32();
  const indexLength = chunkCount * INDEX_ENTRY_SIZE;
  if (indexOffset < dataStart || indexOffset + indexLength + FOOTER_SIZE !== size) {
    throw new TraceFileError(path, 'corrupt trace (the footer does not match the file size)');
  }
  const bytes = readAt(path, fd, indexOffset, indexLength);
  if (crc32(bytes) !== indexCrc) throw new TraceFileError(path, 'corrupt trace (chunk index checksum mismatch)');
  const index = new ByteReader(bytes);
  const chunks: ChunkEntry[] = [];
  let expectedOffset = dataStart;
  for (let k = 0; k < chunkCount; k++) {
    const c = footerField(path, () => ({
      offset: index.u64(),
      storedLength: index.u32(),
      dataLength: index.u32(),
      firstIndex: index.u64(),
      firstCycle: index.u64(),
      instructions: index.u32(),
      crc: index.u32(),
    }));
    const previous = chunks[k - 1];
    const ordered = previous === undefined || c.firstIndex >= previous.firstIndex + previous.instructions;
    if (c.offset !== expectedOffset || c.dataLength < keyframe || !ordered) {
      throw new TraceFileError(path, `corrupt trace (bad chunk index entry ${k})`);
    }
    expectedOffset += c.storedLength;
    chunks.push(c);
  }
  if (expectedOffset !== indexOffset) throw new TraceFileError(path, 'corrupt trace (chunks do not end at the index)');
  return chunks;
}

/** Index and footer values out of range are corruption of the index. */
function footerField<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof MalformedData) throw new TraceFileError(path, 'corrupt trace (chunk index values out of range)');
    throw error;
  }
}

class TraceReader implements TraceFile {
  readonly instructionCount: number;
  readonly firstIndex: number;

  constructor(
    readonly path: string,
    readonly header: TraceHeader,
    private readonly chunks: ChunkEntry[],
  ) {
    this.instructionCount = chunks.reduce((n, c) => n + c.instructions, 0);
    this.firstIndex = chunks[0]?.firstIndex ?? 0;
  }

  *records(from?: number, count?: number): Generator<TraceRecord> {
    const start = from ?? this.firstIndex;
    let remaining = count ?? Infinity;
    let started = start <= this.firstIndex;
    const fd = openForReading(this.path);
    try {
      for (let k = started ? 0 : this.chunkHolding(start); k < this.chunks.length; k++) {
        for (const rec of this.decodeChunk(fd, k)) {
          if (rec.kind === 'insn') {
            if (!started && rec.i < start) continue;
            started = true;
            if (remaining === 0) return;
            remaining--;
          } else if (!started) {
            continue;
          }
          yield rec;
        }
      }
    } finally {
      closeSync(fd);
    }
  }

  /** The last chunk whose first instruction is at or before `i` (0 when `i` precedes them all). */
  private chunkHolding(i: number): number {
    let low = 0;
    let high = this.chunks.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.chunks[mid]!.firstIndex <= i) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  private decodeChunk(fd: number, k: number): TraceRecord[] {
    const c = this.chunks[k]!;
    const where = `chunk ${k} (instructions from ${c.firstIndex})`;
    const stored = readAt(this.path, fd, c.offset, c.storedLength);
    let data: Uint8Array;
    try {
      data = inflateRawSync(stored, { maxOutputLength: c.dataLength });
    } catch {
      throw new TraceFileError(this.path, `corrupt trace: ${where} does not decompress`);
    }
    if (data.length !== c.dataLength || crc32(data) !== c.crc) {
      throw new TraceFileError(this.path, `corrupt trace: ${where} checksum mismatch`);
    }
    try {
      return decodeRecords(data, c, this.header);
    } catch (error) {
      if (error instanceof MalformedData) throw new TraceFileError(this.path, `corrupt trace: ${where}: ${error.message}`);
      throw error;
    }
  }
}

/** Decodes one chunk's records from its keyframe on. */
function decodeRecords(data: Uint8Array, chunk: ChunkEntry, header: TraceHeader): TraceRecord[] {
  const r = new ByteReader(data);
  const firstIndex = r.u64();
  if (firstIndex !== chunk.firstIndex) throw new MalformedData('keyframe index differs from the chunk index');
  let cycle = r.u64();
  let expectedPc = r.u32();
  let mode = r.u8();
  const regs = new Uint32Array(REG_COUNT);
  for (let k = 0; k < REG_COUNT; k++) regs[k] = r.u32();
  const names = header.hypervisor?.partitions.map((p) => p.name) ?? [];
  const context: EventContext = { strings: [], names, lastCode: header.version >= 3 ? Infinity : LAST_EVENT_CODE_V2, partition: 0 };
  if (header.version >= 3) context.partition = partitionRef(r.u8(), names, true);
  const hypervisor = header.hypervisor !== undefined;
  const out: TraceRecord[] = [];
  let instructions = 0;
  let i = -1; // the last instruction's index, as events are written against it
  while (!r.done) {
    const tag = r.u8();
    if (tag & EVENT_TAG) {
      const eventIndex = i + r.varInt();
      cycle += r.varInt();
      out.push(decodeEvent(r, tag & ~EVENT_TAG, eventIndex, cycle, context));
      continue;
    }
    if (tag & INSN_WIDE && !(tag & INSN_THUMB)) throw new MalformedData(`bad record tag 0x${tag.toString(16)}`);
    if (instructions === 0 && tag & INSN_INDEX_JUMP) throw new MalformedData('index jump in the first instruction of a chunk');
    i = instructions === 0 ? firstIndex : i + 1 + (tag & INSN_INDEX_JUMP ? indexJump(r) : 0);
    instructions++;
    cycle += tag & INSN_CYCLES ? r.varInt() : 1;
    const pc = tag & INSN_PC_JUMP ? (expectedPc + unzigzag32(r.varU32())) >>> 0 : expectedPc;
    const thumb = (tag & INSN_THUMB) !== 0;
    const insn = thumb && !(tag & INSN_WIDE) ? r.u16() : r.u32();
    expectedPc = (pc + encodingSize(insn, thumb)) >>> 0;
    if (tag & INSN_MODE) mode = r.u8();
    const changes: InsnRecord['regs'] = {};
    if (tag & INSN_REGS) {
      const mask = r.varU32();
      if (mask >>> REG_COUNT !== 0) throw new MalformedData('register mask names unknown registers');
      for (let k = 0; k < REG_COUNT; k++) {
        if ((mask & (1 << k)) === 0) continue;
        const delta = r.varU32();
        regs[k] = k < FIRST_STATUS_REGISTER ? regs[k]! + unzigzag32(delta) : applyStatusDelta(regs[k]!, delta);
        changes[REG_NAMES[k]!] = regs[k]!;
      }
    }
    if (hypervisor && context.partition > 0) out.push({ kind: 'insn', i, cycle, pc, insn, thumb, mode, regs: changes, vm: names[context.partition - 1]! });
    else out.push({ kind: 'insn', i, cycle, pc, insn, thumb, mode, regs: changes });
  }
  if (instructions !== chunk.instructions) throw new MalformedData('instruction count differs from the chunk index');
  return out;
}

function indexJump(r: ByteReader): number {
  const jump = r.varInt();
  if (jump < 0) throw new MalformedData('instruction index goes backwards');
  return jump;
}

/** What events are decoded against: the chunk's string table, the header's partitions, the running partition. */
interface EventContext {
  strings: string[];
  names: readonly string[];
  /** The highest event code of the file's version. */
  lastCode: number;
  /** The running partition: 0 none, k + 1 partition k (set by the keyframe and world switches). */
  partition: number;
}

/** A partition reference: 0 none (where allowed), k + 1 the header's partition k. */
function partitionRef(ref: number, names: readonly string[], noneAllowed: boolean): number {
  if (ref > names.length || (ref === 0 && !noneAllowed)) throw new MalformedData(`bad partition reference ${ref}`);
  return ref;
}

function decodeEvent(r: ByteReader, code: number, i: number, cycle: number, context: EventContext): EventRecord {
  const { strings, names } = context;
  const string = (): string => {
    const id = r.varU32();
    if (id > 0) {
      const s = strings[id - 1];
      if (s === undefined) throw new MalformedData(`unknown string reference ${id}`);
      return s;
    }
    const s = Buffer.from(r.take(r.varU32())).toString('utf8');
    strings.push(s);
    return s;
  };
  const flag = (): boolean => {
    const v = r.u8();
    if (v > 1) throw new MalformedData(`bad flag byte ${v}`);
    return v === 1;
  };
  const choice = <T>(values: readonly T[]): T => {
    const v = values[r.u8()];
    if (v === undefined) throw new MalformedData('bad enumerated value');
    return v;
  };
  const guest = (): string => names[partitionRef(r.varU32(), names, false) - 1]!;
  const partitionOrNone = (): number => partitionRef(r.varU32(), names, true);
  const nameOf = (ref: number): string | null => (ref === 0 ? null : names[ref - 1]!);
  /** A non-negative safe integer `value * 2 + bit` (a 32-bit value and a flag in one varint). */
  const withBit = (): [number, number] => {
    const v = r.varInt();
    const value = Math.floor(v / 2);
    if (v < 0 || value > 0xffffffff) throw new MalformedData(`value out of range ${v}`);
    return [value, v % 2];
  };
  switch (code <= context.lastCode ? EVENT_KINDS[code] : undefined) {
    case 'exception':
      return { kind: 'exception', exception: choice(EXCEPTION_KINDS), vector: r.varInt(), returnAddress: r.varInt(), i, cycle };
    case 'mmio':
      return { kind: 'mmio', device: string(), register: string(), offset: r.varInt(), size: r.varInt(), write: flag(), value: r.varInt(), i, cycle };
    case 'uart':
      return { kind: 'uart', port: string(), direction: choice(UART_DIRECTIONS), byte: r.u8(), i, cycle };
    case 'semihosting':
      return { kind: 'semihosting', op: r.varInt(), param: r.varInt(), result: r.varInt(), exit: flag(), i, cycle };
    case 'mem':
      return { kind: 'mem', address: r.varInt(), size: r.varInt(), write: flag(), value: r.varInt(), i, cycle };
    case 'hypercall': {
      const who = guest();
      const [number, returns] = withBit();
      const name = string();
      const args = [r.varU32(), r.varU32(), r.varU32(), r.varU32()];
      return { kind: 'hypercall', guest: who, number, name, args, result: returns ? r.varInt() : null, i, cycle };
    }
    case 'virq': {
      const who = guest();
      const [bits, via] = withBit();
      return { kind: 'virq', guest: who, bits, via: VIRQ_VIAS[via]!, i, cycle };
    }
    case 'worldSwitch': {
      const from = partitionOrNone();
      const to = partitionOrNone();
      context.partition = to;
      return { kind: 'worldSwitch', from: nameOf(from), to: nameOf(to), i, cycle };
    }
    case 'guestFault': {
      const who = guest();
      const fault = string();
      const address = r.varU32();
      const pc = r.varU32();
      const flags = r.u8();
      if (flags > (FAULT_WRITE | FAULT_HANDLED)) throw new MalformedData(`bad fault flags ${flags}`);
      return { kind: 'guestFault', guest: who, fault, address, pc, write: (flags & FAULT_WRITE) !== 0, handled: (flags & FAULT_HANDLED) !== 0, i, cycle };
    }
    case 'button':
      return { kind: 'button', foreground: guest(), i, cycle };
    case 'guestState': {
      const who = guest();
      const state = string();
      return { kind: 'guestState', guest: who, state, detail: string(), i, cycle };
    }
    case 'ringtone': {
      const who = guest();
      const ringtone = string();
      return { kind: 'ringtone', guest: who, ringtone, playing: flag(), i, cycle };
    }
    default:
      throw new MalformedData(`unknown event type ${code}`);
  }
}

function readAt(path: string, fd: number, position: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    let n: number;
    try {
      n = readSync(fd, bytes, done, length - done, position + done);
    } catch (error) {
      throw new TraceFileError(path, describeFsError(error, 'read'));
    }
    if (n === 0) throw new TraceFileError(path, 'truncated trace (the file ended while reading it)');
    done += n;
  }
  return bytes;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && prefix.every((b, k) => bytes[k] === b);
}
