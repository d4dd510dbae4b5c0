/**
 * Counts emulated time per translated block and stops the CPU at the first block boundary at or after a
 * deadline. Two implementations with one contract: the native hook (src/cpu/native/block-clock.c, the fast
 * path) and a TypeScript BLOCK hook (the reference the native one is tested against).
 *
 * A block's cost is charged when the block starts; if the deadline has been reached the block is not run
 * (Unicorn checks for a stop request right after the BLOCK hook) and is charged when the CPU next resumes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REG, UC_HOOK_BLOCK, UC_HOOK_EDGE_GENERATED, unicorn, type Unicorn } from './unicorn-ffi.ts';

/**
 * What a block costs: its instructions and cycles when it runs to its end, plus what its exit costs once
 * the next block is known (a taken branch; a call or return predicted by a return stack).
 */
export interface BlockCost {
  insns: number;
  cycles: number;
  /** Added when the next block is not the fall-through (a taken branch); may be negative. */
  takenDelta: number;
  /** The block ends in a call: push its fall-through address on the return stack. */
  call: boolean;
  /** The block ends in a return: pop the return stack; added by outcome. */
  ret?: { correct: number; wrong: number; empty: number };
}

export type BlockCostFn = (address: number, size: number) => BlockCost;

const RETURN_STACK = 3;

export interface BlockClock {
  readonly cycles: number;
  readonly insns: number;
  /** Address and size of the block charged last. */
  readonly lastBlock: { address: number; size: number };
  /** Why the CPU is stopping (reset by `setDeadline`). */
  readonly stopReason: ClockStop;
  /**
   * The block the clock refused when it stopped the CPU (reset by `setDeadline`): where the CPU resumes.
   * Unicorn's PC is not always there after the stop: with a CODE hook installed (tracing) it is left at
   * the last instruction of the block before, which would then run twice.
   */
  readonly refusedBlock: number | undefined;
  /** Marks a stop requested from outside the hook: no block is charged until the next `setDeadline`. */
  markStopRequested(): void;
  setDeadline(cycle: number): void;
  /** While set, the CPU stops at the first block boundary where CPSR.I is clear (an IRQ is waiting). */
  setIrqPending(pending: boolean): void;
  /** Corrects the counters, e.g. when an exception ended a block before its last instruction. */
  adjust(insns: number, cycles: number): void;
  /** Forgets the block that ran last: control did not flow from it by a branch (exception entry). */
  breakEdge(): void;
  /**
   * Another address space runs from now on (a world switch): cached block costs are tagged with the space
   * they were computed in, and the return stack and the edge are forgotten.
   */
  setAddressSpace(space: number): void;
  readonly addressSpace: number;
  /** Drops every cached block cost (memory was replaced: a snapshot was restored). */
  forgetCosts(): void;
  /** Counters, edge and return stack as plain data (snapshots); the block cost cache is not state. */
  save(): BlockClockState;
  load(state: BlockClockState): void;
  dispose(): void;
}

/** What links one block to the next, and the counters: all that a snapshot must carry of the clock. */
export interface BlockClockState {
  cycles: number;
  insns: number;
  space: number;
  /** The block that ran last (its exit is charged when the next block starts), or null. */
  prev: { address: number; size: number; cost: BlockCost } | null;
  /** The return stack, oldest first. */
  returnStack: number[];
}

export type BlockClockKind = 'native' | 'js';

export type ClockStop = 'none' | 'deadline' | 'interrupt' | 'requested';
const STOPS: ClockStop[] = ['none', 'deadline', 'interrupt', 'requested'];
const CPSR_I = 1 << 7;

/** build/ of the checkout this module belongs to, found from here whether run from source or a bundle. */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'handset') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the handset checkout (package.json) above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export const nativeLibraryPath = join(projectRoot(), 'build', 'libhandset-native.so');

export function nativeBlockClockAvailable(): boolean {
  return existsSync(nativeLibraryPath);
}

type Handle = Parameters<Unicorn['uc_emu_stop']>[0];

export function createBlockClock(kind: BlockClockKind, uc: Handle, cost: BlockCostFn): BlockClock {
  return kind === 'native' ? new NativeBlockClock(uc, cost) : new JsBlockClock(uc, cost);
}

const MAX_SAFE_DEADLINE = Number.MAX_SAFE_INTEGER;

