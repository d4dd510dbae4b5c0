// ARM1136JF-S / ARM1176JZF-S cycle costs. Every expectation is worked out by hand from TIMING.md §2 (1176
// TRM chapter 16) and, for [U]/[E] rows, from the value docs/timing.md says the model chose.
// Rules used below: a result with latency L (counted from the producer's first issue cycle) is readable by
// a normal register read L cycles after the producer started; an Early Reg needs it 1 cycle sooner
// (+1), a Late Reg 1 cycle later (-1). Mispredicted branch = MAX(7 - FlagCycleDistance, 5).
import t from 'tap';
import { timingModel } from '../../src/timing/block-cost.ts';
import { armBlock, expectTiming, thumbBlock } from './fixtures/blocks.ts';

const arm11 = timingModel('arm1176');
const arm = (source: string) => arm11.block(armBlock(source, 'armv6k'));
const thumb = (source: string) => arm11.block(thumbBlock(source, 'armv6k'));

t.test('model identity; the ARM1136 and ARM1176 share it', async (t) => {
  t.equal(arm11.name, 'arm11');
  // SWI / exception entry about 8 [U]: the instruction's own cycle + 7 of entry
  t.equal(arm11.exceptionEntry, 7);
  const arm1136 = timingModel('arm1136');
  t.equal(arm1136.name, 'arm11');
  const sample = armBlock('ldr r1,[r2]\nadd r6,r5,r1\nsubs r0,r0,#1\nbne .-12', 'armv6k');
  t.same(arm1136.block(sample), arm11.block(sample), 'the same costs for the same block');
});

t.test('1176 Table 16-3 interlock examples [C]', async (t) => {
  // LDR (1) latency 3; independent ADD (1): total 2
  expectTiming(t, arm('ldr r1,[r2]\nadd r6,r5,r4'), { costs: [1, 1] }, 'independent');
  // ADD latency 1 feeds the next ADD: total 2
  expectTiming(t, arm('add r1,r2,r3\nadd r9,r6,r1'), { costs: [1, 1] }, 'ALU to ALU');
  // LDR r1 ready at 3; ADD starts at 1: 2 stall cycles: total 4
  expectTiming(t, arm('ldr r1,[r2]\nadd r6,r5,r1'), { costs: [1, 3] }, 'load-use');
  // ADD r1 ready at 1, the address is an Early Reg: +1 -> 2; LDR stalls 1: total 3
  expectTiming(t, arm('add r1,r5,r6\nldr r2,[r1]'), { costs: [1, 2] }, 'ALU result as address');
  // LDR r1 ready at 3, Early +1 -> 4; second LDR starts at 1: 3 stalls: total 5
  expectTiming(t, arm('ldr r1,[r2]\nldr r5,[r1]'), { costs: [1, 4] }, 'pointer chasing');
});

t.test('interlocks do not cross block boundaries (a documented limit)', async (t) => {
  // Every block starts with all results ready: this LDR's base would be 2 cycles late after an LDR r1
  // ending the previous block, but costs 1 here
  expectTiming(t, arm('ldr r5,[r1]'), { costs: [1] }, 'consumer alone');
});

t.test('data processing (1176 Tables 16-4/16-5)', async (t) => {
  // Immediate-shifted Rm is an Early Reg: ADD r1 ready at 1, +1 -> 2; ADD starts at 1: +1 = 2
  expectTiming(t, arm('add r1,r2,r3\nadd r4,r5,r1,lsl #2'), { costs: [1, 2] }, 'imm shift of a fresh result');
  // LSL #0 is no shift: r1 is a normal read
  expectTiming(t, arm('add r1,r2,r3\nadd r4,r5,r1,lsl #0'), { costs: [1, 1] }, 'LSL #0');
  // Register-specified shift: 2 cycles; its Rn is a Late Reg: ADD r1 ready at 1, -1 -> no stall: [1, 2]
  expectTiming(t, arm('add r1,r2,r3\nadd r4,r1,r5,lsl r6'), { costs: [1, 2] }, 'reg shift, fresh Rn');
  // ...but Rs is Early: ADD r6 ready at 1, +1 -> 2; starts at 1: +1 -> [1, 3]
  expectTiming(t, arm('add r6,r2,r3\nadd r4,r1,r5,lsl r6'), { costs: [1, 3] }, 'reg shift, fresh Rs');
  // A register-shift result has latency 2 = its issue cycles: the next ADD does not wait
  expectTiming(t, arm('mov r0,r1,lsl r2\nadd r3,r0,#1'), { costs: [2, 1] }, 'reg shift result');
  // S forms: the same (ADDS 1, CMP 1); CLZ (1) [U] latency 1
  expectTiming(t, arm('adds r0,r1,#1\ncmp r0,#3\nclz r2,r0\nadd r3,r2,#1'), { costs: [1, 1, 1, 1] }, 'S forms, CLZ');
  // QADD (1) latency 2 [U] (Sat stage): used next +1
  expectTiming(t, arm('qadd r0,r1,r2\nadd r3,r0,#1'), { costs: [1, 2] }, 'QADD then use');
  // ARMv6 media instructions: 1-cycle ALU operations, latency 1 [U]
  expectTiming(t, arm('sadd16 r0,r1,r2\nadd r3,r0,#1\nuxtb r4,r3\nrev r5,r4\nssat r6,#8,r5'), { costs: [1, 1, 1, 1, 1] }, 'media');
});

