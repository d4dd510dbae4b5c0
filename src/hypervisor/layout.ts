/**
 * Where the hypervisor puts things in physical RAM and what each guest's page tables map (docs/hypercalls.md §1).
 *
 * Physical RAM: the first MiB is the hypervisor's (first-level tables at 0x10000 + 16 KiB × i, the
 * second-level table for the vCPU page at 0x20000 + 1 KiB × i, the vCPU pages at 0x30000 + 4 KiB × i);
 * partition windows follow from 1 MiB, one after the other, in config order.
 *
 * Guest virtual memory: the window at VA 0 (1 MiB sections, user read/write), the vCPU page at VCPU_VA (a
 * 4 KiB small page, user read/write), nothing else. Descriptors use the ARMv5 format, which ARMv6 also
 * takes while SCTLR.XP is clear, so one builder serves both cores. Everything is in domain 0, set to
 * "client" in DACR so that the AP bits are checked.
 */
export const MIB = 1 << 20;
export const RESERVED_BYTES = MIB;
export const MAX_PARTITIONS = 4;
export const VCPU_VA = 0xc000_0000;
export const PAGE = 0x1000;

const L1_BASE = 0x1_0000;
const L1_SIZE = 0x4000;
const L2_BASE = 0x2_0000;
const L2_SIZE = 0x400;
const VCPU_BASE = 0x3_0000;

/** Section: AP=11 (user read/write), domain 0, C and B set, bit 4 set (as ARMv5 asks). */
const SECTION_USER_RW = 0xc1e;
/** Coarse page table pointer, domain 0 (bit 4 set). */
const COARSE = 0x11;
/** Small page: AP0-3 = 11 (user read/write), C and B set. */
const SMALL_USER_RW = 0xffe;

/** DACR: domain 0 client (AP checked), every other domain no access. */
export const GUEST_DACR = 0x1;

export interface PartitionLayout {
  index: number;
  /** Physical base and size of the RAM window (VA 0 in the guest). */
  windowBase: number;
  windowSize: number;
  /** Physical address of the first-level table (TTBR0) and of the vCPU page. */
  l1: number;
  l2: number;
  vcpu: number;
}

/** The layout of `sizes` windows (bytes, whole MiB), or a message saying why they do not fit. */
export function partitionLayouts(sizes: readonly number[], ramSize: number): PartitionLayout[] | string {
  if (sizes.length === 0 || sizes.length > MAX_PARTITIONS) return `from 1 to ${MAX_PARTITIONS} partitions, got ${sizes.length}`;
  const total = sizes.reduce((a, b) => a + b, 0);
  if (RESERVED_BYTES + total > ramSize) {
    return `${total / MIB} MiB of guest RAM do not fit in ${(ramSize - RESERVED_BYTES) / MIB} MiB (${ramSize / MIB} MiB of RAM, ${RESERVED_BYTES / MIB} MiB reserved for the hypervisor)`;
  }
  let base = RESERVED_BYTES;
  return sizes.map((size, index) => {
    const layout = { index, windowBase: base, windowSize: size, l1: L1_BASE + index * L1_SIZE, l2: L2_BASE + index * L2_SIZE, vcpu: VCPU_BASE + index * PAGE };
    base += size;
    return layout;
  });
}

/** The page tables of one partition as (physical address, bytes) writes: the whole tables, zeros included. */
export function pageTables(p: PartitionLayout): { address: number; bytes: Uint8Array }[] {
  const l1 = new Uint32Array(L1_SIZE / 4);
  for (let mb = 0; mb < p.windowSize / MIB; mb++) l1[mb] = (p.windowBase + mb * MIB + SECTION_USER_RW) >>> 0;
  l1[VCPU_VA >>> 20] = (p.l2 | COARSE) >>> 0;
  const l2 = new Uint32Array(L2_SIZE / 4);
  l2[(VCPU_VA >>> 12) & 0xff] = (p.vcpu | SMALL_USER_RW) >>> 0;
  return [
    { address: p.l1, bytes: littleEndian(l1) },
    { address: p.l2, bytes: littleEndian(l2) },
  ];
}

function littleEndian(words: Uint32Array): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setUint32(i * 4, w, true));
  return out;
}
