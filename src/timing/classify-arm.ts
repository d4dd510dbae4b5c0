/**
 * Classifies a 32-bit ARM encoding (ARMv5TE, ARMv6, ARMv6K) for the timing models. Follows the encoding
 * tables of the ARM Architecture Reference Manual (DDI 0100I, chapter A3 and A5); it extracts only what
 * timing needs, not the full semantics.
 */
import type { Addressing, MultiplyForm, Operation, RegRead, Width } from './operation.ts';
import { LR, PC, SP, bit, bits, operation, read, registerList, undefinedInstruction, write, type Parts } from './fields.ts';

const ALWAYS = 0xe;
const UNCONDITIONAL = 0xf;
/** Data-processing opcodes that write an arithmetic result: SUB, RSB, ADD, ADC, SBC (9EJ Table 8.2). */
const ARITHMETIC_OPCODES = new Set([0x2, 0x3, 0x4, 0x5, 0x6]);
const MOV = 0xd;

export function classifyArm(word: number): Operation {
  const cond = bits(word, 31, 28);
  if (cond === UNCONDITIONAL) return classifyUnconditional(word);
  const conditional = cond !== ALWAYS;
  switch (bits(word, 27, 25)) {
    case 0b000:
      if (bit(word, 4) && bit(word, 7)) return multiplyOrExtraLoadStore(word, conditional);
      if (isMiscellaneous(word)) return miscellaneous(word, conditional);
      return dataProcessing(word, conditional);
    case 0b001:
      if (isMiscellaneous(word)) return bit(word, 21) ? statusWriteImmediate(word, conditional) : undefinedInstruction(conditional);
      return dataProcessing(word, conditional);
    case 0b010:
      return loadStoreWordOrByte(word, conditional);
    case 0b011:
      return bit(word, 4) ? media(word, conditional) : loadStoreWordOrByte(word, conditional);
    case 0b100:
      return blockTransfer(word, conditional);
    case 0b101:
      return operation({ kind: 'branch', link: bit(word, 24), backward: bit(word, 23), thumbPair: false }, { conditional, writes: bit(word, 24) ? write(LR, 'result') : [] });
    case 0b110:
      return coprocessorMemoryOrPair(word, conditional);
    default:
      if (bit(word, 24)) return operation({ kind: 'exception' }, { conditional }); // SWI
      return coprocessorRegisterOrData(word, conditional);
  }
}

/** TST/TEQ/CMP/CMN opcodes without S: the miscellaneous and MSR space. */
function isMiscellaneous(word: number): boolean {
  return bits(word, 24, 23) === 0b10 && !bit(word, 20);
}

function dataProcessing(word: number, conditional: boolean): Operation {
  const opcode = bits(word, 24, 21);
  const rn = bits(word, 19, 16);
  const rd = bits(word, 15, 12);
  const rm = bits(word, 3, 0);
  const compare = opcode >= 0x8 && opcode <= 0xb;
  const usesRn = opcode !== MOV && opcode !== 0xf;
  const operand = bit(word, 25) ? 'imm' : bit(word, 4) ? 'regShift' : bits(word, 11, 5) === 0 ? 'reg' : 'immShift';
  const reads: RegRead[] = usesRn ? read(rn, operand === 'regShift' ? 'lateOperand' : 'operand') : [];
  if (operand === 'reg') reads.push(...read(rm, 'operand'));
  if (operand === 'immShift') reads.push(...read(rm, 'shifted'));
  if (operand === 'regShift') reads.push(...read(rm, 'operand'), ...read(bits(word, 11, 8), 'shiftAmount'));
  const writesPc = !compare && rd === PC;
  const setsFlags = bit(word, 20);
  return operation(
    {
      kind: 'dataProcessing',
      operand,
      arithmetic: ARITHMETIC_OPCODES.has(opcode),
      writesPc,
      returns: writesPc && opcode === MOV && !setsFlags && operand === 'reg' && rm === LR,
    },
    { conditional, setsFlags, reads, writes: compare ? [] : write(rd, 'result') },
  );
}

function multiplyOrExtraLoadStore(word: number, conditional: boolean): Operation {
  if (bits(word, 6, 5) !== 0) return extraLoadStore(word, conditional);
  if (bits(word, 27, 24) === 0) return multiply(word, conditional);
  if (bits(word, 27, 23) === 0b00010 && bits(word, 21, 20) === 0) return swap(word, conditional);
  if (bits(word, 27, 23) === 0b00011) return exclusive(word, conditional);
  return undefinedInstruction(conditional);
}

