/**
 * The CPU models a handset can have (HARDWARE.md §2): Unicorn model number, architecture and the values
 * the realview-eb system registers report for them.
 */
import { UC_CPU_ARM_1136, UC_CPU_ARM_1176, UC_CPU_ARM_926 } from './unicorn-ffi.ts';

export interface CpuModel {
  name: CpuModelName;
  description: string;
  ucModel: number;
  armv6: boolean;
  /** SYS_PROCID0 value in the realview system registers. */
  procId: number;
  /** Default core clock in MHz: a handset of the era with this core (TIMING.md §3). */
  defaultMhz: number;
}

export type CpuModelName = 'arm926' | 'arm1136' | 'arm1176';

export const CPU_MODELS: Record<CpuModelName, CpuModel> = {
  arm926: {
    name: 'arm926',
    description: 'ARM926EJ-S (ARMv5TEJ)',
    ucModel: UC_CPU_ARM_926,
    armv6: false,
    procId: 0x02000000,
    defaultMhz: 200,
  },
  arm1136: {
    name: 'arm1136',
    description: 'ARM1136JF-S (ARMv6)',
    ucModel: UC_CPU_ARM_1136,
    armv6: true,
    procId: 0x04000000,
    defaultMhz: 528,
  },
  arm1176: {
    name: 'arm1176',
    description: 'ARM1176JZF-S (ARMv6K)',
    ucModel: UC_CPU_ARM_1176,
    armv6: true,
    procId: 0x06000000,
    defaultMhz: 412,
  },
};

export const CPU_MODEL_NAMES = Object.keys(CPU_MODELS) as CpuModelName[];
