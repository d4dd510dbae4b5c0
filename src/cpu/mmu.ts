/**
 * Software walk of the ARMv5/ARMv6 short-descriptor page tables (ARM ARM B4.7), for host code that must
 * read guest virtual memory: uc_mem_read addresses physical memory. Access permissions are not checked
 * here. As QEMU does, ARMv6 cores with SCTLR.XP = 0 walk the tables with the ARMv5 rules: fine tables
 * exist and supersections are plain sections; only the extended small page (L2 type 0b11) is v6-specific.
 */
export function translate(
  va: number,
  ttbr0: number,
  readWord: (pa: number) => number,
  armv6: boolean,
): number | undefined {
  const l1 = readWord(((ttbr0 & 0xffffc000) | ((va >>> 20) << 2)) >>> 0);
  switch (l1 & 3) {
    case 0b01: {
      // Coarse page table: 256 entries of 4 KiB.
      const l2 = readWord(((l1 & 0xfffffc00) | (((va >>> 12) & 0xff) << 2)) >>> 0);
      return smallOrLarge(l2, va, armv6);
    }
    case 0b10:
      return ((l1 & 0xfff00000) | (va & 0x000fffff)) >>> 0; // section (1 MiB)
    case 0b11: {
      // Fine page table: 1024 entries of 1 KiB.
      const l2 = readWord(((l1 & 0xfffff000) | (((va >>> 10) & 0x3ff) << 2)) >>> 0);
      if ((l2 & 3) === 0b11) return ((l2 & 0xfffffc00) | (va & 0x3ff)) >>> 0;
      return smallOrLarge(l2, va, armv6);
    }
    default:
      return undefined;
  }
}

function smallOrLarge(l2: number, va: number, armv6: boolean): number | undefined {
  switch (l2 & 3) {
    case 0b01:
      return ((l2 & 0xffff0000) | (va & 0xffff)) >>> 0;
    case 0b10:
      return ((l2 & 0xfffff000) | (va & 0xfff)) >>> 0;
    case 0b11:
      return armv6 ? ((l2 & 0xfffff000) | (va & 0xfff)) >>> 0 : undefined; // ARMv6 extended small page
    default:
      return undefined;
  }
}