/** MUL, MLA, UMAAL, UMULL, UMLAL, SMULL, SMLAL: Rd/RdHi 19:16, Rn/RdLo 15:12, Rs 11:8, Rm 3:0. */
function multiply(word: number, conditional: boolean): Operation {
  const op = bits(word, 23, 21);
  const high = bits(word, 19, 16);
  const low = bits(word, 15, 12);
  const reads = [...read(bits(word, 3, 0), 'multiplier'), ...read(bits(word, 11, 8), 'multiplier')];
  const setsFlags = bit(word, 20);
  const accumulates = (op & 1) === 1;
  if (op === 0b000 || op === 0b001) {
    if (accumulates) reads.push(...read(low, 'accumulate'));
    return multiplyOf('mul', { conditional, setsFlags, reads, writes: write(high, 'result') });
  }
  if (op === 0b011) return undefinedInstruction(conditional); // MLS is ARMv6T2
  const longReads = op === 0b010 || accumulates ? [...reads, ...read(low, 'accumulateLo'), ...read(high, 'accumulateHi')] : reads;
  const writes = [...write(low, 'result'), ...write(high, 'resultHi')];
  return multiplyOf(op === 0b010 ? 'umaal' : 'long', { conditional, setsFlags, reads: longReads, writes });
}

function multiplyOf(form: MultiplyForm, parts: Parts): Operation {
  return operation({ kind: 'multiply', form }, parts);
}

function swap(word: number, conditional: boolean): Operation {
  return operation(
    { kind: 'swap', width: bit(word, 22) ? 'byte' : 'word' },
    { conditional, reads: [...read(bits(word, 19, 16), 'base'), ...read(bits(word, 3, 0), 'storeData')], writes: write(bits(word, 15, 12), 'loaded') },
  );
}

/** A doubleword transfer names an even register and the next one; an odd one is UNDEFINED (as QEMU treats it). */
function isOdd(reg: number): boolean {
  return (reg & 1) === 1;
}

const IMMEDIATE_OFFSET: Addressing = { offset: 'imm', negative: false, shift: 'none' };
const EXCLUSIVE_WIDTHS: Width[] = ['word', 'double', 'byte', 'half'];

/** LDREX/STREX (ARMv6) and their B/H/D forms (ARMv6K): Rn 19:16, Rd 15:12, STREX Rt 3:0. */
function exclusive(word: number, conditional: boolean): Operation {
  const width = EXCLUSIVE_WIDTHS[bits(word, 22, 21)];
  const base = read(bits(word, 19, 16), 'base');
  const rd = bits(word, 15, 12);
  if (width === 'double' && isOdd(bit(word, 20) ? rd : bits(word, 3, 0))) return undefinedInstruction(conditional);
  if (bit(word, 20)) {
    const writes = width === 'double' ? [...write(rd, 'loaded', 0), ...write(rd + 1, 'loaded', 1)] : write(rd, 'loaded');
    return operation({ kind: 'load', width, addressing: IMMEDIATE_OFFSET, exclusive: true, writesPc: false, returns: false }, { conditional, reads: base, writes });
  }
  const rt = bits(word, 3, 0);
  const data = width === 'double' ? [...read(rt, 'storeData'), ...read(rt + 1, 'storeData')] : read(rt, 'storeData');
  return operation({ kind: 'store', width, addressing: IMMEDIATE_OFFSET, exclusive: true }, { conditional, reads: [...base, ...data], writes: write(rd, 'result') });
}

/** LDRH/STRH/LDRSB/LDRSH/LDRD/STRD: P 24, U 23, I 22, W 21, L 20, Rn 19:16, Rd 15:12, S H 6:5, Rm 3:0. */
function extraLoadStore(word: number, conditional: boolean): Operation {
  const sh = bits(word, 6, 5);
  const load = bit(word, 20);
  const double = !load && sh !== 0b01;
  const loadsDouble = double && sh === 0b10;
  const width: Width = double ? 'double' : sh === 0b10 ? 'byte' : 'half';
  if (double && isOdd(bits(word, 15, 12))) return undefinedInstruction(conditional);
  const addressing: Addressing = bit(word, 22) ? IMMEDIATE_OFFSET : { offset: 'reg', negative: !bit(word, 23), shift: 'none' };
  const offsetReads = addressing.offset === 'reg' ? read(bits(word, 3, 0), 'offset') : [];
  return singleTransfer(word, conditional, width, addressing, offsetReads, load || loadsDouble);
}

