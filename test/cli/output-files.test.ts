// Output files as a user meets them, through the real CLI in a child process (issue 7, defects 4 and 6):
// a write that fails part-way (a file size limit, as a full disk) is one line and exit 2, keeps the console
// output, and leaves no partial file and no temporary file behind; an output that is an input (or
// another output) is refused before anything is written, and an existing file is never destroyed.
import t from 'tap';
import type { Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openTrace } from '../../src/trace/reader.ts';

const HANDSET = resolve('dist/handset.js');
const STACK_TRACE = /at .*\(.*:\d+:\d+\)|node:internal/;
const root = mkdtempSync(join(tmpdir(), 'handset-output-files-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI as a user's shell does, with `ulimit -f` when `fileLimitKiB` is given. The wrapper does not
 * ignore SIGXFSZ: Node ignores it itself, so a write past the limit fails with EFBIG instead of killing
 * handset. NODE_OPTIONS is unset: tap puts its process-info hook there, and that hook's signal-exit
 * handler would catch SIGXFSZ and kill the process with it, which handset alone never does.
 */
function handset(args: string[], options: { fileLimitKiB?: number } = {}): Run {
  const limit = options.fileLimitKiB === undefined ? '' : `ulimit -f ${options.fileLimitKiB}; `;
  const r = spawnSync('bash', ['-c', `unset NODE_OPTIONS; ${limit}exec "$0" "$@"`, process.execPath, HANDSET, ...args], {
    encoding: 'latin1',
    input: '',
    timeout: 120_000,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Exit status 2 and exactly one line on stderr, never a stack trace. */
function expectOneLineError(t: Test, r: Run, line: string): void {
  t.equal(r.signal, null, 'not killed by a signal');
  t.equal(r.status, 2, 'exit status 2');
  t.notMatch(r.stderr, STACK_TRACE, 'no stack trace');
  t.equal(r.stderr, `handset: ${line}\n`, 'one line naming the file and the reason');
}

/** A fresh directory for one test. */
function workDir(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  return dir;
}

function listing(dir: string): string[] {
  return readdirSync(dir).sort();
}

/** A QEMU `-singlestep -d exec,cpu,nochain` log of `blocks` ARM instructions from 0 on (as tools/qemu-trace writes). */
function qemuLog(blocks: number): string {
  const hex = (v: number) => v.toString(16).padStart(8, '0');
  let text = '';
  for (let k = 0; k < blocks; k++) {
    const pc = k * 4;
    text += `Trace 0: 0x7f3248000100 [00000400/${hex(pc)}/00000020/ff000201] \n`;
    for (let row = 0; row < 4; row++) {
      text += [0, 1, 2, 3].map((col) => `R${String(row * 4 + col).padStart(2, '0')}=${hex(row * 4 + col === 15 ? pc : k)}`).join(' ') + '\n';
    }
    text += 'PSR=400001d3 -Z-- A svc32\n';
  }
  return text;
}

const fullRun = handset(['boot', 'firmware/newlib-demo.elf']);

t.test('a trace that hits the file size limit: one line, exit 2, the console kept, no file left', async (t) => {
  t.equal(fullRun.status, 3, 'newlib-demo exits 3 untraced');
  const dir = workDir('limit');
  const trace = join(dir, 'out.trace');
  // newlib-demo's trace is about 150 KB: it fails part-way through the run.
  const r = handset(['boot', 'firmware/newlib-demo.elf', '--trace', trace], { fileLimitKiB: 64 });
  expectOneLineError(t, r, `${trace}: cannot write (EFBIG: file too large)`);
  t.ok(r.stdout.length > 0 && fullRun.stdout.startsWith(r.stdout), 'stdout is what the firmware printed up to the failure, whole');
  t.strictSame(listing(dir), [], 'no trace file and no temporary file');

  // The same with a trace already there: it is untouched.
  writeFileSync(trace, 'the trace of an earlier run\n');
  const again = handset(['boot', 'firmware/newlib-demo.elf', '--trace', trace], { fileLimitKiB: 64 });
  expectOneLineError(t, again, `${trace}: cannot write (EFBIG: file too large)`);
  t.equal(readFileSync(trace, 'latin1'), 'the trace of an earlier run\n', 'the existing file is untouched');
  t.strictSame(listing(dir), ['out.trace'], 'no temporary file');
});

t.test('the limit hit while the emulator fills its capture buffer (a long block-heavy run)', async (t) => {
  const dir = workDir('limit-cpu-bound');
  const trace = join(dir, 'cpu.trace');
  const r = handset(['boot', 'firmware/cpu-bound.elf', '--max-insns', '3000000', '--trace', trace], { fileLimitKiB: 64 });
  expectOneLineError(t, r, `${trace}: cannot write (EFBIG: file too large)`);
  t.strictSame(listing(dir), [], 'no trace file and no temporary file');
});

t.test('a snapshot (--save) that hits the limit: one line, exit 2, nothing left', async (t) => {
  const dir = workDir('limit-save');
  const snapshot = join(dir, 'demo.snap');
  writeFileSync(snapshot, 'an older snapshot');
  const r = handset(['boot', 'firmware/newlib-demo.elf', '--save-at', '400000', '--save', snapshot], { fileLimitKiB: 16 });
  expectOneLineError(t, r, `${snapshot}: cannot write (EFBIG: file too large)`);
  t.equal(readFileSync(snapshot, 'latin1'), 'an older snapshot', 'the existing file is untouched');
  t.strictSame(listing(dir), ['demo.snap'], 'no temporary file');
});

t.test('import-qemu that cannot write: one line, exit 2, the existing output untouched', async (t) => {
  const dir = workDir('limit-import');
  const log = join(dir, 'run.log');
  writeFileSync(log, qemuLog(50));
  const out = join(dir, 'run.trace');
  writeFileSync(out, 'keep me');
  const r = handset(['trace', 'import-qemu', log, '--image', 'firmware/hello.elf', '-o', out], { fileLimitKiB: 0 });
  expectOneLineError(t, r, `${out}: cannot write (EFBIG: file too large)`);
  t.equal(readFileSync(out, 'latin1'), 'keep me');
  t.strictSame(listing(dir), ['run.log', 'run.trace'], 'no temporary file');
  // Without the limit the same import works, and replaces the file.
  t.equal(handset(['trace', 'import-qemu', log, '--image', 'firmware/hello.elf', '-o', out]).status, 0);
  t.equal(openTrace(out).instructionCount, 50);
  t.strictSame(listing(dir), ['run.log', 'run.trace']);
});

t.test('an output that is an input, or another output, is refused and nothing is touched', async (t) => {
  const dir = workDir('overlap');
  const image = join(dir, 'x.elf');
  copyFileSync('firmware/hello.elf', image);
  const imageBytes = readFileSync(image);
  symlinkSync('x.elf', join(dir, 'link.elf'));
  linkSync(image, join(dir, 'hard.elf'));
  const log = join(dir, 'L.log');
  writeFileSync(log, qemuLog(20));
  const logBytes = readFileSync(log);
  const before = listing(dir);
  const cases: [string[], string][] = [
    [['trace', 'import-qemu', log, '--image', image, '-o', log], `-o ${log}: the same file as the log ${log} (an input); choose another output file`],
    [['trace', 'import-qemu', log, '--image', image, '-o', join(dir, 'hard.elf')], `-o ${join(dir, 'hard.elf')}: the same file as --image ${image} (an input); choose another output file`],
    [['boot', image, '--trace', image], `--trace ${image}: the same file as the image ${image} (an input); choose another output file`],
    [['boot', image, '--trace', join(dir, 'link.elf')], `--trace ${join(dir, 'link.elf')}: the same file as the image ${image} (an input); choose another output file`],
    [['boot', image, '--trace', join(dir, 'hard.elf')], `--trace ${join(dir, 'hard.elf')}: the same file as the image ${image} (an input); choose another output file`],
    [['boot', image, '--save-at', '10', '--save', image], `--save ${image}: the same file as the image ${image} (an input); choose another output file`],
    [
      ['boot', image, '--trace', join(dir, 'out'), '--save-at', '10', '--save', `${dir}/./out`],
      `--save ${dir}/./out: the same file as --trace ${join(dir, 'out')} (another output); choose another output file`,
    ],
  ];
  for (const [args, line] of cases) {
    const r = handset(args);
    t.test(args.join(' '), async (t) => {
      expectOneLineError(t, r, line);
      t.equal(r.stdout, '', 'refused before the run');
    });
  }
  t.ok(readFileSync(image).equals(imageBytes), 'the image is untouched');
  t.ok(readFileSync(log).equals(logBytes), 'the log is untouched');
  t.strictSame(listing(dir), before, 'no file created or removed');
});

t.test('--restore S --save S is fine: the snapshot is read whole before the new one replaces it', async (t) => {
  const dir = workDir('restore-save');
  const snapshot = join(dir, 's.snap');
  t.equal(handset(['boot', 'firmware/newlib-demo.elf', '--save-at', '100000', '--save', snapshot]).status, 3);
  const first = readFileSync(snapshot);
  const r = handset(['boot', '--restore', snapshot, '--save-at', '300000', '--save', snapshot]);
  t.equal(r.status, 3, r.stderr);
  t.equal(r.stdout, fullRun.stdout.slice(fullRun.stdout.length - r.stdout.length), 'the restored run prints the rest of the output');
  t.notOk(readFileSync(snapshot).equals(first), 'a new snapshot replaced the old one');
  const resumed = handset(['boot', '--restore', snapshot]);
  t.equal(resumed.status, 3, 'and it restores');
  t.strictSame(listing(dir), ['s.snap'], 'no temporary file');
});

t.test('a failing import never removes the file that was there', async (t) => {
  const dir = workDir('failing-import');
  const bad = join(dir, 'bad.log');
  writeFileSync(bad, qemuLog(3) + 'this is not a QEMU line\n');
  const out = join(dir, 'out.trace');
  writeFileSync(out, 'precious');
  const r = handset(['trace', 'import-qemu', bad, '--image', 'firmware/hello.elf', '-o', out]);
  expectOneLineError(t, r, `${bad}: line 19: not a QEMU "-d exec,cpu" trace line`);
  t.equal(readFileSync(out, 'latin1'), 'precious');
  t.strictSame(listing(dir), ['bad.log', 'out.trace'], 'no temporary file');
});
