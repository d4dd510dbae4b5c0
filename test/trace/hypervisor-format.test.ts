// Trace format 3 for hypervisor runs: the header's partitions, the running partition in keyframes and
// world-switch records, the six hypervisor event records (every kind written and read back, rendered as
// text and JSON), the first record of a partition after a switch widened so that its records alone give
// its registers, the headers and records a reader refuses, and version 2 files still read.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import { disassembler } from '../../src/trace/disasm.ts';
import { TraceFileError } from '../../src/trace/format.ts';
import { openTrace } from '../../src/trace/reader.ts';
import { REG_NAMES, type EventRecord, type InsnRecord, type TraceRecord } from '../../src/trace/records.ts';
import { assemblyOf, recordJson, recordText } from '../../src/trace/show.ts';
import { TraceWriter, type TraceWriterOptions } from '../../src/trace/writer.ts';
import { HEADER, Lcg, syntheticStream } from './synthetic.ts';
import { allRegs, ev, expected, HV_HEADER, insn, vmOf, written } from './hypervisor-stream.ts';

const dir = mkdtempSync(join(tmpdir(), 'handset-hv-format-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function writeTrace(name: string, records: TraceRecord[], start: string | null, options: TraceWriterOptions = {}, header = HV_HEADER): string {
  const path = join(dir, name);
  const writer = new TraceWriter(path, header, options);
  if (header.hypervisor !== undefined) writer.startIn(start);
  for (const r of records) {
    if (r.kind === 'insn') writer.writeInsn(r);
    else writer.writeEvent(r);
  }
  writer.close();
  return path;
}

t.test('every hypervisor record kind round-trips, and each instruction carries its partition', async (t) => {
  for (const chunkInstructions of [4096, 3, 1]) {
    const trace = openTrace(writeTrace(`hand-${chunkInstructions}.trace`, written, 'work', { chunkInstructions }));
    t.strictSame(trace.header, { version: 3, ...HV_HEADER }, 'the header, partitions and config hash');
    t.strictSame([...trace.records()], expected, `chunks of ${chunkInstructions}`);
    // A read from the middle starts from that chunk's keyframe: the partition running there is in it.
    for (const from of [2, 3, 5, 6, 8]) {
      const first = [...trace.records(from, 1)].find((r) => r.kind === 'insn') as InsnRecord;
      t.equal(first.vm, vmOf[from], `chunks of ${chunkInstructions}: instruction ${from} is ${vmOf[from]}'s`);
    }
  }
});

t.test('the partition the trace starts in is the keyframe\'s: no record needed', async (t) => {
  const homeFirst = written.slice(5); // from home's instruction 2
  const trace = openTrace(writeTrace('starts-in-home.trace', homeFirst, 'home'));
  const insns = [...trace.records()].filter((r): r is InsnRecord => r.kind === 'insn');
  t.strictSame(insns.map((r) => [r.i, r.vm]), [[2, 'home'], [3, 'home'], [4, 'home'], [5, 'work'], [6, 'work'], [7, 'work'], [8, 'home']]);
  const idle = openTrace(writeTrace('starts-idle.trace', [ev(-1, { kind: 'worldSwitch', from: null, to: 'work' }), ...written], null));
  t.equal((([...idle.records()][1]) as InsnRecord).vm, 'work', 'after a switch from none');
  const none = openTrace(writeTrace('no-partition.trace', written.slice(0, 1), null));
  t.notOk('vm' in [...none.records()][0]!, 'an instruction while none runs (no handset trace has one) has no vm');
});

t.test('each partition\'s records alone give its registers (random switches, many chunks)', async (t) => {
  // A generated run: two partitions each with their own register file; the hypervisor switches at random
  // (sometimes to none), and on a switch may leave a value in the incoming partition's registers that
  // equals the outgoing one's (a WAIT result, say): the CPU's registers then do not change there, the
  // partition's do. Records are given as a recorder gives them: the registers that differ from the
  // previous instruction's, whoever ran it.
  const rng = new Lcg(2024);
  const names = ['work', 'home'];
  const own = names.map(() => Uint32Array.from(REG_NAMES, (_, k) => (k === 16 ? 0x10 : k === 15 ? 0 : rng.next())));
  const live = new Uint32Array(REG_NAMES.length);
  const records: TraceRecord[] = [];
  const truth: { vm: string; regs: Uint32Array }[] = [];
  let running = 0;
  let first = true;
  for (let i = 0; i < 3000; i++) {
    if (rng.below(25) === 0) {
      const next = rng.below(5) === 0 ? -1 : rng.below(2);
      records.push(ev(i - 1, { kind: 'worldSwitch', from: names[running] ?? null, to: names[next] ?? null }));
      if (next < 0) {
        const to = rng.below(2);
        records.push(ev(i - 1, { kind: 'worldSwitch', from: null, to: names[to]! }));
        running = to;
      } else {
        running = next;
      }
      if (rng.below(2) === 0) {
        const k = rng.below(15);
        own[running]![k] = live[k]!; // the hypervisor leaves the CPU's value in one of its registers
      }
    }
    const regs = own[running]!;
    for (let c = rng.below(4); c > 0; c--) {
      const k = rng.below(17);
      if (k !== 15) regs[k] = rng.below(3) === 0 ? own[1 - running]![k]! : rng.next();
    }
    const changes: InsnRecord['regs'] = {};
    REG_NAMES.forEach((name, k) => {
      if (first || (k !== 15 && regs[k] !== live[k])) changes[name] = regs[k]!;
    });
    first = false;
    live.set(regs);
    records.push(insn(i, 0x8000 + 4 * rng.below(64), rng.next(), changes));
    truth.push({ vm: names[running]!, regs: regs.slice() });
  }
  const trace = openTrace(writeTrace('random.trace', records, 'work', { chunkInstructions: 37 }));
  const read = [...trace.records()].filter((r): r is InsnRecord => r.kind === 'insn');
  t.equal(read.length, 3000);
  for (const vm of names) {
    const state = new Map<string, number>();
    let mismatches = 0;
    let checked = 0;
    read.forEach((r, k) => {
      if (r.vm !== truth[k]!.vm) mismatches++;
      if (r.vm !== vm) return;
      for (const [name, value] of Object.entries(r.regs)) state.set(name, value);
      REG_NAMES.forEach((name, n) => {
        if (n === 15) return;
        checked++;
        if (state.get(name) !== truth[k]!.regs[n]) mismatches++;
      });
    });
    t.equal(mismatches, 0, `${vm}: every instruction's partition, and its registers from its own records (${checked} compared)`);
  }
  const fields = (r: InsnRecord) => [r.i, r.cycle, r.pc, r.insn, r.thumb, r.mode];
  t.strictSame(read.map(fields), records.filter((r): r is InsnRecord => r.kind === 'insn').map(fields), 'index, cycle, pc and encoding as written');
});

t.test('text and JSON lines of the hypervisor records', async (t) => {
  const asm = assemblyOf({ version: 3, ...HV_HEADER }, disassembler());
  const virq = (bits: number) => recordText(ev(7, { kind: 'virq', guest: 'work', bits, via: 'upcall' }), asm).trim();
  t.equal(virq(0x18), '107  * virq work modem|policy', 'every vIRQ of docs/hypercalls.md by name');
  t.equal(virq(0x25), '107  * virq work timer|foreground|0x20', 'a bit without a name in hex');
  const lines = [...openTrace(writeTrace('show.trace', written, 'work')).records()].filter((r) => r.kind !== 'insn').map((r) => recordText(r, asm).trim());
  t.strictSame(lines, [
    '101  * hypercall work wait(0, 4194304, 0, 0) = 0',
    '101  * switch work -> home',
    '101  * mmio write timer01 Timer1Load (+0x000, 4 bytes) = 00002710',
    '104  * hypercall home yield(0, 2097152, 1, 0) = 0',
    '104  * switch home -> work',
    '104  * virq work timer|console (WAIT result)',
    '105  * fault work data abort at 0x40000000 (read) pc 0x0000a3a8 handled',
    '107  * button: home in front',
    '107  * hypercall work exit(10, 1073741824, 41896, 0) (does not return)',
    '107  * state work exited: exited with status 10',
    '107  * switch (none) -> home',
    '108  * hypercall home time_get(0, 2097152, 1, 0) = 4294967280',
    '108  * hypercall home console_write(0x00100000, 12, 0, 0) = 12',
    '108  * hypercall home console_write(0xfffffff0, 12, 0, 0) = -3',
    '108  * virq home timer|console',
    '108  * hypercall home unknown#99(0, 0, 0, 0) = -1',
    '108  * fault home undefined instruction at 0x00008010 pc 0x00008010 unhandled',
    '108  * fault home data abort at 0xc0001000 (write) pc 0x00008014 handled',
    '108  * state home ready: rebooted',
    '108  * switch home -> (none)',
  ]);
  t.equal(recordText(written[3] as EventRecord, asm, 'home').trim(), '101  * switch work -> home [in]', 'a --vm view marks the switch into it');
  t.equal(recordText(written[3] as EventRecord, asm, 'work').trim(), '101  * switch work -> home [out]', 'and out of it');
  const json = (r: TraceRecord) => recordJson(r, asm);
  t.equal(json(written[2]!), '{"event":"hypercall","i":1,"cycle":101,"guest":"work","number":3,"name":"wait","args":[0,4194304,0,0],"result":0}');
  t.equal(json(written[16]!), '{"event":"hypercall","i":7,"cycle":107,"guest":"work","number":10,"name":"exit","args":[10,1073741824,41896,0],"result":null}');
  t.equal(json(written[10]!), '{"event":"virq","i":4,"cycle":104,"guest":"work","bits":3,"via":"wait"}');
  t.equal(json(written[18]!), '{"event":"worldSwitch","i":7,"cycle":107,"from":null,"to":"home"}');
  t.equal(json(written[12]!), '{"event":"guestFault","i":5,"cycle":105,"guest":"work","fault":"dataAbort","address":1073741824,"pc":41896,"write":false,"handled":true}');
  t.equal(json(written[15]!), '{"event":"button","i":7,"cycle":107,"foreground":"home"}');
  t.equal(json(written[17]!), '{"event":"guestState","i":7,"cycle":107,"guest":"work","state":"exited","detail":"exited with status 10"}');
  t.equal(
    json(expected[6]!),
    '{"i":3,"cycle":103,"pc":32772,"insn":3818913792,"thumb":false,"mode":16,"asm":"mov r0, #0","regs":{"r0":0},"vm":"home"}',
    'an instruction of a hypervisor trace ends with its partition',
  );
});

t.test('the writer refuses a bad hypervisor event before writing any of it', async (t) => {
  const path = join(dir, 'refused.trace');
  const writer = new TraceWriter(path, HV_HEADER);
  writer.startIn('work');
  writer.writeInsn(written[0] as InsnRecord);
  const bad: [string, EventRecord][] = [
    ['an unknown guest', ev(0, { kind: 'virq', guest: 'play', bits: 1, via: 'upcall' })],
    ['no guest', ev(0, { kind: 'button', foreground: null as unknown as string })],
    ['three arguments', ev(0, { kind: 'hypercall', guest: 'work', number: 0, name: 'console_write', args: [1, 2, 3], result: 0 })],
    ['a negative argument', ev(0, { kind: 'hypercall', guest: 'work', number: 0, name: 'console_write', args: [-1, 2, 3, 4], result: 0 })],
    ['an address beyond 32 bits', ev(0, { kind: 'guestFault', guest: 'work', fault: 'dataAbort', address: 2 ** 32, pc: 0, write: false, handled: true })],
    ['a switch to a partition not in the header', ev(0, { kind: 'worldSwitch', from: 'work', to: 'attack' })],
  ];
  for (const [what, e] of bad) t.throws(() => writer.writeEvent(e), RangeError, what);
  t.throws(() => writer.startIn('home'), RangeError, 'startIn after a record');
  writer.writeInsn(written[1] as InsnRecord);
  writer.close();
  t.strictSame([...openTrace(path).records()], expected.slice(0, 2), 'the trace holds only the good records');
  const bare = new TraceWriter(join(dir, 'bare.trace'), HEADER);
  t.throws(() => bare.writeEvent(ev(-1, { kind: 'button', foreground: 'work' })), /a bare-metal trace has none/, 'a bare-metal trace has no partitions');
  bare.abort();
  t.throws(() => new TraceWriter(join(dir, 'x.trace'), { ...HV_HEADER, imageSha256: 'ab'.repeat(32) }), /imageSha256 .*empty in a hypervisor trace/);
  t.throws(() => new TraceWriter(join(dir, 'x.trace'), { ...HV_HEADER, source: 'qemu' }), /a hypervisor trace comes from handset/);
});

/**
 * A copy of a trace with its version, header JSON and chunk data rewritten (chunks inflated, changed,
 * deflated again; the index and footer follow): for files this handset's writer would not write.
 */
function rewrite(source: string, name: string, change: { version?: number; header?: (h: Record<string, unknown>) => unknown; chunk?: (data: Uint8Array) => Uint8Array }): string {
  const bytes = readFileSync(source);
  const headerLength = bytes.readUInt32LE(12);
  const header = JSON.parse(bytes.subarray(16, 16 + headerLength).toString('utf8')) as Record<string, unknown>;
  const json = Buffer.from(JSON.stringify(change.header ? change.header(header) : header));
  const indexOffset = Number(bytes.readBigUInt64LE(bytes.length - 24));
  const count = bytes.readUInt32LE(bytes.length - 16);
  const parts: Buffer[] = [];
  const top = Buffer.alloc(16);
  bytes.copy(top, 0, 0, 16);
  top.writeUInt16LE(change.version ?? bytes.readUInt16LE(8), 8);
  top.writeUInt32LE(json.length, 12);
  parts.push(top, json);
  let offset = 16 + json.length;
  const index = Buffer.alloc(count * 40);
  for (let k = 0; k < count; k++) {
    const e = indexOffset + k * 40;
    const stored = bytes.subarray(Number(bytes.readBigUInt64LE(e)), Number(bytes.readBigUInt64LE(e)) + bytes.readUInt32LE(e + 8));
    const data = (change.chunk ?? ((d) => d))(new Uint8Array(inflateRawSync(stored)));
    const packed = deflateRawSync(data);
    bytes.copy(index, k * 40, e, e + 40);
    index.writeBigUInt64LE(BigInt(offset), k * 40);
    index.writeUInt32LE(packed.length, k * 40 + 8);
    index.writeUInt32LE(data.length, k * 40 + 12);
    index.writeUInt32LE(crc32(data), k * 40 + 36);
    parts.push(packed);
    offset += packed.length;
  }
  const footer = Buffer.alloc(24);
  footer.writeBigUInt64LE(BigInt(offset), 0);
  footer.writeUInt32LE(count, 8);
  footer.writeUInt32LE(crc32(index), 12);
  Buffer.from('HSTR-END').copy(footer, 16);
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([...parts, index, footer]));
  return path;
}