/** LDR/STR/LDRB/STRB (and the T forms): I 25, P 24, U 23, B 22, W 21, L 20, Rn 19:16, Rd 15:12. */
function loadStoreWordOrByte(word: number, conditional: boolean): Operation {
  const width: Width = bit(word, 22) ? 'byte' : 'word';
  const addressing: Addressing = bit(word, 25) ? { offset: 'reg', negative: !bit(word, 23), shift: offsetShift(word) } : IMMEDIATE_OFFSET;
  const offsetReads = addressing.offset === 'reg' ? read(bits(word, 3, 0), 'offset') : [];
  return singleTransfer(word, conditional, width, addressing, offsetReads, bit(word, 20));
}

function offsetShift(word: number): Addressing['shift'] {
  const amount = bits(word, 11, 7);
  const lsl = bits(word, 6, 5) === 0;
  return lsl && amount === 0 ? 'none' : lsl && amount === 2 ? 'lsl2' : 'other';
}

function singleTransfer(word: number, conditional: boolean, width: Width, addressing: Addressing, offsetReads: RegRead[], load: boolean): Operation {
  const rn = bits(word, 19, 16);
  const rd = bits(word, 15, 12);
  const preIndexed = bit(word, 24);
  const writeback = !preIndexed || bit(word, 21);
  const transferred = width === 'double' ? [rd, rd + 1] : [rd];
  const reads = [...read(rn, 'base'), ...offsetReads];
  const baseUpdate = writeback && !(load && transferred.includes(rn)) ? write(rn, 'writeback') : [];
  if (!load) {
    reads.push(...transferred.flatMap((reg) => read(reg, 'storeData')));
    return operation({ kind: 'store', width, addressing, exclusive: false }, { conditional, reads, writes: baseUpdate });
  }
  const writesPc = rd === PC;
  const returns = writesPc && width === 'word' && rn === SP && !preIndexed && !bit(word, 21) && bit(word, 23) && addressing.offset === 'imm';
  const writes = [...transferred.flatMap((reg, index) => write(reg, 'loaded', index)), ...baseUpdate];
  return operation({ kind: 'load', width, addressing, exclusive: false, writesPc, returns }, { conditional, reads, writes });
}

/** LDM/STM: P 24, U 23, S 22, W 21, L 20, Rn 19:16, register list 15:0. */
function blockTransfer(word: number, conditional: boolean): Operation {
  const rn = bits(word, 19, 16);
  const list = registerList(bits(word, 15, 0));
  const count = Math.max(list.length, 1);
  const writeback = bit(word, 21);
  const base = read(rn, 'base');
  if (!bit(word, 20)) {
    const reads = [...base, ...list.flatMap((reg) => read(reg, 'storeList'))];
    return operation({ kind: 'storeMultiple', count }, { conditional, reads, writes: writeback ? write(rn, 'writeback') : [] });
  }
  const writesPc = list.includes(PC);
  const returns = writesPc && rn === SP && writeback && !bit(word, 24) && bit(word, 23);
  const loaded = list.flatMap((reg, index) => write(reg, 'loaded', index));
  const baseUpdate = writeback && !list.includes(rn) ? write(rn, 'writeback') : [];
  return operation({ kind: 'loadMultiple', count, writesPc, returns }, { conditional, reads: base, writes: [...loaded, ...baseUpdate] });
}

/** MRS, MSR (register), BX, BXJ, BLX (register), CLZ, QADD family, BKPT, SMC, signed halfword multiplies. */
function miscellaneous(word: number, conditional: boolean): Operation {
  const op1 = bits(word, 22, 21);
  const op2 = bits(word, 7, 4);
  const rd = bits(word, 15, 12);
  const rm = bits(word, 3, 0);
  if (op2 === 0b0000) {
    if (!bit(word, 21)) return operation({ kind: 'statusRead' }, { conditional, writes: write(rd, 'result') });
    return statusWrite(word, conditional, read(rm, 'operand'));
  }
  if (op2 === 0b0001 && op1 === 0b11) return operation({ kind: 'countLeadingZeros' }, { conditional, reads: read(rm, 'operand'), writes: write(rd, 'result') });
  if ((op2 === 0b0001 || op2 === 0b0010 || op2 === 0b0011) && op1 === 0b01) {
    const link = op2 === 0b0011;
    return operation({ kind: 'branchExchange', link, returns: !link && rm === LR }, { conditional, reads: read(rm, 'operand'), writes: link ? write(LR, 'result') : [] });
  }
  if (op2 === 0b0101) {
    return operation({ kind: 'saturating' }, { conditional, reads: [...read(rm, 'operand'), ...read(bits(word, 19, 16), 'operand')], writes: write(rd, 'result') });
  }
  if (op2 === 0b0111 && (op1 === 0b01 || op1 === 0b11)) return operation({ kind: 'exception' }, { conditional }); // BKPT, SMC
  if (bit(word, 7) && !bit(word, 4)) return halfwordMultiply(word, conditional);
  return undefinedInstruction(conditional);
}

