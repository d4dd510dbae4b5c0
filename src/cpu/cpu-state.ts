/**
 * The architectural state of the core as plain data, for snapshots: the registers of every mode (ARM ARM
 * A2.3: r8-r14 banked in FIQ mode, r13-r14 and the SPSR in each exception mode), CPSR, the VFP registers,
 * and the CP15 registers that software can set. Unicorn's TLB and translated code are caches, not state.
 */
import { CPSR, Mode } from './arm.ts';

export interface CpuState {
  /** r0-r15 and CPSR as the current mode sees them. */
  r: number[];
  cpsr: number;
  /** Banked registers by mode name: usr r8-r14, fiq r8-r14 + spsr, others r13, r14, spsr. */
  banked: Record<string, number[]>;
  /** VFP: d0-d15 as [low, high] words, FPSCR, FPEXC. */
  vfp: { d: [number, number][]; fpscr: number; fpexc: number };
  /** CP15 registers by name ("c1,c0,0,0" style key), those the core has. */
  cp15: Record<string, number>;
}

/** What cpu-state needs of the core (implemented by Cpu). */
export interface RegisterFile {
  reg(n: number): number;
  setReg(n: number, value: number): void;
  cpsr: number;
  spsr: number;
  readD(n: number): [number, number];
  writeD(n: number, value: [number, number]): void;
  fpscr: number;
  fpexc: number;
  /** undefined when the core has no such register */
  tryCp15(crn: number, crm: number, opc1: number, opc2: number): number | undefined;
  setCp15(crn: number, crm: number, opc1: number, opc2: number, value: number): void;
}

const BANKS: { name: string; mode: number; regs: number[]; spsr: boolean }[] = [
  { name: 'usr', mode: Mode.SYS, regs: [8, 9, 10, 11, 12, 13, 14], spsr: false },
  { name: 'fiq', mode: Mode.FIQ, regs: [8, 9, 10, 11, 12, 13, 14], spsr: true },
  { name: 'irq', mode: Mode.IRQ, regs: [13, 14], spsr: true },
  { name: 'svc', mode: Mode.SVC, regs: [13, 14], spsr: true },
  { name: 'abt', mode: Mode.ABT, regs: [13, 14], spsr: true },
  { name: 'und', mode: Mode.UND, regs: [13, 14], spsr: true },
];

/**
 * CP15 registers in restore order: translation and domain set-up before SCTLR turns the MMU on. Names as
 * (CRn, CRm, opc1, opc2). Read-only ID registers are not state.
 */
const CP15: [number, number, number, number][] = [
  [2, 0, 0, 0], // TTBR0
  [2, 0, 0, 1], // TTBR1 (ARMv6)
  [2, 0, 0, 2], // TTBCR (ARMv6)
  [3, 0, 0, 0], // DACR
  [5, 0, 0, 0], // DFSR
  [5, 0, 0, 1], // IFSR
  [6, 0, 0, 0], // DFAR
  [6, 0, 0, 1], // WFAR (ARMv5) / reserved
  [6, 0, 0, 2], // IFAR (ARMv6)
  [13, 0, 0, 0], // FCSEIDR
  [13, 0, 0, 1], // CONTEXTIDR
  [13, 0, 0, 2], // TPIDRURW (ARMv6K)
  [13, 0, 0, 3], // TPIDRURO
  [13, 0, 0, 4], // TPIDRPRW
  [1, 0, 0, 2], // CPACR (ARMv6)
  [1, 0, 0, 1], // ACTLR
  [1, 0, 0, 0], // SCTLR last: it may turn the MMU on
];

const key = (c: [number, number, number, number]) => c.join(',');

export function saveCpuState(cpu: RegisterFile): CpuState {
  const cpsr = cpu.cpsr;
  const r = Array.from({ length: 16 }, (_, n) => cpu.reg(n));
  const banked: Record<string, number[]> = {};
  for (const bank of BANKS) {
    cpu.cpsr = (cpsr & ~CPSR.MODE_MASK & ~CPSR.T) | bank.mode;
    banked[bank.name] = [...bank.regs.map((n) => cpu.reg(n)), ...(bank.spsr ? [cpu.spsr] : [])];
  }
  cpu.cpsr = cpsr;
  for (let n = 0; n < 16; n++) if (cpu.reg(n) !== r[n]) throw new Error(`cpu state: r${n} changed while reading the banks`);
  const d = Array.from({ length: 16 }, (_, n) => cpu.readD(n));
  const cp15: Record<string, number> = {};
  for (const c of CP15) {
    const v = cpu.tryCp15(...c);
    if (v !== undefined) cp15[key(c)] = v;
  }
  return { r, cpsr, banked, vfp: { d, fpscr: cpu.fpscr, fpexc: cpu.fpexc }, cp15 };
}

