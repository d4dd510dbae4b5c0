// ARM926EJ-S cycle costs. Every expectation is worked out by hand from TIMING.md §1 (9EJ Table 8.2, 9E
// p.8-22 interlock rules) and, for [U]/[E] rows, from the value docs/timing.md says the model chose.
// Notation: "X (n)" = X issues in n cycles; "+k" = a k-cycle interlock charged to the consumer.
import t from 'tap';
import { timingModel } from '../../src/timing/block-cost.ts';
import { armBlock, armWords, expectTiming, thumbBlock } from './fixtures/blocks.ts';

const arm926 = timingModel('arm926');
const arm = (source: string) => arm926.block(armBlock(source, 'armv5te'));
const thumb = (source: string) => arm926.block(thumbBlock(source, 'armv5te'));

t.test('model identity and exception entry', async (t) => {
  t.equal(arm926.name, 'arm926');
  // SWI/undefined trap about 3 cycles [U]: the instruction's own cycle + 2 of entry
  t.equal(arm926.exceptionEntry, 2);
});

t.test('data processing', async (t) => {
  // MOV imm (1) [C] + ADD reg: r0 comes from the ALU, no interlock (1) + ADD imm-shifted operand: still the
  // normal case (1) [C] + SUB with a register-specified shift (2) [C]
  expectTiming(t, arm('mov r0,#1\nadd r1,r0,r2\nadd r3,r1,r2,lsl #2\nsub r4,r3,r1,lsl r2'), { costs: [1, 1, 1, 2] }, 'imm, reg, imm-shift, reg-shift');
  // S forms cost the same: ADDS (1), SUBS (1), RSB register-shift with S (2)
  expectTiming(t, arm('adds r0,r1,#1\nsubs r2,r0,r1\nrsbs r3,r2,r1,asr r0'), { costs: [1, 1, 2] }, 'flag-setting forms');
  // CLZ (1) [C], result from the ALU: ADD using it next (1)
  expectTiming(t, arm('clz r0,r1\nadd r2,r0,#1'), { costs: [1, 1] }, 'CLZ');
});

t.test('data processing with the PC as destination', async (t) => {
  // A flow change is costed as falling through: condition failed = 1 [U]; the rest is takenDelta.
  // ADD pc (arithmetic) = 3 [C] -> 1 + 2
  expectTiming(t, arm('add pc,r0,#4'), { costs: [1], takenDelta: 2 }, 'ADD pc');
  // MOV pc (logical) = 4 [C] -> 1 + 3; no return stack on the ARM926, so no ret
  expectTiming(t, arm('mov pc,lr'), { costs: [1], takenDelta: 3 }, 'MOV pc,lr');
  // Conditional: the same split; the fall-through cost is the condition-failed cost, 1 [U]
  expectTiming(t, arm('movne pc,r0'), { costs: [1], takenDelta: 3 }, 'MOVNE pc');
  // Register-specified shift to the PC = 4 [C] ("with operand shift, PC destination") -> 1 + 3
  expectTiming(t, arm('add pc,pc,r0,lsl r1'), { costs: [1], takenDelta: 3 }, 'ADD pc with a register shift');
  // SUBS pc,lr,#4 (exception return) is arithmetic: 3 -> 1 + 2
  expectTiming(t, arm('subs pc,lr,#4'), { costs: [1], takenDelta: 2 }, 'SUBS pc,lr,#4');
});

