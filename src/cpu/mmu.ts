/**
 * The one software walk of the ARMv5/ARMv6 short-descriptor page tables (ARM ARM DDI 0100I B4, and B4/VMSAv6
 * of the ARMv6 edition), with the access checks the MMU makes, for host code: uc_mem_read addresses physical
 * memory, and aborts taken through Unicorn's hook never had their FSR written. Pure: the caller reads CP15 once
 * (`readMmuState`) and passes a `readWord(pa)` for the tables.
 *
 * Behaviour follows QEMU (target/arm ptw.c get_phys_addr_v5/_v6, ap_to_rw_prot, get_level1_table_address,
 * internals.h arm_fi_to_sfsc), which is also what Unicorn 2.0.1 runs:
 * - Format: ARMv6 with SCTLR.XP = 1 uses the v6 descriptors (APX, XN, nG, supersections, no fine tables);
 *   ARMv5, and ARMv6 with XP = 0, use the v5 descriptors (subpage AP, fine tables, tiny pages), where an ARMv6
 *   core reads a coarse-table entry of type 0b11 as an extended small page (ARMv5: translation fault).
 * - First-level table: ARMv6 picks TTBR1 when VA[31:32-N] is non-zero (N = TTBCR[2:0]), else TTBR0 aligned to
 *   16 KiB >> N; TTBCR.PD0/PD1 (ARM1176 only: the ARM1136 register drops them) turn a walk into a section
 *   translation fault. ARMv5 has only TTBR0 (TTBR1/TTBCR are ignored, though QEMU also honours them there).
 * - FCSE: a VA below 32 MiB is relocated by FCSEIDR[31:25] before anything else, MMU on or off.
 * - Domains (DACR): 00 and the reserved 10 fault, 01 checks AP, 11 (manager) allows everything, XN included.
 *   The domain is checked before the second-level entry is read. Supersections are in domain 0.
 * - AP: ap_to_rw_prot with SCTLR.S/R for AP = 00; APX = 1 with AP = 11 is read-only (both ARMv6 cores are
 *   ARMv6K in Unicorn). With the v6 format and SCTLR.AFE (bit 29, ARM1176's "force AP") AP[0] is an access
 *   flag (0: access flag fault) and AP[2:1] the simplified permissions. An instruction fetch needs read
 *   permission and, in the v6 format, XN clear (XN is checked first).
 * - Faults carry the FSR the CPU would write (ARM ARM B4.6): status in [3:0], domain in [7:4], WnR (bit 11)
 *   for writes on ARMv6. The domain field is the first-level descriptor's bits [8:5] once it has been read,
 *   even for an invalid v5 descriptor; the v6 format reports 0 for an invalid entry and for supersections.
 *   A table read from no memory (`readWord` gives undefined) is an external abort on translation.
 * Not modelled: TEX remap (SCTLR.TR) and memory types (only raw C/B bits are reported: they never change a
 * translation or a permission), PXN (not in ARMv6), the NS bit, the 40-bit supersection base beyond
 * reporting it in `pa`, big-endian tables (SCTLR.EE).
 */

export interface MmuState {
  /** SCTLR (c1,c0,0): M, S, R, XP and AFE matter here. */
  sctlr: number;
  ttbr0: number;
  /** ARMv6 only (c2,c0,1). */
  ttbr1: number;
  /** ARMv6 only (c2,c0,2): N in [2:0], PD0 bit 4, PD1 bit 5. */
  ttbcr: number;
  dacr: number;
  /** FCSE PID (c13,c0,0): bits [31:25] relocate VAs below 32 MiB. */
  fcseidr: number;
  /** ARMv6 only (c13,c0,1): the ASID is bits [7:0]. */
  contextidr: number;
  armv6: boolean;
}

/** A word of physical memory, or undefined where there is none (an external abort on a table walk). */
export type ReadWord = (pa: number) => number | undefined;

export type Access = 'read' | 'write' | 'execute';

/** Whose permissions a host-side access is checked with: a USR-mode guest pointer is checked as 'user'. */
export type Privilege = 'user' | 'privileged';