t.test('data processing to the PC', async (t) => {
  // Not predicted: taken = the unpredicted cost, 5 (unconditional: MinCycles) [U]; falls through in 1 -> delta 4
  expectTiming(t, arm('add pc,r0,#4'), { costs: [1], takenDelta: 4 }, 'ADD pc');
  // MOV pc,lr: a return. 4 correct / 7 wrong [C], 5 empty [U, as BX lr]; relative to its 1 cycle
  expectTiming(t, arm('mov pc,lr'), { costs: [1], takenDelta: 4, ret: { correct: 3, wrong: 6, empty: 4 } }, 'MOV pc,lr');
  // MOVNE pc,lr right after CMP: conditional returns pop but are not predicted: taken = MAX(7 - 0, 5) = 7
  expectTiming(t, arm('cmp r0,#0\nmovne pc,lr'), { costs: [1, 1], takenDelta: 6, ret: { correct: 6, wrong: 6, empty: 6 } }, 'MOVNE pc,lr');
  // MOVS pc,lr (exception return) is not a return-stack pop: unpredicted, 5 -> 1 + 4
  expectTiming(t, arm('movs pc,lr'), { costs: [1], takenDelta: 4 }, 'MOVS pc,lr');
});

t.test('single loads and stores (1176 §16.10, Table 16-16)', async (t) => {
  // LDRB latency 4 [E GCC1136]: ADD at 1 waits 3 -> [1, 4]
  expectTiming(t, arm('ldrb r1,[r2]\nadd r3,r1,#1'), { costs: [1, 4] }, 'LDRB then use');
  // Subtracted register offset: 2 cycles and latency 3 + 1 = 4: ADD at 2 waits 2 -> [2, 3]
  expectTiming(t, arm('ldr r1,[r2,-r3]\nadd r4,r1,#1'), { costs: [2, 3] }, 'LDR [r2,-r3] then use');
  // LSL #2 is free (1 cycle); LSL #3 is not (2 cycles) [C]
  expectTiming(t, arm('ldr r1,[r2,r3,lsl #2]\nldr r4,[r2,r3,lsl #3]'), { costs: [1, 2] }, 'LSL #2 vs LSL #3');
  // In the 2-cycle mode only the offset is Early: a fresh base (ready at 1) does not stall the LDR at 1
  expectTiming(t, arm('add r2,r5,r6\nldr r1,[r2,-r3]'), { costs: [1, 2] }, '2-cycle mode, fresh base');
  // ...a fresh offset (ready 1, Early -> 2) stalls it 1: [1, 3]
  expectTiming(t, arm('add r3,r5,r6\nldr r1,[r2,-r3]'), { costs: [1, 3] }, '2-cycle mode, fresh offset');
  // Store data is a Late Reg [U]: LDR r1 ready 3, -1 -> 2; STR at 1 stalls 1 -> [1, 2]
  expectTiming(t, arm('ldr r1,[r2]\nstr r1,[r3]'), { costs: [1, 2] }, 'LDR then STR of it');
  // Back-to-back loads with writeback see the new base with latency 0 [C]: no stall
  expectTiming(t, arm('ldr r0,[r1],#4\nldr r2,[r1],#4'), { costs: [1, 1] }, 'writeback then load');
  // Any other consumer sees latency 1 [C]; as a shifted (Early) operand: ready 1 + 1 = 2 -> +1
  expectTiming(t, arm('ldr r0,[r1],#4\nadd r2,r3,r1,lsl #1'), { costs: [1, 2] }, 'writeback then shifted use');
  // LDRD (1) latency 3/3 [C, 64-bit aligned assumed]: RdHi used next waits 2 -> [1, 3]
  expectTiming(t, arm('ldrd r0,[r2]\nadd r3,r1,#1'), { costs: [1, 3] }, 'LDRD then use');
  // STRD (1) write-locks r0 for 1 and r1 for 2 cycles [C]: MOV r1 at 1 waits until 2 -> [1, 2]
  expectTiming(t, arm('strd r0,[r2]\nmov r1,#0'), { costs: [1, 2] }, 'STRD register lock');
  // STRD with a subtracted register offset: 2 cycles; locks 2,3: MOV r0 at 2 does not wait
  expectTiming(t, arm('strd r0,[r2,-r3]\nmov r0,#0'), { costs: [2, 1] }, 'STRD 2-cycle mode');
  // STRH (1), PLD (1): no results
  expectTiming(t, arm('strh r1,[r2,#2]\npld [r3]'), { costs: [1, 1] }, 'STRH, PLD');
});

