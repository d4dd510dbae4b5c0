// The CPU layer on hand-assembled code: exact instruction counts from the block clock (native and the
// TypeScript reference agree), deadlines at block boundaries, exceptions reported with the PC the
// architecture defines, and architectural exception entry.
import t from 'tap';
import { Cpu } from '../../src/cpu/cpu.ts';
import { CPSR, EXCP, Mode } from '../../src/cpu/arm.ts';
import { assemble } from '../helpers/asm.ts';

const ORIGIN = 0x8000;

function cpuWith(code: Uint8Array, blockClock: 'native' | 'js' = 'native', model: 'arm926' | 'arm1176' = 'arm926'): Cpu {
  const cpu = new Cpu({ model, blockClock });
  cpu.mapRam(0, 16 << 20);
  cpu.writeMemory(ORIGIN, code);
  cpu.setReg(15, ORIGIN);
  return cpu;
}

// A loop of 4 instructions run 1000 times, then SVC: 2 (setup) + 4*1000 + 1 (SVC) instructions retire.
const LOOP = assemble(`
  mov r0, #0
  ldr r1, =1000
1: add r0, r0, #3
  str r0, [sp, #-4]
  subs r1, r1, #1
  bne 1b
  svc #0x11
  .ltorg
`);

for (const kind of ['native', 'js'] as const) {
  t.test(`${kind} block clock counts every retired instruction`, async (t) => {
    const cpu = cpuWith(LOOP, kind);
    cpu.setReg(13, 0x10000);
    const stop = cpu.run(Number.MAX_SAFE_INTEGER);
    t.same(stop, { kind: 'exception', intno: EXCP.SWI, pc: ORIGIN + 7 * 4 }, 'SVC reported with PC after it');
    t.equal(cpu.clock.insns, 2 + 4 * 1000 + 1);
    t.equal(cpu.clock.cycles, cpu.clock.insns, 'fast timing: one cycle per instruction');
    t.equal(cpu.reg(0), 3000);
    cpu.close();
  });

  t.test(`${kind} block clock stops at the first block boundary at or after the deadline`, async (t) => {
    const cpu = cpuWith(LOOP, kind);
    cpu.setReg(13, 0x10000);
    // The first block is the 2 setup instructions plus the loop body (6 insns, ending in BNE); then the
    // loop body is a block of 4. A deadline of 7 is reached after the first two blocks (6 + 4 = 10).
    t.same(cpu.run(7), { kind: 'deadline' });
    t.equal(cpu.clock.insns, 10);
    t.equal(cpu.pc, ORIGIN + 8, 'stopped before the next loop iteration');
    t.same(cpu.run(10), { kind: 'deadline' }, 'a deadline already reached stops before any block runs');
    t.equal(cpu.clock.insns, 10);
    cpu.close();
  });
}

t.test('an instruction that raises an exception counts; what follows it in the block does not', async (t) => {
  // UDF at the third instruction: two run, the UDF raises the undefined instruction exception (and is
  // counted, as QEMU's execution log shows it), the two after it never run.
  const cpu = cpuWith(assemble(`mov r0, #1\nmov r1, #2\n.word 0xe7f000f0\nmov r2, #3\nmov r3, #4`));
  const stop = cpu.run(Number.MAX_SAFE_INTEGER);
  t.same(stop, { kind: 'exception', intno: EXCP.UDEF, pc: ORIGIN + 8 });
  t.equal(cpu.clock.insns, 3);
  cpu.close();
});

t.test('exception entry sets mode, SPSR, banked LR, masks and the vector', async (t) => {
  const cpu = cpuWith(assemble('nop'));
  cpu.cpsr = Mode.SYS | CPSR.Z; // interrupts enabled, ARM state
  cpu.setReg(14, 0x1234);
  cpu.takeException('irq', 0x8004);
  t.equal(cpu.cpsr & CPSR.MODE_MASK, Mode.IRQ);
  t.ok(cpu.cpsr & CPSR.I, 'IRQs masked');
  t.notOk(cpu.cpsr & CPSR.F, 'FIQs untouched by IRQ entry');
  t.equal(cpu.spsr, (Mode.SYS | CPSR.Z) >>> 0, 'SPSR_irq holds the old CPSR');
  t.equal(cpu.reg(14), 0x8008, 'LR_irq = next instruction + 4');
  t.equal(cpu.pc, 0x18, 'IRQ vector, low vectors');
  cpu.cpsr = Mode.SYS | CPSR.Z;
  t.equal(cpu.reg(14), 0x1234, 'the SYS/USR LR was banked away, not overwritten');
  // High vectors (SCTLR.V) move the table to 0xFFFF0000; a data abort returns to the faulting insn + 8.
  cpu.setCp15(1, 0, 0, 0, cpu.cp15(1, 0, 0, 0) | (1 << 13));
  cpu.takeException('dataAbort', 0x8100);
  t.equal(cpu.pc, 0xffff0010);
  t.equal(cpu.reg(14), 0x8108);
  t.equal(cpu.cpsr & CPSR.MODE_MASK, Mode.ABT);
  cpu.close();
});

