// First-divergence search: same traces, a divergence injected at a known index (found there, with the
// instructions before it from both sides), cycles and events ignored with archOnly, a shorter trace, and
// register states compared rather than change lists.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffTraces, divergenceText, type DiffResult, type Divergence } from '../../src/trace/diff.ts';
import { openTrace } from '../../src/trace/reader.ts';
import type { InsnRecord, TraceRecord } from '../../src/trace/records.ts';
import { TraceWriter } from '../../src/trace/writer.ts';
import { HEADER, instructionsOf, syntheticStream } from './synthetic.ts';

const dir = mkdtempSync(join(tmpdir(), 'handset-diff-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const stream = syntheticStream({ instructions: 1200, seed: 3 });
const insns = instructionsOf(stream);

function written(name: string, records: TraceRecord[]): Iterable<TraceRecord> {
  const path = join(dir, name);
  const writer = new TraceWriter(path, HEADER, { chunkInstructions: 128 });
  for (const r of records) {
    if (r.kind === 'insn') writer.writeInsn(r);
    else writer.writeEvent(r);
  }
  writer.close();
  return openTrace(path).records();
}

/** The stream with instruction `index` replaced by change(instruction). */
function changedAt(index: number, change: (rec: InsnRecord) => InsnRecord): TraceRecord[] {
  return stream.map((r) => (r.kind === 'insn' && r.i === index ? change(r) : r));
}

function divergence(result: DiffResult): Divergence {
  if (result.same) throw new Error('the traces compared the same');
  return result;
}

t.test('identical traces are the same', async (t) => {
  t.strictSame(diffTraces(written('a.trace', stream), written('b.trace', stream)), { same: true, instructions: 1200 });
  t.strictSame(diffTraces(stream, stream, { archOnly: true }), { same: true, instructions: 1200 });
});

t.test('a register divergence is found at its index, with the instructions before it', async (t) => {
  // r5 gets a value it never had: the state after instruction 537 differs, whatever 537 changed itself.
  const b = changedAt(537, (r) => ({ ...r, regs: { ...r.regs, r5: 0xdead0001 } }));
  const d = divergence(diffTraces(written('a.trace', stream), written('b.trace', b), { context: 4 }));
  t.equal(d.index, 537);
  t.equal(d.reason, 'registers');
  t.strictSame(d.registers.map((r) => r.name), ['r5']);
  t.equal(d.registers[0]!.b, 0xdead0001);
  t.strictSame(d.a, insns[537]);
  t.strictSame(d.context.a, insns.slice(533, 537));
  t.strictSame(d.context.b, insns.slice(533, 537));
  const text = divergenceText(d, { a: 'a.trace', b: 'b.trace' }, { a: () => 'nop', b: () => 'nop' });
  t.match(text[0], /^first divergence at instruction 537: r5 [0-9a-f]{8} \(a\) vs dead0001 \(b\)$/);
  t.equal(text.filter((l) => l.startsWith('>')).length, 2, 'one marked line per side');
  t.equal(text.length, 1 + 2 * (1 + 4 + 1));
});

t.test('a PC divergence, and the encoding and cycle only without archOnly', async (t) => {
  const pc = divergence(diffTraces(stream, changedAt(800, (r) => ({ ...r, pc: r.pc + 4 })), { archOnly: true }));
  t.equal(pc.index, 800);
  t.equal(pc.reason, 'pc');
  const encoding = changedAt(801, (r) => ({ ...r, insn: r.insn ^ 1 }));
  t.equal(divergence(diffTraces(stream, encoding)).reason, 'encoding');
  t.strictSame(diffTraces(stream, encoding, { archOnly: true }), { same: true, instructions: 1200 });
});

t.test('archOnly ignores cycles and events', async (t) => {
  const slower = stream.map((r) => (r.kind === 'insn' ? { ...r, cycle: r.cycle * 2 + 1 } : r));
  const d = divergence(diffTraces(stream, slower));
  t.equal(d.reason, 'cycle');
  t.equal(d.index, 0);
  const noEvents = stream.filter((r) => r.kind === 'insn');
  const e = divergence(diffTraces(stream, noEvents));
  t.equal(e.reason, 'events');
  t.equal(e.index, -1, 'the events before the first instruction differ first');
  t.strictSame(diffTraces(stream, slower, { archOnly: true }), { same: true, instructions: 1200 });
  t.strictSame(diffTraces(written('a.trace', stream), written('n.trace', noEvents), { archOnly: true }), { same: true, instructions: 1200 });
});

t.test('an event divergence after a known instruction', async (t) => {
  const at = stream.findIndex((r, k) => k > 600 && r.kind !== 'insn');
  const b = stream.filter((_, k) => k !== at);
  const d = divergence(diffTraces(stream, b));
  t.equal(d.reason, 'events');
  t.equal(d.index, stream[at]!.i);
  t.strictSame(d.a, insns.find((r) => r.i === stream[at]!.i));
  t.ok(d.events!.a.length === d.events!.b.length + 1);
});

t.test('a shorter trace diverges where it ends', async (t) => {
  const short = stream.filter((r) => r.i < 700);
  for (const [a, b, which] of [[stream, short, 'b'], [short, stream, 'a']] as const) {
    const d = divergence(diffTraces(written('a.trace', a), written('b.trace', b), { context: 2, archOnly: true }));
    t.equal(d.reason, 'length');
    t.equal(d.index, 700);
    t.equal(d[which], undefined, `${which} has no instruction 700`);
    t.strictSame(d.context.a, insns.slice(698, 700));
    t.match(divergenceText(d, { a: 'long', b: 'short' }, { a: () => '', b: () => '' })[0], /ends before it$/);
  }
});

t.test('register states are compared, not change lists; registers one side never gives are skipped', async (t) => {
  // Like a QEMU import: names unchanged registers as changed, and has no spsr and no r15.
  const regs = new Map<string, number>();
  const qemuLike = insns.map((r) => {
    const changes: InsnRecord['regs'] = { ...r.regs };
    delete changes.spsr;
    delete changes.r15;
    for (const [name, value] of Object.entries(changes)) regs.set(name, value);
    if (r.i % 3 === 0) changes.r2 = regs.get('r2')!; // "changed" to the value it had
    return { ...r, regs: changes };
  });
  t.strictSame(diffTraces(insns, qemuLike, { archOnly: true }), { same: true, instructions: 1200 });
  const d = divergence(diffTraces(insns, qemuLike.map((r) => (r.i === 901 ? { ...r, regs: { ...r.regs, r2: (regs.get('r2')! + 1) >>> 0 } } : r)), { archOnly: true }));
  t.equal(d.index, 901);
  t.strictSame(d.registers.map((r) => r.name), ['r2']);
});