t.test('single loads and stores with load-use interlocks', async (t) => {
  // LDR (1) + ADD uses r1 next: +1 load-use interlock [C 9EJ] = 2
  expectTiming(t, arm('ldr r1,[r2]\nadd r3,r1,#1'), { costs: [1, 2] }, 'LDR then use');
  // One independent instruction between hides the 1-cycle interlock
  expectTiming(t, arm('ldr r1,[r2]\nadd r4,r5,#1\nadd r3,r1,#1'), { costs: [1, 1, 1] }, 'LDR, gap, use');
  // LDRB (1) + ADD uses it next: +2 (byte rotated in Write) [C] = 3
  expectTiming(t, arm('ldrb r1,[r2]\nadd r3,r1,#1'), { costs: [1, 3] }, 'LDRB then use');
  // LDRH (1), ADD independent (1), ADD uses r1: the 2-cycle interlock reaches two instructions: +1 [C 9E]
  expectTiming(t, arm('ldrh r1,[r2]\nadd r4,r5,#1\nadd r3,r1,#1'), { costs: [1, 1, 2] }, 'LDRH, gap, use');
  // LDRSB, then a second use after the interlock was paid: no further stall [C 9E p.8-22]
  expectTiming(t, arm('ldrsb r0,[r1,#1]\nadd r2,r0,r3\nadd r4,r0,r5'), { costs: [1, 3, 1] }, 'LDRSB used twice');
  // LDRB; MUL (2 cycles); ADD uses r0: the multi-cycle MUL hides the interlock [C 9E example]
  expectTiming(t, arm('ldrb r0,[r1]\nmul r6,r7,r8\nadd r4,r0,r5'), { costs: [1, 2, 1] }, 'LDRB hidden by MUL');
  // LDR with a scaled offset (2) [C] + use next: +1 -> "3" [C] for the LDR, ADD 1 -> [2, 2]
  expectTiming(t, arm('ldr r1,[r2,r3,lsl #2]\nadd r4,r1,#1'), { costs: [2, 2] }, 'scaled LDR then use');
  // A plain subtracted register offset is not scaled: LDR (1); LDRSH has no shifts: (1)
  expectTiming(t, arm('ldr r1,[r2,-r3]\nldrsh r4,[r2,r3]'), { costs: [1, 1] }, 'unscaled register offsets');
  // LDRD (2) [C]; last loaded word (r1) used next: +1 -> "3" [C] = [2, 2]
  expectTiming(t, arm('ldrd r0,[r2]\nadd r3,r1,#1'), { costs: [2, 2] }, 'LDRD, last word used');
  // LDRD (2); first word (r0) was loaded a cycle earlier: ready when the next instruction starts
  expectTiming(t, arm('ldrd r0,[r2]\nadd r3,r0,#1'), { costs: [2, 1] }, 'LDRD, first word used');
  // STR (1), STR scaled (2), STRD (2) [C]
  expectTiming(t, arm('str r1,[r2]\nstr r1,[r2,r3,lsl #2]\nstrd r0,[r2]\nstrh r1,[r2,#2]'), { costs: [1, 2, 2, 1] }, 'stores');
  // Post-indexed writeback: the base is updated in Execute [U], so ADD reading r1 next does not wait
  expectTiming(t, arm('ldr r0,[r1],#4\nadd r2,r1,#1'), { costs: [1, 1] }, 'writeback base');
});

t.test('interlocks do not cross block boundaries (a documented limit)', async (t) => {
  // Each block starts with every register ready: the ADD that would wait 1 cycle after an LDR in the same
  // block costs 1 when the LDR ended the previous block
  expectTiming(t, arm('add r3,r1,#1'), { costs: [1] }, 'consumer alone');
});

t.test('C read port: no forwarding from loads to store data or accumulators', async (t) => {
  // LDR r0; STR r0: 1-cycle interlock even though STR needs the data late [C 9E p.8-22]
  expectTiming(t, arm('ldr r0,[r1]\nstr r0,[r2]'), { costs: [1, 2] }, 'LDR then STR of it');
  // LDR r0; MLA ...,r0 (accumulator): MLA (2) +1 [C] = 3
  expectTiming(t, arm('ldr r0,[r1]\nmla r2,r3,r4,r0'), { costs: [1, 3] }, 'LDR then MLA accumulating it');
  // LDR r0; NOP; STR r0: no interlock [C]
  expectTiming(t, arm('ldr r0,[r1]\nmov r5,r5\nstr r0,[r2]'), { costs: [1, 1, 1] }, 'LDR, gap, STR');
  // LDR r0; STMIA r0,{r1,r2}: the base is not ready: decode interlock +1 [C]; STM of 2 = 2 -> 3
  expectTiming(t, arm('ldr r0,[r1]\nstmia r0,{r1,r2}'), { costs: [1, 3] }, 'LDR then STM based on it');
  // Multiplier results are forwarded to the C port: MUL (2), STR of its result no interlock [C ARM7EJ-S analogue]
  expectTiming(t, arm('mul r0,r1,r2\nstr r0,[r3]'), { costs: [2, 1] }, 'MUL then STR of it');
});

