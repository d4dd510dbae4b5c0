// The binary trace format: records come back exactly as written, across many chunks; records(from)
// reads only the chunks it needs; every kind of bad file is one TraceFileError line naming the file.
import t from 'tap';
import koffi from 'koffi';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TraceFileError } from '../../src/trace/format.ts';
import { openTrace } from '../../src/trace/reader.ts';
import { TraceWriter, type TraceWriterOptions } from '../../src/trace/writer.ts';
import type { TraceRecord } from '../../src/trace/records.ts';
import { expectedSlice, HEADER, instructionsOf, syntheticStream } from './synthetic.ts';

const dir = mkdtempSync(join(tmpdir(), 'handset-trace-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function writeTrace(name: string, records: TraceRecord[], options: TraceWriterOptions = { chunkInstructions: 100 }): string {
  const path = join(dir, name);
  const writer = new TraceWriter(path, HEADER, options);
  for (const r of records) {
    if (r.kind === 'insn') writer.writeInsn(r);
    else writer.writeEvent(r);
  }
  writer.close();
  return path;
}

const stream = syntheticStream({ instructions: 1000, seed: 7 });
const tracePath = writeTrace('stream.trace', stream);

t.test('round trip: every record, exactly as written, across chunks', async (t) => {
  const trace = openTrace(tracePath);
  t.strictSame(trace.header, { version: 3, ...HEADER });
  t.equal(trace.instructionCount, 1000);
  t.equal(trace.firstIndex, 0);
  t.strictSame([...trace.records()], stream);
  t.ok(stream.filter((r) => r.kind !== 'insn').length > 80, 'the stream has events of its own');
});

t.test('index gaps (an address-range filtered trace) and a trace that starts late', async (t) => {
  const gappy = syntheticStream({ instructions: 700, seed: 11, gaps: true });
  const path = writeTrace('gaps.trace', gappy, { chunkInstructions: 64 });
  const trace = openTrace(path);
  t.strictSame([...trace.records()], gappy);
  const insns = instructionsOf(gappy);
  t.ok(insns.at(-1)!.i > 800, 'indices skipped');
  for (const from of [0, insns[300]!.i, insns[300]!.i - 1, insns[64]!.i, insns.at(-1)!.i + 1]) {
    t.strictSame([...trace.records(from, 50)], expectedSlice(gappy, from, 50), `from ${from}`);
  }
  const late = gappy.filter((r) => r.i >= insns[100]!.i);
  const latePath = writeTrace('late.trace', late, { chunkInstructions: 64 });
  t.equal(openTrace(latePath).firstIndex, insns[100]!.i);
  t.strictSame([...openTrace(latePath).records()], late);
});

t.test('records(from, count) matches the same slice of the list', async (t) => {
  const trace = openTrace(tracePath);
  const cases: [number | undefined, number | undefined][] = [
    [undefined, undefined],
    [0, 1],
    [0, 150],
    [99, 2],
    [100, 100],
    [537, 10],
    [999, 5],
    [999, undefined],
    [1000, 5],
    [250, undefined],
  ];
  for (const [from, count] of cases) {
    t.strictSame([...trace.records(from, count)], expectedSlice(stream, from, count), `from ${from} count ${count}`);
  }
  t.equal([...trace.records(0, 1)].filter((r) => r.kind !== 'insn').length >= 2, true, 'the leading events come with instruction 0');
});

t.test('seeking decodes only the chunk holding the instruction', async (t) => {
  const bytes = new Uint8Array(readFileSync(tracePath));
  const headerLength = new DataView(bytes.buffer).getUint32(12, true);
  const firstChunk = 16 + headerLength;
  // Wreck the first chunk's compressed bytes: later chunks must still read.
  bytes.fill(0xff, firstChunk + 10, firstChunk + 60);
  const damaged = join(dir, 'damaged.trace');
  writeFileSync(damaged, bytes);
  const trace = openTrace(damaged);
  t.strictSame([...trace.records(537, 20)], expectedSlice(stream, 537, 20), 'instruction 537 is in chunk 5');
  t.throws(() => [...trace.records(0, 5)], new TraceFileError(damaged, 'corrupt trace: chunk 0 (instructions from 0) does not decompress'));
});

t.test('a chunk whose data changed fails its checksum', async (t) => {
  // Stored (level 0) blocks keep the data bytes as they are, so a flipped byte still inflates.
  const path = writeTrace('stored.trace', stream, { chunkInstructions: 100, compressionLevel: 0 });
  const bytes = new Uint8Array(readFileSync(path));
  const headerLength = new DataView(bytes.buffer).getUint32(12, true);
  bytes[16 + headerLength + 200]! ^= 0x01;
  writeFileSync(path, bytes);
  t.strictSame([...openTrace(path).records(900, 3)], expectedSlice(stream, 900, 3));
  t.throws(() => [...openTrace(path).records()], { message: `${path}: corrupt trace: chunk 0 (instructions from 0) checksum mismatch` });
});

t.test('empty and events-only traces', async (t) => {
  const empty = openTrace(writeTrace('empty.trace', []));
  t.equal(empty.instructionCount, 0);
  t.strictSame([...empty.records()], []);
  const eventsOnly = stream.filter((r) => r.kind !== 'insn').slice(0, 5).map((r) => ({ ...r, i: -1 }));
  t.strictSame([...openTrace(writeTrace('events.trace', eventsOnly)).records()], eventsOnly);
});

t.test('a file descriptor as the sink', async (t) => {
  const { openSync, closeSync } = await import('node:fs');
  const path = join(dir, 'fd.trace');
  const fd = openSync(path, 'w');
  const writer = new TraceWriter(fd, HEADER);
  for (const r of instructionsOf(stream).slice(0, 10)) writer.writeInsn(r);
  writer.close();
  closeSync(fd);
  t.strictSame([...openTrace(path).records()], instructionsOf(stream).slice(0, 10));
});

t.test('bad files: one line naming the file', async (t) => {
  const good = readFileSync(tracePath);
  const file = (name: string, bytes: Uint8Array | string): string => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };
  const expectError = (path: string, problem: RegExp, what: string) => {
    try {
      openTrace(path);
      t.fail(`${what}: opened`);
    } catch (e) {
      t.type(e, TraceFileError, what);
      const message = (e as Error).message;
      t.ok(message.startsWith(`${path}: `), `${what}: names the file`);
      t.notMatch(message, /\n/, `${what}: one line`);
      t.match(message, problem, what);
    }
  };
  expectError(file('empty', ''), /empty file/, 'empty file');
  expectError(file('text', 'Trace 0: 0x7f [00000400/00000000/00000020/ff000201]\n'), /not a handset trace file/, 'a text file');
  expectError('firmware/hello.elf', /not a handset trace file/, 'an ELF file');
  expectError(join(dir, 'missing.trace'), /no such file/, 'a missing file');
  mkdirSync(join(dir, 'a-directory'));
  expectError(join(dir, 'a-directory'), /not a regular file/, 'a directory');
  for (const length of [3, 8, 15, 20, 100, 600, Math.floor(good.length / 2), good.length - 41, good.length - 24, good.length - 1]) {
    expectError(file(`cut-${length}`, good.subarray(0, length)), /truncated/, `truncated to ${length} bytes`);
  }
  const newer = Buffer.from(good);
  newer.writeUInt16LE(4, 8);
  expectError(file('newer', newer), /format version 4 is newer than this handset reads \(3\)/, 'a newer version');
  const badMagic = Buffer.from(good);
  badMagic[1] = 0x58;
  expectError(file('bad-magic', badMagic), /not a handset trace file/, 'bad magic');
  const badHeader = Buffer.from(good);
  badHeader[16] = 0x5b; // '[' where '{' was
  expectError(file('bad-header', badHeader), /corrupt trace header/, 'bad header JSON');
  const badIndex = Buffer.from(good);
  badIndex[good.length - 24 - 30]! ^= 0x40;
  expectError(file('bad-index', badIndex), /chunk index checksum mismatch/, 'a damaged index');
  const badFooter = Buffer.from(good);
  badFooter.writeUInt32LE(7, good.length - 16);
  expectError(file('bad-footer', badFooter), /footer does not match/, 'a footer with the wrong chunk count');
});

