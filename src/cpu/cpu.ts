/**
 * The typed CPU: one Unicorn engine with a chosen ARM core, its memory, registers and hooks.
 * Only this folder touches Unicorn. Callbacks from native code never throw: the first error is kept, the
 * engine is stopped, and the error is rethrown when `run` returns (ARCHITECTURE §4).
 */
import { BKPT_ABORT, dataAbort, prefetchFault } from './abort-info.ts';
import { CPSR, EXCP, Mode, SCTLR, exceptionEntry, type ExceptionKind } from './arm.ts';
import { createBlockClock, NativeBlockClock, type BlockClock, type BlockClockKind } from './block-clock.ts';
import { TraceCapture, type CaptureOptions, type CaptureSink } from './trace-capture.ts';
import { decodeBlock, type DecodedBlock } from './decode.ts';
import { REG, UC_ARCH_ARM, UC_CTL_CPU_MODEL_WRITE, UC_CTL_TB_REMOVE_CACHE_WRITE, UC_ERR_NAMES, UC_HOOK_INSN_INVALID, UC_HOOK_INTR, UC_MODE_ARM, UC_PROT_ALL, unicorn } from './unicorn-ffi.ts';
import { GuestMemory } from './guest-memory.ts';
import { loadCpuState, saveCpuState, type CpuState } from './cpu-state.ts';
import { CpuError } from './errors.ts';
import { CPU_MODELS, type CpuModel, type CpuModelName } from './models.ts';
import { isFault, readMmuState, translate, translateRange, type MmuFault, type MmuState, type Piece, type Privilege } from './mmu.ts';

export { CpuError };

/** A timing model's view of a block (src/timing produces these; see BlockCost in block-clock.ts). */
export interface BlockTiming {
  /** Cycles of each instruction (same length as `block.insns`), the last one as if it falls through. */
  costs: number[];
  takenDelta: number;
  call: boolean;
  ret?: { correct: number; wrong: number; empty: number };
}

export type BlockCoster = (block: DecodedBlock) => BlockTiming;

/** The `fast` timing mode: one cycle per instruction, nothing else (QEMU's -icount model). */
export const fastCoster: BlockCoster = (block) => ({ costs: block.insns.map(() => 1), takenDelta: 0, call: false });

export interface MmioHandlers {
  read(offset: number, size: 1 | 2 | 4): number;
  write(offset: number, size: 1 | 2 | 4, value: number): void;
}

export type StopReason =
  /** The deadline was reached at a block boundary. */
  | { kind: 'deadline' }
  /** The CPU raised an exception (not yet taken): `pc` as the INTR hook saw it. */
  | { kind: 'exception'; intno: number; pc: number }
  /** WFI: the core waits for an interrupt; `pc` is the instruction after the WFI. */
  | { kind: 'wfi'; pc: number }
  /** `stopAtNextBlock()` was called (e.g. from an event listener). */
  | { kind: 'requested' }
  /** An interrupt is pending and the core has just unmasked it (CPSR.I clear at a block boundary). */
  | { kind: 'interrupt' };

export interface CpuOptions {
  model: CpuModelName;
  coster?: BlockCoster;
  blockClock?: BlockClockKind;
}

type Handle = Parameters<ReturnType<typeof unicorn>['uc_emu_stop']>[0];

const UNTIL_NEVER = 0xffffffff; // never a PC: ARM and Thumb code addresses are even

/** What `recordAbort` found: the address that faulted (FAR, or the instruction's for a prefetch abort). */
export interface AbortRecord {
  address: number;
  write: boolean;
}

export class Cpu {
  private mmuCache: MmuState | undefined;
  /** Inside uc_emu_start (hooks run): CP15 may change under us. */
  private inEngine = false;
  readonly model: CpuModel;
  readonly clock: BlockClock;
  private readonly uc: Handle;
  private readonly u = unicorn();
  private readonly callbacks: unknown[] = [];
  private callbackError: unknown;
  private pendingException: { intno: number; pc: number } | undefined;
  private stopRequested = false;
  private readonly coster: BlockCoster;
  /** Decoded, costed blocks keyed by address space * 2^32 + address (two guests share virtual addresses). */
  private readonly costCache = new Map<number, { block: DecodedBlock; costs: number[]; timing: BlockTiming }>();
  private readonly ram: GuestMemory[] = [];
  private readonly scratch = new Uint32Array(1);
  private closed = false;
  /** Code may have been translated since the engine was created or last flushed. */
  private translated = false;
  /** The last run was a step: translated code carries Unicorn's instruction-counting hook. */
  private stepping = false;
  private capture: TraceCapture | undefined;