class JsBlockClock implements BlockClock {
  cycles = 0;
  insns = 0;
  lastBlock = { address: 0, size: 0 };
  stopReason: ClockStop = 'none';
  refusedBlock: number | undefined;
  private deadline = MAX_SAFE_DEADLINE;
  private irqPending = false;
  private readonly cpsr = new Uint32Array(1);
  addressSpace = 0;
  /** Keyed by address space * 2^32 + address. */
  private readonly cache = new Map<number, { size: number; cost: BlockCost }>();
  private prev: { address: number; size: number; cost: BlockCost } | undefined;
  private readonly returnStack: number[] = [];
  private readonly callbacks: unknown[];
  private readonly hooks: number[] = [];

  constructor(
    private readonly uc: Handle,
    private readonly cost: BlockCostFn,
  ) {
    const u = unicorn();
    const onBlock = u.koffi.register(
      (_uc: unknown, address: number, size: number) => this.onBlock(Number(address), size),
      u.koffi.pointer(u.codeHook),
    );
    // Unicorn generated a block (again, after code was rewritten): cost it again (as block-clock.c does).
    const onTranslated = u.koffi.register(
      (_uc: unknown, cur: unknown) => this.cache.delete(this.key(Number(u.koffi.decode(cur, u.tb).pc))),
      u.koffi.pointer(u.edgeHook),
    );
    this.callbacks = [onBlock, onTranslated];
    for (const [type, cb] of [[UC_HOOK_BLOCK, onBlock], [UC_HOOK_EDGE_GENERATED, onTranslated]] as const) {
      const out = [0];
      const err = u.uc_hook_add(uc, out, type, cb, null, 1, 0);
      if (err !== 0) throw new Error(`uc_hook_add(${type}) failed: ${u.uc_strerror(err)}`);
      this.hooks.push(out[0]);
    }
  }

  private onBlock(address: number, size: number): void {
    const u = unicorn();
    if (this.stopReason !== 'none') {
      this.refusedBlock ??= address;
      return;
    }
    if (this.cycles >= this.deadline) {
      this.stopReason = 'deadline';
      this.refusedBlock ??= address;
      u.uc_emu_stop(this.uc);
      return;
    }
    if (this.irqPending) {
      u.uc_reg_read(this.uc, REG.CPSR, this.cpsr);
      if ((this.cpsr[0] & CPSR_I) === 0) {
        this.stopReason = 'interrupt';
        this.refusedBlock ??= address;
        u.uc_emu_stop(this.uc);
        return;
      }
    }
    let entry = this.cache.get(this.key(address));
    if (entry === undefined || entry.size !== size) {
      entry = { size, cost: this.cost(address, size) };
      this.cache.set(this.key(address), entry);
    }
    if (this.prev !== undefined) this.cycles += this.exitCost(this.prev, address);
    this.cycles += entry.cost.cycles;
    this.insns += entry.cost.insns;
    this.lastBlock = { address, size };
    this.prev = { address, size, cost: entry.cost };
  }

  /** The same rule as exit_cost in block-clock.c. */
  private exitCost(prev: { address: number; size: number; cost: BlockCost }, address: number): number {
    const fallThrough = (prev.address + prev.size) >>> 0;
    let delta = 0;
    if (prev.cost.ret !== undefined && address !== fallThrough) {
      // a conditional return that falls through pops nothing
      const predicted = this.returnStack.pop();
      delta = predicted === undefined ? prev.cost.ret.empty : predicted === address ? prev.cost.ret.correct : prev.cost.ret.wrong;
    } else if (address !== fallThrough) {
      delta = prev.cost.takenDelta;
    }
    if (prev.cost.call) {
      if (this.returnStack.length === RETURN_STACK) this.returnStack.shift();
      this.returnStack.push(fallThrough);
    }
    return delta;
  }

  setDeadline(cycle: number): void {
    this.deadline = Math.min(cycle, MAX_SAFE_DEADLINE);
    this.stopReason = 'none';
    this.refusedBlock = undefined;
  }

  setIrqPending(pending: boolean): void {
    this.irqPending = pending;
  }

  markStopRequested(): void {
    if (this.stopReason === 'none') this.stopReason = 'requested';
  }

  adjust(insns: number, cycles: number): void {
    this.insns += insns;
    this.cycles += cycles;
  }

  breakEdge(): void {
    this.prev = undefined;
  }

  setAddressSpace(space: number): void {
    this.addressSpace = space;
    this.prev = undefined;
    this.returnStack.length = 0;
  }

  save(): BlockClockState {
    const prev = this.prev === undefined ? null : { address: this.prev.address, size: this.prev.size, cost: { ...this.prev.cost } };
    return { cycles: this.cycles, insns: this.insns, space: this.addressSpace, prev, returnStack: [...this.returnStack] };
  }