t.test('loads to the PC and return pops', async (t) => {
  // LDR pc, not a return: 8 [U] -> falls through 1, delta 7
  expectTiming(t, arm('ldr pc,[r0]'), { costs: [1], takenDelta: 7 }, 'LDR pc');
  // 2-cycle addressing: falls through in 2; taken 8 + 1 = 9 [U] -> delta 7
  expectTiming(t, arm('ldr pc,[r0,-r1]'), { costs: [2], takenDelta: 7 }, 'LDR pc 2-cycle');
  // LDR pc,[sp],#4: a return. 4 correct [C], 9 wrong/empty [U, as LDM] -> relative to 1: 3/8/8
  expectTiming(t, arm('ldr pc,[sp],#4'), { costs: [1], takenDelta: 8, ret: { correct: 3, wrong: 8, empty: 8 } }, 'LDR pc,[sp],#4');
  // LDMIA sp!,{r4,pc}: 4 / 9 / 9 [C] -> 3/8/8
  expectTiming(t, arm('ldmia sp!,{r4,pc}'), { costs: [1], takenDelta: 8, ret: { correct: 3, wrong: 8, empty: 8 } }, 'LDMIA sp!,{r4,pc}');
  // Conditional LDM pop: 9 whatever the stack holds [C] -> 8 for each outcome
  expectTiming(t, arm('ldmneia sp!,{r4,pc}'), { costs: [1], takenDelta: 8, ret: { correct: 8, wrong: 8, empty: 8 } }, 'LDMNE pop');
  // LDM not SP-based with the PC: 8 [C], no return-stack pop -> 1 + 7
  expectTiming(t, arm('ldmia r0,{r4,pc}'), { costs: [1], takenDelta: 7 }, 'LDMIA r0,{r4,pc}');
  // The APCS frame return LDMDB r11,{..,sp,pc}: not SP-based either -> 1 + 7
  expectTiming(t, arm('ldmdb r11,{r4-r11,sp,pc}'), { costs: [1], takenDelta: 7 }, 'LDMDB r11');
});

t.test('LDM and STM (1176 §16.12)', async (t) => {
  // LDMIA R0,{R1-R7}; ADD uses R3 = 5 cycles [C]: R3 (3rd) latency 4; ADD at 1 waits 3 -> [1, 4]
  expectTiming(t, arm('ldmia r0,{r1-r7}\nadd r8,r3,#1'), { costs: [1, 4] }, 'LDM 7 then use of R3');
  // STMIA R0,{R1-R7}; ADD writes R6 = 5 cycles [C]: R6 (6th) locked 4 -> ADD at 1 waits 3 -> [1, 4]
  expectTiming(t, arm('stmia r0,{r1-r7}\nadd r6,r8,#1'), { costs: [1, 4] }, 'STM 7 then write of R6');
  // 2 registers per memory cycle: LDM of 2 keeps the LSU 1 cycle: a following LDR does not wait
  expectTiming(t, arm('ldmia r0,{r1,r2}\nldr r3,[r4]'), { costs: [1, 1] }, 'LDM 2 then LDR');
  // LDM of 6: 3 memory cycles: the LDR at 1 waits until 3 -> [1, 3]; an ALU op would not wait
  expectTiming(t, arm('ldmia r0,{r1-r6}\nldr r7,[r8]'), { costs: [1, 3] }, 'LDM 6 then LDR');
  expectTiming(t, arm('ldmia r0,{r1-r6}\nadd r7,r8,#1'), { costs: [1, 1] }, 'LDM 6 then independent ALU');
  // LDM registers must be available before it starts [C]: r1 (LDR, ready 3) -> LDM at 1 waits 2 -> [1, 3]
  expectTiming(t, arm('ldr r1,[r2]\nldmia r0,{r1,r3}'), { costs: [1, 3] }, 'LDM over a pending load');
  // ...and so must STM's: r1 ready 3 -> [1, 3]; a fresh ALU result (ready 1) costs nothing
  expectTiming(t, arm('ldr r1,[r2]\nstmia r0,{r1,r4}'), { costs: [1, 3] }, 'STM of a pending load');
  expectTiming(t, arm('add r1,r2,r3\nstmia r0,{r1,r2}'), { costs: [1, 1] }, 'STM of a fresh ALU result');
  // The base is an Early Reg: ADD r0 ready 1, +1 -> 2: LDM at 1 waits 1 -> [1, 2]
  expectTiming(t, arm('add r0,r1,r2\nldmia r0,{r3,r4}'), { costs: [1, 2] }, 'LDM with a fresh base');
});