  constructor(options: CpuOptions) {
    this.model = CPU_MODELS[options.model];
    this.coster = options.coster ?? fastCoster;
    const out: unknown[] = [null];
    this.check(this.u.uc_open(UC_ARCH_ARM, UC_MODE_ARM, out), 'uc_open');
    this.uc = out[0] as Handle;
    this.check(this.u.uc_ctl_int(this.uc, UC_CTL_CPU_MODEL_WRITE, 'int', this.model.ucModel), 'set cpu model');
    this.addIntrHook();
    this.clock = createBlockClock(options.blockClock ?? 'native', this.uc, (address, size) => {
      // The clock asks only for blocks it has not seen or that were translated again: decode afresh.
      const { costs, timing } = this.decodeAndCost(address, size);
      return { insns: costs.length, cycles: costs.reduce((a, b) => a + b, 0), takenDelta: timing.takenDelta, call: timing.call, ret: timing.ret };
    });
  }

  // ---- memory ----

  /** Maps zero-filled memory that handset owns (so snapshots can find the touched parts quickly). */
  mapRam(base: number, size: number): void {
    const memory = new GuestMemory(base, size);
    this.ram.push(memory);
    this.check(this.u.uc_mem_map_ptr(this.uc, base, size, UC_PROT_ALL, memory.pointer), `map RAM at 0x${base.toString(16)}`);
  }

  /** Every RAM region, for snapshots: its base, size and the chunks that hold a non-zero byte. */
  get ramRegions(): readonly GuestMemory[] {
    return this.ram;
  }

  mapMmio(base: number, size: number, handlers: MmioHandlers): void {
    const read = this.register(
      (_uc: unknown, offset: number, size: number) =>
        this.guard(() => handlers.read(Number(offset), size as 1 | 2 | 4) >>> 0, 0),
      this.u.mmioRead,
    );
    const write = this.register(
      (_uc: unknown, offset: number, size: number, value: number) =>
        this.guard(() => handlers.write(Number(offset), size as 1 | 2 | 4, Number(value) >>> 0), undefined),
      this.u.mmioWrite,
    );
    this.check(this.u.uc_mmio_map(this.uc, base, size, read, null, write, null), `map MMIO at 0x${base.toString(16)}`);
  }

  /** Physical memory read. */
  readMemory(address: number, length: number): Uint8Array {
    const buf = new Uint8Array(length);
    this.check(this.u.uc_mem_read(this.uc, address, buf, length), `read ${length} bytes at 0x${address.toString(16)}`);
    return buf;
  }

  writeMemory(address: number, bytes: Uint8Array): void {
    this.check(this.u.uc_mem_write(this.uc, address, bytes, bytes.length), `write ${bytes.length} bytes at 0x${address.toString(16)}`);
  }

  read32(address: number): number {
    const b = this.readMemory(address, 4);
    return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  }

  read16(address: number): number {
    const b = this.readMemory(address, 2);
    return b[0] | (b[1] << 8);
  }

  /**
   * The MMU registers the page-table walker (./mmu.ts) reads, from CP15. Kept until the CPU runs or CP15
   * is written (seven register reads through the FFI each time otherwise: a hypercall checks several
   * guest pointers).
   */
  mmuState(): MmuState {
    if (this.inEngine) return this.readMmu(); // the running code may write CP15 at any instruction
    this.mmuCache ??= this.readMmu();
    return this.mmuCache;
  }

  private readMmu(): MmuState {
    return readMmuState((crn, crm, opc1, opc2) => this.cp15(crn, crm, opc1, opc2), this.model.armv6);
  }

  /** Physical address of virtual `va` under the current MMU state, with no permission check (identity when the MMU is off, FCSE aside). */
  physical(va: number): number | undefined {
    const t = translate(this.mmuState(), va, this.tableWord);
    return isFault(t) ? undefined : t.pa;
  }

  /** Reads `length` bytes at virtual address `va` with no permission check; undefined if any page is unmapped. */
  readVirtual(va: number, length: number): Uint8Array | undefined {
    const range = translateRange(this.mmuState(), va, length, this.tableWord);
    return isFault(range) ? undefined : this.readPieces(range.pieces, length);
  }