/** Chunk data with the keyframe's partition byte (offset 93) cut out: a version 2 chunk. */
const withoutPartitionByte = (data: Uint8Array) => Uint8Array.from([...data.subarray(0, 93), ...data.subarray(94)]);

t.test('version 2 files still read: keyframes without a partition, the first five event kinds', async (t) => {
  const golden = openTrace('test/golden/hello.trace');
  t.equal(golden.header.version, 2, 'the golden traces are version 2 files');
  t.ok([...golden.records()].every((r) => !('vm' in r)), 'no partitions in them');
  const stream = syntheticStream({ instructions: 500, seed: 5 });
  const v3 = writeTrace('bare-v3.trace', stream, null, { chunkInstructions: 64 }, HEADER);
  const v2 = rewrite(v3, 'bare-v2.trace', { version: 2, chunk: withoutPartitionByte });
  t.equal(openTrace(v2).header.version, 2);
  t.strictSame([...openTrace(v2).records()], stream, 'the same records from a version 2 file');
  t.strictSame([...openTrace(v2).records(300, 10)], [...openTrace(v3).records(300, 10)], 'seeking too');
  // A version 3 record kind in a version 2 file is not one of its kinds.
  const switched = writeTrace('bare-switch.trace', [ev(-1, { kind: 'worldSwitch', from: null, to: null }), ...stream.slice(0, 5)], null, {}, HEADER);
  const old = rewrite(switched, 'v2-switch.trace', { version: 2, chunk: withoutPartitionByte });
  t.throws(() => [...openTrace(old).records()], new TraceFileError(old, 'corrupt trace: chunk 0 (instructions from 0): unknown event type 8'));
  // Nor is a hypervisor header.
  const hv = writeTrace('hv.trace', written, 'work');
  const hv2 = rewrite(hv, 'hv-v2.trace', { version: 2, chunk: withoutPartitionByte });
  t.throws(() => openTrace(hv2), new TraceFileError(hv2, 'corrupt trace header (unknown field "hypervisor")'));
});

