/**
 * RealView Emulation Baseboard status and system control registers (ARM DUI 0303, RealView Emulation
 * Baseboard User Guide), behaving as QEMU's hw/misc/arm_sysctl.c configured for realview-eb (board ID 0x140).
 *
 * MMIO window 0x1000 bytes at 0x1000_0000; no interrupt lines.
 *
 * QEMU behaviour kept: the oscillator, 100 Hz and most status registers read as zero; SYS_LOCK stores the value
 * written (0xA05F, or the low 15 bits of anything else); SYS_RESETCTL ignores writes on the EB; SYS_CLCD keeps
 * its CLCDID field (bits 13:8) read-only; SYS_24MHZ counts 24 MHz ticks of virtual time; SYS_NVFLAGS survives
 * reset(); SYS_CFGDATA/SYS_CFGCTRL/SYS_CFGSTAT (VExpress only) are unknown offsets, as is any other.
 */
import type { TimeSource } from '../clock.ts';
import type { AccessSize, Device, DeviceState } from '../device.ts';
import { RegisterMap, type RegisterSpec } from '../regs.ts';
import { StateReader } from '../state.ts';
import type { DeviceOptions } from './options.ts';

export interface SysRegsOptions extends DeviceOptions {
  /** SYS_ID (default: the EB's 0xC1400400). */
  sysId?: number;
  /** SYS_PROCID0: 0x02000000 for ARMv5 (default, arm926), 0x04000000 for ARMv6, 0x06000000 for ARMv6K. */
  procId?: number;
}

const LOCK_KEY = 0xa05f;
const CLCDID = 0x3f00;
/** The registers software can change; the rest are constants or derived from the clock (SYS_24MHZ). */
const STATE_REGISTERS = [
  'SYS_LED',
  'SYS_LOCK',
  'SYS_CFGDATA1',
  'SYS_CFGDATA2',
  'SYS_FLAGS',
  'SYS_NVFLAGS',
  'SYS_CLCD',
] as const;

/** Saved state: the stored word of each register software can change. */
export type SysRegsState = { registers: Record<(typeof STATE_REGISTERS)[number], number> };

export class SysRegs implements Device {
  readonly name: string;
  readonly size = 0x1000;
  private readonly time: TimeSource;
  private readonly regs: RegisterMap;

  constructor(options: SysRegsOptions) {
    this.name = options.name;
    this.time = options.time;
    const razWi = (name: string, offset: number): RegisterSpec => ({ name, offset, writeMask: 0 });
    const raz = (name: string, offset: number): RegisterSpec => ({ name, offset, access: 'ro' });
    this.regs = new RegisterMap(options.name, options.logger)
      .define({ name: 'SYS_ID', offset: 0x00, access: 'ro', reset: options.sysId ?? 0xc140_0400 })
      .define(raz('SYS_SW', 0x04))
      .define({ name: 'SYS_LED', offset: 0x08 })
      .defineMany(5, 4, (i) => razWi(`SYS_OSC${i}`, 0x0c + 4 * i))
      .define({ name: 'SYS_LOCK', offset: 0x20, write: (v) => this.lock(v) })
      .define(raz('SYS_100HZ', 0x24))
      .define({ name: 'SYS_CFGDATA1', offset: 0x28 })
      .define({ name: 'SYS_CFGDATA2', offset: 0x2c })
      .define({ name: 'SYS_FLAGS', offset: 0x30, write: (v, previous) => this.regs.set('SYS_FLAGS', previous | v) })
      .define({ name: 'SYS_FLAGSCLR', offset: 0x34, access: 'wo', write: (v) => this.clear('SYS_FLAGS', v) })
      .define({ name: 'SYS_NVFLAGS', offset: 0x38, write: (v, previous) => this.regs.set('SYS_NVFLAGS', previous | v) })
      .define({ name: 'SYS_NVFLAGSCLR', offset: 0x3c, access: 'wo', write: (v) => this.clear('SYS_NVFLAGS', v) })
      .define(razWi('SYS_RESETCTL', 0x40))
      .define({ name: 'SYS_PCICTL', offset: 0x44, reset: 1, writeMask: 0 })
      .define(raz('SYS_MCI', 0x48))
      .define(razWi('SYS_FLASH', 0x4c))
      .define({ name: 'SYS_CLCD', offset: 0x50, reset: 0x1f00, writeMask: ~CLCDID })
      .define(razWi('SYS_CLCDSER', 0x54))
      .define(raz('SYS_BOOTCS', 0x58))
      .define({ name: 'SYS_24MHZ', offset: 0x5c, access: 'ro', read: () => this.time.ticksAt(24_000_000) >>> 0 })
      .define(raz('SYS_MISC', 0x60))
      .defineMany(3, 4, (i) => razWi(`SYS_DMAPSR${i}`, 0x64 + 4 * i))
      .define(razWi('SYS_IOSEL', 0x70))
      .define(razWi('SYS_PLDCTL', 0x74))
      .define(razWi('SYS_BUSID', 0x80))
      .define({ name: 'SYS_PROCID0', offset: 0x84, reset: options.procId ?? 0x0200_0000, writeMask: 0 })
      .define({ name: 'SYS_PROCID1', offset: 0x88, reset: 0xff00_0000, writeMask: 0 })
      .defineMany(5, 4, (i) => razWi(`SYS_OSCRESET${i}`, 0x8c + 4 * i))
      .defineMany(5, 4, (i) => raz(`SYS_TEST_OSC${i}`, 0xc0 + 4 * i));
  }

  read(offset: number, size: AccessSize): number {
    return this.regs.read(offset, size);
  }

  write(offset: number, size: AccessSize, value: number): void {
    this.regs.write(offset, size, value);
  }

  reset(): void {
    const nvflags = this.regs.get('SYS_NVFLAGS');
    this.regs.reset();
    this.regs.set('SYS_NVFLAGS', nvflags);
  }

  registerName(offset: number): string | undefined {
    return this.regs.nameAt(offset);
  }

  save(): SysRegsState {
    return { registers: this.regs.save(STATE_REGISTERS) as SysRegsState['registers'] };
  }

  load(state: DeviceState): void {
    const registers = new StateReader(this.name, '', state, ['registers']).object('registers', STATE_REGISTERS);
    const values = this.regs.readState(registers, STATE_REGISTERS);
    if (values.SYS_LOCK !== LOCK_KEY && values.SYS_LOCK > 0x7fff) {
      throw registers.error('SYS_LOCK', `0x${values.SYS_LOCK.toString(16)} is neither 0xa05f nor a 15-bit value`);
    }
    this.regs.restore(values);
  }

  private lock(value: number): void {
    this.regs.set('SYS_LOCK', value === LOCK_KEY ? value : value & 0x7fff);
  }

  private clear(register: string, bits: number): void {
    this.regs.set(register, this.regs.get(register) & ~bits);
  }
}