t.test('LDM and STM', async (t) => {
  // LDM of 1 register: 2 [C]; the word arrives in its last cycle like an LDR: used next +1 -> [2, 2]
  expectTiming(t, arm('ldmia r0,{r1}\nadd r2,r1,#1'), { costs: [2, 2] }, 'LDM 1 register then use');
  // LDM of n = 4: 4 [C]; last loaded register used next: n+1 [C] -> [4, 2]
  expectTiming(t, arm('ldmia r0,{r1-r4}\nadd r5,r4,#1'), { costs: [4, 2] }, 'LDM 4, last used');
  // The first register was loaded 3 cycles before the end: no interlock
  expectTiming(t, arm('ldmia r0!,{r1-r4}\nadd r5,r1,#1'), { costs: [4, 1] }, 'LDM 4, first used');
  // STM: about n, at least 2 [U]
  expectTiming(t, arm('stmia r0,{r1-r5}\nstmdb sp!,{r4,lr}\nstmia r0,{r1}'), { costs: [5, 2, 2] }, 'STM 5, 2, 1');
  // LDM with the PC: its LDM cycles + 4 refill [U]. {r4,pc}: 2 + 4 = 6 -> falls through 1, takenDelta 5
  expectTiming(t, arm('ldmia sp!,{r4,pc}'), { costs: [1], takenDelta: 5 }, 'LDM {r4,pc}');
  // {r4-r7,pc}: n = 5: 5 + 4 = 9 -> 1 + 8
  expectTiming(t, arm('ldmfd sp!,{r4-r7,pc}'), { costs: [1], takenDelta: 8 }, 'LDM {r4-r7,pc}');
});

t.test('multiplies', async (t) => {
  // MUL (2) [U]; result used next: +1 [E GCC926 latency 3]
  expectTiming(t, arm('mul r0,r1,r2\nadd r3,r0,#1'), { costs: [2, 2] }, 'MUL then use');
  // One instruction in between: no interlock
  expectTiming(t, arm('mul r0,r1,r2\nadd r4,r5,#1\nadd r3,r0,#1'), { costs: [2, 1, 1] }, 'MUL, gap, use');
  // MLA chained through the accumulator: no interlock [C ARM7EJ-S rule, E GCC926/DUST]
  expectTiming(t, arm('mla r0,r1,r2,r3\nmla r4,r5,r6,r0'), { costs: [2, 2] }, 'MLA accumulator chain');
  // MUL result as the next multiply's operand: +1
  expectTiming(t, arm('mul r0,r1,r2\nmla r4,r0,r6,r7'), { costs: [2, 3] }, 'MUL then MLA operand');
  // MULS (4) [C ARM7EJ-S, E GCC926 latency 4]: its result is ready after its 4 cycles
  expectTiming(t, arm('muls r0,r1,r2\nadd r3,r0,#1'), { costs: [4, 1] }, 'MULS');
  // SMULL (3) [U]: RdLo is ready, RdHi +1 [E DUST]
  expectTiming(t, arm('smull r0,r1,r2,r3\nadd r4,r0,#1'), { costs: [3, 1] }, 'SMULL, RdLo used');
  expectTiming(t, arm('umull r0,r1,r2,r3\nadd r4,r1,#1'), { costs: [3, 2] }, 'UMULL, RdHi used');
  // SMULLS (5) [U, E GCC926 latency 5]; UMLAL (3)
  expectTiming(t, arm('smulls r0,r1,r2,r3\nadd r4,r1,#1\numlal r5,r6,r7,r8'), { costs: [5, 1, 3] }, 'SMULLS, UMLAL');
  // SMULBB (1) +1 if used next [E GCC926 latency 2]
  expectTiming(t, arm('smulbb r0,r1,r2\nadd r3,r0,#1'), { costs: [1, 2] }, 'SMULBB then use');
  // SMLABB chained through its accumulator: forwarded, no interlock; SMULWB (1), SMLAWT (1)
  expectTiming(t, arm('smlabb r0,r1,r2,r3\nsmlabb r4,r5,r6,r0\nsmulwb r7,r8,r9\nsmlawt r7,r8,r9,r10'), { costs: [1, 1, 1, 1] }, 'halfword multiplies');
  // SMLALBB (2) [E GCC926], latency 3: used next +1
  expectTiming(t, arm('smlalbb r0,r1,r2,r3\nadd r4,r1,#1'), { costs: [2, 2] }, 'SMLALBB then use');
});