t.test('a version 1 trace (its header held the command line) still reads, the command line dropped', async (t) => {
  // fixtures/hello-v1.trace is test/golden/hello.trace as format version 1 wrote it.
  const old = openTrace('test/trace/fixtures/hello-v1.trace');
  t.equal(old.header.version, 1);
  t.notOk('commandLine' in old.header, 'no command line in the header');
  const current = openTrace('test/golden/hello.trace');
  t.strictSame({ ...old.header, version: 2 }, current.header, 'the same header fields as the golden trace of the same run');
  t.strictSame([...old.records()], [...current.records()], 'the same records');
});

t.test('the writer refuses records out of order and bad register values', async (t) => {
  const writer = new TraceWriter(join(dir, 'refused.trace'), HEADER);
  const insn = instructionsOf(stream)[0]!;
  writer.writeInsn(insn);
  t.throws(() => writer.writeInsn(insn), RangeError, 'the same index twice');
  t.throws(() => writer.writeInsn({ ...insn, i: 1, regs: { r0: -1 } }), RangeError, 'a negative register value');
  t.throws(() => writer.writeInsn({ ...insn, i: 2, regs: { r0: 2 ** 32 } }), RangeError, 'a register value beyond 32 bits');
  writer.close();
});

t.test('a trace written to a path appears only when closed; abort leaves what was there', async (t) => {
  const { readdirSync } = await import('node:fs');
  const sub = join(dir, 'atomic');
  mkdirSync(sub);
  const path = join(sub, 'out.trace');
  writeFileSync(path, 'the earlier file');
  const insns = instructionsOf(stream).slice(0, 300);
  const writer = new TraceWriter(path, HEADER, { chunkInstructions: 50 });
  for (const r of insns) writer.writeInsn(r);
  t.equal(readFileSync(path, 'latin1'), 'the earlier file', 'untouched while the trace is written');
  t.strictSame(readdirSync(sub).sort(), ['.out.trace.' + process.pid + '.tmp', 'out.trace'], 'the trace goes to a temporary file beside it');
  writer.close();
  t.strictSame([...openTrace(path).records()], insns, 'close renames the whole trace over it');
  t.strictSame(readdirSync(sub), ['out.trace']);
  const aborted = new TraceWriter(path, HEADER, { chunkInstructions: 50 });
  for (const r of insns) aborted.writeInsn(r);
  aborted.abort();
  t.strictSame([...openTrace(path).records()], insns, 'abort keeps the file that was there');
  t.strictSame(readdirSync(sub), ['out.trace'], 'and removes the temporary file');
});