  /** Writes `bytes` at virtual address `va` with no permission check; false, with nothing written, if any page is unmapped. */
  writeVirtual(va: number, bytes: Uint8Array): boolean {
    const range = translateRange(this.mmuState(), va, bytes.length, this.tableWord);
    if (isFault(range)) return false;
    this.writePieces(range.pieces, bytes);
    return true;
  }

  /**
   * Reads `length` bytes at `va` if `privilege` may read every one of them under the current page tables
   * (a USR-mode guest pointer is checked as 'user'); otherwise the first fault, its `va` the first faulting byte.
   */
  readVirtualChecked(va: number, length: number, privilege: Privilege): Uint8Array | MmuFault {
    const check = { access: 'read', privileged: privilege === 'privileged' } as const;
    const range = translateRange(this.mmuState(), va, length, this.tableWord, check);
    return isFault(range) ? range : this.readPieces(range.pieces, length);
  }

  /** Whether `privilege` may make `access` to every byte of `[va, va + length)` under the current page tables. */
  canAccessVirtual(va: number, length: number, access: 'read' | 'write', privilege: Privilege): boolean {
    const check = { access, privileged: privilege === 'privileged' } as const;
    return !isFault(translateRange(this.mmuState(), va, length, this.tableWord, check));
  }

  /** Writes `bytes` at `va` if `privilege` may write every one of them; otherwise writes nothing and returns the first fault. */
  writeVirtualChecked(va: number, bytes: Uint8Array, privilege: Privilege): MmuFault | undefined {
    const check = { access: 'write', privileged: privilege === 'privileged' } as const;
    const range = translateRange(this.mmuState(), va, bytes.length, this.tableWord, check);
    if (isFault(range)) return range;
    this.writePieces(range.pieces, bytes);
    return undefined;
  }

  private readPieces(pieces: Piece[], length: number): Uint8Array {
    const out = new Uint8Array(length);
    let done = 0;
    for (const piece of pieces) {
      out.set(this.readMemory(piece.pa, piece.length), done);
      done += piece.length;
    }
    return out;
  }

  private writePieces(pieces: Piece[], bytes: Uint8Array): void {
    let done = 0;
    for (const piece of pieces) {
      this.writeMemory(piece.pa, bytes.subarray(done, done + piece.length));
      done += piece.length;
    }
  }

  /** A page-table word for the walker; a table outside mapped memory reads as nothing (an external abort). */
  private readonly tableWord = (pa: number): number | undefined => {
    try {
      return this.read32(pa);
    } catch (e) {
      if (e instanceof CpuError) return undefined;
      throw e;
    }
  };

  // ---- registers ----

  reg(n: number): number {
    const id = n === 13 ? REG.SP : n === 14 ? REG.LR : n === 15 ? REG.PC : REG.R0 + n;
    return this.readReg(id);
  }

  setReg(n: number, value: number): void {
    const id = n === 13 ? REG.SP : n === 14 ? REG.LR : n === 15 ? REG.PC : REG.R0 + n;
    this.writeReg(id, value);
  }

  get pc(): number {
    return this.readReg(REG.PC);
  }

  get cpsr(): number {
    return this.readReg(REG.CPSR);
  }

  /** Writes CPSR; a mode change switches register banks. */
  set cpsr(value: number) {
    this.writeReg(REG.CPSR, value);
  }

  get spsr(): number {
    return this.readReg(REG.SPSR);
  }

  set spsr(value: number) {
    this.writeReg(REG.SPSR, value);
  }

  get thumb(): boolean {
    return (this.cpsr & CPSR.T) !== 0;
  }

  cp15(crn: number, crm: number, opc1: number, opc2: number): number {
    const r = { cp: 15, is64: 0, sec: 0, crn, crm, opc1, opc2, val: 0 };
    this.check(this.u.uc_reg_read_cp(this.uc, REG.CP_REG, r), `read CP15 c${crn}`);
    return Number(r.val) >>> 0;
  }

  setCp15(crn: number, crm: number, opc1: number, opc2: number, value: number): void {
    this.mmuCache = undefined;
    const r = { cp: 15, is64: 0, sec: 0, crn, crm, opc1, opc2, val: value >>> 0 };
    this.check(this.u.uc_reg_write_cp(this.uc, REG.CP_REG, r), `write CP15 c${crn}`);
  }