t.test('saturating arithmetic', async (t) => {
  // QADD (1), SUB uses it next: +1 [U; the ARM7EJ-S TRM example QADD r0; SUB r4,r0 interlocks]
  expectTiming(t, arm('qadd r0,r1,r2\nsub r4,r0,r3'), { costs: [1, 2] }, 'QADD then use');
  // QDSUB then STR of it: the store data is needed in Memory: no interlock [ARM7EJ-S example]
  expectTiming(t, arm('qdsub r0,r1,r2\nstr r0,[r8]'), { costs: [1, 1] }, 'QDSUB then STR');
  // QADD then MLA accumulating it: no interlock [ARM7EJ-S example]; MLA (2)
  expectTiming(t, arm('qadd r0,r4,r5\nmla r0,r3,r4,r0'), { costs: [1, 2] }, 'QADD then MLA accumulator');
  expectTiming(t, arm('qsub r0,r1,r2\nqdadd r3,r4,r5'), { costs: [1, 1] }, 'QSUB, QDADD');
});

t.test('branches: no prediction, a taken flow change refills the pipeline', async (t) => {
  // B taken = 3 [C]: falls through (condition failed) 1 [U] + takenDelta 2
  expectTiming(t, arm('b .+0x40'), { costs: [1], takenDelta: 2 }, 'B');
  // BL the same; the ARM926 has no return stack, so call is false
  expectTiming(t, arm('bl .+0x40'), { costs: [1], takenDelta: 2 }, 'BL');
  // A conditional backward branch: no prediction, the same 1 / 3
  expectTiming(t, arm('subs r0,r0,#1\nbne .-4'), { costs: [1, 1], takenDelta: 2 }, 'loop branch');
  // BX lr = 3 [C 9E p.8-10]: no ret on the ARM926
  expectTiming(t, arm('bx lr'), { costs: [1], takenDelta: 2 }, 'BX lr');
  // BLX reg and BLX imm = 3 [C]
  expectTiming(t, arm('blx r3'), { costs: [1], takenDelta: 2 }, 'BLX reg');
  expectTiming(t, arm('blx .+0x40'), { costs: [1], takenDelta: 2 }, 'BLX imm');
  // BX of a just-loaded register: LDR (1) + BX waits +1 for r3, then falls through 1: [1, 2]
  expectTiming(t, arm('ldr r3,[r0]\nbx r3'), { costs: [1, 2], takenDelta: 2 }, 'LDR then BX of it');
});

t.test('loads to the PC', async (t) => {
  // LDR pc = 5 [C]: 1 + 4
  expectTiming(t, arm('ldr pc,[r0]'), { costs: [1], takenDelta: 4 }, 'LDR pc');
  // LDR pc with a scaled register offset = 6 [C]: 1 + 5
  expectTiming(t, arm('ldr pc,[r0,r1,lsl #2]'), { costs: [1], takenDelta: 5 }, 'LDR pc scaled');
  // Conditional: condition failed = 1 [U]
  expectTiming(t, arm('ldrne pc,[r0]'), { costs: [1], takenDelta: 4 }, 'LDRNE pc');
  // POP {pc} as a single register: LDR pc,[sp],#4 = 5
  expectTiming(t, arm('ldr pc,[sp],#4'), { costs: [1], takenDelta: 4 }, 'LDR pc,[sp],#4');
});

