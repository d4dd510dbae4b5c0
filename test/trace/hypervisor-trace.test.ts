// Recording a hypervisor run: two assembled guests at the same virtual address (different code), one that
// prints, yields, waits for its timer, takes a handled fault and exits, one that computes through many
// time slices; a button press between runs. The trace is checked against what the run itself says: each
// instruction's encoding against its own guest's code, the hypervisor records against the machine's
// events, each partition's registers at every hypercall against the call's arguments; traced twice it is
// byte for byte the same; tracing changes nothing of the run; windows and address ranges keep every
// instruction's partition right.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configHash, type HypervisorConfig } from '../../src/hypervisor/config.ts';
import type { LoadedImage } from '../../src/loader/types.ts';
import { partitionView } from '../../src/trace/partitions.ts';
import { openTrace } from '../../src/trace/reader.ts';
import type { CaptureSink, TraceCapture } from '../../src/cpu/trace-capture.ts';
import { Recorder, type RecorderOptions, type TraceSource } from '../../src/trace/recorder.ts';
import { REG_NAMES, type EventRecord, type InsnRecord, type TraceEvent, type TraceRecord } from '../../src/trace/records.ts';
import { hypervisorMachine, partition, rawGuest } from '../hypervisor/harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'handset-hv-trace-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const work = rawGuest(`
    adr r0, msg
    mov r1, #10
    hc 0                    @ CONSOLE_WRITE
    adr r0, handler
    ldr r1, =0x100000
    hc 12                   @ FAULT_SET_HANDLER
    mov r4, #0
    ldr r9, =60000
1:  add r4, r4, #1
    cmp r4, r9
    bne 1b                  @ CPU-bound for several slices
    hc 2                    @ YIELD
    ldr r0, =300
    mov r1, #0
    hc 7                    @ TIMER_SET 300 us
    hc 3                    @ WAIT (no upcalls: the pending bits come back)
    mov r5, r0
    ldr r2, =0x40000000
    ldr r3, [r2]            @ a data abort, outside the window: the handler skips it
    add r6, r5, #1
    mov r0, #3
    hc 10                   @ EXIT 3
handler:
    ldr r6, =0xc000013c     @ fault_ctx.pc in the vCPU page
    ldr r8, [r6]
    add r8, r8, #4
    str r8, [r6]
    hc 13                   @ FAULT_RETURN
msg: .ascii "work here\\n"
    .align 2
    .ltorg
`);
const home = rawGuest(`
    ldr r9, =0x2000
    mov r4, #0
1:  add r4, r4, #3
    eor r5, r4, r4, lsl #2
    str r5, [r9]
    ldr r6, =120000
    cmp r4, r6
    blt 1b
    adr r0, msg
    mov r1, #10
    hc 0                    @ CONSOLE_WRITE
    hc 8                    @ TIME_GET
    mov r0, #0
    hc 10                   @ EXIT 0
msg: .ascii "home here\\n"
    .align 2
    .ltorg
`);
const images: Record<string, LoadedImage> = { work, home };
const BUTTON_AT = 150_000;

const HV_EVENTS = ['hypercall', 'virq', 'worldSwitch', 'guestFault', 'button', 'guestState'] as const;

interface Run {
  out: Record<string, string>;
  outcome: unknown;
  cycles: number;
  instructions: number;
  status: unknown;
  /** The machine's own hypervisor events during the run, as trace events. */
  events: TraceEvent[];
}