/** SMLAxy, SMLAWy/SMULWy, SMLALxy, SMULxy: Rd/RdHi 19:16, Rn/RdLo 15:12, Rs 11:8, Rm 3:0. */
function halfwordMultiply(word: number, conditional: boolean): Operation {
  const op = bits(word, 22, 21);
  const high = bits(word, 19, 16);
  const low = bits(word, 15, 12);
  const reads = [...read(bits(word, 3, 0), 'multiplier'), ...read(bits(word, 11, 8), 'multiplier')];
  if (op === 0b10) {
    reads.push(...read(low, 'accumulateLo'), ...read(high, 'accumulateHi'));
    return multiplyOf('halfwordLong', { conditional, reads, writes: [...write(low, 'result'), ...write(high, 'resultHi')] });
  }
  const accumulates = op === 0b00 || (op === 0b01 && !bit(word, 5));
  if (accumulates) reads.push(...read(low, 'accumulate'));
  return multiplyOf('halfword', { conditional, reads, writes: write(high, 'result') });
}

/** MSR: R 22 (SPSR), field mask 19:16 = f s x c. Writing c of the CPSR changes mode or interrupt masks. */
function statusWrite(word: number, conditional: boolean, reads: RegRead[]): Operation {
  const cpsr = !bit(word, 22);
  return operation({ kind: 'statusWrite', control: cpsr && bit(word, 16) }, { conditional, setsFlags: cpsr && bit(word, 19), reads });
}

/** MSR immediate, or (with no CPSR field) the ARMv6K hints NOP, YIELD, WFE, WFI, SEV. */
function statusWriteImmediate(word: number, conditional: boolean): Operation {
  if (!bit(word, 22) && bits(word, 19, 16) === 0) return operation({ kind: 'hint' }, { conditional });
  return statusWrite(word, conditional, []);
}

/** ARMv6 media space (cond 011x xxxx ... 1 ....). */
function media(word: number, conditional: boolean): Operation {
  const rd = bits(word, 15, 12);
  const rn = bits(word, 19, 16);
  const rm = bits(word, 3, 0);
  const op2 = bits(word, 7, 4);
  switch (bits(word, 24, 23)) {
    case 0b00: // parallel add/subtract: Rn, Rd, Rm
      return mediaOperation(conditional, [...read(rn, 'operand'), ...read(rm, 'operand')], rd);
    case 0b01: {
      // PKH, SEL and the extend-and-add forms read Rn 19:16; SSAT/USAT/REV keep an immediate or 1111 there.
      const readsRn = bits(word, 22, 20) === 0 || op2 === 0b0111;
      return mediaOperation(conditional, [...(readsRn ? read(rn, 'operand') : []), ...read(rm, 'operand')], rd);
    }
    case 0b10:
      return mediaMultiply(word, conditional);
    default:
      if (bits(word, 22, 20) === 0 && op2 === 0b0001) {
        // USAD8/USADA8: Rd 19:16, Ra 15:12 (1111: no accumulate), Rs 11:8, Rm 3:0
        return mediaOperation(conditional, [...read(rm, 'operand'), ...read(bits(word, 11, 8), 'operand'), ...read(rd, 'operand')], rn);
      }
      return undefinedInstruction(conditional);
  }
}

function mediaOperation(conditional: boolean, reads: RegRead[], rd: number): Operation {
  return operation({ kind: 'media' }, { conditional, reads, writes: write(rd, 'result') });
}

