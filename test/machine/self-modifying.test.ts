// Self-modifying code: when the firmware rewrites an instruction that already ran, the rewritten block is
// costed and decoded again (cycle timing, trace encodings), with the native clock and its reference.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTrace } from '../../src/trace/reader.ts';
import type { InsnRecord } from '../../src/trace/records.ts';
import { traceRun } from '../helpers/trace-run.ts';

const dir = mkdtempSync(join(tmpdir(), 'handset-smc-'));
const src = join(dir, 'smc.S');
const elf = join(dir, 'smc.elf');
// `target` runs twice; between the calls its first instruction, mov r0, #1, is overwritten with
// mul r0, r1, r2 (encoding 0xe0000291).
writeFileSync(
  src,
  `.global _start
_start: mov r5, #2
loop:   bl target
        subs r5, r5, #1
        beq done
        ldr r1, =target
        ldr r2, =0xe0000291
        str r2, [r1]
        b loop
done:   mov r0, #0x18
        ldr r1, =0x20026
        svc 0x123456
        .ltorg
target: mov r0, #1
        add r3, r0, r0
        bx lr
`,
);
execFileSync('arm-none-eabi-gcc', ['-march=armv5te', '-nostdlib', '-Wl,-Ttext=0x8000', '-Wl,--build-id=none', '-o', elf, src]);

t.test('the rewritten block is decoded and costed again', async (t) => {
  const path = join(dir, 'smc.trace');
  const run = traceRun(elf, path, { timing: 'cycle' });
  t.equal(run.status, 0);
  const insns = [...openTrace(path).records()].filter((r): r is InsnRecord => r.kind === 'insn');
  const calls = insns.flatMap((r, k) => (r.pc === insns.find((x) => x.insn === 0xe3a00001)!.pc ? [k] : []));
  t.equal(calls.length, 2, 'target ran twice');
  const [first, second] = calls.map((k) => insns.slice(k, k + 3));
  t.equal(first[0].insn, 0xe3a00001, 'first call: mov r0, #1');
  t.equal(second[0].insn, 0xe0000291, 'second call: the trace shows the rewritten mul r0, r1, r2');
  // ARM926 (TIMING.md 1.2): MOV 1 cycle, then ADD 1. MUL 2 cycles, and ADD needs its result in its first
  // Execute cycle: +1 interlock, so ADD takes 2.
  t.equal(first[1].cycle - first[0].cycle, 1, 'mov: 1 cycle');
  t.equal(first[2].cycle - first[1].cycle, 1, 'add: 1 cycle');
  t.equal(second[1].cycle - second[0].cycle, 2, 'mul: 2 cycles');
  t.equal(second[2].cycle - second[1].cycle, 2, 'add after mul: 1 + 1 interlock');
});
