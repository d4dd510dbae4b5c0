/**
 * Writes a trace file (docs/trace-format.md): records go into a chunk buffer, delta-encoded against the
 * running state; every `chunkInstructions` instructions the chunk is compressed and appended, and close()
 * appends the chunk index and the footer. The per-instruction path allocates nothing.
 *
 * A trace written to a path streams into a temporary file that close() renames over the path
 * (src/trace/files.ts), so the path only ever holds a complete trace. The first failure to write or
 * compress (a full disk, a file size limit) throws one error naming the file and the reason, removes the
 * temporary file, and is thrown again by every later call: whatever the caller does next, that one error
 * is what it sees.
 */
import { writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { ChunkCompressor, CompressionError, type CompressedChunk } from './chunk-compressor.ts';
import { describeFsError, OutputFile, OutputFileError } from './files.ts';
import {
  ByteWriter,
  DEFAULT_CHUNK_INSTRUCTIONS,
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
  HEADER_FIELDS,
  headerProblem,
  HYPERVISOR_FIELD,
  INDEX_ENTRY_SIZE,
  INSN_CYCLES,
  INSN_INDEX_JUMP,
  INSN_MODE,
  INSN_PC_JUMP,
  INSN_REGS,
  INSN_THUMB,
  INSN_WIDE,
  KEYFRAME_SIZE,
  putVarU32,
  statusDelta,
  TraceFileError,
  UART_DIRECTIONS,
  VIRQ_VIAS,
  zigzag32,
} from './format.ts';
import { REG_INDEX, REG_NAMES, type EventRecord, type InsnRecord, type RegName, type TraceHeader } from './records.ts';

/** What a producer says about its trace. `version` is ignored: the writer writes its own format version. */
export type TraceHeaderFields = Omit<TraceHeader, 'version'> & { version?: number };

/**
 * A path to create (replaced when the trace is complete, untouched if it never is), or a file descriptor
 * open for writing at its start (written as the trace goes; the caller closes it).
 */
export type TraceSink = string | number;

export interface TraceWriterOptions {
  /** Instructions per chunk: the seek granularity. */
  chunkInstructions?: number;
  /** zlib level, 0 (stored) to 9 (small); default 1, the fastest that compresses (see docs/trace-format.md). */
  compressionLevel?: number;
}

const REG_COUNT = REG_NAMES.length;
/** tag + index jump + cycle delta + PC delta + encoding + mode + mask + every register: the most one instruction takes. */
const MAX_INSN_BYTES = 1 + 8 + 8 + 5 + 4 + 1 + 3 + REG_COUNT * 5;
/** r15 is never added to a partition's first record: the PC after an instruction is the next record's `pc`. */
const ALL_BUT_PC = ((1 << REG_COUNT) - 1) & ~(1 << 15);

interface ChunkEntry {
  offset: number;
  storedLength: number;
  dataLength: number;
  firstIndex: number;
  firstCycle: number;
  instructions: number;
  crc: number;
}

export class TraceWriter {
  private readonly name: string;
  /** Where the bytes go: a file this writer creates, or the caller's file descriptor. */
  private readonly output: OutputFile | number;
  /** The first write or compression failure: every later call throws it. */
  private failure: Error | undefined;
  private readonly chunkLimit: number;
  private readonly level: number;
  private readonly chunk = new ByteWriter(1 << 18);
  private readonly chunks: ChunkEntry[] = [];
  private fileOffset = 0;
  private closed = false;
  private readonly compressor: ChunkCompressor;
  /** Chunks whose compressed bytes are in the file; the rest are still being compressed. */
  private chunksWritten = 0;

  // The running state records are encoded against.
  private readonly regs = new Int32Array(REG_COUNT);
  private readonly changed = new Int32Array(REG_COUNT);
  private cycle = 0;
  private expectedPc = 0;
  private mode = 0;
  /** Index of the last instruction written; -1 before the first. */
  private lastIndex = -1;
  /** Hypervisor traces: the partition names (a partition reference k > 0 is names[k - 1]); none in bare-metal traces. */
  private readonly partitionNames: readonly string[];
  /** The running partition (0: none), as the last world switch (or startIn) set it. */
  private partition = 0;
  /** The partition of the last instruction written (-1: none written yet). */
  private insnPartition = -1;
  /** Each partition's registers after its last instruction, kept while other partitions run. */
  private readonly saved: (Int32Array | undefined)[] = [];

  // The chunk being filled.
  private chunkInsns = 0;
  private chunkFirstIndex = 0;
  private chunkFirstCycle = 0;
  private strings = new Map<string, number>();

  constructor(sink: TraceSink, header: TraceHeaderFields, options: TraceWriterOptions = {}) {
    this.chunkLimit = options.chunkInstructions ?? DEFAULT_CHUNK_INSTRUCTIONS;
    this.level = options.compressionLevel ?? 1;
    if (!(Number.isInteger(this.chunkLimit) && this.chunkLimit >= 1 && this.chunkLimit <= 0xffffffff)) {
      throw new RangeError(`chunkInstructions ${this.chunkLimit}: need a whole number from 1 to 2^32-1`);
    }
    if (!(Number.isInteger(this.level) && this.level >= 0 && this.level <= 9)) {
      throw new RangeError(`compressionLevel ${this.level}: need a whole number from 0 to 9`);
    }
    const fields: Record<string, unknown> = Object.fromEntries(HEADER_FIELDS.map((key) => [key, header[key]]));
    if (header.hypervisor !== undefined) {
      const { configHash, partitions } = header.hypervisor;
      fields[HYPERVISOR_FIELD] = { configHash, partitions: partitions.map(({ name, imageSha256 }) => ({ name, imageSha256 })) };
    }
    const problem = headerProblem(fields, FORMAT_VERSION);
    if (problem !== undefined) throw new RangeError(`bad trace header: ${problem}`);
    this.partitionNames = header.hypervisor?.partitions.map((p) => p.name) ?? [];
    this.name = typeof sink === 'string' ? sink : `file descriptor ${sink}`;
    this.output = typeof sink === 'string' ? new OutputFile(sink) : sink;
    this.compressor = new ChunkCompressor(this.level);
    this.writeFileHeader(fields);
    this.startChunk();
  }

  /**
   * Hypervisor traces: the partition running before the first record (null: none). Only before any
   * record is written; afterwards a world-switch event says which partition runs.
   */
  startIn(partition: string | null): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.chunks.length > 0 || this.chunk.pos !== KEYFRAME_SIZE) throw new RangeError(`${this.name}: startIn after records were written`);
    this.partition = this.partitionRef(partition, true);
    this.startChunk();
  }

  writeInsn(rec: InsnRecord): void {
    if (this.failure !== undefined) throw this.failure;
    const i = rec.i;
    if (!(i > this.lastIndex && Number.isSafeInteger(i)) || rec.pc >>> 0 !== rec.pc || rec.insn >>> 0 !== rec.insn) {
      throw new RangeError(`${this.name}: bad instruction record after index ${this.lastIndex}: ${JSON.stringify(rec)}`);
    }
    this.encodeInsn(i, rec.cycle, rec.pc, rec.insn, rec.thumb, rec.mode, this.collectChanges(rec.regs));
  }

  /**
   * The recorder's fast path: the same record without objects. `mask` has bit k set for each changed
   * register REG_NAMES[k], whose new value is `values[k]`.
   */
  writeInsnFields(i: number, cycle: number, pc: number, insn: number, thumb: boolean, mode: number, mask: number, values: ArrayLike<number>): void {
    if (this.failure !== undefined) throw this.failure;
    if (!(i > this.lastIndex)) throw new RangeError(`${this.name}: instruction ${i} after index ${this.lastIndex}`);
    const changed = this.changed;
    for (let m = mask; m !== 0; m &= m - 1) {
      const k = 31 - Math.clz32(m & -m);
      changed[k] = values[k] | 0;
    }
    this.encodeInsn(i, cycle, pc, insn, thumb, mode, mask);
  }

  private encodeInsn(i: number, cycle: number, pc: number, insn: number, thumb: boolean, mode: number, mask: number): void {
    if (this.partition !== this.insnPartition && this.partitionNames.length > 0) mask = this.switchedIn(mask);
    if (this.chunkInsns === this.chunkLimit) {
      this.flushChunk();
      this.startChunk();
    }
    const out = this.chunk;
    out.reserve(MAX_INSN_BYTES);
    const b = out.bytes;
    const tagAt = out.pos++;
    let tag = thumb ? INSN_THUMB : 0;

    if (this.chunkInsns === 0) {
      this.chunkFirstIndex = i;
      this.chunkFirstCycle = cycle;
    } else if (i !== this.lastIndex + 1) {
      tag |= INSN_INDEX_JUMP;
      out.varInt(i - this.lastIndex - 1);
    }
    this.lastIndex = i;

    const cycleDelta = cycle - this.cycle;
    if (cycleDelta !== 1) {
      tag |= INSN_CYCLES;
      out.varInt(cycleDelta);
    }
    this.cycle = cycle;

    if (pc !== this.expectedPc) {
      tag |= INSN_PC_JUMP;
      out.varU32(zigzag32((pc - this.expectedPc) | 0));
    }
    const size = encodingSize(insn, thumb);
    let p = out.pos;
    if (size === 2) {
      b[p++] = insn;
      b[p++] = insn >>> 8;
    } else {
      if (thumb) tag |= INSN_WIDE;
      b[p++] = insn;
      b[p++] = insn >>> 8;
      b[p++] = insn >>> 16;
      b[p++] = insn >>> 24;
    }
    out.pos = p;
    this.expectedPc = (pc + size) >>> 0;

    if (mode !== this.mode) {
      tag |= INSN_MODE;
      out.u8(mode);
      this.mode = mode;
    }

    if (mask !== 0) {
      tag |= INSN_REGS;
      const regs = this.regs;
      const changed = this.changed;
      p = putVarU32(b, out.pos, mask);
      for (let k = 0; k < REG_COUNT; k++) {
        if ((mask & (1 << k)) === 0) continue;
        const v = changed[k]!;
        p = putVarU32(b, p, k < FIRST_STATUS_REGISTER ? zigzag32((v - regs[k]!) | 0) : statusDelta(regs[k]!, v));
        regs[k] = v;
      }
      out.pos = p;
    }
    b[tagAt] = tag;
    this.chunkInsns++;
  }

  /**
   * The first instruction of a partition after another's (the running register file holds the other's
   * values): the record also names every register, but r15, whose value differs from the partition's
   * own after its previous instruction (every one the first time), so that the partition's records alone
   * give its register state (`trace show --vm`, `trace diff --vm`). Returns the widened mask.
   */
  private switchedIn(mask: number): number {
    const regs = this.regs;
    const changed = this.changed;
    if (this.insnPartition >= 0) this.saved[this.insnPartition] = regs.slice();
    const own = this.saved[this.partition];
    for (let k = 0; k < REG_COUNT; k++) {
      const bit = 1 << k;
      if ((mask & bit) !== 0 || (ALL_BUT_PC & bit) === 0) continue;
      if (own === undefined || own[k] !== regs[k]) {
        changed[k] = regs[k]!;
        mask |= bit;
      }
    }
    this.insnPartition = this.partition;
    return mask;
  }

  writeEvent(ev: EventRecord): void {
    if (this.failure !== undefined) throw this.failure;
    // Partition references are checked before any byte is written: a bad event leaves the chunk as it was.
    const refs = this.eventRefs(ev);
    const out = this.chunk;
    out.reserve(64);
    out.u8(EVENT_TAG | EVENT_CODES[ev.kind]);
    out.varInt(ev.i - (this.chunkInsns === 0 ? -1 : this.lastIndex));
    out.varInt(ev.cycle - this.cycle);
    this.cycle = ev.cycle;
    switch (ev.kind) {
      case 'exception':
        out.u8(EXCEPTION_KINDS.indexOf(ev.exception));
        out.varInt(ev.vector);
        out.varInt(ev.returnAddress);
        break;
      case 'mmio':
        this.writeString(ev.device);
        this.writeString(ev.register);
        out.reserve(32);
        out.varInt(ev.offset);
        out.varInt(ev.size);
        out.u8(ev.write ? 1 : 0);
        out.varInt(ev.value);
        break;
      case 'uart':
        this.writeString(ev.port);
        out.reserve(2);
        out.u8(UART_DIRECTIONS.indexOf(ev.direction));
        out.u8(ev.byte);
        break;
      case 'semihosting':
        out.varInt(ev.op);
        out.varInt(ev.param);
        out.varInt(ev.result);
        out.u8(ev.exit ? 1 : 0);
        break;
      case 'mem':
        out.varInt(ev.address);
        out.varInt(ev.size);
        out.u8(ev.write ? 1 : 0);
        out.varInt(ev.value);
        break;
      case 'hypercall':
        out.varU32(refs[0]!);
        out.varInt(ev.number * 2 + (ev.result === null ? 0 : 1));
        this.writeString(ev.name);
        out.reserve(30);
        for (const a of ev.args) out.varU32(a);
        if (ev.result !== null) out.varInt(ev.result);
        break;
      case 'virq':
        out.varU32(refs[0]!);
        out.varInt(ev.bits * 2 + VIRQ_VIAS.indexOf(ev.via));
        break;
      case 'worldSwitch':
        out.varU32(refs[0]!);
        out.varU32(refs[1]!);
        this.partition = refs[1]!;
        break;
      case 'guestFault':
        out.varU32(refs[0]!);
        this.writeString(ev.fault);
        out.reserve(11);
        out.varU32(ev.address);
        out.varU32(ev.pc);
        out.u8((ev.write ? FAULT_WRITE : 0) | (ev.handled ? FAULT_HANDLED : 0));
        break;
      case 'button':
        out.varU32(refs[0]!);
        break;
      case 'guestState':
        out.varU32(refs[0]!);
        this.writeString(ev.state);
        this.writeString(ev.detail);
        break;
      case 'ringtone':
        out.varU32(refs[0]!);
        this.writeString(ev.ringtone);
        out.reserve(1);
        out.u8(ev.playing ? 1 : 0);
        break;
    }
  }

  /** The partition references of a hypervisor event (checked, with its other 32-bit fields); [] for others. */
  private eventRefs(ev: EventRecord): number[] {
    const u32 = (v: number) => v >>> 0 === v;
    const bad = (what: string) => new RangeError(`${this.name}: bad ${ev.kind} event (${what}): ${JSON.stringify(ev)}`);
    switch (ev.kind) {
      case 'hypercall':
        if (!(u32(ev.number) && ev.args.length === 4 && ev.args.every(u32))) throw bad('number and four arguments, unsigned 32-bit');
        if (!(ev.result === null || (Number.isSafeInteger(ev.result) && Math.abs(ev.result) <= 2 ** 52))) throw bad('result');
        return [this.partitionRef(ev.guest, false)];
      case 'virq':
        if (!u32(ev.bits) || !VIRQ_VIAS.includes(ev.via)) throw bad('bits or via');
        return [this.partitionRef(ev.guest, false)];
      case 'worldSwitch':
        return [this.partitionRef(ev.from, true), this.partitionRef(ev.to, true)];
      case 'guestFault':
        if (!(u32(ev.address) && u32(ev.pc))) throw bad('address and pc, unsigned 32-bit');
        return [this.partitionRef(ev.guest, false)];
      case 'button':
        return [this.partitionRef(ev.foreground, false)];
      case 'guestState':
      case 'ringtone':
        return [this.partitionRef(ev.guest, false)];
      default:
        return [];
    }
  }

  /** 0 for none, k + 1 for the header's partition k. */
  private partitionRef(name: string | null, noneAllowed: boolean): number {
    if (name === null && noneAllowed) return 0;
    const k = name === null ? -1 : this.partitionNames.indexOf(name);
    if (k < 0) {
      const known = this.partitionNames.length === 0 ? 'a bare-metal trace has none' : `the header's are ${this.partitionNames.join(', ')}`;
      throw new RangeError(`${this.name}: partition ${JSON.stringify(name)} is not one of the trace's (${known})`);
    }
    return k + 1;
  }

  /**
   * Writes the last chunk, the index and the footer; a trace written to a path then replaces that path.
   * After a failure, throws it again.
   */
  close(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.closed) return;
    this.flushChunk();
    this.appendCompressed(this.guard(() => this.compressor.finish()));
    this.writeIndexAndFooter();
    this.closed = true;
    this.compressor.close();
    if (typeof this.output !== 'number') this.guard(() => (this.output as OutputFile).commit());
  }

  /**
   * Stops without the index and footer. A trace written to a path is thrown away (the path keeps what it
   * held before); on a file descriptor the file stays unfinished, and the reader refuses it.
   */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    this.compressor.close();
    if (typeof this.output !== 'number') this.output.discard();
  }

  /** Puts the record's register values into `changed` and returns the mask of registers it names. */
  private collectChanges(regs: InsnRecord['regs']): number {
    let mask = 0;
    for (const name in regs) {
      const v = regs[name as RegName];
      if (v === undefined) continue;
      const k = REG_INDEX[name as RegName];
      if (k === undefined || v >>> 0 !== v) {
        throw new RangeError(`${this.name}: bad register change ${name}=${v} after instruction ${this.lastIndex}`);
      }
      this.changed[k] = v;
      mask |= 1 << k;
    }
    return mask;
  }

  private writeString(s: string): void {
    const out = this.chunk;
    const id = this.strings.get(s);
    if (id !== undefined) {
      out.reserve(5);
      out.varU32(id);
      return;
    }
    this.strings.set(s, this.strings.size + 1);
    const utf8 = Buffer.from(s, 'utf8');
    out.reserve(10);
    out.varU32(0);
    out.varU32(utf8.length);
    out.bytesOf(utf8);
  }

  /** `fields`: the header JSON's fields, in the order HEADER_FIELDS, then `hypervisor` if any. */
  private writeFileHeader(fields: Record<string, unknown>): void {
    const json = Buffer.from(JSON.stringify(fields), 'utf8');
    const out = new ByteWriter(FILE_HEADER_SIZE + json.length);
    out.bytesOf(FILE_MAGIC);
    out.u16(FORMAT_VERSION);
    out.u16(0);
    out.u32(json.length);
    out.bytesOf(json);
    this.append(out.bytes.subarray(0, out.pos));
  }

  /** Starts a chunk with a keyframe of the running state (its first index is filled in at flush). */
  private startChunk(): void {
    const out = this.chunk;
    out.pos = 0;
    out.u64(0);
    out.u64(this.cycle);
    out.u32(this.expectedPc);
    out.u8(this.mode);
    for (let k = 0; k < REG_COUNT; k++) out.u32(this.regs[k]!);
    out.u8(this.partition);
    this.chunkInsns = 0;
    this.chunkFirstCycle = this.cycle;
    this.strings = new Map();
  }

  private flushChunk(): void {
    const out = this.chunk;
    if (out.pos === KEYFRAME_SIZE) return; // no records at all: a trace of no chunks
    const firstIndex = this.chunkInsns > 0 ? this.chunkFirstIndex : this.lastIndex + 1;
    const end = out.pos;
    out.pos = 0;
    out.u64(firstIndex);
    out.pos = end;
    const data = out.bytes.subarray(0, end);
    // Offset, stored length and CRC are known when the compressed bytes come back (chunks stay in order).
    this.chunks.push({ offset: 0, storedLength: 0, dataLength: data.length, firstIndex, firstCycle: this.chunkFirstCycle, instructions: this.chunkInsns, crc: 0 });
    this.appendCompressed(this.guard(() => this.compressor.submit(data)));
  }

  /** Appends chunks that came back from the compressor, filling in their index entries. */
  private appendCompressed(done: CompressedChunk[]): void {
    for (const { stored, crc } of done) {
      const entry = this.chunks[this.chunksWritten++];
      entry.offset = this.fileOffset;
      entry.storedLength = stored.length;
      entry.crc = crc;
      this.append(stored);
    }
  }

  private writeIndexAndFooter(): void {
    const out = new ByteWriter(this.chunks.length * INDEX_ENTRY_SIZE + FOOTER_SIZE);
    for (const c of this.chunks) {
      out.u64(c.offset);
      out.u32(c.storedLength);
      out.u32(c.dataLength);
      out.u64(c.firstIndex);
      out.u64(c.firstCycle);
      out.u32(c.instructions);
      out.u32(c.crc);
    }
    const indexCrc = crc32(out.bytes.subarray(0, out.pos));
    out.u64(this.fileOffset);
    out.u32(this.chunks.length);
    out.u32(indexCrc);
    out.bytesOf(FOOTER_MAGIC);
    this.append(out.bytes.subarray(0, out.pos));
  }

  private append(bytes: Uint8Array): void {
    const output = this.output;
    this.guard(() => {
      if (typeof output !== 'number') return output.write(bytes);
      for (let done = 0; done < bytes.length; ) done += writeSync(output, bytes, done, bytes.length - done);
    });
    this.fileOffset += bytes.length;
  }

  /**
   * Runs a write or compression step. Its failure fails the writer: the compressor stops, a file this
   * writer created is removed, and the error (one line naming the file) is thrown now and by every later call.
   */
  private guard<T>(step: () => T): T {
    try {
      return step();
    } catch (error) {
      if (this.failure === undefined) {
        this.failure =
          error instanceof OutputFileError || error instanceof TraceFileError
            ? error
            : error instanceof CompressionError
              ? new TraceFileError(this.name, `cannot compress the trace (${error.message})`)
              : typeof (error as NodeJS.ErrnoException).code === 'string'
                ? new OutputFileError(this.name, `cannot write (${describeFsError(error)})`)
                : (error as Error);
        this.closed = true;
        this.compressor.close();
        if (typeof this.output !== 'number') this.output.discard();
      }
      throw this.failure;
    }
  }
}