/** What an access checks: its kind and whether it is made with privileged (PL1) or user permissions. */
export interface Check {
  access: Access;
  privileged: boolean;
}

export type FaultKind = 'translation' | 'domain' | 'permission' | 'accessFlag' | 'external';

export interface MmuFault {
  fault: FaultKind;
  level: 1 | 2;
  domain: number;
  /** The FSR value (DFSR or IFSR) the CPU reports for this fault. */
  fsr: number;
  /** The faulting virtual address (for a range, its first faulting byte): the FAR/IFAR value. */
  va: number;
}

export interface Permissions {
  read: boolean;
  write: boolean;
  execute: boolean;
}

export type MappingKind = 'flat' | 'section' | 'supersection' | 'large' | 'small' | 'tiny';

export interface Translation {
  va: number;
  /** The modified virtual address (after FCSE) that was looked up. */
  mva: number;
  /** Physical address; above 2^32 only for a supersection with an extended base. */
  pa: number;
  /** 'flat' when the MMU is off (pa = mva). */
  kind: MappingKind;
  /** Aligned block around `va` with this translation and these permissions: the AP subpage in the v5 format. */
  granule: number;
  domain: number;
  /** AP[1:0] that applies to `va`, with APX as bit 2 in the v6 format. */
  ap: number;
  xn: boolean;
  /** false for a v6-format mapping with nG set: it belongs to the address space `asid`. */
  global: boolean;
  /** CONTEXTIDR[7:0] at the time of the walk (0 on ARMv5). */
  asid: number;
  c: boolean;
  b: boolean;
  /** Permissions under the current DACR/SCTLR, for each privilege. */
  privileged: Permissions;
  user: Permissions;
}

/** A virtual range's piece within one granule: `length` bytes at `va` are at `pa`. */
export interface Piece {
  va: number;
  pa: number;
  length: number;
}

/** FSR status values (ARM ARM B4.6, DDI 0100I Table B4-1; access flag: VMSAv6 ARMv6K). */
export const FSR = {
  ALIGNMENT: 0b0001,
  DEBUG: 0b0010,
  ACCESS_FLAG_SECTION: 0b0011,
  TRANSLATION_SECTION: 0b0101,
  ACCESS_FLAG_PAGE: 0b0110,
  TRANSLATION_PAGE: 0b0111,
  DOMAIN_SECTION: 0b1001,
  DOMAIN_PAGE: 0b1011,
  EXTERNAL_TRANSLATION_L1: 0b1100,
  PERMISSION_SECTION: 0b1101,
  EXTERNAL_TRANSLATION_L2: 0b1110,
  PERMISSION_PAGE: 0b1111,
  /** Write not Read (ARMv6 DFSR only). */
  WNR: 1 << 11,
} as const;

const STATUS: Record<FaultKind, [number, number]> = {
  translation: [FSR.TRANSLATION_SECTION, FSR.TRANSLATION_PAGE],
  domain: [FSR.DOMAIN_SECTION, FSR.DOMAIN_PAGE],
  permission: [FSR.PERMISSION_SECTION, FSR.PERMISSION_PAGE],
  accessFlag: [FSR.ACCESS_FLAG_SECTION, FSR.ACCESS_FLAG_PAGE],
  external: [FSR.EXTERNAL_TRANSLATION_L1, FSR.EXTERNAL_TRANSLATION_L2],
};

const SCTLR_M = 1 << 0;
const SCTLR_S = 1 << 8;
const SCTLR_R = 1 << 9;
const SCTLR_XP = 1 << 23;
const SCTLR_AFE = 1 << 29;
const TTBCR_PD0 = 1 << 4;
const TTBCR_PD1 = 1 << 5;

const FCSE_LIMIT = 0x0200_0000;
const MIB = 0x10_0000;
const ALL: Permissions = { read: true, write: true, execute: true };
const NONE: Permissions = { read: false, write: false, execute: false };