  load(state: BlockClockState): void {
    this.cycles = state.cycles;
    this.insns = state.insns;
    this.addressSpace = state.space;
    this.prev = state.prev === null ? undefined : { ...state.prev, cost: { ...state.prev.cost } };
    this.returnStack.splice(0, this.returnStack.length, ...state.returnStack);
  }

  forgetCosts(): void {
    this.cache.clear();
  }

  private key(address: number): number {
    return this.addressSpace * 2 ** 32 + address;
  }

  dispose(): void {
    const u = unicorn();
    for (const h of this.hooks) u.uc_hook_del(this.uc, h);
    for (const cb of this.callbacks) u.koffi.unregister(cb as never);
  }
}

/** Byte offsets of hs_clock_state's fields. */
const F = {
  cycles: 0, insns: 8, deadline: 16, lastAddr: 24, lastSize: 32, stopped: 36, irqPending: 40, lastInsns: 44,
  blockStartCycles: 48, blockStartInsns: 56, blockSeq: 64, space: 72, refusedAddr: 76, refused: 80, size: 88,
};
/** hs_edge_state as 32-bit words: has_prev, prev entry (address, size, space, 7 cost words), depth, stack[3]. */
const E = { hasPrev: 0, address: 1, size: 2, space: 3, cost: 4, depth: 11, stack: 12, words: 15 };
/** Size of hs_block_cost: seven 32-bit words (see costToWords). */
const C = { size: 28 };
const FLAG_CALL = 1;
const FLAG_RET = 2;

/** hs_block_cost as 32-bit words at `at`: insns, cycles, taken_delta, flags, ret_correct, ret_wrong, ret_empty. */
function costToWords(c: BlockCost, w: Uint32Array, i32: Int32Array, at: number): void {
  w[at] = c.insns;
  w[at + 1] = c.cycles;
  i32[at + 2] = c.takenDelta;
  w[at + 3] = (c.call ? FLAG_CALL : 0) | (c.ret ? FLAG_RET : 0);
  i32[at + 4] = c.ret?.correct ?? 0;
  i32[at + 5] = c.ret?.wrong ?? 0;
  i32[at + 6] = c.ret?.empty ?? 0;
}

function costFromWords(w: Uint32Array, i32: Int32Array, at: number): BlockCost {
  const flags = w[at + 3];
  const cost: BlockCost = { insns: w[at], cycles: w[at + 1], takenDelta: i32[at + 2], call: (flags & FLAG_CALL) !== 0 };
  if (flags & FLAG_RET) cost.ret = { correct: i32[at + 4], wrong: i32[at + 5], empty: i32[at + 6] };
  return cost;
}

let nativeLib: ReturnType<typeof bindNative> | undefined;

function bindNative() {
  const u = unicorn();
  const lib = u.koffi.load(nativeLibraryPath);
  const costProto = u.koffi.proto('void hs_cost_fn(uint64_t address, uint32_t size)');
  return {
    costProto,
    create: lib.func('void *hs_block_clock_new(void *state, void *scratch, hs_cost_fn *cost)'),
    install: lib.func('int hs_block_clock_install(uc_engine_ptr uc, void *bc, _Inout_ size_t *hooks)'),
    breakEdge: lib.func('void hs_block_clock_break(void *bc)'),
    spaceChanged: lib.func('void hs_block_clock_space_changed(void *bc)'),
    forgetCosts: lib.func('void hs_block_clock_forget_costs(void *bc)'),
    edgeSize: lib.func('uint32_t hs_block_clock_edge_size(void)'),
    edgeSave: lib.func('void hs_block_clock_edge_save(void *bc, _Out_ uint32_t *out)'),
    edgeLoad: lib.func('void hs_block_clock_edge_load(void *bc, const uint32_t *in)'),
    free: lib.func('void hs_block_clock_free(void *bc)'),
  };
}

export class NativeBlockClock implements BlockClock {
  /** The shared hs_clock_state, for the native trace capture. */
  readonly state: unknown;
  private readonly scratch: unknown;
  private readonly view: DataView;
  private readonly callback: unknown;
  private readonly native: unknown;
  private readonly hooks: number[];

