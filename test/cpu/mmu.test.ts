// The one page-table walker (src/cpu/mmu.ts) on page tables built in a fake physical memory, and once on a
// real Cpu. Descriptors are encoded from the ARM ARM figures (DDI 0100I B4.7; VMSAv6 in the ARMv6 edition),
// and every expected permission, address and FSR value comes from the ARM ARM tables written out below
// (access permissions B4-1 and the ARMv6 APX table, FSR encodings B4-1/B4.6), or from QEMU's documented
// choices where the architecture leaves one (noted), never from the walker's own output.
import t from 'tap';
import type { Test } from 'tap';
import { Cpu } from '../../src/cpu/cpu.ts';
import { CPSR, EXCP, Mode } from '../../src/cpu/arm.ts';
import { checkRange, isFault, readMmuState, translate, translateRange } from '../../src/cpu/mmu.ts';
import type { Access, MmuFault, MmuState, Translation } from '../../src/cpu/mmu.ts';
import { assemble } from '../helpers/asm.ts';

// ---- fake physical memory: words below RAM_END read as stored (0 if never written); above it, nothing ----

const RAM_END = 0x1000_0000;
function memory() {
  const words = new Map<number, number>();
  const readWord = (pa: number) => (pa < RAM_END ? (words.get(pa) ?? 0) : undefined);
  const set = (pa: number, value: number) => words.set(pa, value >>> 0);
  return { words, readWord, set };
}

// ---- descriptor encodings ----

const SCTLR_M = 1 << 0;
const SCTLR_S = 1 << 8;
const SCTLR_R = 1 << 9;
const SCTLR_XP = 1 << 23;
const SCTLR_AFE = 1 << 29;

// ARMv5 and ARMv6 with XP = 0. First level: section [31:20] base, [11:10] AP, [8:5] domain, [4] SBO, [3] C,
// [2] B, [1:0] 10; coarse table [31:10] base, [8:5] domain, [4] SBO, 01; fine table [31:12] base, [8:5]
// domain, [4] SBO, 11. Second level: large page [31:16] base, [11:4] AP3..AP0, [3] C, [2] B, 01; small page
// [31:12] base, [11:4] AP3..AP0, 10; tiny page (fine tables) [31:10] base, [5:4] AP, 11; ARMv6 extended small
// page (coarse tables) [31:12] base, [8:6] TEX, [5:4] AP, 11.
const SBO = 1 << 4;
const v5Section = (base: number, ap: number, domain: number) => (base | (ap << 10) | (domain << 5) | SBO | 0b10) >>> 0;
const v5Coarse = (table: number, domain: number) => (table | (domain << 5) | SBO | 0b01) >>> 0;
const v5Fine = (table: number, domain: number) => (table | (domain << 5) | SBO | 0b11) >>> 0;
const subpageAps = (aps: number[]) => aps.reduce((d, ap, i) => d | (ap << (4 + 2 * i)), 0);
const v5Large = (base: number, aps: number[]) => (base | subpageAps(aps) | 0b01) >>> 0;
const v5Small = (base: number, aps: number[]) => (base | subpageAps(aps) | 0b10) >>> 0;
const v5Tiny = (base: number, ap: number) => (base | (ap << 4) | 0b11) >>> 0;
const v6ExtendedSmall = (base: number, ap: number) => (base | (ap << 4) | 0b11) >>> 0;

// ARMv6 with XP = 1. `ap` is APX:AP[1:0] (APX = bit 2). Section [31:20] base, [17] nG, [16] S, [15] APX,
// [14:12] TEX, [11:10] AP, [8:5] domain, [4] XN, [3] C, [2] B, 10; supersection [31:24] base, [23:20]
// base[35:32], [18] 1, [8:5] base[39:36], others as a section; page table [31:10] base, [8:5] domain, 01.
// Large page [31:16] base, [15] XN, [14:12] TEX, [11] nG, [10] S, [9] APX, [5:4] AP, 01; small page
// [31:12] base, [11] nG, [10] S, [9] APX, [8:6] TEX, [5:4] AP, [1] 1, [0] XN.
interface V6Bits {
  ap?: number;
  xn?: boolean;
  ng?: boolean;
  domain?: number;
}
const apx = (ap: number) => ap >>> 2;
const v6Section = (base: number, { ap = 0b011, xn = false, ng = false, domain = 0 }: V6Bits = {}) =>
  (base | (+ng << 17) | (apx(ap) << 15) | ((ap & 3) << 10) | (domain << 5) | (+xn << 4) | 0b10) >>> 0;
const v6Supersection = (base: number, high: number, { ap = 0b011, xn = false }: V6Bits = {}) =>
  (base | ((high & 0xf) << 20) | (1 << 18) | (apx(ap) << 15) | ((ap & 3) << 10) | ((high >>> 4) << 5) | (+xn << 4) | 0b10) >>> 0;
const v6Table = (table: number, domain: number) => (table | (domain << 5) | 0b01) >>> 0;
const v6Large = (base: number, { ap = 0b011, xn = false, ng = false }: V6Bits = {}) =>
  (base | (+xn << 15) | (+ng << 11) | (apx(ap) << 9) | ((ap & 3) << 4) | 0b01) >>> 0;
const v6Small = (base: number, { ap = 0b011, xn = false, ng = false }: V6Bits = {}) =>
  (base | (+ng << 11) | (apx(ap) << 9) | ((ap & 3) << 4) | 0b10 | +xn) >>> 0;

// ---- FSR encodings (ARM ARM B4.6): status [3:0], domain [7:4], WnR bit 11 (ARMv6 writes) ----

