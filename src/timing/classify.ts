/** The shared instruction classifier: one Operation per instruction of a decoded block (see operation.ts). */
import type { Insn } from '../cpu/decode.ts';
import { classifyArm } from './classify-arm.ts';
import { classifyThumb } from './classify-thumb.ts';
import type { Operation } from './operation.ts';

export function classify(insn: Insn, thumb: boolean): Operation {
  return thumb ? classifyThumb(insn.encoding, insn.size) : classifyArm(insn.encoding);
}