/** Reads the MMU registers through `cp15(crn, crm, opc1, opc2)`; ARMv5 has no TTBR1, TTBCR or CONTEXTIDR. */
export function readMmuState(cp15: (crn: number, crm: number, opc1: number, opc2: number) => number, armv6: boolean): MmuState {
  return {
    sctlr: cp15(1, 0, 0, 0),
    ttbr0: cp15(2, 0, 0, 0),
    ttbr1: armv6 ? cp15(2, 0, 0, 1) : 0,
    ttbcr: armv6 ? cp15(2, 0, 0, 2) : 0,
    dacr: cp15(3, 0, 0, 0),
    fcseidr: cp15(13, 0, 0, 0),
    contextidr: armv6 ? cp15(13, 0, 0, 1) : 0,
    armv6,
  };
}

export function isFault<T extends object>(result: T | MmuFault): result is MmuFault {
  return 'fault' in result;
}

/**
 * Translates `va`. With `check`, the access is checked as the MMU would (domain, AP/APX, XN, access flag)
 * and any fault is returned; without it only translation and external faults count (host access that
 * bypasses permissions, e.g. semihosting and the loader).
 */
export function translate(mmu: MmuState, va: number, readWord: ReadWord, check?: Check): Translation | MmuFault {
  va >>>= 0;
  const mva = va < FCSE_LIMIT ? (va | (mmu.fcseidr & 0xfe00_0000)) >>> 0 : va;
  const asid = mmu.contextidr & 0xff;
  if (!(mmu.sctlr & SCTLR_M)) {
    const flat = { kind: 'flat', granule: MIB, domain: 0, ap: 0, xn: false, global: true, c: false, b: false } as const;
    return { va, mva, pa: mva, asid, ...flat, privileged: ALL, user: ALL };
  }
  const v6 = mmu.armv6 && (mmu.sctlr & SCTLR_XP) !== 0;
  const fault = (kind: FaultKind, level: 1 | 2, domain: number): MmuFault => {
    let fsr = STATUS[kind][level - 1] | (domain << 4);
    if (check?.access === 'write' && mmu.armv6) fsr |= FSR.WNR;
    return { fault: kind, level, domain, fsr, va };
  };

  const l1Address = firstLevelAddress(mmu, mva);
  if (l1Address === undefined) return fault('translation', 1, 0); // TTBCR.PD0/PD1
  const l1 = readWord(l1Address);
  if (l1 === undefined) return fault('external', 1, 0);
  const type = l1 & 3;
  const supersection = v6 && type === 2 && (l1 & (1 << 18)) !== 0;
  // The v5 walk takes the domain field of any descriptor; the v6 walk only of a page table or section.
  const domain = v6 && (type === 0 || type === 3 || supersection) ? 0 : (l1 >>> 5) & 0xf;
  if (type === 0 || (v6 && type === 3)) return fault('translation', 1, domain); // v6: no fine tables
  const level = type === 2 ? 1 : 2;
  const domainAccess = (mmu.dacr >>> (domain * 2)) & 3;
  if (check && (domainAccess === 0 || domainAccess === 2)) return fault('domain', level, domain);

  let m: Mapping;
  if (type === 2) {
    m = section(l1, mva, v6, supersection);
  } else {
    const l2Address =
      type === 1
        ? ((l1 & 0xffff_fc00) | ((mva >>> 10) & 0x3fc)) >>> 0 // coarse: 256 entries of 4 KiB
        : ((l1 & 0xffff_f000) | ((mva >>> 8) & 0xffc)) >>> 0; // fine: 1024 entries of 1 KiB
    const l2 = readWord(l2Address);
    if (l2 === undefined) return fault('external', 2, domain);
    const page = v6 ? pageV6(l2, mva) : pageV5(l2, mva, type === 1, mmu.armv6);
    if (page === undefined) return fault('translation', 2, domain);
    m = page;
  }

  const manager = domainAccess === 3;
  const afe = v6 && (mmu.sctlr & SCTLR_AFE) !== 0;
  const permissions = (privileged: boolean): Permissions => {
    if (manager) return ALL;
    if (domainAccess !== 1 || (afe && !(m.ap & 1))) return NONE;
    const { read, write } = afe ? simplePermissions(m.ap >>> 1, privileged) : apPermissions(m.ap, mmu.sctlr, privileged);
    return { read, write, execute: read && !m.xn };
  };
  const result: Translation = { va, mva, ...m, domain, asid, privileged: permissions(true), user: permissions(false) };
  if (!check || manager) return result;
  // get_phys_addr_v6 checks XN, then the access flag, then AP.
  if (v6 && m.xn && check.access === 'execute') return fault('permission', level, domain);
  if (afe && !(m.ap & 1)) return fault('accessFlag', level, domain);
  const allowed = check.privileged ? result.privileged : result.user;
  return allowed[check.access] ? result : fault('permission', level, domain);
}