t.test('SWP, status registers, coprocessors, exceptions', async (t) => {
  // SWP (2) [E DUST]; the loaded word used next: +1 load-use
  expectTiming(t, arm('swp r0,r1,[r2]\nadd r3,r0,#1'), { costs: [2, 2] }, 'SWP then use');
  // SWPB: a byte, +2
  expectTiming(t, arm('swpb r0,r1,[r2]\nadd r3,r0,#1'), { costs: [2, 3] }, 'SWPB then use');
  // MRS (2) [E DUST], result ready when it ends; MSR flags (1), MSR control (3) [E DUST]; MSR cpsr_fc writes control (3)
  expectTiming(t, arm('mrs r0,cpsr\norr r0,r0,#0x80\nmsr cpsr_f,r0\nmsr cpsr_c,r0\nmsr cpsr_fc,r0'), { costs: [2, 1, 1, 3, 3] }, 'MRS, MSR');
  // MCR (2) [U]; MRC (2) [U] whose result arrives like a load: used next +1
  expectTiming(t, arm('mcr p15,0,r0,c7,c10,4\nmrc p15,0,r0,c1,c0,0\norr r0,r0,#1'), { costs: [2, 2, 2] }, 'MCR, MRC then use');
  // CDP (1) [U], LDC (2) [U], STC with writeback (2)
  expectTiming(t, arm('cdp p5,0,c1,c2,c3,0\nldc p5,c1,[r0]\nstc p5,c1,[r0],#4'), { costs: [1, 2, 2] }, 'CDP, LDC, STC');
  // SWI: 1 here; the entry (exceptionEntry) is charged by the caller; not a flow change for takenDelta
  expectTiming(t, arm('swi 0'), { costs: [1] }, 'SWI');
  // 0xE7F000F0: permanently undefined (cond AL, 0111 1111 ... 1111): 1, trap charged by the caller
  expectTiming(t, arm926.block(armWords(0xe7f000f0)), { costs: [1] }, 'undefined');
  // BKPT: 1 (a prefetch abort entry follows)
  expectTiming(t, arm('bkpt 0'), { costs: [1] }, 'BKPT');
});

t.test('Thumb instructions are timed as their ARM equivalents', async (t) => {
  // LSL Rd,Rm,#2 = MOVS imm-shift (1); ADD Rd,Rn,Rm (1)
  expectTiming(t, thumb('lsl r0,r1,#2\nadd r0,r0,r1'), { costs: [1, 1] }, 'shift, add');
  // LDR (1) + ADD uses it next +1
  expectTiming(t, thumb('ldr r0,[r1]\nadd r0,#1'), { costs: [1, 2] }, 'LDR then use');
  // LDRB (1) + use next +2
  expectTiming(t, thumb('ldrb r0,[r1,#1]\nadd r2,r0,r3'), { costs: [1, 3] }, 'LDRB then use');
  // MUL = MULS (4); LSL Rd,Rs = register-specified shift (2)
  expectTiming(t, thumb('mul r0,r1\nlsl r2,r3'), { costs: [4, 2] }, 'MUL, LSL by register');
  // PUSH {r4,lr} = STMDB of 2 (2); POP {r4,pc} = LDM of 2 with the PC: 2 + 4 = 6 -> 1 + 5
  expectTiming(t, thumb('push {r4,lr}'), { costs: [2] }, 'PUSH');
  expectTiming(t, thumb('pop {r4,pc}'), { costs: [1], takenDelta: 5 }, 'POP with PC');
  // BX lr = 3 -> 1 + 2; B<cond> = 3 -> 1 + 2
  expectTiming(t, thumb('bx lr'), { costs: [1], takenDelta: 2 }, 'BX lr');
  expectTiming(t, thumb('cmp r0,#0\nbeq .+0x20'), { costs: [1, 1], takenDelta: 2 }, 'B<cond>');
  // MOV pc,lr (high-register MOV, logical) = 4 -> 1 + 3
  expectTiming(t, thumb('mov pc,lr'), { costs: [1], takenDelta: 3 }, 'MOV pc,lr');
  // BL pair about 1 + 3 = 4 [U]: prefix 1 + branch falling through 1 = 2, takenDelta 2
  const bl = arm926.block(thumbBlock('bl .+0x40', 'armv5te'));
  t.equal(bl.costs.length, 1, 'the BL pair is one instruction');
  expectTiming(t, bl, { costs: [2], takenDelta: 2 }, 'BL pair');
  // SWI: 1
  expectTiming(t, thumb('swi 1'), { costs: [1] }, 'SWI');
});
