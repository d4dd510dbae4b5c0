// Fault address and fault status computation for the aborts handset enters itself. Instructions come from
// the GNU assembler (so their encodings are not this file's own reading of the ARM ARM); the expected
// addresses are worked out from the register values below, and the expected FSR values from the ARM ARM
// B4.6 encodings and QEMU's get_phys_addr_v5 / arm_fi_to_sfsc / arm_deliver_fault.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import {
  BKPT_ABORT,
  dataAbort,
  dataAbortAddress,
  dataAccesses,
  prefetchFault,
  translationFault,
} from '../../src/cpu/abort-info.ts';
import type { AbortInsn, DataAccess } from '../../src/cpu/abort-info.ts';
import type { MmuState } from '../../src/cpu/mmu.ts';

const dir = mkdtempSync(join(tmpdir(), 'handset-abort-info-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

let assembled = 0;
/** Assembles one instruction per line for the ARM1176 (ARMv6K with VFP) and returns its bytes. */
function assemble(lines: string[], thumb: boolean): Buffer {
  const name = join(dir, `a${assembled++}`);
  writeFileSync(`${name}.s`, ['.syntax unified', thumb ? '.thumb' : '.arm', ...lines, ''].join('\n'));
  execFileSync('arm-none-eabi-as', ['-W', '-mcpu=arm1176jzf-s', '-mfpu=vfp', '-o', `${name}.o`, `${name}.s`], {
    stdio: 'pipe',
  });
  execFileSync('arm-none-eabi-objcopy', ['-O', 'binary', '-j', '.text', `${name}.o`, `${name}.bin`], { stdio: 'pipe' });
  return readFileSync(`${name}.bin`);
}

function armInsns(lines: string[]): AbortInsn[] {
  const bytes = assemble(lines, false);
  return lines.map((_, i) => ({ encoding: bytes.readUInt32LE(i * 4), thumb: false, size: 4 }));
}

function thumbInsn(line: string): AbortInsn {
  const bytes = assemble([line], true);
  if (bytes.length === 2) return { encoding: bytes.readUInt16LE(0), thumb: true, size: 2 };
  // A BL pair, joined the way src/cpu/decode.ts does.
  return { encoding: ((bytes.readUInt16LE(0) << 16) | bytes.readUInt16LE(2)) >>> 0, thumb: true, size: 4 };
}

// Register values of the faulting context. r15 is the faulting instruction's own address; CPSR has C set.
const R = [
  0x1000, 0x2000, 0x24, 0x8000_0010, 0x3, 0x10, 0x6000, 0x7000, 0x8800, 0x9900, 0xa000, 0xb000, 0xc000, 0x9000,
  0x7777,
];
const CPSR_C = 1 << 29;
const SP = R[13]!;
const armReg = (pc: number) => (n: number) => (n === 15 ? pc : n === 16 ? CPSR_C | 0x13 : R[n]!);

type Expect = [address: number, size: DataAccess['size'], write: boolean, extra?: Partial<DataAccess>];
const read4 = (a: number): Expect => [a, 4, false];
const write4 = (a: number): Expect => [a, 4, true];
const range = (start: number, count: number, make: (a: number) => Expect) =>
  Array.from({ length: count }, (_, i) => make(start + 4 * i));

function check(t: Test, asm: string, insn: AbortInsn, reg: (n: number) => number, want: Expect[]) {
  const accesses = dataAccesses(insn, reg);
  t.same(
    accesses,
    want.map(([address, size, write, extra]) => ({ address, size, write, user: false, exclusive: false, ...extra })),
    asm,
  );
  t.equal(dataAbortAddress(insn, reg), want[0]![0], `${asm}: first access`);
}

t.test('ARM load/store addressing modes', async (t) => {
  const pc = 0x8000;
  // Rn = r1 = 0x2000 throughout; r2 = 0x24, r3 = 0x80000010, r4 = 3, r5 = 0x10.
  const cases: [string, Expect[]][] = [
    ['ldr r0, [r1, #4]', [read4(0x2004)]], // immediate, pre-indexed, up
    ['ldr r0, [r1, #-4]', [read4(0x1ffc)]], // down
    ['ldr r0, [r1, #4]!', [read4(0x2004)]], // pre-indexed with writeback: the updated address
    ['ldr r0, [r1], #4', [read4(0x2000)]], // post-indexed: the base, before the update
    ['str r0, [r1, -r2]', [write4(0x2000 - 0x24)]], // register offset, down
    ['ldr r0, [r1, r2, lsl #2]', [read4(0x2000 + 0x90)]], // 0x24 << 2
    ['ldr r0, [r1, r3, lsr #4]', [read4(0x2000 + 0x0800_0001)]], // 0x80000010 >>> 4
    ['ldr r0, [r1, r3, asr #4]', [read4(0xf800_2001)]], // 0x80000010 >> 4 = 0xf8000001, + 0x2000
    ['ldr r0, [r1, r3, asr #32]', [read4(0x1fff)]], // ASR #32 of a negative value is -1
    ['ldr r0, [r1, -r3, lsr #32]', [read4(0x2000)]], // LSR #32 is 0
    ['ldr r0, [r1, r5, ror #4]', [read4(0x2001)]], // 0x10 ror 4 = 1
    ['ldr r0, [r1, r4, rrx]', [read4(0x8000_2001)]], // C:3>>1 = 0x80000001
    ['ldrb r0, [r1, #1]', [[0x2001, 1, false]]],
    ['strb r0, [r1], -r2', [[0x2000, 1, true]]], // post-indexed register
    ['ldrt r0, [r1], #4', [[0x2000, 4, false, { user: true }]]], // T forms check user permissions
    ['strbt r0, [r1], r2', [[0x2000, 1, true, { user: true }]]],
    ['ldr r0, [pc, #8]', [read4(pc + 8 + 8)]], // PC reads as the instruction's address + 8
    ['ldrh r0, [r1, #0x12]', [[0x2012, 2, false]]],
    ['strh r0, [r1, -r2]!', [[0x2000 - 0x24, 2, true]]],
    ['ldrsb r0, [r1], #-3', [[0x2000, 1, false]]],
    ['ldrsh r0, [r1, r5]', [[0x2010, 2, false]]],
    ['ldrh r0, [pc, #-4]', [[pc + 8 - 4, 2, false]]],
    ['ldrd r6, r7, [r1, #8]', [read4(0x2008), read4(0x200c)]], // two words, the lower first
    ['strd r6, r7, [r1], -r2', [write4(0x2000), write4(0x2004)]],
  ];
  const insns = armInsns(cases.map(([asm]) => asm));
  cases.forEach(([asm, want], i) => check(t, asm, insns[i]!, armReg(pc), want));
});

t.test('ARM block, swap, exclusive, coprocessor and RFE transfers', async (t) => {
  const cases: [string, Expect[]][] = [
    ['ldmia r1, {r0, r2, r4}', range(0x2000, 3, read4)], // IA starts at Rn
    ['ldmib r1!, {r0, r2}', range(0x2004, 2, read4)], // IB at Rn + 4
    ['stmda r1, {r0, r2, r4}', range(0x2000 - 12 + 4, 3, write4)], // DA ends at Rn, ascending order
    ['stmdb sp!, {r4-r11, lr}', range(SP - 36, 9, write4)], // DB ends below Rn: 9 registers
    ['ldmfd sp!, {r4, pc}', range(SP, 2, read4)],
    // SWP is an atomic exchange in QEMU, looked up for writing first.
    ['swp r0, r2, [r1]', [write4(0x2000)]],
    ['swpb r0, r2, [r1]', [[0x2000, 1, true]]],
    ['ldrex r0, [r1]', [[0x2000, 4, false, { exclusive: true }]]],
    ['strex r0, r2, [r1]', [[0x2000, 4, true, { exclusive: true }]]],
    ['ldrexb r0, [r1]', [[0x2000, 1, false, { exclusive: true }]]],
    ['strexh r0, r2, [r1]', [[0x2000, 2, true, { exclusive: true }]]],
    ['ldrexd r6, r7, [r1]', [[0x2000, 8, false, { exclusive: true }]]],
    ['ldc p5, c1, [r1, #-8]', [read4(0x1ff8)]], // P=1 U=0: Rn - imm8*4
    ['stc p5, c1, [r1], #8', [write4(0x2000)]], // post-indexed: Rn
    ['ldcl p5, c1, [r1], {4}', [read4(0x2000)]], // unindexed (P=0 W=0 U=1): Rn
    ['ldc2 p5, c1, [r1, #16]!', [read4(0x2010)]], // cond = 1111 form
    ['vpush {d8-d9}', [write4(SP - 16)]], // STC p11 DB with writeback: the lowest word first
    ['rfeia r1', range(0x2000, 2, read4)],
    ['rfedb sp!', range(SP - 8, 2, read4)],
  ];
  const insns = armInsns(cases.map(([asm]) => asm));
  cases.forEach(([asm, want], i) => check(t, asm, insns[i]!, armReg(0x8000), want));
});

t.test('ARM instructions that access no data memory', async (t) => {
  const lines = [
    'add r0, r1, r2',
    'mul r0, r1, r2',
    'mcrr p5, 0, r0, r1, c1', // the LDC/STC space with P = U = W = 0
    'mrc p15, 0, r0, c1, c0, 0',
    'sxtb r0, r1', // media space: bit 25 and bit 4 set
    'pld [r1]',
    'b .',
    'svc 0',
    'bkpt 0',
    'ldm r1, {}',
  ];
  const asm = lines.slice(0, -1);
  const insns = [...armInsns(asm), { encoding: 0xe891_0000, thumb: false, size: 4 } as const]; // LDM r1, {}
  insns.forEach((insn, i) => t.equal(dataAccesses(insn, armReg(0x8000)), undefined, lines[i]));
});

t.test('Thumb load/store addressing modes', async (t) => {
  const pc = 0x8002; // not word-aligned, to check the literal base (PC + 4) & ~3
  const reg = (n: number) => (n === 15 ? pc : R[n]!);
  const cases: [string, Expect[]][] = [
    ['ldr r0, [pc, #8]', [read4(0x8004 + 8)]],
    ['str r0, [r1, r2]', [write4(0x2024)]],
    ['strh r0, [r1, r2]', [[0x2024, 2, true]]],
    ['strb r0, [r1, r2]', [[0x2024, 1, true]]],
    ['ldrsb r0, [r1, r2]', [[0x2024, 1, false]]],
    ['ldr r0, [r1, r2]', [read4(0x2024)]],
    ['ldrh r0, [r1, r2]', [[0x2024, 2, false]]],
    ['ldrb r0, [r1, r2]', [[0x2024, 1, false]]],
    ['ldrsh r0, [r1, r2]', [[0x2024, 2, false]]],
    ['ldr r0, [r1, #124]', [read4(0x2000 + 124)]], // imm5 * 4
    ['str r0, [r1, #4]', [write4(0x2004)]],
    ['strb r0, [r1, #31]', [[0x2000 + 31, 1, true]]], // imm5 * 1
    ['ldrb r0, [r1, #1]', [[0x2001, 1, false]]],
    ['ldrh r0, [r1, #62]', [[0x2000 + 62, 2, false]]], // imm5 * 2
    ['strh r0, [r1, #2]', [[0x2002, 2, true]]],
    ['str r0, [sp, #1020]', [write4(SP + 1020)]], // imm8 * 4
    ['ldr r0, [sp, #4]', [read4(SP + 4)]],
    ['push {r0, r4, lr}', range(SP - 12, 3, write4)], // LR counts as a register
    ['pop {r4, pc}', range(SP, 2, read4)],
    ['stmia r1!, {r0, r2, r3}', range(0x2000, 3, write4)],
    ['ldmia r1, {r1, r2}', range(0x2000, 2, read4)],
  ];
  for (const [asm, want] of cases) check(t, asm, thumbInsn(asm), reg, want);
  for (const asm of ['adds r0, r1, r2', 'bkpt 0', 'b .', 'bl .', 'add r0, pc, #8']) {
    t.equal(dataAccesses(thumbInsn(asm), reg), undefined, `${asm}: no data access`);
  }
});

// Page tables: TTBR0 = 0x4000; a first-level entry for VA v is the word at 0x4000 + (v >>> 20) * 4.
const TTB = 0x4000;
const SCTLR_M = 1 << 0;
const SCTLR_A = 1 << 1;
const SCTLR_S = 1 << 8;
const SCTLR_R = 1 << 9;
// DACR, two bits per domain: 0 client, 1 manager, 2 no access (00), 3 reserved (10), 5 client; others 00.
const DACR = 0b01 | (0b11 << 2) | (0b00 << 4) | (0b10 << 6) | (0b01 << 10);

/** Section descriptor: base[31:20], AP[11:10], domain[8:5], type 0b10. */
const section = (base: number, ap: number, domain: number) => (base | (ap << 10) | (domain << 5) | 0b10) >>> 0;
/** Coarse table descriptor: base[31:10], domain[8:5], type 0b01. */
const coarse = (table: number, domain: number) => (table | (domain << 5) | 0b01) >>> 0;
/** Fine table descriptor: base[31:12], domain[8:5], type 0b11. */
const fine = (table: number, domain: number) => (table | (domain << 5) | 0b11) >>> 0;
/** Small (type 0b10) or large (0b01) page with AP0..AP3 in bits [5:4], [7:6], [9:8], [11:10]. */
const page = (base: number, type: number, aps: number[]) =>
  (base | aps.reduce((d, ap, i) => d | (ap << (4 + 2 * i)), 0) | type) >>> 0;

function tables() {
  const mem = new Map<number, number>();
  const readWord = (pa: number) => mem.get(pa) ?? 0;
  const l1 = (va: number, desc: number) => mem.set(TTB + (va >>> 20) * 4, desc);
  const mmu = (sctlr = SCTLR_M, armv6 = false): MmuState => ({
    sctlr,
    ttbr0: TTB | 0x1b,
    ttbr1: 0,
    ttbcr: 0,
    dacr: DACR,
    fcseidr: 0,
    contextidr: 0,
    armv6,
  });
  /** The DFSR of a data access, undefined when it translates. */
  const data = (va: number, write: boolean, priv: boolean, m = mmu()) =>
    translationFault(va, write, priv, m, readWord)?.fsr;
  return { mem, readWord, l1, mmu, data };
}

t.test('section faults: translation, domain and permission, with the FSR domain field', async (t) => {
  const { l1, mmu, data } = tables();
  // The TTBR0 attribute bits (0x1b) must not move the table.
  l1(0x0010_0000, 7 << 5); // invalid (type 0) but with domain bits 7
  l1(0x0020_0000, section(0x0020_0000, 0b01, 0)); // privileged only
  l1(0x0030_0000, section(0x0030_0000, 0b10, 5)); // user read-only, client domain 5
  l1(0x0040_0000, section(0x0040_0000, 0b11, 2)); // domain 2: no access
  l1(0x0050_0000, section(0x0050_0000, 0b11, 3)); // domain 3: reserved DACR value
  l1(0x0060_0000, section(0x0060_0000, 0b01, 1)); // domain 1: manager
  l1(0x0070_0000, section(0x0070_0000, 0b00, 0)); // AP = 00: SCTLR.S/R decide

  t.equal(data(0x0080_0000, false, true), 0x005, 'all-zero descriptor: section translation fault, domain 0');
  t.equal(data(0x0010_0004, false, true), 0x075, 'QEMU puts the invalid descriptor\'s domain bits (7) in FSR[7:4]');
  t.equal(data(0x0020_0000, false, false), 0x00d, 'AP=01 read from user: section permission, domain 0');
  t.equal(data(0x0020_0000, true, true), undefined, 'AP=01 privileged write is allowed');
  t.equal(data(0x0030_0000, false, false), undefined, 'AP=10 user read is allowed');
  t.equal(data(0x0030_0000, true, false), 0x05d, 'AP=10 user write: section permission, domain 5');
  t.equal(data(0x0030_0000, true, false, mmu(SCTLR_M, true)), 0x85d, 'ARMv6 adds WnR (bit 11) for a write');
  t.equal(data(0x0030_0000, true, true), undefined, 'AP=10 privileged write is allowed');
  t.equal(data(0x0040_0000, false, true), 0x029, 'no-access domain 2: section domain fault');
  t.equal(data(0x0050_0000, false, true), 0x039, 'reserved domain access 0b10 is a domain fault in QEMU');
  t.equal(data(0x0060_0000, true, false), undefined, 'manager domain: AP is not checked');

  // AP = 00: no access with S = R = 0; S: privileged read-only; R: read-only for all; S and R: no access.
  t.equal(data(0x0070_0000, false, true), 0x00d, 'AP=00, S=R=0: privileged read faults');
  const s = mmu(SCTLR_M | SCTLR_S);
  t.equal(data(0x0070_0000, false, true, s), undefined, 'AP=00, S: privileged read allowed');
  t.equal(data(0x0070_0000, false, false, s), 0x00d, 'AP=00, S: user read faults');
  t.equal(data(0x0070_0000, true, true, s), 0x00d, 'AP=00, S: privileged write faults');
  const r = mmu(SCTLR_M | SCTLR_R);
  t.equal(data(0x0070_0000, false, false, r), undefined, 'AP=00, R: user read allowed');
  t.equal(data(0x0070_0000, true, true, r), 0x00d, 'AP=00, R: privileged write faults');
  t.equal(data(0x0070_0000, false, true, mmu(SCTLR_M | SCTLR_S | SCTLR_R)), 0x00d, 'AP=00, S and R: no access');

  t.equal(data(0x0080_0000, true, false, mmu(0)), undefined, 'MMU off: nothing faults');
});

t.test('page faults: coarse and fine tables, subpage permissions, extended small and tiny pages', async (t) => {
  const { mem, l1, mmu, data } = tables();
  const l2 = (table: number, va: number) => table + ((va >>> 12) & 0xff) * 4; // coarse: 256 entries
  // Coarse table at 0x8000 for 1 MiB at 0x0100_0000, client domain 5.
  l1(0x0100_0000, coarse(0x8000, 5));
  mem.set(l2(0x8000, 0x0100_1000), page(0x0010_0000, 0b10, [0b11, 0b00, 0b10, 0b01])); // small page
  const large = page(0x0020_0000, 0b01, [0b11, 0b01, 0b11, 0b11]); // 64 KiB: repeated in 16 entries
  for (let i = 0; i < 16; i++) mem.set(l2(0x8000, 0x0101_0000 + i * 0x1000), large);
  mem.set(l2(0x8000, 0x0102_0000), (0x0030_0000 | (0b10 << 4) | 0b11) >>> 0); // extended small page, AP=10
  // Coarse table at 0x8400 in the no-access domain 2 and at 0x8800 in the manager domain 1; all entries invalid.
  l1(0x0110_0000, coarse(0x8400, 2));
  l1(0x0120_0000, coarse(0x8800, 1));
  // Fine table at 0x9000 (1024 entries of 1 KiB) in domain 0; one tiny page with AP=01.
  l1(0x0130_0000, fine(0x9000, 0));
  mem.set(0x9000 + ((0x0130_0400 >>> 10) & 0x3ff) * 4, (0x0040_0000 | (0b01 << 4) | 0b11) >>> 0);

  t.equal(data(0x0100_0000, false, true), 0x057, 'invalid second-level entry: page translation fault, domain 5');
  // Small page subpages by VA[11:10]: AP0=11, AP1=00, AP2=10, AP3=01.
  t.equal(data(0x0100_1000, true, false), undefined, 'subpage 0 (AP=11): user write allowed');
  t.equal(data(0x0100_1400, false, true), 0x05f, 'subpage 1 (AP=00, S=R=0): page permission, domain 5');
  t.equal(data(0x0100_1800, false, false), undefined, 'subpage 2 (AP=10): user read allowed');
  t.equal(data(0x0100_1800, true, false), 0x05f, 'subpage 2 (AP=10): user write faults');
  t.equal(data(0x0100_1c00, false, false), 0x05f, 'subpage 3 (AP=01): user read faults');
  // Large page subpages are 16 KiB, by VA[15:14]: AP1=01 covers 0x4000-0x7fff.
  t.equal(data(0x0101_3000, false, false), undefined, 'large page subpage 0 (AP=11)');
  t.equal(data(0x0101_4000, false, false), 0x05f, 'large page subpage 1 (AP=01): user read faults');
  // Second-level type 0b11 in a coarse table: UNPREDICTABLE on ARMv5 (QEMU: page translation fault), an
  // extended small page on ARMv6 with one AP in bits [5:4].
  t.equal(data(0x0102_0000, false, true), 0x057, 'ARMv5: extended small page is a translation fault');
  t.equal(data(0x0102_0000, false, false, mmu(SCTLR_M, true)), undefined, 'ARMv6: extended small page, user read');
  t.equal(data(0x0102_0000, true, false, mmu(SCTLR_M, true)), 0x85f, 'ARMv6: user write, page permission + WnR');
  // QEMU checks the domain before it reads the second-level entry.
  t.equal(data(0x0110_0000, false, true), 0x02b, 'no-access domain 2: page domain fault despite the invalid entry');
  t.equal(data(0x0120_0000, true, false), 0x017, 'manager domain 1: an invalid entry is still a translation fault');
  t.equal(data(0x0130_0400, false, true), undefined, 'tiny page AP=01: privileged read allowed');
  t.equal(data(0x0130_0400, false, false), 0x00f, 'tiny page AP=01: user read faults, domain 0');
  t.equal(data(0x0130_0800, false, true), 0x007, 'fine table, invalid entry: page translation fault');
});

t.test('prefetch aborts and BKPT', async (t) => {
  const { readWord, l1, mmu } = tables();
  l1(0x0020_0000, section(0x0020_0000, 0b01, 4)); // privileged only, domain 4 (no access in DACR)
  l1(0x0030_0000, section(0x0030_0000, 0b01, 0));
  l1(0x0040_0000, section(0x0040_0000, 0b10, 0)); // user read-only
  const fetch = (va: number, priv: boolean, armv6 = false) =>
    prefetchFault(va, priv, mmu(SCTLR_M, armv6), readWord)?.fsr;
  t.equal(fetch(0x0010_0000, true), 0x005, 'unmapped: section translation fault');
  t.equal(fetch(0x0010_0000, true, true), 0x005, 'no WnR for an instruction fetch on ARMv6');
  t.equal(fetch(0x0020_0000, true), 0x049, 'domain 4 has no access: section domain fault, domain 4');
  t.equal(fetch(0x0030_0000, false), 0x00d, 'AP=01 from user: permission fault');
  t.equal(fetch(0x0030_0000, true), undefined, 'AP=01 privileged: executes');
  t.equal(fetch(0x0040_0000, false), undefined, 'AP=10 (user read-only) is executable from user');
  t.same(BKPT_ABORT, { fsr: 0b0010, far: 0 }, 'BKPT: debug event status, IFAR cleared as QEMU does');
});

t.test('dataAbort: the first faulting access of an instruction, alignment first', async (t) => {
  const { readWord, l1, mmu } = tables();
  l1(0x0000_0000, section(0, 0b11, 0)); // 0-1 MiB: read/write for all
  l1(0x0010_0000, section(0x0010_0000, 0b10, 5)); // 1-2 MiB: user read-only, domain 5
  l1(0x0020_0000, section(0x0020_0000, 0b01, 0)); // 2-3 MiB: privileged only
  const v6 = mmu(SCTLR_M, true);
  const v5 = mmu();
  const at = (r1: number) => (n: number) => (n === 1 ? r1 : n === 15 ? 0x8000 : R[n]!);
  const [str, stmia, ldrt, ldrex, ldr, strd] = armInsns([
    'str r0, [r1]',
    'stmia r1, {r0, r2, r3, r4}',
    'ldrt r0, [r1]',
    'ldrex r0, [r1]',
    'ldr r0, [r1]',
    'strd r6, r7, [r1]',
  ]);

  t.same(dataAbort(str!, at(0x0010_0010), false, v6, readWord), { far: 0x0010_0010, fsr: 0x85d, write: true }, 'user store to RO');
  t.same(dataAbort(str!, at(0x0010_0010), false, v5, readWord), { far: 0x0010_0010, fsr: 0x05d, write: true }, 'ARMv5: no WnR in the FSR (the access is still a write)');
  t.equal(dataAbort(str!, at(0x0010_0010), true, v6, readWord), undefined, 'the privileged store does not fault');
  // STM crossing from the read/write MiB into the read-only one: words at 0xffff8..0x100004, the third faults.
  t.same(
    dataAbort(stmia!, at(0x000f_fff8), false, v6, readWord),
    { far: 0x0010_0000, fsr: 0x85d, write: true },
    'STM: FAR is the first word that faults',
  );
  t.same(
    dataAbort(ldrt!, at(0x0020_0000), true, v5, readWord),
    { far: 0x0020_0000, fsr: 0x00d, write: false },
    'LDRT from a privileged mode is checked as user',
  );
  t.same(
    dataAbort(ldrex!, at(0x0020_0002), true, v6, readWord),
    { far: 0x0020_0002, fsr: 0x001, write: false },
    'unaligned LDREX: alignment fault (domain 0, no WnR for a load) whatever SCTLR.A',
  );
  t.same(
    dataAbort(str!, at(0x0000_0001), false, mmu(SCTLR_M | SCTLR_A, true), readWord),
    { far: 0x0000_0001, fsr: 0x801, write: true },
    'unaligned store with SCTLR.A: alignment fault with WnR',
  );
  t.equal(dataAbort(ldr!, at(0x0000_0001), false, v6, readWord), undefined, 'unaligned without SCTLR.A: no fault');
  // An unaligned word crossing the 1 KiB target page: QEMU looks the second page up at its first byte.
  t.same(
    dataAbort(ldr!, at(0x001f_fffe), false, v6, readWord),
    { far: 0x0020_0000, fsr: 0x00d, write: false },
    'unaligned LDR into a privileged-only page: FAR at the page boundary',
  );
  t.same(
    dataAbort(strd!, at(0x001f_fffc), true, v6, readWord),
    undefined,
    'STRD: both words privileged-writable',
  );
  t.same(
    dataAbort(strd!, at(0x001f_fffc), false, v6, readWord),
    { far: 0x001f_fffc, fsr: 0x85d, write: true },
    'STRD from user: the first word (read-only MiB) faults first',
  );
  const bl = thumbInsn('bl .');
  t.equal(dataAbort(bl, at(0), true, v6, readWord), undefined, 'an instruction with no data access');
});