  /**
   * Writes the CP15 fault status and address registers for an abort at `pc`: Unicorn hands aborts to our
   * hook without running QEMU's exception entry, which is where they would be written. Returns the
   * faulting address and whether it was a write (undefined if the access would not fault after all).
   */
  recordAbort(kind: 'data' | 'prefetch' | 'bkpt', pc: number): AbortRecord | undefined {
    if (kind === 'bkpt') {
      this.setCp15(5, 0, 0, 1, BKPT_ABORT.fsr);
      if (this.model.armv6) this.setCp15(6, 0, 0, 2, BKPT_ABORT.far);
      return { address: pc, write: false };
    }
    const mmu = this.mmuState();
    const privileged = (this.cpsr & CPSR.MODE_MASK) !== Mode.USR;
    const readWord = this.tableWord;
    if (kind === 'prefetch') {
      const info = prefetchFault(pc, privileged, mmu, readWord);
      if (info === undefined) return undefined;
      this.setCp15(5, 0, 0, 1, info.fsr);
      if (this.model.armv6) this.setCp15(6, 0, 0, 2, pc);
      return { address: pc, write: false };
    }
    const thumb = this.thumb;
    const bytes = this.readVirtual(pc, thumb ? 2 : 4);
    if (bytes === undefined) return undefined;
    const encoding = thumb ? bytes[0] | (bytes[1] << 8) : (bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24)) >>> 0;
    const cpsr = this.cpsr;
    const reg = (n: number) => (n === 15 ? pc : n === 16 ? cpsr : this.reg(n));
    const info = dataAbort({ encoding, thumb, size: thumb ? 2 : 4 }, reg, privileged, mmu, readWord);
    if (info === undefined) return undefined;
    this.setCp15(5, 0, 0, 0, info.fsr);
    this.setCp15(6, 0, 0, 0, info.far);
    return { address: info.far, write: info.write };
  }

  /**
   * Switches the address space the block cost cache and the trace decoder key on (ARCHITECTURE §6: two
   * guests run the same virtual addresses). Captured records of the old space are decoded first: the
   * record of the last instruction that ran is closed now, with the registers as they are (its changes,
   * and whatever the caller did to them since, in its own space), not when the next instruction runs in
   * the new space, whose code would decode it.
   */
  setAddressSpace(space: number): void {
    if (!Number.isInteger(space) || space < 0 || space > 0xffff) throw new RangeError(`address space ${space} out of range`);
    if (space === this.clock.addressSpace) return;
    this.capture?.finish();
    this.capture?.drain();
    this.clock.setAddressSpace(space);
  }

  /** The address space set last (0 until one is set). */
  get addressSpace(): number {
    return this.clock.addressSpace;
  }

  /** Starts capturing executed instructions for a trace (needs the native block clock). */
  startTrace(options: CaptureOptions, sink: CaptureSink): TraceCapture {
    if (!(this.clock instanceof NativeBlockClock)) {
      throw new CpuError('tracing needs the native helper build/libhandset-native.so (run npm run setup)');
    }
    this.capture = new TraceCapture(this.uc, this.clock.state, options, (address) => this.costCache.get(this.costKey(address)), sink);
    return this.capture;
  }

  /** Stops capturing (the recorder has drained and finished). */
  stopTrace(): void {
    this.capture?.dispose();
    this.capture = undefined;
  }

  /** Performs the architectural entry into `kind` with the given preferred return address. */
  takeException(kind: ExceptionKind, preferredReturn: number): void {
    this.clock.breakEdge(); // the next block follows by exception entry, not by a branch
    const e = exceptionEntry(kind, this.cpsr, preferredReturn, this.cp15(1, 0, 0, 0), this.model.armv6);
    this.cpsr = e.cpsr; // switches to the exception mode's banked SP/LR/SPSR
    this.spsr = e.spsr;
    this.setReg(14, e.lr);
    this.setReg(15, e.pc);
  }

  // ---- running ----

  /**
   * Runs from the current PC until the clock reaches `deadline` (at a block boundary), an exception is
   * raised, the core executes WFI, or a callback calls `stopAtNextBlock()`.
   */
  run(deadline: number): StopReason {
    // Code translated while stepping calls the counting hook: translate again without it.
    if (this.stepping) this.flushTranslations();
    this.stepping = false;
    this.clock.setDeadline(deadline);
    this.pendingException = undefined;
    this.stopRequested = false;
    const pc = this.pc;
    const begin = (this.thumb ? pc | 1 : pc) >>> 0;
    this.translated = true;
    const err = this.emulate(begin, 0);
    this.rethrowCallbackError();
    if (err !== 0) {
      throw new CpuError(`CPU stopped: ${UC_ERR_NAMES[err] ?? err} (${this.u.uc_strerror(err)}) at pc=0x${this.pc.toString(16).padStart(8, '0')}`);
    }
    const exception = this.pendingException as { intno: number; pc: number } | undefined;
    if (exception !== undefined) {
      this.chargePartialBlock(exception);
      return { kind: 'exception', intno: exception.intno, pc: exception.pc };
    }
    const reason = this.clock.stopReason;
    const refused = this.clock.refusedBlock;
    if ((reason === 'deadline' || reason === 'interrupt') && refused !== undefined && refused !== this.pc) {
      this.setReg(15, this.thumb ? refused | 1 : refused); // see BlockClock.refusedBlock
    }
    if (this.stopRequested || reason === 'requested') return { kind: 'requested' };
    if (reason !== 'none') return { kind: reason };
    const after = this.pc;
    if (this.endsWithWfi(after)) return { kind: 'wfi', pc: after };
    throw new CpuError(`CPU stopped for no known reason at pc=0x${after.toString(16).padStart(8, '0')}`);
  }

  /**
   * Runs exactly one instruction (or takes no step when the first block is refused because an interrupt is
   * waiting: then `interrupt` is returned). The instruction is charged its own cost from the timing
   * model; the branch edge into the next block is not charged (a step breaks the edge, like a debugger).
   */
  step(): StopReason {
    const insns = this.clock.insns;
    const cycles = this.clock.cycles;
    const pc = this.pc;
    const thumb = this.thumb;
    // Unicorn counts instructions with a hook that only code translated after it was added calls.
    if (!this.stepping) this.flushTranslations();
    this.stepping = true;
    this.clock.setDeadline(Number.MAX_SAFE_INTEGER);
    this.pendingException = undefined;
    this.stopRequested = false;
    this.translated = true;
    const err = this.emulate((thumb ? pc | 1 : pc) >>> 0, 1);
    this.rethrowCallbackError();
    const exception = this.pendingException as { intno: number; pc: number } | undefined;
    if (err !== 0 && exception === undefined) {
      throw new CpuError(`CPU stopped: ${UC_ERR_NAMES[err] ?? err} (${this.u.uc_strerror(err)}) at pc=0x${this.pc.toString(16).padStart(8, '0')}`);
    }
    if (this.clock.stopReason === 'interrupt') return { kind: 'interrupt' };
    const size = thumb ? 2 : 4;
    const bytes = this.readVirtual(pc, size) ?? new Uint8Array(size);
    const cost = this.coster(decodeBlock(pc, size, thumb, bytes)).costs[0] ?? 1;
    this.clock.adjust(insns + 1 - this.clock.insns, cycles + cost - this.clock.cycles);
    this.clock.breakEdge();
    if (exception !== undefined) return { kind: 'exception', intno: exception.intno, pc: exception.pc };
    if (this.endsWithWfi(this.pc) && this.pc === ((pc + 4) >>> 0)) return { kind: 'wfi', pc: this.pc };
    return { kind: 'requested' };
  }

  /**
   * Ends the current `run` at the next block boundary without stopping the engine from inside a callback
   * (Unicorn restarts the block when uc_emu_stop is called from an MMIO callback, repeating its earlier
   * device accesses): the block clock sees a deadline already passed.
   */
  stopAtNextBlock(): void {
    this.stopRequested = true;
    this.clock.setDeadline(0);
  }

  /** uc_emu_start from `begin` (`count` instructions, 0 = no limit); the MMU state is re-read afterwards. */
  private emulate(begin: number, count: number): number {
    this.mmuCache = undefined;
    this.inEngine = true;
    try {
      return this.u.uc_emu_start(this.uc, begin, UNTIL_NEVER, 0, count);
    } finally {
      this.inEngine = false;
      this.mmuCache = undefined; // the code may have written CP15
    }
  }

  /** Registers, banked registers, VFP and CP15 as plain data. */
  saveState(): CpuState {
    return saveCpuState(this.registerFile());
  }

  /**
   * Drops every translated block: all code runs from RAM (MMIO is never executed), so that is the blocks
   * translated from each RAM region, dropped with TB_REMOVE_CACHE. Unicorn's TB_FLUSH would do the same but
   * zeroes its whole 1 GiB code buffer each time (0.1 s; seconds, and 1 GiB more resident memory, the first
   * time, which faults the buffer in). TB_REMOVE_CACHE takes a virtual address (it translates the start
   * through the MMU), so the MMU is off meanwhile, with the TLB invalidated before and after: each RAM
   * region is then its own physical range. Skipped when nothing was translated since the last time.
   */
  private flushTranslations(): void {
    if (!this.translated) return;
    this.translated = false;
    const sctlr = this.cp15(1, 0, 0, 0);
    const tlbiall = () => this.setCp15(8, 7, 0, 0, 0);
    if (sctlr & SCTLR.M) this.setCp15(1, 0, 0, 0, sctlr & ~SCTLR.M);
    tlbiall();
    for (const r of this.ramRegions) {
      this.check(this.u.uc_ctl_int(this.uc, UC_CTL_TB_REMOVE_CACHE_WRITE, 'uint64_t', r.base, 'uint64_t', r.base + r.size), 'drop translated code');
    }
    if (sctlr & SCTLR.M) this.setCp15(1, 0, 0, 0, sctlr);
    tlbiall();
  }

  /**
   * Restores what `saveState` gave; translated code and cached costs are dropped: RAM was rewritten behind
   * the engine's back (Unicorn does not notice writes through uc_mem_write).
   */
  loadState(state: CpuState): void {
    loadCpuState(this.registerFile(), state);
    this.flushTranslations();
    this.costCache.clear();
    this.clock.forgetCosts();
  }

  private registerFile() {
    const cpu = this;
    const d = new BigUint64Array(1);
    return {
      reg: (n: number) => cpu.reg(n),
      setReg: (n: number, v: number) => cpu.setReg(n, v),
      get cpsr() {
        return cpu.cpsr;
      },
      set cpsr(v: number) {
        cpu.cpsr = v;
      },
      get spsr() {
        return cpu.spsr;
      },
      set spsr(v: number) {
        cpu.spsr = v;
      },
      get fpscr() {
        return cpu.readReg(REG.FPSCR);
      },
      set fpscr(v: number) {
        cpu.writeReg(REG.FPSCR, v);
      },
      get fpexc() {
        return cpu.readReg(REG.FPEXC);
      },
      set fpexc(v: number) {
        cpu.writeReg(REG.FPEXC, v);
      },
      readD: (n: number): [number, number] => {
        cpu.check(cpu.u.uc_reg_read64(cpu.uc, REG.D0 + n, d), `read d${n}`);
        return [Number(d[0] & 0xffffffffn), Number(d[0] >> 32n)];
      },
      writeD: (n: number, v: [number, number]) => {
        d[0] = (BigInt(v[1]) << 32n) | BigInt(v[0]);
        cpu.check(cpu.u.uc_reg_write64(cpu.uc, REG.D0 + n, d), `write d${n}`);
      },
      tryCp15: (crn: number, crm: number, opc1: number, opc2: number) => {
        const r = { cp: 15, is64: 0, sec: 0, crn, crm, opc1, opc2, val: 0 };
        return cpu.u.uc_reg_read_cp(cpu.uc, REG.CP_REG, r) === 0 ? Number(r.val) >>> 0 : undefined;
      },
      setCp15: (crn: number, crm: number, opc1: number, opc2: number, v: number) => cpu.setCp15(crn, crm, opc1, opc2, v),
    };
  }

  /** Stops the engine; the hooks see the stop too, so a block that will not run now is not charged. */
  private stopNow(): void {
    this.clock.markStopRequested();
    this.u.uc_emu_stop(this.uc);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clock.dispose();
    this.u.uc_close(this.uc);
    for (const memory of this.ram) memory.free();
    for (const cb of this.callbacks) this.u.koffi.unregister(cb as never);
  }

  // ---- internals ----

  /** Decodes and costs the block at `address` from memory now, replacing what was cached for it. */
  private decodeAndCost(address: number, size: number): { block: DecodedBlock; costs: number[]; timing: BlockTiming } {
    // Captured records of the old code at this address must be decoded with the old code.
    if (this.capture !== undefined && this.costCache.has(this.costKey(address))) this.capture.drain();
    const block = decodeBlock(address, size, this.thumb, this.readVirtual(address, size) ?? new Uint8Array(size));
    const timing = this.coster(block);
    const entry = { block, costs: timing.costs, timing };
    this.costCache.set(this.costKey(address), entry);
    return entry;
  }

  private costKey(address: number): number {
    return this.clock.addressSpace * 2 ** 32 + address;
  }

  /**
   * The block clock charged the whole block when it started; an exception inside it means the instructions
   * after the one that raised it never ran. The raising instruction itself counts, as QEMU's execution log
   * shows it (for SWI, `pc` is already past the SVC; for aborts and undefined it is the instruction).
   */
  private chargePartialBlock(exception: { intno: number; pc: number }): void {
    const { address, size } = this.clock.lastBlock;
    const raisedAt = exception.intno === EXCP.SWI ? exception.pc - 1 : exception.pc;
    if (raisedAt < address || raisedAt >= address + size) return;
    const entry = this.costCache.get(this.costKey(address));
    if (entry === undefined) return;
    let insns = 0;
    let cycles = 0;
    entry.block.insns.forEach((insn, i) => {
      if (insn.address > raisedAt) {
        insns++;
        cycles += entry.costs[i];
      }
    });
    this.clock.adjust(-insns, -cycles);
  }

  private rethrowCallbackError(): void {
    if (this.callbackError !== undefined) {
      const e = this.callbackError;
      this.callbackError = undefined;
      throw e;
    }
  }

  private endsWithWfi(pc: number): boolean {
    if (this.thumb) return false; // ARMv5/v6 Thumb has no WFI encoding
    const bytes = this.readVirtual((pc - 4) >>> 0, 4);
    if (bytes === undefined) return false;
    const insn = (bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24)) >>> 0;
    const isCp15Wfi = (insn & 0x0fff0fff) === 0x0e070f90; // MCR p15, 0, Rd, c7, c0, 4
    const isV6kWfi = (insn & 0x0fffffff) === 0x0320f003; // WFI hint (ARMv6K)
    return isCp15Wfi || isV6kWfi;
  }

  private addIntrHook(): void {
    const cb = this.register(
      (_uc: unknown, intno: number) =>
        this.guard(() => {
          this.pendingException = { intno, pc: this.pc };
          this.stopNow();
        }, undefined),
      this.u.intrHook,
    );
    const out = [0];
    this.check(this.u.uc_hook_add(this.uc, out, UC_HOOK_INTR, cb, null, 1, 0), 'add INTR hook');
    // Unicorn 2.0 reports an undefined instruction here instead of through the INTR hook.
    const invalid = this.register(
      () =>
        this.guard(() => {
          this.pendingException = { intno: EXCP.UDEF, pc: this.pc };
          this.stopNow();
          return true;
        }, false),
      this.u.insnInvalidHook,
    );
    this.check(this.u.uc_hook_add(this.uc, out, UC_HOOK_INSN_INVALID, invalid, null, 1, 0), 'add INSN_INVALID hook');
  }

  private register(fn: (...args: never[]) => unknown, proto: unknown): unknown {
    const cb = this.u.koffi.register(fn as never, this.u.koffi.pointer(proto as never));
    this.callbacks.push(cb);
    return cb;
  }

  /** Runs a callback body; on error records it (first wins), stops the engine and returns `fallback`. */
  private guard<T>(body: () => T, fallback: T): T {
    try {
      return body();
    } catch (e) {
      this.callbackError ??= e;
      this.stopNow();
      return fallback;
    }
  }

  private readReg(id: number): number {
    this.check(this.u.uc_reg_read(this.uc, id, this.scratch), `read register ${id}`);
    return this.scratch[0] >>> 0;
  }

  private writeReg(id: number, value: number): void {
    this.scratch[0] = value >>> 0;
    this.check(this.u.uc_reg_write(this.uc, id, this.scratch), `write register ${id}`);
  }

  private check(err: number, what: string): void {
    if (err !== 0) throw new CpuError(`${what}: ${this.u.uc_strerror(err)}`);
  }
}

export { EXCP };