export function loadCpuState(cpu: RegisterFile, s: CpuState): void {
  for (const c of CP15) {
    const v = s.cp15[key(c)];
    if (v !== undefined) cpu.setCp15(...c, v);
  }
  // Unicorn's TLB caches the translations of the state being replaced (writing TTBR0 or SCTLR from outside
  // does not flush it): invalidate it as TLBIALL (c8, c7, 0) would, or the old page tables stay in effect.
  cpu.setCp15(8, 7, 0, 0, 0);
  for (const bank of BANKS) {
    cpu.cpsr = (s.cpsr & ~CPSR.MODE_MASK & ~CPSR.T) | bank.mode;
    const values = s.banked[bank.name];
    bank.regs.forEach((n, k) => cpu.setReg(n, values[k]));
    if (bank.spsr) cpu.spsr = values[bank.regs.length];
  }
  cpu.cpsr = s.cpsr;
  for (let n = 0; n < 15; n++) cpu.setReg(n, s.r[n]);
  // Unicorn takes the Thumb state from bit 0 of a PC write (clearing CPSR.T when it is 0): give it CPSR.T.
  cpu.setReg(15, (s.r[15] & ~1) | ((s.cpsr & CPSR.T) !== 0 ? 1 : 0));
  cpu.fpexc = s.vfp.fpexc;
  s.vfp.d.forEach((v, n) => cpu.writeD(n, v));
  cpu.fpscr = s.vfp.fpscr;
}

/**
 * Checks the shape of a CPU state read from a file; returns a message for the first problem. `cp15`, when
 * given, is the CP15 registers the core has (the keys its own saved state has): the state must name exactly
 * those (a register the core lacks cannot be written; one left out would keep the machine's old value).
 */
export function cpuStateProblem(s: unknown, cp15?: readonly string[]): string | undefined {
  const u32 = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
  if (typeof s !== 'object' || s === null) return 'cpu state is not an object';
  const c = s as Partial<CpuState>;
  if (!Array.isArray(c.r) || c.r.length !== 16 || !c.r.every(u32)) return 'cpu.r must be 16 register values';
  if (!u32(c.cpsr)) return 'cpu.cpsr is not a 32-bit value';
  if (typeof c.banked !== 'object' || c.banked === null) return 'cpu.banked is missing';
  for (const bank of BANKS) {
    const v = c.banked[bank.name];
    if (!Array.isArray(v) || v.length !== bank.regs.length + (bank.spsr ? 1 : 0) || !v.every(u32)) return `cpu.banked.${bank.name} is malformed`;
  }
  const vfp = c.vfp;
  if (typeof vfp !== 'object' || vfp === null || !Array.isArray(vfp.d) || vfp.d.length !== 16) return 'cpu.vfp is malformed';
  if (!vfp.d.every((p) => Array.isArray(p) && p.length === 2 && p.every(u32)) || !u32(vfp.fpscr) || !u32(vfp.fpexc)) return 'cpu.vfp is malformed';
  if (typeof c.cp15 !== 'object' || c.cp15 === null) return 'cpu.cp15 is missing';
  const known = new Set(CP15.map(key));
  for (const [k, v] of Object.entries(c.cp15)) if (!known.has(k) || !u32(v)) return `cpu.cp15 ${k} is not a known register value`;
  if (cp15 !== undefined) {
    const extra = Object.keys(c.cp15).find((k) => !cp15.includes(k));
    if (extra !== undefined) return `cpu.cp15 ${extra}: this core has no such register`;
    const missing = cp15.find((k) => !Object.hasOwn(c.cp15!, k));
    if (missing !== undefined) return `cpu.cp15 ${missing} is missing`;
  }
  return undefined;
}