t.test('multiplies (1176 Table 16-10)', async (t) => {
  // MUL (2) latency 4: ADD at 2 waits 2 -> [2, 3]
  expectTiming(t, arm('mul r0,r1,r2\nadd r3,r0,#1'), { costs: [2, 3] }, 'MUL then use');
  // MLA's accumulator is a Late Reg: ready 4 - 1 = 3; MLA at 2 waits 1 -> [2, 3]
  expectTiming(t, arm('mul r0,r1,r2\nmla r3,r4,r5,r0'), { costs: [2, 3] }, 'MUL then MLA accumulator');
  // Multiply operands are Early: 4 + 1 = 5; MUL at 2 waits 3 -> [2, 5]
  expectTiming(t, arm('mul r0,r1,r2\nmul r3,r0,r5'), { costs: [2, 5] }, 'MUL then MUL operand');
  // S forms take extra issue cycles: MULS 5, SMULLS 6
  expectTiming(t, arm('muls r0,r1,r2\nsmulls r3,r4,r5,r6'), { costs: [5, 6] }, 'MULS, SMULLS');
  // UMULL (3): RdLo latency 4 -> ADD at 3 waits 1; RdHi latency 5 -> waits 2
  expectTiming(t, arm('umull r0,r1,r2,r3\nadd r4,r0,#1'), { costs: [3, 2] }, 'UMULL RdLo');
  expectTiming(t, arm('umull r0,r1,r2,r3\nadd r4,r1,#1'), { costs: [3, 3] }, 'UMULL RdHi');
  // SMLAL chained: RdLo is Late (4 - 1 = 3), RdHi normal (5): the second at 3 waits 2 -> [3, 5]
  expectTiming(t, arm('smlal r0,r1,r2,r3\nsmlal r0,r1,r4,r5'), { costs: [3, 5] }, 'SMLAL chain');
  // SMULBB (1) latency 3: ADD at 1 waits 2 -> [1, 3]
  expectTiming(t, arm('smulbb r0,r1,r2\nadd r3,r0,#1'), { costs: [1, 3] }, 'SMULBB then use');
  // SMLABB has no Late accumulator: the second at 1 waits for 3 -> [1, 3]
  expectTiming(t, arm('smlabb r0,r1,r2,r3\nsmlabb r4,r5,r6,r0'), { costs: [1, 3] }, 'SMLABB chain');
  // SMLALD (2): RdHi is Late (4 - 1 = 3), RdLo normal (3): the second at 2 waits 1 -> [2, 3]
  expectTiming(t, arm('smlald r0,r1,r2,r3\nsmlald r0,r1,r4,r5'), { costs: [2, 3] }, 'SMLALD chain');
  // SMLALBB (2), SMMUL (2), UMAAL (3), SMUAD (1), SMLAWB (1): independent
  expectTiming(t, arm('smlalbb r0,r1,r2,r3\nsmmul r4,r5,r6\numaal r7,r8,r9,r10\nsmuad r11,r12,r2\nsmlawb r3,r5,r6,r9'), { costs: [2, 2, 3, 1, 1] }, 'other forms');
});