/** Runs the two guests (the button pressed at BUTTON_AT), traced to `path` with `options` unless undefined. */
function run(path?: string, options: Omit<RecorderOptions, 'path' | 'header'> = {}): Run {
  const g = hypervisorMachine([{ config: partition('work'), image: work }, { config: partition('home'), image: home }], { sliceMicros: 50 });
  const events: TraceEvent[] = [];
  g.machine.on('hypercall', ({ guest, number, name, args, result }) => events.push({ kind: 'hypercall', guest, number, name, args: [...args], result }));
  g.machine.on('virq', ({ guest, bits, via }) => events.push({ kind: 'virq', guest, bits, via }));
  g.machine.on('worldSwitch', ({ from, to }) => events.push({ kind: 'worldSwitch', from, to }));
  g.machine.on('guestFault', ({ guest, kind, address, pc, write, handled }) => events.push({ kind: 'guestFault', guest, fault: kind, address, pc, write, handled }));
  g.machine.on('button', ({ foreground }) => events.push({ kind: 'button', foreground }));
  g.machine.on('guestState', ({ guest, state, detail }) => events.push({ kind: 'guestState', guest, state, detail }));
  const config: HypervisorConfig = { partitions: [partition('work'), partition('home')], sliceMicros: 50, foreground: 'work' };
  const recorder =
    path === undefined
      ? undefined
      : new Recorder(g.machine, {
          path,
          ...options,
          header: {
            cpu: 'arm926', clockHz: g.machine.config.clockHz, ramSize: g.machine.config.ramSize, timing: 'fast', imageSha256: '',
            hypervisor: { configHash: configHash(config), partitions: [{ name: 'work', imageSha256: '' }, { name: 'home', imageSha256: '' }] },
          },
        });
  try {
    const first = g.machine.run({ maxCycles: BUTTON_AT });
    if (first.kind !== 'limit') throw new Error(`the run ended before the button: ${JSON.stringify(first)}`);
    g.hypervisor.pressButton();
    const outcome = g.machine.run({ maxCycles: 50_000_000 });
    return { out: g.out, outcome, cycles: g.machine.cycles, instructions: g.machine.instructions, status: g.hypervisor.status(), events };
  } finally {
    recorder?.finish();
    g.machine.close();
  }
}

const withoutPosition = (ev: EventRecord): TraceEvent => {
  const { i: _i, cycle: _cycle, ...rest } = ev;
  return rest as TraceEvent;
};

const traced = join(dir, 'a.trace');
const a = run(traced);

t.test('the run did what the guests say', async (t) => {
  t.same(a.out, { work: 'work here\n', home: 'home here\n' });
  t.same(a.outcome, { kind: 'exit', status: 1 }, 'work exited with 3');
  const kinds = new Set(a.events.map((e) => e.kind));
  t.strictSame([...HV_EVENTS].filter((k) => !kinds.has(k)), [], 'every hypervisor event kind happened');
  t.ok(a.events.filter((e) => e.kind === 'worldSwitch').length > 10, 'many world switches (the guests share the CPU by slices)');
});

t.test('a hypervisor run traced twice gives byte-identical files, and tracing changes nothing of the run', async (t) => {
  const again = join(dir, 'b.trace');
  const b = run(again);
  t.ok(readFileSync(again).equals(readFileSync(traced)), 'the same bytes');
  const untraced = run();
  t.strictSame(
    { ...untraced, events: untraced.events.length },
    { ...a, events: a.events.length },
    'the same console output, outcome, cycles, instructions, partition statistics and events as untraced',
  );
  t.strictSame(untraced.events, a.events);
  t.strictSame(b.events, a.events);
});

const trace = openTrace(traced);
const records = [...trace.records()];
const insns = records.filter((r): r is InsnRecord => r.kind === 'insn');

t.test('every instruction, in its partition, with its own guest\'s encoding', async (t) => {
  t.equal(insns.length, a.instructions, 'every instruction the run retired');
  t.strictSame(insns.map((r) => r.i), insns.map((_, k) => k), 'indices 0, 1, 2, ...');
  const wrong = insns.filter((r) => {
    const image = images[r.vm ?? ''];
    if (image === undefined) return true;
    const bytes = image.segments[0]!.data;
    const at = r.pc - image.segments[0]!.addr;
    return r.insn !== new DataView(bytes.buffer, bytes.byteOffset).getUint32(at, true);
  });
  t.strictSame(wrong.slice(0, 3), [], 'each encoding is the word at its pc in its own partition\'s image');
  t.ok(insns.some((r) => r.vm === 'work') && insns.some((r) => r.vm === 'home'), 'both partitions ran');
  t.equal(insns[0]!.vm, 'work', 'the trace starts in work (its keyframe)');
});