const FSR = {
  translationSection: 0b0101,
  translationPage: 0b0111,
  domainSection: 0b1001,
  domainPage: 0b1011,
  permissionSection: 0b1101,
  permissionPage: 0b1111,
  accessFlagSection: 0b0011,
  accessFlagPage: 0b0110,
  externalL1: 0b1100,
  externalL2: 0b1110,
};
const WNR = 1 << 11;

// ---- access permission tables ----

type Rights = '' | 'r' | 'rw';
const allows = (rights: Rights, access: Access) => (access === 'write' ? rights === 'rw' : rights !== '');

// ARM ARM v5 Table B4-1: AP, S, R -> privileged, user. S = R = 1 is UNPREDICTABLE (QEMU: no access).
const V5_AP: [ap: number, s: number, r: number, privileged: Rights, user: Rights][] = [
  [0b00, 0, 0, '', ''],
  [0b00, 1, 0, 'r', ''],
  [0b00, 0, 1, 'r', 'r'],
  [0b00, 1, 1, '', ''],
  ...[0, 1].flatMap((s) =>
    [0, 1].flatMap((r): [number, number, number, Rights, Rights][] => [
      [0b01, s, r, 'rw', ''],
      [0b10, s, r, 'rw', 'r'],
      [0b11, s, r, 'rw', 'rw'],
    ]),
  ),
];

// ARMv6 APX:AP (S = R = 0). 100 is reserved (no access); 110 is deprecated and 111 ARMv6K: read-only for all.
const V6_AP: [ap: number, privileged: Rights, user: Rights][] = [
  [0b000, '', ''],
  [0b001, 'rw', ''],
  [0b010, 'rw', 'r'],
  [0b011, 'rw', 'rw'],
  [0b100, '', ''],
  [0b101, 'r', ''],
  [0b110, 'r', 'r'],
  [0b111, 'r', 'r'],
];

// ARMv6K access flag model (SCTLR.AFE): AP[0] is the access flag, AP[2:1] the permissions.
const AFE_AP: [ap21: number, privileged: Rights, user: Rights][] = [
  [0b00, 'rw', ''],
  [0b01, 'rw', 'rw'],
  [0b10, 'r', ''],
  [0b11, 'r', 'r'],
];

// ---- MMU state ----

const TTB = 0x4000;
/** DACR value with domain `d` set to `access` (0 no access, 1 client, 2 reserved, 3 manager), others client. */
const dacr = (d = 0, access = 1) => ((0x5555_5555 & ~(3 << (2 * d))) | (access << (2 * d))) >>> 0;

function state(over: Partial<MmuState> = {}): MmuState {
  return { sctlr: SCTLR_M, ttbr0: TTB, ttbr1: 0, ttbcr: 0, dacr: dacr(), fcseidr: 0, contextidr: 0, armv6: false, ...over };
}
const v6xp = (over: Partial<MmuState> = {}) => state({ armv6: true, sctlr: SCTLR_M | SCTLR_XP, ...over });

const l1 = (set: (pa: number, v: number) => void, ttb: number, va: number, desc: number) => set(ttb + (va >>> 20) * 4, desc);
const coarseEntry = (table: number, va: number) => table + ((va >>> 12) & 0xff) * 4;
const fineEntry = (table: number, va: number) => table + ((va >>> 10) & 0x3ff) * 4;

function ok(t: Test, r: Translation | MmuFault, msg: string): Translation {
  if (isFault(r)) {
    t.fail(`${msg}: unexpected ${r.fault} fault, FSR 0x${r.fsr.toString(16)}`);
    return undefined as never;
  }
  t.pass(msg);
  return r;
}
const fsrOf = (r: Translation | MmuFault | { pieces: unknown }) => ('fault' in r ? r.fsr : undefined);

t.test('translation: section, coarse (large, small), fine (tiny, small), MMU off', async (t) => {
  const { set, readWord } = memory();
  const m = state();
  l1(set, TTB, 0x8000_0000, v5Section(0x0010_0000, 3, 0));
  l1(set, TTB, 0x8010_0000, v5Coarse(0x8000, 0));
  set(coarseEntry(0x8000, 0x8010_0000), v5Small(0x0003_0000, [3, 3, 3, 3]));
  for (let i = 0; i < 16; i++) set(coarseEntry(0x8000, 0x8011_0000 + i * 0x1000), v5Large(0x0005_0000, [3, 3, 3, 3]));
  l1(set, TTB, 0x8020_0000, v5Fine(0x9000, 0));
  set(fineEntry(0x9000, 0x8020_0800), v5Tiny(0x0007_0400, 3));
  for (let i = 0; i < 4; i++) set(fineEntry(0x9000, 0x8020_1000 + i * 0x400), v5Small(0x000a_0000, [3, 3, 3, 3]));
  for (let i = 0; i < 64; i++) set(fineEntry(0x9000, 0x8021_0000 + i * 0x400), v5Large(0x000c_0000, [3, 3, 3, 3]));

  const cases: [va: number, pa: number, kind: Translation['kind']][] = [
    [0x8001_2345, 0x0011_2345, 'section'], // PA[31:20] from the descriptor, VA[19:0]
    [0x8010_0abc, 0x0003_0abc, 'small'], // VA[11:0]
    [0x8011_abcd, 0x0005_abcd, 'large'], // VA[15:0]
    [0x8020_0811, 0x0007_0411, 'tiny'], // VA[9:0]
    [0x8020_1c21, 0x000a_0c21, 'small'], // small page in a fine table: VA[11:0]
    [0x8021_f00f, 0x000c_f00f, 'large'], // large page in a fine table: VA[15:0]
  ];
  for (const [va, pa, kind] of cases) {
    for (const armv6 of [false, true]) {
      const r = ok(t, translate(state({ armv6 }), va, readWord), `${armv6 ? 'ARMv6 XP=0' : 'ARMv5'} ${kind}`);
      t.equal(r.pa, pa);
      t.equal(r.kind, kind);
    }
  }
  const off = ok(t, translate(state({ sctlr: 0 }), 0x8765_4321, readWord), 'MMU off');
  t.match(off, { pa: 0x8765_4321, kind: 'flat', privileged: { read: true, write: true, execute: true } });
  t.equal(fsrOf(translate(m, 0x9000_0000, readWord)), FSR.translationSection, 'unmapped: section translation fault');
});