t.test('branches: static prediction for conditional branches (1176 Table 16-11)', async (t) => {
  // Unconditional B/BL/BLX imm: costed as dynamically predicted, not folded: 1, taken or not -> delta 0
  expectTiming(t, arm('b .+0x40'), { costs: [1] }, 'B');
  expectTiming(t, arm('bl .+0x40'), { costs: [1], call: true }, 'BL');
  expectTiming(t, arm('blx .+0x40'), { costs: [1], call: true }, 'BLX imm');
  // Backward BNE right after SUBS (distance 0): predicted taken. Not taken = mispredicted MAX(7-0,5) = 7;
  // taken = correct 4 -> delta 4 - 7 = -3
  expectTiming(t, arm('subs r0,r0,#1\nbne .-4'), { costs: [1, 7], takenDelta: -3 }, 'loop branch, adjacent flags');
  // One cycle between the flag setter and the branch: MAX(7-1,5) = 6 -> delta 4 - 6 = -2
  expectTiming(t, arm('subs r0,r0,#1\nadd r1,r1,#1\nbne .-8'), { costs: [1, 1, 6], takenDelta: -2 }, 'loop branch, distance 1');
  // Two cycles: MAX(7-2,5) = 5 -> delta -1
  expectTiming(t, arm('subs r0,r0,#1\nadd r1,r1,#1\nadd r2,r2,#1\nbne .-12'), { costs: [1, 1, 1, 5], takenDelta: -1 }, 'loop branch, distance 2');
  // Flags set before the block: MinCycles 5 -> not taken 5, taken 4 -> delta -1
  expectTiming(t, arm('bne .-0x40'), { costs: [5], takenDelta: -1 }, 'backward branch alone');
  // Forward BEQ after CMP: predicted not taken (1); taken = mispredicted 7 -> delta 6
  expectTiming(t, arm('cmp r0,#0\nbeq .+0x40'), { costs: [1, 1], takenDelta: 6 }, 'forward branch');
  // Forward alone: 1 / 5 -> delta 4
  expectTiming(t, arm('beq .+0x40'), { costs: [1], takenDelta: 4 }, 'forward branch alone');
  // A conditional BL is statically predicted too (forward): 1 / 5; it is a call
  expectTiming(t, arm('blne .+0x40'), { costs: [1], takenDelta: 4, call: true }, 'BLNE');
});

t.test('register branches and the return stack', async (t) => {
  // BX lr: 4 correct / 7 wrong / 5 empty [C] relative to its 1 cycle; takenDelta = the empty-stack case
  expectTiming(t, arm('bx lr'), { costs: [1], takenDelta: 4, ret: { correct: 3, wrong: 6, empty: 4 } }, 'BX lr');
  // BX to another register is not predicted: 5 (unconditional: MinCycles) -> delta 4, no ret
  expectTiming(t, arm('bx r3'), { costs: [1], takenDelta: 4 }, 'BX r3');
  // BLX reg pushes the return stack; not predicted: 1 + 4
  expectTiming(t, arm('blx r3'), { costs: [1], takenDelta: 4, call: true }, 'BLX r3');
  // BXEQ lr right after CMP: a conditional return: 1 if not taken, MAX(7-0,5) = 7 taken -> 6 for every outcome
  expectTiming(t, arm('cmp r0,#0\nbxeq lr'), { costs: [1, 1], takenDelta: 6, ret: { correct: 6, wrong: 6, empty: 6 } }, 'BXEQ lr');
  // BXNE r3 after CMP: 1 / 7 [C "BX<cond> reg: 1 / 5-7"]
  expectTiming(t, arm('cmp r0,#0\nbxne r3'), { costs: [1, 1], takenDelta: 6 }, 'BXNE r3');
  // LDR r3 then BX r3: r3 ready at 3, BX at 1 waits 2 -> 1 + 2 = 3; then the unpredicted 5
  expectTiming(t, arm('ldr r3,[r0]\nbx r3'), { costs: [1, 3], takenDelta: 4 }, 'LDR then BX of it');
});

