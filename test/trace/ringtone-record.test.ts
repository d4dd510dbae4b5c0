// The ringtone record of hypervisor traces (format 3, event type 12): written and read back in any
// chunking, its text and JSON lines, `--vm` (a partition's own ringtones only), the writer's refusals;
// then a recorded hypervisor run whose guests ring: the records are the machine's ringtone events, each
// after the SVC of the AUDIO call (or the exit) that caused it.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configHash, type HypervisorConfig } from '../../src/hypervisor/config.ts';
import { EVENT_CODES } from '../../src/trace/format.ts';
import { partitionView } from '../../src/trace/partitions.ts';
import { openTrace } from '../../src/trace/reader.ts';
import { Recorder } from '../../src/trace/recorder.ts';
import type { EventRecord, InsnRecord, TraceEvent, TraceRecord } from '../../src/trace/records.ts';
import { eventJson, eventText } from '../../src/trace/show.ts';
import { TraceWriter } from '../../src/trace/writer.ts';
import { hypervisorMachine, partition, rawGuest } from '../hypervisor/harness.ts';
import { HEADER } from './synthetic.ts';
import { allRegs, ev, HV_HEADER, insn } from './hypervisor-stream.ts';

const dir = mkdtempSync(join(tmpdir(), 'handset-ringtone-record-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const ring = (guest: string, ringtone: string, playing: boolean): TraceEvent => ({ kind: 'ringtone', guest, ringtone, playing });

// work rings, home rings too (a new string in the second chunk), work stops, home stops at its exit.
const written: TraceRecord[] = [
  insn(0, 0x8000, 0xef000000, { ...allRegs({ r0: 1, r7: 16, r13: 0x400000, cpsr: 0x10 }), r15: 0x8000 }),
  ev(0, ring('work', 'office', true)),
  ev(0, { kind: 'hypercall', guest: 'work', number: 16, name: 'audio', args: [1, 0, 0, 0], result: 0 }),
  ev(0, { kind: 'worldSwitch', from: 'work', to: 'home' }),
  insn(1, 0x8000, 0xef000000, {}),
  ev(1, ring('home', 'melody', true)),
  ev(1, ring('work', 'office', false)),
  insn(2, 0x8004, 0xef000000, { r0: 0, r7: 10 }),
  ev(2, ring('home', 'melody', false)),
  ev(2, { kind: 'guestState', guest: 'home', state: 'exited', detail: 'exited with status 0' }),
];
const expected = written.map((r) => (r.kind === 'insn' ? { ...r, vm: r.i === 0 ? 'work' : 'home', ...(r.i === 1 ? { regs: allRegs({ r0: 1, r7: 16, r13: 0x400000, cpsr: 0x10 }) } : {}) } : r));

function writeTrace(name: string, records: TraceRecord[], chunkInstructions = 4096): string {
  const path = join(dir, name);
  const writer = new TraceWriter(path, HV_HEADER, { chunkInstructions });
  writer.startIn('work');
  for (const r of records) {
    if (r.kind === 'insn') writer.writeInsn(r);
    else writer.writeEvent(r);
  }
  writer.close();
  return path;
}

t.test('ringtone records round-trip, in any chunking; type 12', async (t) => {
  t.equal(EVENT_CODES.ringtone, 12);
  for (const chunkInstructions of [4096, 2, 1]) {
    const trace = openTrace(writeTrace(`ring-${chunkInstructions}.trace`, written, chunkInstructions));
    t.equal(trace.header.version, 3, 'still format version 3');
    t.strictSame([...trace.records()], expected, `chunks of ${chunkInstructions}`);
  }
});

t.test('text and JSON lines', async (t) => {
  const [start, stop] = [expected[1] as EventRecord, expected[6] as EventRecord];
  t.equal(eventText(start), `${' '.repeat(16)}100  * ring start work (office)`);
  t.equal(eventText(stop), `${' '.repeat(16)}101  * ring stop work (office)`);
  t.equal(eventJson(start), '{"event":"ringtone","i":0,"cycle":100,"guest":"work","ringtone":"office","playing":true}');
  t.equal(eventJson(stop), '{"event":"ringtone","i":1,"cycle":101,"guest":"work","ringtone":"office","playing":false}');
});

t.test('--vm: a partition\'s own ringtones only', async (t) => {
  const records = [...openTrace(writeTrace('vm.trace', written)).records()];
  const rings = (vm: string) => [...partitionView(records, vm)].filter((r) => r.kind === 'ringtone').map((r) => eventText(r as EventRecord).trim());
  t.strictSame(rings('work'), ['100  * ring start work (office)', '101  * ring stop work (office)']);
  t.strictSame(rings('home'), ['101  * ring start home (melody)', '102  * ring stop home (melody)']);
});

t.test('the writer refuses a ringtone of no partition before writing any of it', async (t) => {
  const path = join(dir, 'refused.trace');
  const writer = new TraceWriter(path, HV_HEADER);
  writer.startIn('work');
  writer.writeInsn(written[0] as InsnRecord);
  t.throws(() => writer.writeEvent(ev(0, ring('attack', 'office', true))), /partition "attack" is not one of the trace's/);
  writer.close();
  t.strictSame([...openTrace(path).records()], expected.slice(0, 1));
  const bare = new TraceWriter(join(dir, 'bare.trace'), HEADER);
  t.throws(() => bare.writeEvent(ev(-1, ring('work', 'office', true))), /a bare-metal trace has none/);
  bare.abort();
});

// ---- a recorded run ----

/** Rings with its ringtone for `us` µs of virtual time, then stops (or exits while ringing). */
const ringer = (us: number, stop: boolean) =>
  rawGuest(`
    mov r0, #1
    hc 16                   @ AUDIO(1)
    ldr r0, =${us}
    mov r1, #0
    hc 7                    @ TIMER_SET
    hc 3                    @ WAIT
    ${stop ? 'mov r0, #0\n    hc 16                   @ AUDIO(0)' : ''}
    mov r0, #0
    hc 10                   @ EXIT
    .ltorg
  `);

t.test('a recorded run: the ringtone records are the machine\'s events, after the SVC that caused each', async (t) => {
  const g = hypervisorMachine([
    { config: partition('work', { ringtone: 'office' }), image: ringer(2000, true) },
    { config: partition('home', { ringtone: 'melody' }), image: ringer(3000, false) },
  ]);
  const events: TraceEvent[] = [];
  g.machine.on('ringtone', ({ guest, ringtone, playing }) => events.push(ring(guest, ringtone, playing)));
  const config: HypervisorConfig = { partitions: [partition('work', { ringtone: 'office' }), partition('home', { ringtone: 'melody' })], sliceMicros: 1000, foreground: 'work' };
  const path = join(dir, 'run.trace');
  const recorder = new Recorder(g.machine, {
    path,
    header: {
      cpu: 'arm926', clockHz: g.machine.config.clockHz, ramSize: g.machine.config.ramSize, timing: 'fast', imageSha256: '',
      hypervisor: { configHash: configHash(config), partitions: [{ name: 'work', imageSha256: '' }, { name: 'home', imageSha256: '' }] },
    },
  });
  try {
    t.same(g.machine.run({ maxCycles: 1e8 }), { kind: 'exit', status: 0 });
  } finally {
    recorder.finish();
    g.machine.close();
  }
  t.strictSame(events, [ring('work', 'office', true), ring('home', 'melody', true), ring('work', 'office', false), ring('home', 'melody', false)]);
  const records = [...openTrace(path).records()];
  const fromTrace = records.filter((r): r is EventRecord => r.kind === 'ringtone').map(({ i: _i, cycle: _c, ...rest }) => rest);
  t.strictSame(fromTrace, events, 'every ringtone event, in order');
  let last: InsnRecord | undefined;
  const placed: string[] = [];
  records.forEach((r, k) => {
    if (r.kind === 'insn') last = r;
    if (r.kind !== 'ringtone') return;
    const next = records.slice(k + 1).find((x) => x.kind !== 'ringtone');
    const cause = r.playing || r.guest === 'work' ? 'hypercall' : 'guestState'; // home stops ringing when it exits
    const ok = last?.vm === r.guest && last.insn === 0xef000000 && r.i === last.i && r.cycle === last.cycle && next?.kind === cause;
    placed.push(`${r.guest} ${r.playing ? 'start' : 'stop'}: ${ok ? 'after its SVC, before the ' + cause : JSON.stringify([last, r, next])}`);
  });
  t.strictSame(placed, [
    'work start: after its SVC, before the hypercall',
    'home start: after its SVC, before the hypercall',
    'work stop: after its SVC, before the hypercall',
    'home stop: after its SVC, before the guestState',
  ]);
});