t.test('faults: level, FSR status and the domain field', async (t) => {
  const { set, readWord } = memory();
  // ARMv5 format. QEMU's choice: the domain field of an invalid first-level descriptor still goes to FSR[7:4].
  l1(set, TTB, 0x0010_0000, 7 << 5);
  l1(set, TTB, 0x0020_0000, v5Coarse(0x8000, 6)); // all second-level entries invalid
  l1(set, TTB, 0x0030_0000, v5Fine(0x9000, 9));
  l1(set, TTB, 0x0040_0000, v5Coarse(0x0f00_0000 + RAM_END, 3)); // table outside memory
  const m = state();
  const fault = (va: number, mm = m) => translate(mm, va, readWord, { access: 'read', privileged: true });
  t.match(fault(0x0010_0000), { fault: 'translation', level: 1, domain: 7, fsr: FSR.translationSection | (7 << 4) });
  t.match(fault(0x0020_0000), { fault: 'translation', level: 2, domain: 6, fsr: FSR.translationPage | (6 << 4) });
  t.match(fault(0x0030_0000), { fault: 'translation', level: 2, domain: 9, fsr: FSR.translationPage | (9 << 4) });
  t.match(fault(0x0040_0000), { fault: 'external', level: 2, domain: 3, fsr: FSR.externalL2 | (3 << 4) });
  t.match(fault(0x0010_0000, state({ ttbr0: RAM_END })), { fault: 'external', level: 1, domain: 0, fsr: FSR.externalL1 });
  t.ok(isFault(translate(m, 0x0020_0000, readWord)), 'an unchecked walk still faults on a translation fault');

  // ARMv5: a coarse-table entry of type 11 is UNPREDICTABLE (QEMU: translation fault); ARMv6 XP=0 reads it
  // as an extended small page with one AP.
  set(coarseEntry(0x8000, 0x0020_5000), v6ExtendedSmall(0x0060_0000, 0b10));
  t.equal(fsrOf(fault(0x0020_5000)), FSR.translationPage | (6 << 4), 'ARMv5: extended small page faults');
  const ext = ok(t, fault(0x0020_5678, state({ armv6: true })), 'ARMv6 XP=0: extended small page');
  t.match(ext, { pa: 0x0060_0678, kind: 'small', ap: 0b10 });

  // ARMv6 format: the walk does not take the domain of an invalid descriptor, and fine tables are gone.
  const v6 = v6xp();
  t.match(fault(0x0010_0000, v6), { fault: 'translation', level: 1, domain: 0, fsr: FSR.translationSection });
  t.match(fault(0x0030_0000, v6), { fault: 'translation', level: 1, domain: 0, fsr: FSR.translationSection }, 'fine table');
  t.match(fault(0x0020_0000, v6), { fault: 'translation', level: 2, domain: 6, fsr: FSR.translationPage | (6 << 4) });

  // WnR: ARMv6 data writes only.
  const write = (mm: MmuState) => translate(mm, 0x0010_0000, readWord, { access: 'write', privileged: true });
  const exec = (mm: MmuState) => translate(mm, 0x0010_0000, readWord, { access: 'execute', privileged: true });
  t.equal(fsrOf(write(m)), FSR.translationSection | (7 << 4), 'ARMv5 write: no WnR');
  t.equal(fsrOf(write(v6)), FSR.translationSection | WNR, 'ARMv6 write: WnR');
  t.equal(fsrOf(exec(v6)), FSR.translationSection, 'ARMv6 fetch: no WnR');
});

t.test('TTBCR.N selects TTBR0 below 2^(32-N) and TTBR1 above; TTBR0 aligned to 16 KiB >> N', async (t) => {
  for (let n = 0; n <= 7; n++) {
    const { set, readWord } = memory();
    const ttbr0 = 0x10_0000 + (n ? 0x4000 >>> n : 0); // aligned to 16 KiB >> N, not to 16 KiB when N > 0
    const ttbr1 = 0x20_0000;
    const boundary = 2 ** (32 - n); // first VA translated through TTBR1 (none when N = 0)
    const last0 = n ? boundary - 0x10_0000 : 0xfff0_0000; // the last MiB of the TTBR0 region
    l1(set, ttbr0, 0, v5Section(0x0100_0000, 3, 0));
    l1(set, ttbr0, last0, v5Section(0x0200_0000, 3, 0));
    if (n) {
      l1(set, ttbr1, boundary, v5Section(0x0300_0000, 3, 0));
      l1(set, ttbr1, 0xfff0_0000, v5Section(0x0400_0000, 3, 0));
    }
    // Attribute bits in the TTBRs' low bits (RGN, S, C) must not move the tables.
    const m = state({ armv6: true, ttbr0: ttbr0 | 0x1b, ttbr1: ttbr1 | 0x1b, ttbcr: n });
    const pa = (va: number) => {
      const r = translate(m, va, readWord);
      return isFault(r) ? `fault ${r.fsr}` : r.pa;
    };
    t.equal(pa(0x0000_0123), 0x0100_0123, `N=${n}: VA 0 through TTBR0`);
    t.equal(pa(last0 + 0xfffff), 0x020f_ffff, `N=${n}: VA 0x${(last0 + 0xfffff).toString(16)} through TTBR0`);
    if (n) {
      t.equal(pa(boundary), 0x0300_0000, `N=${n}: VA 0x${boundary.toString(16)} through TTBR1`);
      t.equal(pa(0xffff_fffc), 0x040f_fffc, `N=${n}: VA 0xfffffffc through TTBR1`);
    }
  }
});