  constructor(
    private readonly uc: Handle,
    cost: BlockCostFn,
  ) {
    const u = unicorn();
    nativeLib ??= bindNative();
    this.state = u.koffi.alloc('uint8_t', F.size);
    this.view = new DataView(u.koffi.view(this.state as never, F.size));
    for (let i = 0; i < F.size; i++) this.view.setUint8(i, 0);
    this.setDeadline(MAX_SAFE_DEADLINE);
    this.scratch = u.koffi.alloc('uint8_t', C.size);
    const words = new Uint32Array(C.size / 4);
    const signed = new Int32Array(words.buffer);
    const bytes = new Uint8Array(u.koffi.view(this.scratch as never, C.size));
    this.callback = u.koffi.register((address: number, size: number) => {
      costToWords(cost(Number(address), size), words, signed, 0);
      bytes.set(new Uint8Array(words.buffer));
    }, u.koffi.pointer(nativeLib.costProto));
    const native = nativeLib.create(this.state, this.scratch, this.callback);
    if (native === null) throw new Error('hs_block_clock_new: out of memory');
    this.native = native;
    const hooks = [0, 0];
    const err = nativeLib.install(uc, native, hooks);
    if (err !== 0) throw new Error(`hs_block_clock_install failed: ${u.uc_strerror(err)}`);
    this.hooks = hooks;
  }

  private u64(offset: number): number {
    return Number(this.view.getBigUint64(offset, true));
  }

  get cycles(): number {
    return this.u64(F.cycles);
  }
  get insns(): number {
    return this.u64(F.insns);
  }
  get lastBlock(): { address: number; size: number } {
    return { address: this.u64(F.lastAddr), size: this.view.getUint32(F.lastSize, true) };
  }
  get stopReason(): ClockStop {
    return STOPS[this.view.getUint32(F.stopped, true)];
  }
  get refusedBlock(): number | undefined {
    return this.view.getUint32(F.refused, true) === 0 ? undefined : this.view.getUint32(F.refusedAddr, true);
  }

  setIrqPending(pending: boolean): void {
    this.view.setUint32(F.irqPending, pending ? 1 : 0, true);
  }

  markStopRequested(): void {
    if (this.view.getUint32(F.stopped, true) === 0) this.view.setUint32(F.stopped, STOPS.indexOf('requested'), true);
  }

  setDeadline(cycle: number): void {
    this.view.setBigUint64(F.deadline, BigInt(Math.min(cycle, MAX_SAFE_DEADLINE)), true);
    this.view.setUint32(F.stopped, 0, true);
    this.view.setUint32(F.refused, 0, true);
  }

  adjust(insns: number, cycles: number): void {
    this.view.setBigUint64(F.insns, BigInt(this.insns + insns), true);
    this.view.setBigUint64(F.cycles, BigInt(this.cycles + cycles), true);
  }


  breakEdge(): void {
    nativeLib!.breakEdge(this.native);
  }

  get addressSpace(): number {
    return this.view.getUint32(F.space, true);
  }

  forgetCosts(): void {
    nativeLib!.forgetCosts(this.native);
  }

  setAddressSpace(space: number): void {
    this.view.setUint32(F.space, space, true);
    nativeLib!.spaceChanged(this.native);
  }

  save(): BlockClockState {
    const w = new Uint32Array(E.words);
    if (nativeLib!.edgeSize() !== E.words * 4) throw new Error('native block clock: edge state layout changed');
    nativeLib!.edgeSave(this.native, w);
    const i32 = new Int32Array(w.buffer);
    const prev =
      w[E.hasPrev] === 0
        ? null
        : { address: w[E.address], size: w[E.size], cost: costFromWords(w, i32, E.cost) };
    return {
      cycles: this.cycles,
      insns: this.insns,
      space: this.addressSpace,
      prev,
      returnStack: Array.from(w.subarray(E.stack, E.stack + w[E.depth])),
    };
  }

  load(state: BlockClockState): void {
    this.view.setBigUint64(F.cycles, BigInt(state.cycles), true);
    this.view.setBigUint64(F.insns, BigInt(state.insns), true);
    this.view.setUint32(F.space, state.space, true);
    const w = new Uint32Array(E.words);
    const i32 = new Int32Array(w.buffer);
    if (state.prev !== null) {
      w[E.hasPrev] = 1;
      w[E.address] = state.prev.address;
      w[E.size] = state.prev.size;
      w[E.space] = state.space;
      costToWords(state.prev.cost, w, i32, E.cost);
    }
    w[E.depth] = state.returnStack.length;
    state.returnStack.forEach((a, k) => (w[E.stack + k] = a));
    nativeLib!.edgeLoad(this.native, w);
  }

  dispose(): void {
    const u = unicorn();
    for (const h of this.hooks) u.uc_hook_del(this.uc, h);
    nativeLib!.free(this.native);
    u.koffi.unregister(this.callback as never);
    u.koffi.free(this.state as never);
    u.koffi.free(this.scratch as never);
  }
}
