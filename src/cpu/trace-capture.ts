/**
 * Instruction capture for tracing: installs the native CODE hook (src/cpu/native/trace-capture.c) and
 * decodes its buffer into instruction records and memory-access events. Only created when tracing, so an
 * untraced run has no per-instruction hook at all.
 */
import { unicorn } from './unicorn-ffi.ts';
import { nativeLibraryPath } from './block-clock.ts';
import type { DecodedBlock } from './decode.ts';

/** Registers in record order: r0..r15, cpsr, spsr (src/trace/records.ts REG_NAMES). */
const REG_IDS = [66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 12, 10, 11, 3, 13];
const CAPACITY = 8 * 1024 * 1024;
const INSN_HEADER = 36;
const MEM_RECORD = 24;

/**
 * One captured instruction, handed over without allocating: bit n of `mask` set means register
 * REG_NAMES[n] changed and `values[n]` is its new value (`values` is reused: copy what you keep).
 */
export type CapturedInsn = (
  i: number,
  cycle: number,
  pc: number,
  insn: number,
  thumb: boolean,
  mode: number,
  mask: number,
  values: Uint32Array,
) => void;

export interface CapturedMem {
  i: number;
  address: number;
  size: number;
  write: boolean;
  value: number;
}

export interface CaptureOptions {
  fromIndex?: number;
  toIndex?: number;
  fromCycle?: number;
  toCycle?: number;
  /** Record only instructions with begin <= pc < end. */
  addressRange?: { begin: number; end: number };
  memory?: boolean;
}

export interface CaptureSink {
  insn: CapturedInsn;
  mem(record: CapturedMem): void;
}

/** A block's instructions by address and the cycles before each (prefix sums of its costs). */
interface BlockIndex {
  ordinal: Map<number, number>;
  prefix: number[];
}

type Handle = Parameters<ReturnType<typeof unicorn>['uc_emu_stop']>[0];

let lib: ReturnType<typeof bind> | undefined;

function bind() {
  const u = unicorn();
  const l = u.koffi.load(nativeLibraryPath);
  return {
    flushProto: u.koffi.proto('void hs_flush_fn(void)'),
    create: l.func('void *hs_trace_new(void *clock, uint32_t capacity, const int *regIds, hs_flush_fn *flush)'),
    window: l.func('void hs_trace_window(void *t, uint64_t fromIndex, uint64_t toIndex, uint64_t fromCycle, uint64_t toCycle)'),
    install: l.func('int hs_trace_install(uc_engine_ptr uc, void *t, uint64_t begin, uint64_t end, int memory, _Out_ size_t *hooks)'),
    finish: l.func('void hs_trace_finish(uc_engine_ptr uc, void *t)'),
    buffer: l.func('void *hs_trace_buffer(void *t)'),
    used: l.func('uint32_t hs_trace_used(void *t)'),
    clear: l.func('void hs_trace_clear(void *t)'),
    currentIndex: l.func('uint64_t hs_trace_current_index(void *t)'),
    free: l.func('void hs_trace_free(void *t)'),
  };
}

const U64_MAX = 0xffff_ffff_ffff_ffffn;

export class TraceCapture {
  private readonly native: unknown;
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly hooks = [0, 0];
  private readonly flushCallback: unknown;
  private readonly values = new Uint32Array(REG_IDS.length);
  private readonly indexes = new WeakMap<object, BlockIndex>();