t.test('ARMv5 has only TTBR0; TTBCR.PD0/PD1 disable a walk (section translation fault)', async (t) => {
  const { set, readWord } = memory();
  l1(set, TTB, 0xfff0_0000, v5Section(0x0100_0000, 3, 0));
  l1(set, TTB, 0x0000_0000, v5Section(0x0200_0000, 3, 0));
  l1(set, 0x8000, 0xfff0_0000, v5Section(0x0300_0000, 3, 0));
  const v5 = translate(state({ ttbr1: 0x8000, ttbcr: 1 }), 0xfff0_0010, readWord);
  t.equal(ok(t, v5, 'ARMv5 ignores TTBCR').pa, 0x0100_0010);
  const pd = (ttbcr: number, va: number) =>
    translate(state({ armv6: true, ttbr1: 0x8000, ttbcr }), va, readWord, { access: 'read', privileged: true });
  t.equal(ok(t, pd(1, 0xfff0_0010), 'ARMv6 N=1: TTBR1').pa, 0x0300_0010);
  t.match(pd(1 | (1 << 4), 0x0000_0010), { fault: 'translation', level: 1, domain: 0, fsr: FSR.translationSection }, 'PD0');
  t.equal(ok(t, pd(1 | (1 << 4), 0xfff0_0010), 'PD0 leaves TTBR1 walks').pa, 0x0300_0010);
  t.match(pd(1 | (1 << 5), 0xfff0_0010), { fault: 'translation', level: 1, fsr: FSR.translationSection }, 'PD1');
  t.equal(ok(t, pd(1 | (1 << 5), 0x0000_0010), 'PD1 leaves TTBR0 walks').pa, 0x0200_0010);
  t.match(pd(1 << 5, 0xfff0_0010), { pa: 0x0100_0010 }, 'N=0: PD1 never applies, everything is TTBR0');
});

t.test('FCSE: VAs below 32 MiB are relocated by FCSEIDR[31:25], MMU on or off', async (t) => {
  const { set, readWord } = memory();
  l1(set, TTB, 0x0610_0000, v5Section(0x0100_0000, 3, 0)); // MVA of VA 0x00100000 with PID 3
  l1(set, TTB, 0x0210_0000, v5Section(0x0200_0000, 3, 0)); // VA 0x02100000: above 32 MiB, not relocated
  const m = state({ fcseidr: 3 << 25 });
  t.match(translate(m, 0x0010_0044, readWord), { va: 0x0010_0044, mva: 0x0610_0044, pa: 0x0100_0044 });
  t.match(translate(m, 0x0210_0044, readWord), { mva: 0x0210_0044, pa: 0x0200_0044 });
  t.match(translate({ ...m, sctlr: 0 }, 0x0000_8000, readWord), { pa: 0x0600_8000 }, 'MMU off');
});

t.test('domains: no access and reserved fault, client checks AP, manager does not', async (t) => {
  const { set, readWord } = memory();
  for (let d = 0; d < 16; d++) {
    l1(set, TTB, d << 20, v5Section(d << 20, 0b01, d)); // privileged-only sections, one per domain
    l1(set, TTB, (16 + d) << 20, v5Coarse(0x8000 + d * 0x400, d));
    set(coarseEntry(0x8000 + d * 0x400, 0), v5Small(0x0300_0000, [1, 1, 1, 1]));
  }
  const userRead = { access: 'read', privileged: false } as const;
  for (let d = 0; d < 16; d++) {
    for (const armv6 of [false, true]) {
      const at = (access: number, va: number) => translate(state({ armv6, dacr: dacr(d, access) }), va, readWord, userRead);
      const v = armv6 ? 'ARMv6 XP=0' : 'ARMv5';
      t.equal(fsrOf(at(0b00, d << 20)), FSR.domainSection | (d << 4), `${v} domain ${d} no access: section`);
      t.equal(fsrOf(at(0b00, (16 + d) << 20)), FSR.domainPage | (d << 4), `${v} domain ${d} no access: page`);
      t.equal(fsrOf(at(0b10, d << 20)), FSR.domainSection | (d << 4), `${v} domain ${d} reserved (QEMU: no access)`);
      t.equal(fsrOf(at(0b01, d << 20)), FSR.permissionSection | (d << 4), `${v} domain ${d} client: AP=01 user read`);
      t.equal(fsrOf(at(0b01, (16 + d) << 20)), FSR.permissionPage | (d << 4), `${v} domain ${d} client: page`);
      t.equal(fsrOf(at(0b11, d << 20)), undefined, `${v} domain ${d} manager: no AP check`);
    }
  }
  // No-access domain with an invalid second-level entry: QEMU checks the domain first.
  l1(set, TTB, 0x0400_0000, v5Coarse(0xc000, 4));
  const noAccess = state({ dacr: dacr(4, 0) });
  t.equal(fsrOf(translate(noAccess, 0x0400_0000, readWord, userRead)), FSR.domainPage | (4 << 4), 'domain before L2');
  t.equal(fsrOf(translate(noAccess, 0x0400_0000, readWord)), FSR.translationPage | (4 << 4), 'unchecked: L2 invalid');
  t.equal(fsrOf(translate(noAccess, 0x0040_0000, readWord)), undefined, 'unchecked walks ignore domains');
  // The reported permissions follow the domain.
  const r = ok(t, translate(state({ dacr: dacr(2, 3) }), 0x0020_0000, readWord), 'manager domain');
  t.same(r.user, { read: true, write: true, execute: true });
  const none = ok(t, translate(state({ dacr: dacr(2, 0) }), 0x0020_0000, readWord), 'no-access domain, unchecked');
  t.same(none.privileged, { read: false, write: false, execute: false });
});

