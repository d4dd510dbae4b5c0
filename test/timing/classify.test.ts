// The shared classifier: register sets and flags that the interlock and branch rules depend on, checked
// against the ARM ARM encodings, and a sweep showing that no encoding breaks the cost models.
import t from 'tap';
import type { DecodedBlock } from '../../src/cpu/decode.ts';
import { timingModel } from '../../src/timing/block-cost.ts';
import { classify } from '../../src/timing/classify.ts';
import { changesFlow, isCall, isReturn, type Operation } from '../../src/timing/operation.ts';
import { armBlock, thumbBlock } from './fixtures/blocks.ts';

function armOps(source: string): Operation[] {
  const block = armBlock(source, 'armv6k');
  return block.insns.map((insn) => classify(insn, false));
}

function thumbOps(source: string): Operation[] {
  const block = thumbBlock(source, 'armv6k');
  return block.insns.map((insn) => classify(insn, true));
}

const regs = (list: { reg: number; role: string }[]) => list.map(({ reg, role }) => `r${reg}:${role}`);

t.test('register roles of data operations', async (t) => {
  const [imm, shifted, regShift, move] = armOps('add r0,r1,#1\nadd r2,r3,r4,lsl #3\nsub r5,r6,r7,lsr r8\nmov r9,r10');
  t.same(regs(imm.reads), ['r1:operand']);
  t.same(regs(shifted.reads), ['r3:operand', 'r4:shifted'], 'Rm shifted by an immediate');
  t.same(regs(regShift.reads), ['r6:lateOperand', 'r7:operand', 'r8:shiftAmount'], 'register shift: Rn read in the second cycle');
  t.same(regs(move.reads), ['r10:operand'], 'MOV has no Rn');
  const [compare] = armOps('cmp r0,r1');
  t.same(compare.writes, [], 'compares write no register');
  t.ok(compare.setsFlags);
});

t.test('register roles of loads, stores and multiplies', async (t) => {
  const [ldrd, strd, ldm, stm] = armOps('ldrd r0,[r2],#8\nstrd r4,[r2,-r3]\nldmia r0!,{r1,r5,r7}\nstmdb sp!,{r4,lr}');
  t.same(ldrd.writes, [{ reg: 0, role: 'loaded', index: 0 }, { reg: 1, role: 'loaded', index: 1 }, { reg: 2, role: 'writeback', index: 0 }]);
  t.same(regs(strd.reads), ['r2:base', 'r3:offset', 'r4:storeData', 'r5:storeData']);
  t.match(strd, { kind: 'store', width: 'double', addressing: { offset: 'reg', negative: true } });
  t.same(ldm.writes.map((w) => [w.reg, w.role, w.index]), [[1, 'loaded', 0], [5, 'loaded', 1], [7, 'loaded', 2], [0, 'writeback', 0]]);
  t.same(regs(stm.reads), ['r13:base', 'r4:storeList', 'r14:storeList']);
  const [mla, smlal, ssat, usada8] = armOps('mla r0,r1,r2,r3\nsmlal r4,r5,r6,r7\nssat r6,#8,r5\nusada8 r0,r1,r2,r3');
  t.same(regs(mla.reads), ['r1:multiplier', 'r2:multiplier', 'r3:accumulate']);
  t.same(regs(smlal.reads), ['r6:multiplier', 'r7:multiplier', 'r4:accumulateLo', 'r5:accumulateHi']);
  t.same(regs(ssat.reads), ['r5:operand'], 'SSAT bits 19:16 hold the saturation position, not a register');
  t.same(regs(usada8.reads).sort(), ['r1:operand', 'r2:operand', 'r3:operand']);
  t.same(usada8.writes.map((w) => w.reg), [0]);
});

t.test('status and coprocessor transfers', async (t) => {
  const [flags, control, spsr, mrcFlags] = armOps('msr cpsr_f,r0\nmsr cpsr_c,r0\nmsr spsr_fsxc,r0\nmrc p15,0,APSR_nzcv,c7,c10,3');
  t.match(flags, { kind: 'statusWrite', control: false, setsFlags: true });
  t.match(control, { kind: 'statusWrite', control: true, setsFlags: false });
  t.match(spsr, { kind: 'statusWrite', control: false, setsFlags: false }, 'writing the SPSR changes neither mode nor flags');
  t.match(mrcFlags, { kind: 'coprocessor', transfer: 'fromCoprocessor', setsFlags: true, writes: [] });
});

t.test('calls and returns', async (t) => {
  const arm = armOps('bl .+8\nblx r3\nbx lr\nmov pc,lr\nmovs pc,lr\nldr pc,[sp],#4\nldr pc,[sp,#4]\nldmia sp!,{r4,pc}\nldmia sp,{r4,pc}\nblx lr\nbx r3');
  t.same(arm.map(isCall), [true, true, false, false, false, false, false, false, false, true, false]);
  t.same(arm.map(isReturn), [false, false, true, true, false, true, false, true, false, false, false], 'the four return forms; MOVS pc,lr, pre-indexed LDR and LDM without writeback are not');
  t.ok(arm.every(changesFlow));
  const thumb = thumbOps('pop {r4,pc}\npop {r4}\nbx lr\nmov pc,lr\nblx r3');
  t.same(thumb.map(isReturn), [true, false, true, true, false]);
  t.same(thumb.map(changesFlow), [true, false, true, true, true]);
  t.ok(isCall(thumb[4]));
});

t.test('Thumb BL halves', async (t) => {
  // decode.ts joins prefix+suffix; a half on its own is classified by itself
  const [pair] = thumbOps('bl .+0x40');
  t.match(pair, { kind: 'branch', link: true, thumbPair: true });
  const prefix = classify({ address: 0x8000, size: 2, encoding: 0xf000 }, true); // 11110 imm11 = 0
  t.match(prefix, { kind: 'dataProcessing', writesPc: false, writes: [{ reg: 14, role: 'result', index: 0 }] }, 'prefix: LR = PC + offset');
  const suffix = classify({ address: 0x8000, size: 2, encoding: 0xf820 }, true); // 11111 imm11 = 0x020
  t.match(suffix, { kind: 'branchExchange', link: true });
  t.ok(isCall(suffix));
});

t.test('no encoding throws or costs less than a cycle', async (t) => {
  const models = [timingModel('arm926'), timingModel('arm1176')];
  const single = (encoding: number, thumb: boolean, size: 2 | 4): DecodedBlock => ({ address: 0x8000, size, thumb, insns: [{ address: 0x8000, size, encoding }] });
  const check = (block: DecodedBlock): boolean =>
    models.every((model) => {
      const timing = model.block(block);
      return timing.costs.length === 1 && Number.isInteger(timing.costs[0]) && timing.costs[0] >= 1 && Number.isInteger(timing.takenDelta);
    });
  let bad = 0;
  for (let half = 0; half < 0x10000; half++) if (!check(single(half, true, 2))) bad++;
  t.equal(bad, 0, 'every 16-bit Thumb encoding');
  // A deterministic spread over the 32-bit space: multiplicative hashing of 0..199999
  for (let i = 0; i < 200_000; i++) if (!check(single(Math.imul(i, 0x9e3779b1) >>> 0, false, 4))) bad++;
  t.equal(bad, 0, '200000 ARM encodings');
});