/** SMLAD/SMUAD/SMLSD/SMUSD, SMLALD/SMLSLD, SMMLA/SMMUL/SMMLS: Rd/RdHi 19:16, Ra/RdLo 15:12, Rm 11:8, Rn 3:0. */
function mediaMultiply(word: number, conditional: boolean): Operation {
  const high = bits(word, 19, 16);
  const low = bits(word, 15, 12);
  const reads = [...read(bits(word, 3, 0), 'multiplier'), ...read(bits(word, 11, 8), 'multiplier')];
  switch (bits(word, 22, 20)) {
    case 0b000:
      return multiplyOf('halfword', { conditional, reads: [...reads, ...read(low, 'accumulate')], writes: write(high, 'result') });
    case 0b100:
      reads.push(...read(low, 'accumulateLo'), ...read(high, 'accumulateHi'));
      return multiplyOf('halfwordLong', { conditional, reads, writes: [...write(low, 'result'), ...write(high, 'resultHi')] });
    case 0b101:
      return multiplyOf('mostSignificant', { conditional, reads: [...reads, ...read(low, 'accumulate')], writes: write(high, 'result') });
    default:
      return undefinedInstruction(conditional);
  }
}

/** LDC/STC (Rn 19:16, W 21) and MCRR/MRRC (Rt 15:12, Rt2 19:16, L 20). */
function coprocessorMemoryOrPair(word: number, conditional: boolean): Operation {
  const pair = [bits(word, 15, 12), bits(word, 19, 16)];
  if (bits(word, 24, 21) === 0b0010) {
    if (bit(word, 20)) return operation({ kind: 'coprocessor', transfer: 'fromCoprocessor' }, { conditional, writes: pair.flatMap((reg) => write(reg, 'result')) });
    return operation({ kind: 'coprocessor', transfer: 'toCoprocessor' }, { conditional, reads: pair.flatMap((reg) => read(reg, 'operand')) });
  }
  const rn = bits(word, 19, 16);
  return operation({ kind: 'coprocessor', transfer: 'memory' }, { conditional, reads: read(rn, 'base'), writes: bit(word, 21) ? write(rn, 'writeback') : [] });
}

/** CDP (bit 4 clear) or MCR/MRC (L 20, Rd 15:12; MRC to r15 sets the flags). */
function coprocessorRegisterOrData(word: number, conditional: boolean): Operation {
  if (!bit(word, 4)) return operation({ kind: 'coprocessor', transfer: 'data' }, { conditional });
  const rd = bits(word, 15, 12);
  if (bit(word, 20)) return operation({ kind: 'coprocessor', transfer: 'fromCoprocessor' }, { conditional, setsFlags: rd === PC, writes: write(rd, 'result') });
  return operation({ kind: 'coprocessor', transfer: 'toCoprocessor' }, { conditional, reads: read(rd, 'operand') });
}

/** cond = 1111: CPS, SETEND, PLD, CLREX, SRS, RFE, BLX (immediate), the *2 coprocessor forms. */
function classifyUnconditional(word: number): Operation {
  if (bits(word, 27, 20) === 0b00010000) {
    return bit(word, 16) ? operation({ kind: 'hint' }) : operation({ kind: 'statusWrite', control: true }); // SETEND, CPS
  }
  if (bits(word, 27, 26) === 0b01 && bit(word, 24) && bits(word, 22, 20) === 0b101) return preload(word);
  if (bits(word, 27, 20) === 0b01010111) return operation({ kind: 'hint' }); // CLREX
  switch (bits(word, 27, 25)) {
    case 0b100: {
      const rn = bits(word, 19, 16);
      const writeback = bit(word, 21) ? write(rn, 'writeback') : [];
      if (bit(word, 20)) return operation({ kind: 'loadMultiple', count: 2, writesPc: true, returns: false }, { reads: read(rn, 'base'), writes: writeback }); // RFE
      return operation({ kind: 'storeMultiple', count: 2 }, { reads: read(LR, 'storeList') }); // SRS: LR and SPSR to the banked SP
    }
    case 0b101:
      return operation({ kind: 'branch', link: true, backward: bit(word, 23), thumbPair: false }, { writes: write(LR, 'result') });
    case 0b110:
      return coprocessorMemoryOrPair(word, false);
    case 0b111:
      if (!bit(word, 24)) return coprocessorRegisterOrData(word, false);
      return undefinedInstruction(false);
    default:
      return undefinedInstruction(false);
  }
}

/** PLD: U 23, Rn 19:16; register offset (bit 25) shifted like LDR's. */
function preload(word: number): Operation {
  const registerOffset = bit(word, 25);
  const addressing: Addressing = registerOffset ? { offset: 'reg', negative: !bit(word, 23), shift: offsetShift(word) } : IMMEDIATE_OFFSET;
  const reads = [...read(bits(word, 19, 16), 'base'), ...(registerOffset ? read(bits(word, 3, 0), 'offset') : [])];
  return operation({ kind: 'preload', addressing }, { reads });
}
