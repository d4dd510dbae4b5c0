// The trace options of `handset boot` and the `handset trace` commands as a user runs them.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'handset-cli-trace-'));

function handset(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/handset.js', ...args], { encoding: 'latin1', input: '' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

t.test('boot --trace, trace show, and a clean diff against the same run', async (t) => {
  const a = join(dir, 'a.trace');
  const b = join(dir, 'b.trace');
  t.equal(handset('boot', 'firmware/hello.elf', '--trace', a).status, 0);
  t.equal(handset('boot', 'firmware/hello.elf', '--trace', b).status, 0);
  const show = handset('trace', 'show', a, '--from', '1', '--count', '1');
  t.match(show.stdout, /^\s+1\s+1\s+00000004\s+eb000008\s+bl #0x2c\s+r14=00000008\n$/);
  const json = handset('trace', 'show', a, '--count', '2', '--json').stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.same(json[1], { i: 1, cycle: 1, pc: 4, insn: 0xeb000008, thumb: false, mode: 0x13, asm: 'bl #0x2c', regs: { r14: 8 } });
  const diff = handset('trace', 'diff', a, b);
  t.equal(diff.status, 0, diff.stdout + diff.stderr);
});

t.test('the same run traced to two different paths gives byte-identical files', async (t) => {
  // A trace's bytes depend only on the emulation's inputs: not on the output path, nor on how the
  // command line was spelled.
  mkdirSync(join(dir, 'elsewhere', 'deeper'), { recursive: true });
  const a = join(dir, 'same-run.trace');
  const b = join(dir, 'elsewhere', 'deeper', 'another-name.trace');
  t.equal(handset('boot', 'firmware/exceptions.elf', '--trace', a, '--timing', 'cycle').status, 0);
  t.equal(handset('boot', '--timing=cycle', `--trace=${b}`, 'firmware/exceptions.elf').status, 0);
  const bytes = readFileSync(a);
  t.ok(bytes.length > 1000, 'a real trace');
  t.ok(readFileSync(b).equals(bytes), 'identical bytes');
  t.notOk(bytes.includes(Buffer.from('same-run')), 'the output path is not in the file');
});

t.test('trace diff finds a divergence injected into the run at the right instruction', async (t) => {
  // Same program, but the second image stores a different value at instruction 3 (mov r1, #2 vs #1).
  const src = (n: number) => `.global _start\n_start: mov r0, #1\n mov r2, #5\n mov r1, #${n}\n add r3, r1, r2\n mov r0, #0x18\n ldr r1, =0x20026\n svc 0x123456\n`;
  for (const n of [1, 2]) {
    writeFileSync(join(dir, `p${n}.S`), src(n));
    spawnSync('arm-none-eabi-gcc', ['-march=armv5te', '-nostdlib', '-Wl,-Ttext=0x8000', '-Wl,--build-id=none', '-o', join(dir, `p${n}.elf`), join(dir, `p${n}.S`)]);
    handset('boot', join(dir, `p${n}.elf`), '--trace', join(dir, `p${n}.trace`));
  }
  const r = handset('trace', 'diff', join(dir, 'p1.trace'), join(dir, 'p2.trace'), '--context', '2');
  t.equal(r.status, 1);
  t.match(r.stdout, /first divergence at instruction 2/);
  t.match(r.stdout, /mov r1, #1/);
  t.match(r.stdout, /mov r1, #2/);
});

t.test('--timing cycle adds CPI to --stats', async (t) => {
  const r = handset('boot', 'firmware/hello.elf', '--timing', 'cycle', '--stats');
  t.equal(r.status, 0);
  t.match(r.stderr, /^instructions=226 cycles=(\d+) cpi=\d+\.\d{3} host_ms=\d+ mips=[\d.]+\n$/);
  const cycles = Number(/cycles=(\d+)/.exec(r.stderr)?.[1]);
  t.ok(cycles > 226, 'branches, interlocks and stores cost more than one cycle');
});

t.test('bad trace input: one line, exit 2', async (t) => {
  const junk = join(dir, 'junk.trace');
  writeFileSync(junk, 'this is not a trace');
  const cases: [string[], RegExp][] = [
    [['trace', 'show', junk], /junk\.trace: /],
    [['trace', 'show', join(dir, 'nope.trace')], /nope\.trace: /],
    [['trace', 'diff', junk, junk], /junk\.trace: /],
    [['boot', 'firmware/hello.elf', '--trace-from', '10'], /--trace-from needs --trace FILE/],
    [['boot', 'firmware/hello.elf', '--trace', join(dir, 'x.trace'), '--trace-from', 'soon'], /--trace-from soon: need an instruction index/],
    [['boot', 'firmware/hello.elf', '--trace', join(dir, 'x.trace'), '--trace-range', '0x100-0x10'], /END must be above BEGIN/],
    [['boot', 'firmware/hello.elf', '--timing', 'slow'], /Invalid values/],
  ];
  for (const [args, message] of cases) {
    const r = handset(...args);
    t.equal(r.status, 2, `${args.join(' ')}: exit 2`);
    t.match(r.stderr, message);
    t.equal(r.stderr.trimEnd().split('\n').length, 1, 'one line');
  }
});