t.test('the hypervisor records are the machine\'s events, each after its instruction', async (t) => {
  const fromTrace = records.filter((r): r is EventRecord => (HV_EVENTS as readonly string[]).includes(r.kind)).map(withoutPosition);
  t.strictSame(fromTrace, a.events);
  // A hypercall follows its SVC (the instruction before it), in the partition that made it.
  let last: InsnRecord | undefined;
  const misplaced: string[] = [];
  for (const r of records) {
    if (r.kind === 'insn') last = r;
    else if (r.kind === 'hypercall' && (last?.vm !== r.guest || last.insn !== 0xef000000 || r.i !== last.i)) misplaced.push(JSON.stringify(r));
  }
  t.strictSame(misplaced, [], 'every hypercall right after an SVC of its guest');
});

t.test('each partition\'s records give its registers: at every hypercall, r7 and r0-r3 are its number and arguments', async (t) => {
  for (const vm of ['work', 'home']) {
    const state = new Map<string, number>();
    let before = new Map<string, number>();
    let calls = 0;
    const wrong: string[] = [];
    for (const r of partitionView(records, vm)) {
      if (r.kind === 'insn') {
        before = new Map(state);
        for (const [name, value] of Object.entries(r.regs)) state.set(name, value);
      } else if (r.kind === 'hypercall') {
        calls++;
        const seen = [before.get('r7'), ...[0, 1, 2, 3].map((n) => before.get(`r${n}`))];
        if (JSON.stringify(seen) !== JSON.stringify([r.number, ...r.args])) wrong.push(`${r.name}: ${JSON.stringify(seen)}`);
      }
    }
    t.ok(calls >= 3, `${vm}: ${calls} hypercalls`);
    t.strictSame(wrong, [], `${vm}: the registers before each SVC`);
  }
});

/** Each partition's registers after each of its instructions in these records, by instruction index. */
function statesByIndex(trace: TraceRecord[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const vm of ['work', 'home']) {
    const state = new Map<string, number>();
    for (const r of partitionView(trace, vm)) {
      if (r.kind !== 'insn') continue;
      for (const [name, value] of Object.entries(r.regs)) state.set(name, value);
      out.set(r.i, REG_NAMES.filter((n) => n !== 'r15').map((n) => `${n}=${state.get(n)}`).join(' '));
    }
  }
  return out;
}

t.test('a window: the same instructions, partitions, events and registers as the whole trace there', async (t) => {
  // From inside home's first slice to well after work's fault: several switches in the window.
  const firstHome = insns.find((r) => r.vm === 'home')!.i;
  const fault = records.find((r) => r.kind === 'guestFault')!.i;
  const from = firstHome + 5;
  const to = fault + 2000;
  const path = join(dir, 'window.trace');
  run(path, { fromIndex: from, toIndex: to, memory: true });
  const window = [...openTrace(path).records()];
  const shape = (r: TraceRecord) => (r.kind === 'insn' ? { i: r.i, cycle: r.cycle, pc: r.pc, insn: r.insn, vm: r.vm } : r);
  const inside = records.filter((r) => r.i >= from && r.i < to);
  t.strictSame(window.filter((r) => r.kind !== 'mem').map(shape), inside.map(shape), 'instructions (with their partition) and events');
  t.equal(window.filter((r) => r.kind === 'worldSwitch').length >= 3, true, 'switches inside the window');
  const whole = statesByIndex(records);
  const part = statesByIndex(window);
  const differ = [...part].filter(([i, state]) => whole.get(i) !== state).map(([i]) => i);
  t.strictSame(differ, [], 'each partition\'s registers after each instruction');
  // --trace-mem: home's str r5, [r9] writes r5 to 0x2000 (r9) every time round its loop.
  const regs = { work: new Map<string, number>(), home: new Map<string, number>() };
  let last: InsnRecord | undefined;
  let stores = 0;
  const bad: string[] = [];
  for (const r of window) {
    if (r.kind === 'insn') {
      last = r;
      for (const [name, value] of Object.entries(r.regs)) regs[r.vm as 'work' | 'home'].set(name, value);
    }
    if (r.kind !== 'mem' || last?.insn !== 0xe5895000) continue;
    stores++;
    if (!(last.vm === 'home' && r.write && r.address === 0x2000 && r.size === 4 && r.value === regs.home.get('r5'))) bad.push(JSON.stringify([last, r]));
  }
  t.ok(stores > 100, `${stores} stores of home's loop recorded`);
  t.strictSame(bad.slice(0, 2), [], 'each a write of home\'s r5 to 0x2000');
});

