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
import { REG, unicorn, type Unicorn } from './unicorn-ffi.ts';

/** Instruction count and cycle cost of the block at `address` of `size` bytes. */
export type BlockCostFn = (address: number, size: number) => { insns: number; cycles: number };

export interface BlockClock {
  readonly cycles: number;
  readonly insns: number;
  /** Address and size of the block charged last. */
  readonly lastBlock: { address: number; size: number };
  /** Why the hook last stopped the CPU (reset by `setDeadline`). */
  readonly stopReason: ClockStop;
  setDeadline(cycle: number): void;
  /** While set, the CPU stops at the first block boundary where CPSR.I is clear (an IRQ is waiting). */
  setIrqPending(pending: boolean): void;
  /** Corrects the counters, e.g. when an exception ended a block before its last instruction. */
  adjust(insns: number, cycles: number): void;
  /** Drops cached costs of blocks overlapping [begin, end) after code there was rewritten. */
  forget(begin: number, end: number): void;
  dispose(): void;
}

export type BlockClockKind = 'native' | 'js';

export type ClockStop = 'none' | 'deadline' | 'interrupt';
const STOPS: ClockStop[] = ['none', 'deadline', 'interrupt'];
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
  private readonly cache = new Map<number, { size: number; insns: number; cycles: number }>();
  private readonly callback: unknown;
  private readonly hook: number;

  constructor(
    private readonly uc: Handle,
    private readonly cost: BlockCostFn,
  ) {
    const u = unicorn();
    this.callback = u.koffi.register(
      (_uc: unknown, address: number, size: number) => this.onBlock(Number(address), size),
      u.koffi.pointer(u.codeHook),
    );
    const out = [0];
    const err = u.uc_hook_add(uc, out, 8, this.callback, null, 1, 0);
    if (err !== 0) throw new Error(`uc_hook_add(BLOCK) failed: ${u.uc_strerror(err)}`);
    this.hook = out[0];
  }

  private onBlock(address: number, size: number): void {
    const u = unicorn();
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
      entry = { size, ...this.cost(address, size) };
      this.cache.set(address, entry);
    }
    this.cycles += entry.cycles;
    this.insns += entry.insns;
    this.lastBlock = { address, size };
  }

  setDeadline(cycle: number): void {
    this.deadline = Math.min(cycle, MAX_SAFE_DEADLINE);
    this.stopReason = 'none';
  }

  setIrqPending(pending: boolean): void {
    this.irqPending = pending;
  }

  adjust(insns: number, cycles: number): void {
    this.insns += insns;
    this.cycles += cycles;
  }

  forget(begin: number, end: number): void {
    for (const [address, e] of this.cache) if (address < end && address + e.size > begin) this.cache.delete(address);
  }

  dispose(): void {
    const u = unicorn();
    u.uc_hook_del(this.uc, this.hook);
    u.koffi.unregister(this.callback as never);
  }
}

/** Byte offsets of hs_clock_state's fields. */
const F = { cycles: 0, insns: 8, deadline: 16, lastAddr: 24, lastSize: 32, stopped: 36, irqPending: 40, size: 48 };

let nativeLib: ReturnType<typeof bindNative> | undefined;

function bindNative() {
  const u = unicorn();
  const lib = u.koffi.load(nativeLibraryPath);
  const costProto = u.koffi.proto('uint64_t hs_cost_fn(uint64_t address, uint32_t size)');
  return {
    costProto,
    create: lib.func('void *hs_block_clock_new(void *state, hs_cost_fn *cost)'),
    install: lib.func('int hs_block_clock_install(uc_engine_ptr uc, void *bc, _Out_ size_t *hook)'),
    forget: lib.func('void hs_block_clock_forget(void *bc, uint64_t begin, uint64_t end)'),
    free: lib.func('void hs_block_clock_free(void *bc)'),
  };
}

class NativeBlockClock implements BlockClock {
  private readonly state: unknown;
  private readonly view: DataView;
  private readonly callback: unknown;
  private readonly native: unknown;
  private readonly hook: number;

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
    this.callback = u.koffi.register((address: number, size: number) => {
      const c = cost(Number(address), size);
      return c.insns * 2 ** 32 + c.cycles;
    }, u.koffi.pointer(nativeLib.costProto));
    const native = nativeLib.create(this.state, this.callback);
    if (native === null) throw new Error('hs_block_clock_new: out of memory');
    this.native = native;
    const out = [0];
    const err = nativeLib.install(uc, native, out);
    if (err !== 0) throw new Error(`hs_block_clock_install failed: ${u.uc_strerror(err)}`);
    this.hook = out[0];
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

  setDeadline(cycle: number): void {
    this.view.setBigUint64(F.deadline, BigInt(Math.min(cycle, MAX_SAFE_DEADLINE)), true);
    this.view.setUint32(F.stopped, 0, true);
  }

  adjust(insns: number, cycles: number): void {
    this.view.setBigUint64(F.insns, BigInt(this.insns + insns), true);
    this.view.setBigUint64(F.cycles, BigInt(this.cycles + cycles), true);
  }

  forget(begin: number, end: number): void {
    nativeLib!.forget(this.native, begin, end);
  }

  dispose(): void {
    const u = unicorn();
    u.uc_hook_del(this.uc, this.hook);
    nativeLib!.free(this.native);
    u.koffi.unregister(this.callback as never);
    u.koffi.free(this.state as never);
  }
}