t.test('hypervisor headers and partition references the reader refuses', async (t) => {
  const hv = writeTrace('refs.trace', written, 'work');
  const cases: [string, (h: Record<string, unknown>) => unknown, string][] = [
    ['no-hash', (h) => ({ ...h, hypervisor: { partitions: [{ name: 'work', imageSha256: '' }] } }), 'hypervisor: no configHash'],
    ['bad-hash', (h) => ({ ...h, hypervisor: { configHash: 'CD'.repeat(32), partitions: [{ name: 'work', imageSha256: '' }] } }), `hypervisor.configHash "${'CD'.repeat(18)}...: not 64 lower-case hex digits`],
    ['no-partitions', (h) => ({ ...h, hypervisor: { configHash: 'cd'.repeat(32), partitions: [] } }), 'hypervisor.partitions []: not a list of 1 to 4 partitions'],
    ['five', (h) => ({ ...h, hypervisor: { configHash: 'cd'.repeat(32), partitions: ['a', 'b', 'c', 'd', 'e'].map((name) => ({ name, imageSha256: '' })) } }), 'not a list of 1 to 4 partitions'],
    ['bad-name', (h) => ({ ...h, hypervisor: { configHash: 'cd'.repeat(32), partitions: [{ name: 'Work', imageSha256: '' }] } }), 'hypervisor.partitions[0].name "Work": not a partition name'],
    ['twice', (h) => ({ ...h, hypervisor: { configHash: 'cd'.repeat(32), partitions: [{ name: 'work', imageSha256: '' }, { name: 'work', imageSha256: '' }] } }), 'hypervisor.partitions[1].name "work": the name of another partition too'],
    ['extra', (h) => ({ ...h, hypervisor: { configHash: 'cd'.repeat(32), partitions: [{ name: 'work', imageSha256: '', ram: 4 }] } }), 'hypervisor.partitions[0]: unknown field "ram"'],
    ['image', (h) => ({ ...h, hypervisor: { configHash: 'cd'.repeat(32), partitions: [{ name: 'work', imageSha256: 'xyz' }] } }), 'hypervisor.partitions[0].imageSha256 "xyz": not 64 lower-case hex digits or empty'],
    ['not-object', (h) => ({ ...h, hypervisor: 'work,home' }), 'hypervisor: not a JSON object'],
  ];
  for (const [name, change, problem] of cases) {
    const path = rewrite(hv, `${name}.trace`, { header: change });
    t.throws(() => openTrace(path), { message: new RegExp(`^${escape(path)}: corrupt trace header \\(.*${escape(problem)}`) }, name);
  }
  // Only work in the header: home's records name a partition the file does not have.
  const onlyWork = rewrite(hv, 'only-work.trace', { header: (h) => ({ ...h, hypervisor: { configHash: 'cd'.repeat(32), partitions: [{ name: 'work', imageSha256: '' }] } }) });
  t.throws(() => [...openTrace(onlyWork).records()], new TraceFileError(onlyWork, 'corrupt trace: chunk 0 (instructions from 0): bad partition reference 2'));
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