t.test('ARMv5 AP with SCTLR.S/R, for sections and small-page subpages, ARMv5 and ARMv6 XP=0', async (t) => {
  const { set, readWord } = memory();
  for (let ap = 0; ap < 4; ap++) {
    l1(set, TTB, (0x100 + ap) << 20, v5Section((0x100 + ap) << 20, ap, 5));
  }
  // A small page whose subpage i (VA[11:10] = i) has AP = i.
  l1(set, TTB, 0x2000_0000, v5Coarse(0x8000, 5));
  set(coarseEntry(0x8000, 0x2000_0000), v5Small(0x0050_0000, [0, 1, 2, 3]));
  for (const armv6 of [false, true]) {
    for (const [ap, s, r, privileged, user] of V5_AP) {
      const m = state({ armv6, sctlr: SCTLR_M | (s ? SCTLR_S : 0) | (r ? SCTLR_R : 0) });
      for (const priv of [true, false]) {
        for (const access of ['read', 'write', 'execute'] as const) {
          // ARMv5: executing needs read permission.
          const allowed = allows(priv ? privileged : user, access === 'execute' ? 'read' : access);
          const wnr = access === 'write' && armv6 ? WNR : 0;
          const what = `${armv6 ? 'v6 XP=0' : 'v5'} AP=${ap} S=${s} R=${r} ${priv ? 'privileged' : 'user'} ${access}`;
          const sectionVa = (0x100 + ap) << 20;
          const got = translate(m, sectionVa + 0x40, readWord, { access, privileged: priv });
          t.equal(fsrOf(got), allowed ? undefined : FSR.permissionSection | (5 << 4) | wnr, `${what}: section`);
          const sub = translate(m, 0x2000_0000 + ap * 0x400 + 0x40, readWord, { access, privileged: priv });
          t.equal(fsrOf(sub), allowed ? undefined : FSR.permissionPage | (5 << 4) | wnr, `${what}: subpage ${ap}`);
        }
      }
    }
  }
  // Large page subpages are 16 KiB (VA[15:14]); tiny pages have one AP.
  l1(set, TTB, 0x2010_0000, v5Coarse(0x8400, 5));
  for (let i = 0; i < 16; i++) set(coarseEntry(0x8400, 0x2010_0000 + i * 0x1000), v5Large(0x0060_0000, [3, 1, 3, 3]));
  l1(set, TTB, 0x2020_0000, v5Fine(0x9000, 5));
  set(fineEntry(0x9000, 0x2020_0400), v5Tiny(0x0070_0000, 0b10));
  const userWrite = { access: 'write', privileged: false } as const;
  const m = state();
  t.equal(fsrOf(translate(m, 0x2010_3ffc, readWord, userWrite)), undefined, 'large page subpage 0 (AP=11)');
  t.equal(fsrOf(translate(m, 0x2010_4000, readWord, userWrite)), FSR.permissionPage | (5 << 4), 'subpage 1 (AP=01)');
  t.equal(fsrOf(translate(m, 0x2010_8000, readWord, userWrite)), undefined, 'subpage 2 (AP=11)');
  t.equal(fsrOf(translate(m, 0x2020_0400, readWord, userWrite)), FSR.permissionPage | (5 << 4), 'tiny AP=10: user write');
  t.equal(fsrOf(translate(m, 0x2020_0400, readWord, { access: 'read', privileged: false })), undefined, 'tiny: user read');
});

t.test('ARMv6 APX:AP for sections, large and small pages (SCTLR.XP = 1)', async (t) => {
  const { set, readWord } = memory();
  for (let ap = 0; ap < 8; ap++) {
    l1(set, TTB, (0x100 + ap) << 20, v6Section((0x100 + ap) << 20, { ap, domain: 3 }));
    l1(set, TTB, (0x200 + ap) << 20, v6Table(0x8000 + ap * 0x400, 3));
    for (let i = 0; i < 16; i++) set(coarseEntry(0x8000 + ap * 0x400, i * 0x1000), v6Large(0x0010_0000, { ap }));
    set(coarseEntry(0x8000 + ap * 0x400, 0x10_0000 - 0x1000), v6Small(0x0020_0000, { ap }));
  }
  const m = v6xp({ dacr: dacr() });
  for (const [ap, privileged, user] of V6_AP) {
    for (const priv of [true, false]) {
      for (const access of ['read', 'write', 'execute'] as const) {
        const allowed = allows(priv ? privileged : user, access === 'execute' ? 'read' : access);
        const wnr = access === 'write' ? WNR : 0;
        const what = `APX:AP=${ap.toString(2).padStart(3, '0')} ${priv ? 'privileged' : 'user'} ${access}`;
        const check = { access, privileged: priv };
        const expect = (status: number) => (allowed ? undefined : status | (3 << 4) | wnr);
        t.equal(fsrOf(translate(m, ((0x100 + ap) << 20) + 0x40, readWord, check)), expect(FSR.permissionSection), `${what}: section`);
        t.equal(fsrOf(translate(m, ((0x200 + ap) << 20) + 0x40, readWord, check)), expect(FSR.permissionPage), `${what}: large`);
        t.equal(fsrOf(translate(m, ((0x200 + ap) << 20) + 0xff040, readWord, check)), expect(FSR.permissionPage), `${what}: small`);
      }
    }
  }
  // APX = 0, AP = 00 still follows SCTLR.S/R.
  const s = translate({ ...m, sctlr: m.sctlr | SCTLR_S }, 0x1000_0040, readWord, { access: 'read', privileged: true });
  t.equal(fsrOf(s), undefined, 'AP=000 with S: privileged read');
});

