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

export interface CapturedInsn {
  i: number;
  cycle: number;
  pc: number;
  insn: number;
  size: 2 | 4;
  thumb: boolean;
  mode: number;
  /** Bit n set: register REG_NAMES[n] changed; `values` holds the new values in bit order. */
  mask: number;
  values: number[];
}

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
  insn(record: CapturedInsn): void;
  mem(record: CapturedMem): void;
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
    let p = 0;
    while (p < used) {
      if (this.bytes[p] === 2) {
        sink.mem({
          size: this.bytes[p + 1],
          write: this.bytes[p + 2] !== 0,
          address: v.getUint32(p + 4, true),
          value: v.getUint32(p + 8, true),
          i: Number(v.getBigUint64(p + 16, true)),
        });
        p += MEM_RECORD;
        continue;
      }
      const mask = v.getUint32(p + 8, true);
      const values: number[] = [];
      let q = p + INSN_HEADER;
      for (let m = mask; m !== 0; m &= m - 1) {
        values.push(v.getUint32(q, true));
        q += 4;
      }
      const pc = v.getUint32(p + 4, true);
      const located = this.locate(v.getUint32(p + 12, true), pc);
      sink.insn({
        i: Number(v.getBigUint64(p + 16, true)) + located.ordinal,
        cycle: Number(v.getBigUint64(p + 24, true)) + located.prefix,
        pc,
        insn: located.encoding,
        size: located.size,
        thumb: (this.bytes[p + 1] & 1) !== 0,
        mode: this.bytes[p + 2],
        mask,
        values,
      });
      p = q;
    }
    lib!.clear(this.native);
  }

  /** Closes the last instruction's record: call once when the run is over, then drain. */
  finish(): void {
    lib!.finish(this.uc, this.native);
  }

  dispose(): void {
    const u = unicorn();
    for (const h of this.hooks) if (h !== 0) u.uc_hook_del(this.uc, h);
    lib!.free(this.native);
    u.koffi.unregister(this.flushCallback as never);
  }

  /** The instruction's place in its block, encoding and the cycles before it, from the block's cached decode. */
  private locate(blockAddress: number, pc: number): { ordinal: number; encoding: number; size: 2 | 4; prefix: number } {
    const entry = this.blockAt(blockAddress);
    if (entry !== undefined) {
      let prefix = 0;
      const insns = entry.block.insns;
      for (let k = 0; k < insns.length; k++) {
        if (insns[k].address === pc) return { ordinal: k, encoding: insns[k].encoding, size: insns[k].size, prefix };
        prefix += entry.costs[k];
      }
    }
    throw new Error(`trace capture: no decoded instruction at 0x${pc.toString(16)} (block 0x${blockAddress.toString(16)})`);
  }
}
