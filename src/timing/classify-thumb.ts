/**
 * Classifies a Thumb instruction (ARMv5T/ARMv6 16-bit Thumb, plus the BL/BLX prefix+suffix pair that
 * decode.ts joins into one 32-bit encoding `(first << 16) | second`) as its ARM equivalent. ARM ARM
 * (DDI 0100I) chapter A6/A7 encodings.
 */
import type { Addressing, Operation, RegRead, Width } from './operation.ts';
import { LR, PC, SP, bit, bits, operation, read, registerList, undefinedInstruction, write } from './fields.ts';

const IMMEDIATE_OFFSET: Addressing = { offset: 'imm', negative: false, shift: 'none' };
const REGISTER_OFFSET: Addressing = { offset: 'reg', negative: false, shift: 'none' };
/** Format 4 ALU opcodes that shift Rd by a register: LSL, LSR, ASR, ROR. */
const REGISTER_SHIFTS = new Set([0x2, 0x3, 0x4, 0x7]);
const ALU_ARITHMETIC = new Set([0x5, 0x6, 0x9, 0xa, 0xb]); // ADC, SBC, NEG, CMP, CMN
const ALU_COMPARES = new Set([0x8, 0xa, 0xb]); // TST, CMP, CMN
const ALU_MUL = 0xd;
const ALU_NEG = 0x9;
const ALU_MVN = 0xf;
const HI_MOV = 0b10;

export function classifyThumb(encoding: number, size: 2 | 4): Operation {
  if (size === 4) return branchWithLinkPair(encoding >>> 16, encoding & 0xffff);
  const h = encoding;
  switch (bits(h, 15, 13)) {
    case 0b000:
      return bits(h, 12, 11) === 0b11 ? addSubtract(h) : shiftImmediate(h);
    case 0b001:
      return immediate8(h);
    case 0b010:
      if (bits(h, 12, 10) === 0b000) return aluRegister(h);
      if (bits(h, 12, 10) === 0b001) return highRegister(h);
      if (bits(h, 12, 11) === 0b01) return load('word', IMMEDIATE_OFFSET, PC, [], bits(h, 10, 8)); // LDR Rd, [PC, #imm]
      return registerOffset(h);
    case 0b011:
      return immediateOffset(h, bit(h, 12) ? 'byte' : 'word', bit(h, 11));
    case 0b100:
      if (!bit(h, 12)) return immediateOffset(h, 'half', bit(h, 11));
      return bit(h, 11) ? load('word', IMMEDIATE_OFFSET, SP, [], bits(h, 10, 8)) : store('word', IMMEDIATE_OFFSET, SP, [], bits(h, 10, 8));
    case 0b101:
      if (!bit(h, 12)) return alu('imm', false, read(bit(h, 11) ? SP : PC, 'operand'), bits(h, 10, 8), false); // ADD Rd, PC/SP, #imm
      return miscellaneous(h);
    case 0b110:
      if (!bit(h, 12)) return multipleTransfer(h);
      return conditionalBranchOrSwi(h);
    default:
      return branchOrHalf(h);
  }
}

/** A data operation with Rd (none for compares) and its reads; `arithmetic` matters only when Rd is the PC. */
function alu(operand: 'imm' | 'reg' | 'immShift' | 'regShift', setsFlags: boolean, reads: RegRead[], rd: number | undefined, arithmetic: boolean, returns = false): Operation {
  const writesPc = rd === PC;
  return operation({ kind: 'dataProcessing', operand, arithmetic, writesPc, returns }, { setsFlags, reads, writes: rd === undefined ? [] : write(rd, 'result') });
}

/** LSL/LSR/ASR Rd, Rm, #imm = MOVS Rd, Rm, <shift> #imm (LSL #0 is a plain MOVS). */
function shiftImmediate(h: number): Operation {
  const shifted = bits(h, 12, 6) !== 0;
  return alu(shifted ? 'immShift' : 'reg', true, read(bits(h, 5, 3), shifted ? 'shifted' : 'operand'), bits(h, 2, 0), false);
}

/** ADD/SUB Rd, Rn, Rm|#imm3. */
function addSubtract(h: number): Operation {
  const reads = read(bits(h, 5, 3), 'operand');
  if (!bit(h, 10)) reads.push(...read(bits(h, 8, 6), 'operand'));
  return alu(bit(h, 10) ? 'imm' : 'reg', true, reads, bits(h, 2, 0), true);
}