t.test('ARMv6 XN: fetches fault with a permission fault; other accesses and manager domains do not', async (t) => {
  const { set, readWord } = memory();
  l1(set, TTB, 0x0010_0000, v6Section(0x0010_0000, { xn: true, domain: 2 }));
  l1(set, TTB, 0x0020_0000, v6Table(0x8000, 2));
  for (let i = 0; i < 16; i++) set(coarseEntry(0x8000, i * 0x1000), v6Large(0x0030_0000, { xn: true }));
  set(coarseEntry(0x8000, 0x1_0000), v6Small(0x0040_0000, { xn: true }));
  set(coarseEntry(0x8000, 0x1_1000), v6Small(0x0050_0000, { xn: false }));
  l1(set, TTB, 0x0030_0000, v5Section(0x0030_0000, 3, 2) | (1 << 4)); // bit 4 set: XN only in the v6 format
  const m = v6xp();
  const fetch = (va: number, mm = m) => translate(mm, va, readWord, { access: 'execute', privileged: true });
  t.match(fetch(0x0010_0000), { fault: 'permission', level: 1, domain: 2, fsr: FSR.permissionSection | (2 << 4) }, 'section');
  t.match(fetch(0x0020_0000), { fault: 'permission', level: 2, domain: 2, fsr: FSR.permissionPage | (2 << 4) }, 'large page');
  t.match(fetch(0x0021_0000), { fault: 'permission', level: 2, fsr: FSR.permissionPage | (2 << 4) }, 'small page');
  t.equal(fsrOf(fetch(0x0021_1000)), undefined, 'small page without XN');
  t.equal(fsrOf(translate(m, 0x0010_0000, readWord, { access: 'read', privileged: false })), undefined, 'XN: reads allowed');
  t.equal(fsrOf(fetch(0x0010_0000, v6xp({ dacr: dacr(2, 3) }))), undefined, 'manager domain ignores XN');
  t.equal(fsrOf(fetch(0x0030_0000, state({ armv6: true }))), undefined, 'XP=0: section bit 4 is not XN');
  t.equal(ok(t, translate(m, 0x0010_0000, readWord), 'XN reported').xn, true);
});

t.test('ARMv6K access flag (SCTLR.AFE): AP[0] = 0 faults, AP[2:1] simplified permissions', async (t) => {
  const { set, readWord } = memory();
  for (let ap = 0; ap < 8; ap++) {
    l1(set, TTB, (0x100 + ap) << 20, v6Section((0x100 + ap) << 20, { ap, domain: 1 }));
    l1(set, TTB, (0x200 + ap) << 20, v6Table(0x8000 + ap * 0x400, 1));
    set(coarseEntry(0x8000 + ap * 0x400, 0), v6Small(0x0020_0000, { ap }));
  }
  const m = v6xp({ sctlr: SCTLR_M | SCTLR_XP | SCTLR_AFE });
  for (const [ap21, privileged, user] of AFE_AP) {
    for (const flag of [0, 1]) {
      const ap = (ap21 << 1) | flag;
      for (const priv of [true, false]) {
        for (const access of ['read', 'write'] as const) {
          const check = { access, privileged: priv };
          const wnr = access === 'write' ? WNR : 0;
          const allowed = allows(priv ? privileged : user, access);
          const [section, page] = flag
            ? [allowed ? undefined : FSR.permissionSection, allowed ? undefined : FSR.permissionPage]
            : [FSR.accessFlagSection, FSR.accessFlagPage];
          const what = `AP[2:1]=${ap21} AF=${flag} ${priv ? 'privileged' : 'user'} ${access}`;
          const got = (va: number) => fsrOf(translate(m, va, readWord, check));
          t.equal(got((0x100 + ap) << 20), section === undefined ? undefined : section | (1 << 4) | wnr, `${what}: section`);
          t.equal(got((0x200 + ap) << 20), page === undefined ? undefined : page | (1 << 4) | wnr, `${what}: page`);
        }
      }
    }
  }
  // get_phys_addr_v6 checks XN before the access flag: a fetch from an XN page with AF = 0 is a permission fault.
  l1(set, TTB, 0x0400_0000, v6Section(0x0400_0000, { ap: 0b010, xn: true, domain: 1 }));
  const fetch = translate(m, 0x0400_0000, readWord, { access: 'execute', privileged: true });
  t.equal(fsrOf(fetch), FSR.permissionSection | (1 << 4), 'XN before the access flag');
});

t.test('supersections (ARMv6 XP=1): 16 MiB, domain 0, extended base', async (t) => {
  const { set, readWord } = memory();
  for (let i = 0; i < 16; i++) l1(set, TTB, 0x4000_0000 + i * 0x10_0000, v6Supersection(0x3f00_0000, 0x50, { ap: 0b001 }));
  for (let i = 0; i < 16; i++) l1(set, TTB, 0x5000_0000 + i * 0x10_0000, v6Supersection(0x2000_0000, 0x00));
  const m = v6xp();
  const big = ok(t, translate(m, 0x40ab_cdef, readWord), 'supersection with base[39:36] = 5');
  t.equal(big.pa, 0x3fab_cdef + 5 * 2 ** 36, 'PA = base[39:24] : VA[23:0]');
  t.equal(big.kind, 'supersection');
  t.equal(big.domain, 0, 'supersections are in domain 0 (bits [8:5] are base[39:36])');
  t.equal(ok(t, translate(m, 0x50ff_fff0, readWord), 'supersection').pa, 0x20ff_fff0);
  const noAccess = v6xp({ dacr: dacr(0, 0) });
  t.match(translate(noAccess, 0x4000_0000, readWord, { access: 'read', privileged: true }), {
    fault: 'domain',
    level: 1,
    domain: 0,
    fsr: FSR.domainSection,
  });
  t.equal(fsrOf(translate(m, 0x4000_0000, readWord, { access: 'read', privileged: false })), FSR.permissionSection, 'AP=001');
  // In the v5 format bit 18 means nothing: a plain section.
  const v5 = ok(t, translate(state({ armv6: true }), 0x50ab_cdef, readWord), 'XP=0: bit 18 ignored');
  t.equal(v5.pa, 0x200b_cdef, 'a section: base[31:20] = 0x200, VA[19:0]');
});