t.test('an address range: every instruction in it, each in its partition', async (t) => {
  // 0x8028-0x8030 holds the add and cmp of work's loop and, in home, its CONSOLE_WRITE (mov r7, svc);
  // home's loop, and the bne where work's slices end, are outside. The capture hooks only the range, so
  // an event during an instruction outside it follows the last instruction recorded (as in bare-metal
  // traces): the world switches included, all of them.
  const path = join(dir, 'range.trace');
  run(path, { addressRange: { begin: 0x8028, end: 0x8030 } });
  const ranged = [...openTrace(path).records()];
  const kept = ranged.filter((r): r is InsnRecord => r.kind === 'insn');
  const expected = insns.filter((r) => r.pc >= 0x8028 && r.pc < 0x8030);
  t.strictSame(kept.map((r) => [r.i, r.pc, r.insn, r.vm]), expected.map((r) => [r.i, r.pc, r.insn, r.vm]), 'the instructions in the range, each in its partition');
  t.ok(kept.some((r) => r.vm === 'home') && kept.some((r) => r.vm === 'work'), 'of both partitions');
  const switches = (list: (TraceEvent | EventRecord)[]) => list.flatMap((e) => (e.kind === 'worldSwitch' ? [`${e.from}->${e.to}`] : []));
  t.strictSame(switches(ranged.filter((r): r is EventRecord => r.kind !== 'insn')), switches(a.events));
});

t.test('world switches after instructions the recorder does not write: one record for them, or none', async (t) => {
  // A capture that leaves instructions out but says which one runs (a window does, for instance): the
  // recorder is driven by hand. Instructions written: 3, 4 (work), 8 (work), 11 (home); the others are
  // left out, and so are the events after them, but for the partition the next written instruction runs in.
  const listeners = new Map<string, ((e: unknown) => void)[]>();
  let sink: CaptureSink | undefined;
  let index = 0;
  const source = {
    addressSpace: 2, // home runs when recording starts
    startTrace(_options: unknown, s: CaptureSink) {
      sink = s;
      return { get currentIndex() { return index; }, drain() {}, finish() {} } as unknown as TraceCapture;
    },
    stopTrace() {},
    on(name: string, listener: (e: unknown) => void) {
      listeners.set(name, [...(listeners.get(name) ?? []), listener]);
      return () => {};
    },
  } as unknown as TraceSource;
  const emit = (name: string, e: unknown) => listeners.get(name)?.forEach((l) => l(e));
  const values = new Uint32Array(18);
  const step = (i: number, written: boolean) => {
    index = i;
    if (written) sink!.insn(i, i * 10, 0x8000 + 4 * i, 0xe1a00000, false, 0x10, i === 3 ? 0x3ffff : 0, values);
  };
  const path = join(dir, 'by-hand.trace');
  const recorder = new Recorder(source, {
    path,
    header: { cpu: 'arm926', clockHz: 200_000_000, ramSize: 128 << 20, timing: 'fast', imageSha256: '', hypervisor: { configHash: 'ab'.repeat(32), partitions: [{ name: 'work', imageSha256: '' }, { name: 'home', imageSha256: '' }] } },
  });
  step(0, false);
  emit('worldSwitch', { from: 'home', to: 'work' }); // before the first instruction written: the keyframe says work
  step(1, false);
  step(2, false);
  step(3, true);
  step(4, true);
  step(5, false);
  emit('hypercall', { guest: 'work', number: 2, name: 'yield', args: [0, 0, 0, 0], result: 0 }); // left out
  emit('worldSwitch', { from: 'work', to: 'home' });
  step(6, false);
  emit('worldSwitch', { from: 'home', to: 'work' }); // back before anything is written: no record
  step(7, false);
  step(8, true);
  step(9, false);
  emit('worldSwitch', { from: 'work', to: null });
  step(10, false);
  emit('worldSwitch', { from: null, to: 'home' });
  step(11, true); // one record: from work (the last written) to home
  recorder.finish();
  const read = [...openTrace(path).records()].map((r) => (r.kind === 'insn' ? `${r.i} ${r.vm}` : `${r.kind} ${JSON.stringify(withoutPosition(r))} after ${r.i}`));
  t.strictSame(read, ['3 work', '4 work', '8 work', 'worldSwitch {"kind":"worldSwitch","from":"work","to":"home"} after 10', '11 home']);
});