t.test('ARMv6 IRQ and abort entry mask asynchronous aborts; SWI entry leaves CPSR.A alone', async (t) => {
  const cpu = cpuWith(assemble('nop'), 'native', 'arm1176');
  cpu.cpsr = Mode.USR;
  cpu.takeException('swi', 0x8004);
  t.notOk(cpu.cpsr & CPSR.A, 'SWI: CPSR.A unchanged (ARM ARM v6 A2.6.4)');
  t.equal(cpu.reg(14), 0x8004, 'LR_svc = the instruction after the SVC');
  t.equal(cpu.pc, 0x08);
  cpu.cpsr = Mode.USR;
  cpu.takeException('irq', 0x8004);
  t.ok(cpu.cpsr & CPSR.A, 'IRQ: CPSR.A set');
  cpu.close();
});

t.test('Thumb blocks: a BL pair is one instruction, as QEMU translates it', async (t) => {
  // Thumb code: movs, bl (prefix + suffix = one insn), then at the target: svc. 3 instructions retire.
  const code = assemble(`.thumb\n.thumb_func\nentry: movs r0, #5\nbl 1f\nnop\n1: svc #0xab`, ORIGIN);
  const cpu = cpuWith(code);
  cpu.cpsr = Mode.SVC | CPSR.T | CPSR.I | CPSR.F;
  const stop = cpu.run(Number.MAX_SAFE_INTEGER);
  t.equal(stop.kind, 'exception');
  t.equal(cpu.clock.insns, 3);
  cpu.close();
});

t.test('an error thrown in a callback stops the CPU and is rethrown after uc_emu_start returns', async (t) => {
  // Loads from the MMIO page, whose read handler throws; then the run must not go on.
  const cpu = cpuWith(assemble('ldr r1, =0x20000000\nldr r2, [r1]\nmov r3, #7\nb .'));
  cpu.mapMmio(0x2000_0000, 0x1000, {
    read: () => {
      throw new Error('device exploded');
    },
    write: () => {},
  });
  t.throws(() => cpu.run(1_000_000), /device exploded/);
  t.equal(cpu.reg(3), 0, 'nothing after the faulting access ran');
  t.throws(() => cpu.run(1_000_000), /device exploded/, 'the next run retries the access: no stale error state');
  cpu.close();
});

// A coster that marks what the clock must do at block exits: every instruction 1 cycle; a block ending in
// a branch adds 10 when it is taken; BL pushes the return stack; BX LR pops it (+100 predicted, +1000
// mispredicted, +5000 empty).
const markingCoster = (block: import('../../src/cpu/decode.ts').DecodedBlock) => {
  const last = block.insns[block.insns.length - 1].encoding;
  const isBranch = (last & 0x0e000000) === 0x0a000000;
  const isBl = isBranch && (last & 0x01000000) !== 0;
  const isReturn = (last & 0x0fffffff) === 0x012fff1e;
  return {
    costs: block.insns.map(() => 1),
    takenDelta: isBranch && !isBl ? 10 : 0,
    call: isBl,
    ret: isReturn ? { correct: 100, wrong: 1000, empty: 5000 } : undefined,
  };
};

for (const kind of ['native', 'js'] as const) {
  t.test(`${kind} block clock: taken branches, calls and returns are charged at the next block`, async (t) => {
    // 3 loop iterations: BNE taken twice, falls through once. Then BL f / BX LR (predicted), then a
    // return with an empty stack (BX LR to a return address nobody pushed).
    const code = assemble(`
      mov r1, #3
    1: subs r1, r1, #1
      bne 1b
      bl f
      ldr lr, =g
      bx lr
    f: bx lr
    g: svc #0x11
      .ltorg
    `);
    const cpu = new Cpu({ model: 'arm926', blockClock: kind, coster: markingCoster });
    cpu.mapRam(0, 16 << 20);
    cpu.writeMemory(ORIGIN, code);
    cpu.setReg(15, ORIGIN);
    t.equal(cpu.run(Number.MAX_SAFE_INTEGER).kind, 'exception');
    // Instructions: mov, 3 x (subs, bne), bl, bx (in f), ldr, bx, svc = 1 + 6 + 1 + 1 + 1 + 1 + 1 = 12.
    t.equal(cpu.clock.insns, 12);
    // Extra: two taken BNE (+10 each), one predicted return (+100), one return with an empty stack (+5000).
    t.equal(cpu.clock.cycles, 12 + 20 + 100 + 5000);
    cpu.close();
  });
}