t.test('SWP, exclusives, status registers, coprocessors, exceptions', async (t) => {
  // SWP (2) latency 3 [C Table 16-21]: ADD at 2 waits 1
  expectTiming(t, arm('swp r0,r1,[r2]\nadd r3,r0,#1'), { costs: [2, 2] }, 'SWP then use');
  // SWP keeps the LSU for its 2 memory cycles: an LDR at 2 does not wait
  expectTiming(t, arm('swpb r0,r1,[r2]\nldr r4,[r5]'), { costs: [2, 1] }, 'SWPB then LDR');
  // LDREX (1) latency 3: ADD at 1 waits 2; STREX (1) status latency 3: CMP at 1 waits 2
  expectTiming(t, arm('ldrex r0,[r1]\nadd r2,r0,#1'), { costs: [1, 3] }, 'LDREX then use');
  expectTiming(t, arm('strex r2,r0,[r1]\ncmp r2,#0'), { costs: [1, 3] }, 'STREX then test');
  // CLREX, NOP, WFI, YIELD: 1 each
  expectTiming(t, arm('clrex\nnop\nwfi\nyield'), { costs: [1, 1, 1, 1] }, 'hints');
  // MRS (1) latency 2 [U]: ORR at 1 waits 1; MSR flags (1) [U]; MSR control (4) [U]; CPSID (4) [U]
  expectTiming(t, arm('mrs r0,cpsr\norr r0,r0,#0x80\nmsr cpsr_f,r0\nmsr cpsr_c,r0\ncpsid i'), { costs: [1, 2, 1, 4, 4] }, 'MRS, MSR, CPS');
  // MCR (2) [U]; MRC (1) latency 3 [U]: ORR at 3 (MCR 0-1, MRC 2) waits until 5 -> 3
  expectTiming(t, arm('mcr p15,0,r0,c7,c10,4\nmrc p15,0,r0,c1,c0,0\norr r0,r0,#1'), { costs: [2, 1, 3] }, 'MCR, MRC then use');
  // CDP (1) [U], LDC (2) [U]
  expectTiming(t, arm('cdp p5,0,c1,c2,c3,0\nldc p5,c1,[r0]'), { costs: [1, 2] }, 'CDP, LDC');
  // SWI: 1; the entry is exceptionEntry, charged by the caller
  expectTiming(t, arm('swi 0'), { costs: [1] }, 'SWI');
});

t.test('Thumb instructions are timed as their ARM equivalents', async (t) => {
  // LDR latency 3: ADD at 1 waits 2
  expectTiming(t, thumb('ldr r0,[r1]\nadd r0,#1'), { costs: [1, 3] }, 'LDR then use');
  // LSL #2 = MOVS imm-shift: Rm is Early: ADD r1 ready 1 + 1 = 2 -> LSL at 1 waits 1
  expectTiming(t, thumb('add r1,r2,r3\nlsl r0,r1,#2'), { costs: [1, 2] }, 'shift of a fresh result');
  // MUL = MULS: 5 [C]
  expectTiming(t, thumb('mul r0,r1'), { costs: [5] }, 'MUL');
  // BL pair: prefix (1) + dynamically predicted BL (1) = 2, delta 0 [U for the prefix]; a call
  expectTiming(t, thumb('bl .+0x40'), { costs: [2], call: true }, 'BL pair');
  // POP {r4,pc} = LDMIA sp!,{r4,pc}: 4/9/9 -> 3/8/8
  expectTiming(t, thumb('pop {r4,pc}'), { costs: [1], takenDelta: 8, ret: { correct: 3, wrong: 8, empty: 8 } }, 'POP with PC');
  // BX lr and MOV pc,lr: returns, 4/7/5 -> 3/6/4
  expectTiming(t, thumb('bx lr'), { costs: [1], takenDelta: 4, ret: { correct: 3, wrong: 6, empty: 4 } }, 'BX lr');
  expectTiming(t, thumb('mov pc,lr'), { costs: [1], takenDelta: 4, ret: { correct: 3, wrong: 6, empty: 4 } }, 'MOV pc,lr');
  // BLX r3: a call, not predicted: 1 + 4
  expectTiming(t, thumb('blx r3'), { costs: [1], takenDelta: 4, call: true }, 'BLX r3');
  // SUB sets the flags; backward BNE adjacent: not taken 7, taken 4 -> delta -3
  expectTiming(t, thumb('sub r0,#1\nbne .-2'), { costs: [1, 7], takenDelta: -3 }, 'Thumb loop branch');
  // Unconditional B: 1, delta 0
  expectTiming(t, thumb('b .+0x40'), { costs: [1] }, 'B');
  // PUSH (1 issue; the LSU moves 2 registers a cycle underneath); REV (1); SXTH (1)
  expectTiming(t, thumb('push {r4-r7,lr}\nrev r0,r1\nsxth r2,r3'), { costs: [1, 1, 1] }, 'PUSH, REV, SXTH');
});