/** MOV/CMP/ADD/SUB Rd, #imm8. */
function immediate8(h: number): Operation {
  const op = bits(h, 12, 11);
  const rd = bits(h, 10, 8);
  if (op === 0b00) return alu('imm', true, [], rd, false);
  return alu('imm', true, read(rd, 'operand'), op === 0b01 ? undefined : rd, true);
}

/** Format 4: AND EOR LSL LSR ASR ADC SBC ROR TST NEG CMP CMN ORR MUL BIC MVN with Rd/Rn 2:0, Rm/Rs 5:3. */
function aluRegister(h: number): Operation {
  const op = bits(h, 9, 6);
  const rm = bits(h, 5, 3);
  const rd = bits(h, 2, 0);
  if (op === ALU_MUL) {
    return operation({ kind: 'multiply', form: 'mul' }, { setsFlags: true, reads: [...read(rm, 'multiplier'), ...read(rd, 'multiplier')], writes: write(rd, 'result') });
  }
  if (REGISTER_SHIFTS.has(op)) return alu('regShift', true, [...read(rd, 'operand'), ...read(rm, 'shiftAmount')], rd, false);
  const reads = op === ALU_NEG || op === ALU_MVN ? read(rm, 'operand') : [...read(rd, 'operand'), ...read(rm, 'operand')];
  return alu('reg', true, reads, ALU_COMPARES.has(op) ? undefined : rd, ALU_ARITHMETIC.has(op));
}

/** Format 5: ADD/CMP/MOV with high registers, BX/BLX Rm. Rd = H1:2:0, Rm = 6:3. */
function highRegister(h: number): Operation {
  const op = bits(h, 9, 8);
  const rm = bits(h, 6, 3);
  const rd = (bit(h, 7) ? 8 : 0) | bits(h, 2, 0);
  if (op === 0b11) {
    const link = bit(h, 7);
    return operation({ kind: 'branchExchange', link, returns: !link && rm === LR }, { reads: read(rm, 'operand'), writes: link ? write(LR, 'result') : [] });
  }
  if (op === HI_MOV) return alu('reg', false, read(rm, 'operand'), rd, false, rd === PC && rm === LR);
  const reads = [...read(rd, 'operand'), ...read(rm, 'operand')];
  return op === 0b01 ? alu('reg', true, reads, undefined, true) : alu('reg', false, reads, rd, true);
}

const REGISTER_OFFSET_FORMS: { load: boolean; width: Width }[] = [
  { load: false, width: 'word' }, // STR
  { load: false, width: 'half' }, // STRH
  { load: false, width: 'byte' }, // STRB
  { load: true, width: 'byte' }, // LDRSB
  { load: true, width: 'word' }, // LDR
  { load: true, width: 'half' }, // LDRH
  { load: true, width: 'byte' }, // LDRB
  { load: true, width: 'half' }, // LDRSH
];

/** Formats 7/8: [Rn, Rm] with opcode 11:9, Rm 8:6, Rn 5:3, Rd 2:0. */
function registerOffset(h: number): Operation {
  const form = REGISTER_OFFSET_FORMS[bits(h, 11, 9)];
  const offset = read(bits(h, 8, 6), 'offset');
  return form.load ? load(form.width, REGISTER_OFFSET, bits(h, 5, 3), offset, bits(h, 2, 0)) : store(form.width, REGISTER_OFFSET, bits(h, 5, 3), offset, bits(h, 2, 0));
}

/** Formats 9/10: [Rn, #imm5] with Rn 5:3, Rd 2:0. */
function immediateOffset(h: number, width: Width, isLoad: boolean): Operation {
  return isLoad ? load(width, IMMEDIATE_OFFSET, bits(h, 5, 3), [], bits(h, 2, 0)) : store(width, IMMEDIATE_OFFSET, bits(h, 5, 3), [], bits(h, 2, 0));
}

function load(width: Width, addressing: Addressing, rn: number, offset: RegRead[], rd: number): Operation {
  return operation({ kind: 'load', width, addressing, exclusive: false, writesPc: false, returns: false }, { reads: [...read(rn, 'base'), ...offset], writes: write(rd, 'loaded') });
}

function store(width: Width, addressing: Addressing, rn: number, offset: RegRead[], rd: number): Operation {
  return operation({ kind: 'store', width, addressing, exclusive: false }, { reads: [...read(rn, 'base'), ...offset, ...read(rd, 'storeData')] });
}