t.test('nG and the ASID are reported (ARMv6 XP=1); ARMv5-format mappings are global', async (t) => {
  const { set, readWord } = memory();
  l1(set, TTB, 0x0010_0000, v6Section(0x0010_0000, { ng: true }));
  l1(set, TTB, 0x0020_0000, v6Section(0x0020_0000));
  l1(set, TTB, 0x0030_0000, v6Table(0x8000, 0));
  set(coarseEntry(0x8000, 0), v6Small(0x0040_0000, { ng: true }));
  for (let i = 0; i < 16; i++) set(coarseEntry(0x8000, 0x1_0000 + i * 0x1000), v6Large(0x0050_0000, { ng: true }));
  set(coarseEntry(0x8000, 0x2_0000), v6Small(0x0060_0000));
  const m = v6xp({ contextidr: 0x1234_5642 }); // PROCID 0x123456, ASID 0x42
  const at = (va: number) => ok(t, translate(m, va, readWord), `VA 0x${va.toString(16)}`);
  t.match(at(0x0010_0000), { global: false, asid: 0x42 }, 'section nG');
  t.match(at(0x0020_0000), { global: true, asid: 0x42 }, 'global section');
  t.match(at(0x0030_0000), { global: false, kind: 'small' }, 'small page nG');
  t.match(at(0x0031_0000), { global: false, kind: 'large' }, 'large page nG');
  t.match(at(0x0032_0000), { global: true }, 'global small page');
  l1(set, TTB, 0x0070_0000, v5Section(0x0070_0000, 3, 0) | (1 << 17));
  t.match(ok(t, translate(state({ armv6: true }), 0x0070_0000, readWord), 'XP=0'), { global: true }, 'bit 17 is not nG');
});

t.test('ranges: split at page boundaries, the first fault and its first faulting byte', async (t) => {
  const { set, readWord } = memory();
  const C = 0x8000;
  l1(set, TTB, 0x0040_0000, v5Coarse(C, 1));
  set(coarseEntry(C, 0x0040_0000), v5Small(0x0020_0000, [3, 3, 3, 3]));
  set(coarseEntry(C, 0x0040_1000), v5Small(0x0030_0000, [3, 3, 3, 3]));
  set(coarseEntry(C, 0x0040_2000), v5Small(0x0050_0000, [1, 1, 1, 1])); // privileged only
  set(coarseEntry(C, 0x0040_3000), v5Small(0x0060_0000, [3, 3, 2, 1])); // subpages: rw, rw, user RO, privileged
  // 0x0040_4000: invalid
  l1(set, TTB, 0x0050_0000, v5Section(0x0100_0000, 3, 0));
  l1(set, TTB, 0x0060_0000, v5Section(0x0300_0000, 3, 0));
  const m = state();
  const user = (access: Access) => ({ access, privileged: false });

  t.same(checkRange(m, 0x0040_0ff0, 0x20, user('read'), readWord), {
    pieces: [
      { va: 0x0040_0ff0, pa: 0x0020_0ff0, length: 0x10 },
      { va: 0x0040_1000, pa: 0x0030_0000, length: 0x10 },
    ],
  }, 'two pages, two physical pieces');
  t.same(checkRange(m, 0x0040_1f00, 0x200, user('read'), readWord), {
    fault: 'permission', level: 2, domain: 1, fsr: FSR.permissionPage | (1 << 4), va: 0x0040_2000,
  }, 'user read into the privileged page: the fault is at its first byte');
  t.same(checkRange(m, 0x0040_1f00, 0x200, { access: 'read', privileged: true }, readWord), {
    pieces: [
      { va: 0x0040_1f00, pa: 0x0030_0f00, length: 0x100 },
      { va: 0x0040_2000, pa: 0x0050_0000, length: 0x100 },
    ],
  }, 'the same range read with privilege');
  t.match(checkRange(m, 0x0040_2010, 4, user('read'), readWord), { fault: 'permission', va: 0x0040_2010 }, 'first byte');
  t.same(checkRange(m, 0x0040_3000, 0xc00, user('read'), readWord), {
    pieces: [0, 1, 2].map((i) => ({ va: 0x0040_3000 + i * 0x400, pa: 0x0060_0000 + i * 0x400, length: 0x400 })),
  }, 'subpages with different APs: 1 KiB pieces');
  t.match(checkRange(m, 0x0040_3100, 0x800, user('write'), readWord), { fault: 'permission', va: 0x0040_3800 }, 'user write into a read-only subpage');
  t.match(checkRange(m, 0x0040_3ffe, 4, user('read'), readWord), { fault: 'permission', va: 0x0040_3ffe }, 'AP=01 subpage');
  t.match(checkRange(m, 0x0040_3f00, 0x200, { access: 'read', privileged: true }, readWord), {
    fault: 'translation', level: 2, domain: 1, fsr: FSR.translationPage | (1 << 4), va: 0x0040_4000,
  }, 'running into an invalid page');
  t.same(checkRange(m, 0x0050_0000 - 8, 0, user('read'), readWord), { pieces: [] }, 'empty range');
  t.same(translateRange(m, 0x005f_fff0, 0x20, readWord), {
    pieces: [
      { va: 0x005f_fff0, pa: 0x010f_fff0, length: 0x10 },
      { va: 0x0060_0000, pa: 0x0300_0000, length: 0x10 },
    ],
  }, 'sections split at 1 MiB');
  t.same(translateRange(m, 0x0040_1ffc, 8, readWord), {
    pieces: [
      { va: 0x0040_1ffc, pa: 0x0030_0ffc, length: 4 },
      { va: 0x0040_2000, pa: 0x0050_0000, length: 4 },
    ],
  }, 'unchecked: no permission check');
  t.same(translateRange(state({ sctlr: 0 }), 0xffff_fff8, 0x10, readWord), {
    pieces: [
      { va: 0xffff_fff8, pa: 0xffff_fff8, length: 8 },
      { va: 0, pa: 0, length: 8 },
    ],
  }, 'wraps at 2^32');
  const v6 = checkRange(state({ armv6: true }), 0x0040_3700, 0x200, user('write'), readWord);
  t.match(v6, { fsr: FSR.permissionPage | (1 << 4) | WNR, va: 0x0040_3800 }, 'ARMv6 write faults carry WnR');
});