/**
 * Translates `length` bytes from `va` (wrapping at 2^32), split where the translation or the permissions may
 * change (at most a granule per piece, so never less than 1 KiB except at the range's ends). The first fault
 * wins, its `va` being the first faulting byte: a piece that faults is not translated further.
 */
export function translateRange(
  mmu: MmuState,
  va: number,
  length: number,
  readWord: ReadWord,
  check?: Check,
): { pieces: Piece[] } | MmuFault {
  const pieces: Piece[] = [];
  for (let done = 0; done < length; ) {
    const addr = (va + done) >>> 0;
    const t = translate(mmu, addr, readWord, check);
    if (isFault(t)) return t;
    const chunk = Math.min(length - done, t.granule - (addr % t.granule));
    pieces.push({ va: addr, pa: t.pa, length: chunk });
    done += chunk;
  }
  return { pieces };
}

/** `translateRange` with a permission check: can `check` access every byte of [va, va + length)? */
export function checkRange(
  mmu: MmuState,
  va: number,
  length: number,
  check: Check,
  readWord: ReadWord,
): { pieces: Piece[] } | MmuFault {
  return translateRange(mmu, va, length, readWord, check);
}

/** get_level1_table_address: the first-level descriptor's address, undefined if TTBCR.PDx disables the walk. */
function firstLevelAddress(mmu: MmuState, mva: number): number | undefined {
  const index = (mva >>> 18) & 0x3ffc;
  if (!mmu.armv6) return ((mmu.ttbr0 & 0xffff_c000) | index) >>> 0;
  const n = mmu.ttbcr & 7;
  if (n !== 0 && mva >>> (32 - n) !== 0) {
    return mmu.ttbcr & TTBCR_PD1 ? undefined : ((mmu.ttbr1 & 0xffff_c000) | index) >>> 0;
  }
  return mmu.ttbcr & TTBCR_PD0 ? undefined : ((mmu.ttbr0 & ~(0x3fff >>> n)) | index) >>> 0;
}

type Mapping = Omit<Translation, 'va' | 'mva' | 'domain' | 'asid' | 'privileged' | 'user'>;

function cb(desc: number): { c: boolean; b: boolean } {
  return { c: (desc & 8) !== 0, b: (desc & 4) !== 0 };
}

/** Section (1 MiB) or, in the v6 format, supersection (16 MiB with base[39:32] in bits [8:5] and [23:20]). */
function section(l1: number, mva: number, v6: boolean, supersection: boolean): Mapping {
  const ap = v6 ? ((l1 >>> 10) & 3) | ((l1 >>> 13) & 4) : (l1 >>> 10) & 3;
  const attributes = { ap, xn: v6 && (l1 & 0x10) !== 0, global: !(v6 && l1 & (1 << 17)), ...cb(l1) };
  if (supersection) {
    const high = ((l1 >>> 20) & 0xf) + ((l1 >>> 5) & 0xf) * 16;
    const pa = (((l1 & 0xff00_0000) | (mva & 0x00ff_ffff)) >>> 0) + high * 2 ** 32;
    return { pa, kind: 'supersection', granule: 16 * MIB, ...attributes };
  }
  return { pa: ((l1 & 0xfff0_0000) | (mva & 0x000f_ffff)) >>> 0, kind: 'section', granule: MIB, ...attributes };
}