t.test('the first write failure is thrown by every later call, never a different error', async (t) => {
  const { openSync, closeSync, writeFileSync } = await import('node:fs');
  const fd = openSync(join(dir, 'failing.trace'), 'w');
  const writer = new TraceWriter(fd, HEADER, { chunkInstructions: 4 });
  // The header is written; now the descriptor number is given to a file opened for reading only, so every
  // later write fails with EBADF. dup2 does that in one step: closing it and opening the file would let a
  // thread of this process (a worker, libuv's pool) take the number in between.
  writeFileSync(join(dir, 'read-only'), '');
  const readOnly = openSync(join(dir, 'read-only'), 'r');
  const dup2 = koffi.load('libc.so.6').func('int dup2(int oldfd, int newfd)') as (from: number, to: number) => number;
  t.equal(dup2(readOnly, fd), fd, 'the writer\'s descriptor number is now the read-only file\'s');
  closeSync(readOnly);
  const insns = instructionsOf(stream);
  let failure: unknown;
  try {
    for (const r of insns.slice(0, 100)) writer.writeInsn(r);
  } catch (e) {
    failure = e;
  }
  t.match(failure, { message: `file descriptor ${fd}: cannot write (EBADF: bad file descriptor)` });
  // A caller that goes on (the recorder hands over records again) sees the same error, not a RangeError.
  t.throws(() => writer.writeInsn(insns[0]!), failure as Error);
  t.equal(thrownBy(() => writer.writeInsn(insns[0]!)), failure, 'the same error object');
  t.equal(thrownBy(() => writer.writeEvent({ kind: 'uart', port: 'uart0', direction: 'tx', byte: 65, i: 0, cycle: 0 })), failure);
  t.equal(thrownBy(() => writer.close()), failure, 'close throws it too');
  writer.abort();
  closeSync(fd);
});

t.test('a chunk the compression thread cannot compress is one line, not a hang', async (t) => {
  const { ChunkCompressor, CompressionError } = await import('../../src/trace/chunk-compressor.ts');
  const compressor = new ChunkCompressor(42); // zlib refuses the level: the worker's deflate throws
  const error = thrownBy(() => {
    compressor.submit(new Uint8Array(100));
    compressor.finish();
  });
  compressor.close();
  t.type(error, CompressionError);
  t.match((error as Error).message, /level/);
  t.notMatch((error as Error).message, /\n/, 'one line');
  t.throws(() => new TraceWriter(join(dir, 'level.trace'), HEADER, { compressionLevel: 42 }), RangeError, 'the writer checks the level itself');
});

t.test('the writer refuses a header the reader would refuse', async (t) => {
  t.throws(() => new TraceWriter(join(dir, 'z80.trace'), { ...HEADER, cpu: 'z80' }), { name: 'RangeError', message: /cpu "z80"/ });
  t.throws(() => new TraceWriter(join(dir, 'clock.trace'), { ...HEADER, clockHz: -1 }), { name: 'RangeError', message: /clockHz -1/ });
});

/** The error `run` throws (undefined when it throws nothing). */
function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (e) {
    return e;
  }
  return undefined;
}