/** 1011 xxxx: SP adjust, PUSH/POP, and the ARMv6 extend, reverse, CPS, SETEND; BKPT. */
function miscellaneous(h: number): Operation {
  switch (bits(h, 11, 8)) {
    case 0b0000: // ADD/SUB SP, #imm7
      return alu('imm', false, read(SP, 'operand'), SP, true);
    case 0b0010: // SXTH, SXTB, UXTH, UXTB
    case 0b1010: // REV, REV16, REVSH
      return operation({ kind: 'media' }, { reads: read(bits(h, 5, 3), 'operand'), writes: write(bits(h, 2, 0), 'result') });
    case 0b0100:
    case 0b0101: {
      // PUSH {list, LR?} = STMDB sp!, {..}
      const list = [...registerList(bits(h, 7, 0)), ...(bit(h, 8) ? [LR] : [])];
      return operation({ kind: 'storeMultiple', count: Math.max(list.length, 1) }, { reads: [...read(SP, 'base'), ...list.flatMap((reg) => read(reg, 'storeList'))], writes: write(SP, 'writeback') });
    }
    case 0b1100:
    case 0b1101: {
      // POP {list, PC?} = LDMIA sp!, {..}: with the PC, a return
      const list = registerList(bits(h, 7, 0));
      const writesPc = bit(h, 8);
      const loaded = list.flatMap((reg, index) => write(reg, 'loaded', index));
      return operation(
        { kind: 'loadMultiple', count: Math.max(list.length + (writesPc ? 1 : 0), 1), writesPc, returns: writesPc },
        { reads: read(SP, 'base'), writes: [...loaded, ...write(SP, 'writeback')] },
      );
    }
    case 0b0110:
      if (bits(h, 7, 5) === 0b010) return operation({ kind: 'hint' }); // SETEND
      if (bits(h, 7, 5) === 0b011) return operation({ kind: 'statusWrite', control: true }); // CPS
      return undefinedInstruction(false);
    case 0b1110: // BKPT
      return operation({ kind: 'exception' });
    case 0b1111: // hints (NOP, YIELD, WFE, WFI, SEV)
      return operation({ kind: 'hint' });
    default:
      return undefinedInstruction(false);
  }
}

/** LDMIA/STMIA Rn!, {list}: Rn 10:8. An LDM whose list holds Rn does not write the base back. */
function multipleTransfer(h: number): Operation {
  const rn = bits(h, 10, 8);
  const list = registerList(bits(h, 7, 0));
  const count = Math.max(list.length, 1);
  if (!bit(h, 11)) {
    return operation({ kind: 'storeMultiple', count }, { reads: [...read(rn, 'base'), ...list.flatMap((reg) => read(reg, 'storeList'))], writes: write(rn, 'writeback') });
  }
  const loaded = list.flatMap((reg, index) => write(reg, 'loaded', index));
  return operation({ kind: 'loadMultiple', count, writesPc: false, returns: false }, { reads: read(rn, 'base'), writes: [...loaded, ...(list.includes(rn) ? [] : write(rn, 'writeback'))] });
}

/** 1101 cond imm8: B<cond>; cond 1110 is undefined, 1111 is SWI. */
function conditionalBranchOrSwi(h: number): Operation {
  const cond = bits(h, 11, 8);
  if (cond === 0b1111) return operation({ kind: 'exception' });
  if (cond === 0b1110) return undefinedInstruction(false);
  return operation({ kind: 'branch', link: false, backward: bit(h, 7), thumbPair: false }, { conditional: true });
}

/** 111xx: B (unconditional), and a BL/BLX half that decode.ts could not pair. */
function branchOrHalf(h: number): Operation {
  switch (bits(h, 12, 11)) {
    case 0b00:
      return operation({ kind: 'branch', link: false, backward: bit(h, 10), thumbPair: false });
    case 0b10: // prefix alone: LR = PC + (offset << 12), an ALU operation
      return alu('imm', false, [], LR, true);
    default:
      // suffix alone (BL, or BLX to ARM): branches to LR + offset and sets LR
      return operation({ kind: 'branchExchange', link: true, returns: false }, { reads: read(LR, 'operand'), writes: write(LR, 'result') });
  }
}

/** The prefix carries the offset's sign (bit 10); the suffix is BL (11111) or BLX to ARM (11101). */
function branchWithLinkPair(first: number, second: number): Operation {
  const suffix = bits(second, 15, 11);
  if (suffix !== 0b11111 && suffix !== 0b11101) return undefinedInstruction(false);
  return operation({ kind: 'branch', link: true, backward: bit(first, 10), thumbPair: true }, { writes: write(LR, 'result') });
}