/** A v5-format second-level entry: large and small pages have an AP per quarter (subpage). */
function pageV5(l2: number, mva: number, coarse: boolean, armv6: boolean): Mapping | undefined {
  const attributes = { xn: false, global: true, ...cb(l2) };
  const aps = (l2 >>> 4) & 0xff;
  const uniform = aps === (aps & 3) * 0x55; // the four subpages share one AP
  switch (l2 & 3) {
    case 0b01: {
      const pa = ((l2 & 0xffff_0000) | (mva & 0xffff)) >>> 0;
      return { pa, kind: 'large', granule: uniform ? 0x1_0000 : 0x4000, ap: (aps >>> ((mva >>> 13) & 6)) & 3, ...attributes };
    }
    case 0b10: {
      const pa = ((l2 & 0xffff_f000) | (mva & 0xfff)) >>> 0;
      return { pa, kind: 'small', granule: uniform ? 0x1000 : 0x400, ap: (aps >>> ((mva >>> 9) & 6)) & 3, ...attributes };
    }
    case 0b11:
      if (!coarse) {
        return { pa: ((l2 & 0xffff_fc00) | (mva & 0x3ff)) >>> 0, kind: 'tiny', granule: 0x400, ap: aps & 3, ...attributes };
      }
      // ARMv6 extended small page (one AP, TEX in [8:6]); UNPREDICTABLE on ARMv5, where QEMU faults.
      if (!armv6) return undefined;
      return { pa: ((l2 & 0xffff_f000) | (mva & 0xfff)) >>> 0, kind: 'small', granule: 0x1000, ap: aps & 3, ...attributes };
    default:
      return undefined;
  }
}

/** A v6-format second-level entry: APX in bit 9, nG in bit 11; XN in bit 15 (large) or bit 0 (small). */
function pageV6(l2: number, mva: number): Mapping | undefined {
  const ap = ((l2 >>> 4) & 3) | ((l2 >>> 7) & 4);
  const attributes = { ap, global: !(l2 & (1 << 11)), ...cb(l2) };
  switch (l2 & 3) {
    case 0b00:
      return undefined;
    case 0b01:
      return { pa: ((l2 & 0xffff_0000) | (mva & 0xffff)) >>> 0, kind: 'large', granule: 0x1_0000, xn: (l2 & 0x8000) !== 0, ...attributes };
    default:
      return { pa: ((l2 & 0xffff_f000) | (mva & 0xfff)) >>> 0, kind: 'small', granule: 0x1000, xn: (l2 & 1) !== 0, ...attributes };
  }
}

/** ap_to_rw_prot: AP[1:0], with APX as bit 2 (ARMv6K meanings; only 0-3 occur in the v5 format). */
function apPermissions(ap: number, sctlr: number, privileged: boolean): { read: boolean; write: boolean } {
  switch (ap) {
    case 0: {
      // SCTLR.S: privileged read-only; SCTLR.R: read-only for all; neither, or both (reserved): no access.
      const sr = sctlr & (SCTLR_S | SCTLR_R);
      return { read: sr === SCTLR_R || (sr === SCTLR_S && privileged), write: false };
    }
    case 1:
      return { read: privileged, write: privileged };
    case 2:
      return { read: true, write: privileged };
    case 3:
      return { read: true, write: true };
    case 4: // reserved
      return { read: false, write: false };
    case 5:
      return { read: privileged, write: false };
    default: // 6, and 7 (ARMv6K)
      return { read: true, write: false };
  }
}

/** simple_ap_to_rw_prot: the AFE model's AP[2:1]. */
function simplePermissions(ap21: number, privileged: boolean): { read: boolean; write: boolean } {
  switch (ap21) {
    case 0:
      return { read: privileged, write: privileged };
    case 1:
      return { read: true, write: true };
    case 2:
      return { read: privileged, write: false };
    default:
      return { read: true, write: false };
  }
}