  constructor(
    private readonly uc: Handle,
    clockState: unknown,
    options: CaptureOptions,
    private readonly blockAt: (address: number) => { block: DecodedBlock; costs: number[] } | undefined,
    private readonly sink: CaptureSink,
  ) {
    const u = unicorn();
    lib ??= bind();
    this.flushCallback = u.koffi.register(() => this.drain(), u.koffi.pointer(lib.flushProto));
    const native = lib.create(clockState, CAPACITY, Int32Array.from(REG_IDS), this.flushCallback);
    if (native === null) throw new Error('trace capture: out of memory');
    this.native = native;
    lib.window(
      native,
      BigInt(options.fromIndex ?? 0),
      options.toIndex !== undefined ? BigInt(options.toIndex) : U64_MAX,
      BigInt(options.fromCycle ?? 0),
      options.toCycle !== undefined ? BigInt(options.toCycle) : U64_MAX,
    );
    // Unicorn hook ranges are inclusive; begin > end means every address.
    const range = options.addressRange ? { begin: options.addressRange.begin, end: options.addressRange.end - 1 } : { begin: 1, end: 0 };
    const err = lib.install(uc, native, range.begin, range.end, options.memory ? 1 : 0, this.hooks);
    if (err !== 0) throw new Error(`trace capture: uc_hook_add failed: ${u.uc_strerror(err)}`);
    const buffer = lib.buffer(native);
    this.bytes = new Uint8Array(u.koffi.view(buffer as never, CAPACITY));
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, CAPACITY);
  }

  /** Index of the instruction executing (or last executed): where events belong. */
  get currentIndex(): number {
    return Number(lib!.currentIndex(this.native));
  }

  /** Hands every captured record to the sink, in order, and empties the buffer (also called by the hook when it is full). */
  drain(): void {
    const sink = this.sink;
    const used = lib!.used(this.native);
    const v = this.view;
    const bytes = this.bytes;
    const values = this.values;
    // Consecutive records mostly come from one block: look it up once.
    let lastAddress = -1;
    let entry: { block: DecodedBlock; costs: number[] } | undefined;
    let index: BlockIndex | undefined;
    let p = 0;
    while (p < used) {
      if (bytes[p] === 2) {
        sink.mem({
          size: bytes[p + 1],
          write: bytes[p + 2] !== 0,
          address: v.getUint32(p + 4, true),
          value: v.getUint32(p + 8, true),
          i: u64(v, p + 16),
        });
        p += MEM_RECORD;
        continue;
      }
      const mask = v.getUint32(p + 8, true);
      let q = p + INSN_HEADER;
      for (let m = mask; m !== 0; m &= m - 1) {
        values[31 - Math.clz32(m & -m)] = v.getUint32(q, true);
        q += 4;
      }
      const pc = v.getUint32(p + 4, true);
      const blockAddress = v.getUint32(p + 12, true);
      if (blockAddress !== lastAddress || entry === undefined) {
        lastAddress = blockAddress;
        entry = this.blockAt(blockAddress);
        index = entry && this.indexOf(entry);
      }
      const k = index?.ordinal.get(pc);
      if (entry === undefined || index === undefined || k === undefined) {
        throw new Error(`trace capture: no decoded instruction at 0x${pc.toString(16)} (block 0x${blockAddress.toString(16)})`);
      }
      sink.insn(
        u64(v, p + 16) + k,
        u64(v, p + 24) + index.prefix[k],
        pc,
        entry.block.insns[k].encoding,
        (bytes[p + 1] & 1) !== 0,
        bytes[p + 2],
        mask,
        values,
      );
      p = q;
    }
    lib!.clear(this.native);
  }

  /**
   * Closes the last instruction's record with the registers as they are now (then drain): when the run is
   * over, or before the address space changes. The next instruction opens a record of its own as usual.
   */
  finish(): void {
    lib!.finish(this.uc, this.native);
  }

  dispose(): void {
    const u = unicorn();
    for (const h of this.hooks) if (h !== 0) u.uc_hook_del(this.uc, h);
    lib!.free(this.native);
    u.koffi.unregister(this.flushCallback as never);
  }

  private indexOf(entry: { block: DecodedBlock; costs: number[] }): BlockIndex {
    let index = this.indexes.get(entry);
    if (index === undefined) {
      const ordinal = new Map<number, number>();
      const prefix: number[] = [];
      let sum = 0;
      entry.block.insns.forEach((insn, k) => {
        ordinal.set(insn.address, k);
        prefix.push(sum);
        sum += entry.costs[k];
      });
      index = { ordinal, prefix };
      this.indexes.set(entry, index);
    }
    return index;
  }
}

/** A little-endian u64 as a Number (exact below 2^53). */
function u64(v: DataView, offset: number): number {
  return v.getUint32(offset, true) + v.getUint32(offset + 4, true) * 2 ** 32;
}
