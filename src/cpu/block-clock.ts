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
  /** Marks a stop requested from outside the hook: no block is charged until the next `setDeadline`. */
  markStopRequested(): void;
  setDeadline(cycle: number): void;
  /** While set, the CPU stops at the first block boundary where CPSR.I is clear (an IRQ is waiting). */
  setIrqPending(pending: boolean): void;
  /** Corrects the counters, e.g. when an exception ended a block before its last instruction. */
  adjust(insns: number, cycles: number): void;
  /** Forgets the block that ran last: control did not flow from it by a branch (exception entry). */
  breakEdge(): void;
  dispose(): void;
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
  private deadline = MAX_SAFE_DEADLINE;
  private irqPending = false;
  private readonly cpsr = new Uint32Array(1);
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
      (_uc: unknown, cur: unknown) => this.cache.delete(Number(u.koffi.decode(cur, u.tb).pc)),
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
    if (this.stopReason !== 'none') return;
    if (this.cycles >= this.deadline) {
      this.stopReason = 'deadline';
      u.uc_emu_stop(this.uc);
      return;
    }
    if (this.irqPending) {
      u.uc_reg_read(this.uc, REG.CPSR, this.cpsr);
      if ((this.cpsr[0] & CPSR_I) === 0) {
        this.stopReason = 'interrupt';
        u.uc_emu_stop(this.uc);
        return;
      }
    }
    let entry = this.cache.get(address);
    if (entry === undefined || entry.size !== size) {
      entry = { size, cost: this.cost(address, size) };
      this.cache.set(address, entry);
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


  dispose(): void {
    const u = unicorn();
    for (const h of this.hooks) u.uc_hook_del(this.uc, h);
    for (const cb of this.callbacks) u.koffi.unregister(cb as never);
  }
}

/** Byte offsets of hs_clock_state's fields. */
const F = {
  cycles: 0, insns: 8, deadline: 16, lastAddr: 24, lastSize: 32, stopped: 36, irqPending: 40, lastInsns: 44,
  blockStartCycles: 48, blockStartInsns: 56, blockSeq: 64, size: 72,
};
/** Byte offsets of hs_block_cost's fields. */
const C = { insns: 0, cycles: 4, takenDelta: 8, flags: 12, retCorrect: 16, retWrong: 20, retEmpty: 24, size: 28 };
const FLAG_CALL = 1;
const FLAG_RET = 2;

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
    const out = new DataView(u.koffi.view(this.scratch as never, C.size));
    this.callback = u.koffi.register((address: number, size: number) => {
      const c = cost(Number(address), size);
      out.setUint32(C.insns, c.insns, true);
      out.setUint32(C.cycles, c.cycles, true);
      out.setInt32(C.takenDelta, c.takenDelta, true);
      out.setUint32(C.flags, (c.call ? FLAG_CALL : 0) | (c.ret ? FLAG_RET : 0), true);
      out.setInt32(C.retCorrect, c.ret?.correct ?? 0, true);
      out.setInt32(C.retWrong, c.ret?.wrong ?? 0, true);
      out.setInt32(C.retEmpty, c.ret?.empty ?? 0, true);
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

  setIrqPending(pending: boolean): void {
    this.view.setUint32(F.irqPending, pending ? 1 : 0, true);
  }

  markStopRequested(): void {
    if (this.view.getUint32(F.stopped, true) === 0) this.view.setUint32(F.stopped, STOPS.indexOf('requested'), true);
  }

  setDeadline(cycle: number): void {
    this.view.setBigUint64(F.deadline, BigInt(Math.min(cycle, MAX_SAFE_DEADLINE)), true);
    this.view.setUint32(F.stopped, 0, true);
  }

  adjust(insns: number, cycles: number): void {
    this.view.setBigUint64(F.insns, BigInt(this.insns + insns), true);
    this.view.setBigUint64(F.cycles, BigInt(this.cycles + cycles), true);
  }


  breakEdge(): void {
    nativeLib!.breakEdge(this.native);
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
