// Two address spaces run different code at the same virtual address (as two guests will): the block cost
// cache must never serve one space's costs to the other. Unicorn keeps both translations (QEMU keys them by
// physical address) and translates nothing anew when the first space comes back, so only the address-space
// tag tells the cost cache which code runs.
import t from 'tap';
import { Cpu } from '../../src/cpu/cpu.ts';
import { timingModel } from '../../src/timing/block-cost.ts';
import { assemble } from '../helpers/asm.ts';

const TABLE_A = 0x10_0000;
const TABLE_B = 0x10_4000;
const CODE_VA = 0x20_0000;
const CODE_A = 0x30_0000;
const CODE_B = 0x40_0000;
const SECTION = 0xc02; // section, AP=11, domain 0

function word(n: number): Uint8Array {
  return Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
}

function machine(kind: 'native' | 'js'): Cpu {
  const timing = timingModel('arm926');
  const cpu = new Cpu({ model: 'arm926', coster: (b) => timing.block(b), blockClock: kind });
  cpu.mapRam(0, 16 << 20);
  for (const [table, code] of [[TABLE_A, CODE_A], [TABLE_B, CODE_B]]) {
    for (let mb = 0; mb < 16; mb++) cpu.writeMemory(table + mb * 4, word(((mb << 20) | SECTION) >>> 0)); // identity
    cpu.writeMemory(table + (CODE_VA >>> 20) * 4, word((code | SECTION) >>> 0));
  }
  // A: cheap moves. B: multiplies, which cost more on the ARM926. Both end in SVC.
  cpu.writeMemory(CODE_A, assemble('mov r0, #1\nmov r1, #2\nmov r2, #3\nmov r3, #4\nsvc #0', CODE_VA));
  cpu.writeMemory(CODE_B, assemble('mul r0, r1, r2\nmul r1, r2, r3\nmul r2, r3, r0\nmul r3, r0, r1\nsvc #0', CODE_VA));
  cpu.setCp15(3, 0, 0, 0, 0x3); // DACR: domain 0 manager
  cpu.setCp15(2, 0, 0, 0, TABLE_A);
  cpu.setCp15(1, 0, 0, 0, cpu.cp15(1, 0, 0, 0) | 1); // MMU on
  return cpu;
}

/** Runs the code at CODE_VA under `table` in address space `space` (undefined: leave the tag alone). */
function runIn(cpu: Cpu, table: number, space: number | undefined): number {
  cpu.setCp15(2, 0, 0, 0, table);
  cpu.setCp15(8, 7, 0, 0, 0); // TLBIALL
  if (space !== undefined) cpu.setAddressSpace(space);
  cpu.setReg(15, CODE_VA);
  const before = cpu.clock.cycles;
  t.equal(cpu.run(Number.MAX_SAFE_INTEGER).kind, 'exception');
  return cpu.clock.cycles - before;
}

for (const kind of ['native', 'js'] as const) {
  t.test(`${kind} block clock: each address space keeps its own block costs`, async (t) => {
    const cpu = machine(kind);
    const a = runIn(cpu, TABLE_A, 0);
    const b = runIn(cpu, TABLE_B, 1);
    t.ok(b > a, `the multiplies cost more (${b} > ${a} cycles): the two codes are told apart`);
    t.equal(runIn(cpu, TABLE_A, 0), a, 'back in space 0: space 0 code costs what it did');
    t.equal(runIn(cpu, TABLE_B, 1), b, 'back in space 1: space 1 code costs what it did');
    cpu.close();
  });

  t.test(`${kind} block clock: the failure the tag prevents (same tag for both spaces)`, async (t) => {
    const cpu = machine(kind);
    const a = runIn(cpu, TABLE_A, undefined);
    // Unicorn translates B's code anew, but nothing tells the cost cache (the block-generated hook sees
    // only chained edges, and this entry is not one): B's multiplies would be charged as A's moves.
    t.equal(runIn(cpu, TABLE_B, undefined), a, 'untagged, the second space is charged the first space\'s costs');
    cpu.close();
  });
}

t.test('address space numbers are checked', async (t) => {
  const cpu = machine('native');
  t.throws(() => cpu.setAddressSpace(-1));
  t.throws(() => cpu.setAddressSpace(0x10000));
  t.throws(() => cpu.setAddressSpace(1.5));
  cpu.close();
});

t.test('a trace capture decodes each instruction with the code of its own address space', async (t) => {
  // A's SVC is the last instruction before the switch: its record must be closed (and decoded) in space
  // 0, with A's registers. B's block is shorter, so A's SVC address holds no instruction of B's.
  const cpu = machine('native');
  cpu.writeMemory(CODE_B, assemble('mul r0, r1, r2\nsvc #0', CODE_VA));
  const records: { pc: number; insn: number; r0?: number }[] = [];
  cpu.startTrace({}, {
    insn: (_i, _cycle, pc, insn, _thumb, _mode, mask, values) => records.push({ pc, insn, ...(mask & 1 ? { r0: values[0] } : {}) }),
    mem: () => {},
  });
  runIn(cpu, TABLE_A, 0);
  cpu.setReg(0, 0x1234); // what the code that handles A's SVC leaves in A's r0 before the switch
  runIn(cpu, TABLE_B, 1);
  cpu.setAddressSpace(0); // closes B's SVC the same way
  cpu.stopTrace();
  const a = assemble('mov r0, #1\nmov r1, #2\nmov r2, #3\nmov r3, #4\nsvc #0', CODE_VA);
  const b = assemble('mul r0, r1, r2\nsvc #0', CODE_VA);
  const word = (bytes: Uint8Array, k: number) => new DataView(bytes.buffer, bytes.byteOffset).getUint32(k * 4, true);
  t.strictSame(
    records.map((r) => [r.pc, r.insn]),
    [...[0, 1, 2, 3, 4].map((k) => [CODE_VA + 4 * k, word(a, k)]), ...[0, 1].map((k) => [CODE_VA + 4 * k, word(b, k)])],
    'A\'s five instructions with A\'s encodings, then B\'s two with B\'s',
  );
  t.equal(records[4]!.r0, 0x1234, 'A\'s SVC record has A\'s registers as they were at the switch');
  t.equal(records[5]!.r0, 2 * 3, 'B\'s multiply: r0 = r1 * r2 (r1, r2 as A left them)');
  cpu.close();
});
