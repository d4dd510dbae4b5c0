// The `handset trace` commands through yargs, as the CLI registers them: import a real QEMU log of
// hello.elf, show it (text and JSON), diff it, and the errors the CLI turns into exit status 2.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { handsetTrace } from '../helpers/trace-cli.ts';
import { UsageError } from '../../src/cli/options.ts';
import { TraceFileError } from '../../src/trace/format.ts';
import { openTrace } from '../../src/trace/reader.ts';
import { TraceWriter } from '../../src/trace/writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'handset-cli-trace-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));


const log = join(dir, 'hello.log');
const capture = spawnSync('tools/qemu-trace', ['firmware/hello.elf', log], { encoding: 'latin1', timeout: 120_000 });
const imported = join(dir, 'hello.trace');

t.test('import-qemu writes a trace of the QEMU run', async (t) => {
  t.equal(capture.status, 0, capture.stderr);
  t.strictSame(handsetTrace('import-qemu', log, '--image', 'firmware/hello.elf', '-o', imported), { status: 0, out: '' });
  const trace = openTrace(imported);
  t.equal(trace.instructionCount, 226);
  t.match(trace.header, { version: 3, source: 'qemu', cpu: 'arm926', clockHz: 200_000_000, ramSize: 128 * 1024 * 1024, timing: 'fast' });
  t.match(trace.header.imageSha256, /^[0-9a-f]{64}$/);
});

t.test('show: text and JSON lines', async (t) => {
  const text = handsetTrace('show', imported, '--from', '1', '--count', '3');
  t.equal(text.status, 0);
  t.equal(
    text.out,
    [
      '       1          1  00000004  eb000008   bl #0x2c                        r14=00000008',
      '       2          2  0000002c  e59f011c   ldr r0, [pc, #0x11c]            r0=10009000',
      '       3          3  00000030  e59f111c   ldr r1, [pc, #0x11c]            r1=00000301',
      '',
    ].join('\n'),
  );
  const json = handsetTrace('show', imported, '--json', '--from', '225');
  t.equal(json.out, '{"i":225,"cycle":225,"pc":256,"insn":4010947670,"thumb":false,"mode":19,"asm":"svc #0x123456","regs":{}}\n');
  t.equal(handsetTrace('show', imported).out.split('\n').length, 227, 'the whole trace, a line per instruction');
});

t.test('diff: 0 when the same, 1 and the divergence when not', async (t) => {
  t.strictSame(handsetTrace('diff', imported, imported), { status: 0, out: 'same: 226 instructions\n' });
  const changed = join(dir, 'changed.trace');
  const trace = openTrace(imported);
  const writer = new TraceWriter(changed, trace.header);
  for (const rec of trace.records()) {
    if (rec.kind === 'insn') writer.writeInsn(rec.i === 9 ? { ...rec, regs: { r4: 0x15 } } : rec);
  }
  writer.close();
  const d = handsetTrace('diff', imported, changed, '--context', '2', '--arch-only');
  t.equal(d.status, 1);
  t.equal(
    d.out,
    [
      'first divergence at instruction 9: r4 00000014 (a) vs 00000015 (b)',
      `--- a: ${imported}`,
      '         7          7  0000000c  eb000010   bl #0x54                        r14=00000010',
      '         8          8  00000054  e92d4010   push {r4, lr}                   r13=0007fff8',
      '>        9          9  00000058  e1a04000   mov r4, r0                      r4=00000014',
      `--- b: ${changed}`,
      '         7          7  0000000c  eb000010   bl #0x54                        r14=00000010',
      '         8          8  00000054  e92d4010   push {r4, lr}                   r13=0007fff8',
      '>        9          9  00000058  e1a04000   mov r4, r0                      r4=00000015',
      '',
    ].join('\n'),
  );
});

/** The error `run` throws (a test failure when it throws nothing). */
function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (e) {
    return e;
  }
  return new Error('nothing thrown');
}

t.test('bad input throws the errors the CLI maps to exit 2', async (t) => {
  t.type(thrown(() => handsetTrace('show', 'firmware/hello.elf')), TraceFileError);
  t.type(thrown(() => handsetTrace('diff', imported, join(dir, 'missing.trace'))), TraceFileError);
  t.type(thrown(() => handsetTrace('show', imported, '--from', 'ten')), UsageError);
  t.type(thrown(() => handsetTrace('show', imported, '--count', '0')), UsageError);
  t.type(thrown(() => handsetTrace('diff', imported)), UsageError, 'a missing operand');
  t.type(thrown(() => handsetTrace('frobnicate')), UsageError);
  const garbage = join(dir, 'garbage.log');
  writeFileSync(garbage, 'not a log\n');
  const out = join(dir, 'garbage.trace');
  t.type(thrown(() => handsetTrace('import-qemu', garbage, '--image', 'firmware/hello.elf', '-o', out)), TraceFileError);
  t.notOk(existsSync(out), 'no half-written trace is left behind');
});