t.test('readMmuState reads the ARMv6 registers only on ARMv6', async (t) => {
  const seen: string[] = [];
  const cp15 = (crn: number, crm: number, opc1: number, opc2: number) => {
    seen.push(`c${crn},c${crm},${opc1},${opc2}`);
    return crn * 0x100 + opc2;
  };
  t.same(readMmuState(cp15, true), {
    sctlr: 0x100, ttbr0: 0x200, ttbr1: 0x201, ttbcr: 0x202, dacr: 0x300, fcseidr: 0xd00, contextidr: 0xd01, armv6: true,
  });
  seen.length = 0;
  t.match(readMmuState(cp15, false), { ttbr1: 0, ttbcr: 0, contextidr: 0, armv6: false });
  t.notOk(seen.includes('c2,c0,0,1') || seen.includes('c2,c0,0,2') || seen.includes('c13,c0,0,1'));
});

t.test('a real Cpu: host reads checked against the guest page tables, and the engine agrees', async (t) => {
  const cpu = new Cpu({ model: 'arm926', blockClock: 'js' });
  t.teardown(() => cpu.close());
  cpu.mapRam(0, 16 << 20);
  const word = (pa: number, v: number) => cpu.writeMemory(pa, new Uint8Array(new Uint32Array([v >>> 0]).buffer));
  word(TTB + 0x000 * 4, v5Section(0x0000_0000, 0b11, 0)); // code and tables: read/write for all
  word(TTB + 0x001 * 4, v5Section(0x0010_0000, 0b01, 0)); // privileged only
  word(TTB + 0x002 * 4, v5Section(0x0020_0000, 0b10, 0)); // user read-only
  cpu.writeMemory(0x0010_0000, new TextEncoder().encode('secret'));
  cpu.writeMemory(0x0020_0000, new TextEncoder().encode('public'));
  cpu.writeMemory(0x8000, assemble('ldr r0, [r2]\nldr r0, [r1]\nb .'));
  cpu.setCp15(2, 0, 0, 0, TTB);
  cpu.setCp15(3, 0, 0, 0, 0b01); // domain 0: client
  cpu.setCp15(1, 0, 0, 0, cpu.cp15(1, 0, 0, 0) | SCTLR_M);

  t.same(cpu.readVirtualChecked(0x0010_0000, 6, 'user'), {
    fault: 'permission', level: 1, domain: 0, fsr: FSR.permissionSection, va: 0x0010_0000,
  }, 'USR may not read the privileged section');
  t.same(cpu.readVirtualChecked(0x0010_0000, 6, 'privileged'), new TextEncoder().encode('secret'));
  t.same(cpu.readVirtualChecked(0x0020_0000, 6, 'user'), new TextEncoder().encode('public'));
  const ones = new Uint8Array([1, 1, 1, 1]);
  t.match(cpu.writeVirtualChecked(0x000f_fffe, ones, 'user'), { fault: 'permission', va: 0x0010_0000 }, 'USR write across');
  t.same(cpu.readMemory(0x000f_fffe, 2), new Uint8Array(2), 'a refused write writes nothing, not even its allowed part');
  t.equal(cpu.writeVirtualChecked(0x0010_0000, new TextEncoder().encode('S'), 'privileged'), undefined);
  t.same(cpu.readVirtual(0x0010_0000, 6), new TextEncoder().encode('Secret'), 'unchecked read');

  // USR code: the load from the user read-only section works, the one from the privileged section aborts.
  cpu.cpsr = Mode.USR | CPSR.I | CPSR.F;
  cpu.setReg(1, 0x0010_0000);
  cpu.setReg(2, 0x0020_0000);
  cpu.setReg(15, 0x8000);
  t.same(cpu.run(1000), { kind: 'exception', intno: EXCP.DATA_ABORT, pc: 0x8004 }, 'the engine refuses the USR load too');
  t.equal(cpu.reg(0), 0x6c627570, 'the first load read "publ"');
  cpu.recordAbort('data', 0x8004);
  t.equal(cpu.cp15(5, 0, 0, 0), FSR.permissionSection, 'DFSR');
  t.equal(cpu.cp15(6, 0, 0, 0), 0x0010_0000, 'FAR');
});
