// Snapshots (issue 6, item 5; docs/snapshot-format.md). A run stopped at a cycle, snapshotted and continued
// (in the same machine, restored into a fresh machine, or restored in place after the machine ran further)
// gives what the uninterrupted run gives: the console bytes after the snapshot, the exit status, the final
// instruction and cycle counts, and the same trace from the snapshot on. The points are chosen where state
// is easy to lose: a timer armed, inside an IRQ or abort handler, the MMU on, Thumb state, the core asleep
// in WFI, console input half read, a semihosting file written and half read back. Snapshot bytes are
// deterministic; a bad snapshot is a one-line SnapshotFileError and leaves the machine as it was.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { CPSR, Mode } from '../../src/cpu/arm.ts';
import type { CpuModelName } from '../../src/cpu/models.ts';
import { loadImage } from '../../src/loader/image.ts';
import { bytesInput } from '../../src/machine/console-input.ts';
import { Machine, memoryLayout, type RunLimits, type RunOutcome, type TimingMode } from '../../src/machine/machine.ts';
import { SnapshotFileError, snapshotConfig } from '../../src/machine/snapshot.ts';
import { openTrace } from '../../src/trace/reader.ts';
import { Recorder } from '../../src/trace/recorder.ts';
import type { TraceRecord } from '../../src/trace/records.ts';

const MiB = 1024 * 1024;
const RAM = 128 * MiB;
const TO_THE_END: RunLimits = { maxInsns: 50_000_000 };

// Some 60 machines, each run to the end at least once, on a host that may be busy.
t.setTimeout(600_000);

const work = mkdtempSync(join(tmpdir(), 'handset-snapshot-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

// ---- a C program that writes a semihosting file and reads it back around a pause ----

const FILE_PROGRAM = `/* Writes a file, reads the first half back, pauses, reads the rest, appends and reads the tail. */
#include <stdio.h>
#include <string.h>
static volatile unsigned sink;
static void pause_here(unsigned n) { for (unsigned i = 0; i < n; i++) sink += i; }
int main(void) {
  FILE *f = fopen("/notes/snap.txt", "w");
  if (f == NULL) { perror("fopen w"); return 1; }
  for (int i = 0; i < 60; i++) fprintf(f, "line %02d of the snapshot file\\n", i);
  if (fclose(f) != 0) return 2;
  f = fopen("/notes/snap.txt", "r");
  if (f == NULL) { perror("fopen r"); return 3; }
  char line[64] = "";
  unsigned bytes = 0;
  int n = 0;
  while (n < 20 && fgets(line, sizeof line, f) != NULL) { bytes += strlen(line); n++; }
  printf("read %d lines (%u bytes), pausing\\n", n, bytes);
  fflush(stdout);
  pause_here(30000);
  while (fgets(line, sizeof line, f) != NULL) { bytes += strlen(line); n++; }
  fclose(f);
  printf("read %d lines (%u bytes) in all; last: %s", n, bytes, line);
  FILE *g = fopen("/notes/snap.txt", "a");
  fputs("appended after the pause\\n", g);
  fclose(g);
  g = fopen("/notes/snap.txt", "r");
  fseek(g, -25, SEEK_END);
  fgets(line, sizeof line, g);
  fclose(g);
  printf("tail: %s", line);
  return 5;
}
`;

let fileProgram: string | undefined;
function buildFileProgram(): string {
  if (fileProgram !== undefined) return fileProgram;
  const src = join(work, 'snap-file.c');
  const elf = join(work, 'snap-file.elf');
  writeFileSync(src, FILE_PROGRAM);
  execFileSync('arm-none-eabi-gcc', ['-march=armv5te', '-marm', '-mfloat-abi=soft', '-O2', '-Wall', '--specs=rdimon.specs', '-o', elf, src]);
  fileProgram = elf;
  return elf;
}

// ---- running a machine and watching it ----

interface Spec {
  image: string | (() => string);
  cpu: CpuModelName;
  timing: TimingMode;
  stdin?: string;
  ramSize?: number;
}

interface Result {
  stdout: string;
  stderr: string;
  outcome: RunOutcome;
  instructions: number;
  cycles: number;
}

const imagePath = (spec: Spec) => (typeof spec.image === 'string' ? spec.image : spec.image());

/** A machine built from a spec, with everything it prints and does recorded. */
class Session {
  readonly machine: Machine;
  private readonly out: Uint8Array[] = [];
  private readonly err: Uint8Array[] = [];
  /** Console input bytes the firmware took (UART0 receive). */
  rx = 0;
  readonly exceptions: { kind: string; cycle: number }[] = [];
  readonly idle: { from: number; to: number }[] = [];

  constructor(
    readonly spec: Spec,
    stdin = spec.stdin ?? '',
  ) {
    this.machine = new Machine({
      cpu: spec.cpu,
      ramSize: spec.ramSize ?? RAM,
      timing: spec.timing,
      input: bytesInput(stdin),
      cmdline: imagePath(spec),
    });
    this.machine.on('console', (e) => {
      if (e.source === 'uart0' || (e.source === 'semihosting' && e.stream === 'stdout')) this.out.push(e.bytes.slice());
      else if (e.source === 'semihosting') this.err.push(e.bytes.slice());
    });
    this.machine.on('uart', (e) => {
      if (e.port === 'uart0' && e.direction === 'rx') this.rx++;
    });
    this.machine.on('exception', (e) => this.exceptions.push({ kind: e.exception, cycle: this.machine.cycles }));
    this.machine.on('idle', (e) => this.idle.push(e));
  }

  load(): this {
    const ramSize = this.spec.ramSize ?? RAM;
    this.machine.load(loadImage(imagePath(this.spec), {}, memoryLayout(ramSize)));
    return this;
  }

  get stdout(): string {
    return Buffer.concat(this.out).toString('latin1');
  }

  get stderr(): string {
    return Buffer.concat(this.err).toString('latin1');
  }

  run(limits: RunLimits = TO_THE_END): Result {
    const outcome = this.machine.run(limits);
    return { stdout: this.stdout, stderr: this.stderr, outcome, instructions: this.machine.instructions, cycles: this.machine.cycles };
  }

  close(): void {
    this.machine.close();
  }
}

/** The JSON part of a snapshot and its RAM bytes, read as docs/snapshot-format.md describes. */
function decode(bytes: Uint8Array): { json: any; ram: Buffer; version: number } {
  const buf = Buffer.from(bytes);
  const body = gunzipSync(buf.subarray(12));
  const length = body.readUInt32LE(0);
  return { json: JSON.parse(body.toString('utf8', 4, 4 + length)), ram: body.subarray(4 + length), version: buf.readUInt32LE(8) };
}

/** A snapshot file built by hand: magic, version, gzip(JSON length, JSON text, RAM bytes). */
function encode(json: unknown, ram: Uint8Array, options: { magic?: string; version?: number; text?: string } = {}): Uint8Array {
  const header = Buffer.alloc(12);
  header.write(options.magic ?? 'HANDSNAP', 0, 'latin1');
  header.writeUInt32LE(options.version ?? 2, 8);
  const text = Buffer.from(options.text ?? JSON.stringify(json), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(text.length, 0);
  return Buffer.concat([header, gzipSync(Buffer.concat([length, text, ram]))]);
}

const SCTLR = '1,0,0,0';
const mode = (s: Session) => s.machine.registers().cpsr & CPSR.MODE_MASK;

// ---- split runs at interesting points ----

interface Case {
  spec: Spec;
  /** Where the snapshot is taken, in words (the premise checks it). */
  where: string;
  /** The cycle to stop at, from what the uninterrupted run did. */
  at: (full: Session) => number;
  /** When given, walks forward from `at`, `stride` cycles at a time, until this holds. */
  until?: (s: Session) => boolean;
  stride?: number;
  /** What makes the point interesting: must hold where the run stopped. */
  premise: (s: Session, json: any, full: Session) => boolean;
}

const irqEntry = (n: number) => (full: Session) => full.exceptions.filter((e) => e.kind === 'irq')[n].cycle;
const exceptionEntry = (kind: string) => (full: Session) => full.exceptions.find((e) => e.kind === kind)!.cycle;

function cases(): Case[] {
  const list: Case[] = [];
  const matrix = (cpus: CpuModelName[], timings: TimingMode[]) => cpus.flatMap((cpu) => timings.map((timing) => ({ cpu, timing })));
  const all = matrix(['arm926', 'arm1176'], ['fast', 'cycle']);
  for (const m of all) {
    list.push({
      spec: { image: 'firmware/newlib-demo.elf', ...m },
      where: 'half way through a newlib program, part of its output printed',
      at: (full) => Math.floor(full.machine.cycles / 2),
      until: (s) => s.stdout.length > 0,
      stride: 2000,
      premise: (s, _json, full) => s.stdout.length > 0 && s.stdout.length < full.stdout.length,
    });
    list.push({
      spec: { image: 'firmware/timer-irq.elf', ...m },
      where: 'inside the IRQ handler of the third timer tick',
      at: irqEntry(2),
      until: (s) => mode(s) === Mode.IRQ,
      premise: (s) => mode(s) === Mode.IRQ,
    });
    list.push({
      spec: { image: 'firmware/thumb.elf', ...m },
      where: 'in Thumb state, after some output',
      at: () => 1,
      until: (s) => s.stdout.length > 0 && (s.machine.registers().cpsr & CPSR.T) !== 0,
      premise: (s) => (s.machine.registers().cpsr & CPSR.T) !== 0,
    });
    list.push({
      spec: { image: 'firmware/wfi.elf', ...m },
      where: 'while the core sleeps in WFI between the first and second tick',
      at: (full) => Math.floor((full.idle[1].from + full.idle[1].to) / 2),
      premise: (s, json, full) => json.machine.waitingAt !== null && full.idle.some((i) => i.from < s.machine.cycles && s.machine.cycles < i.to),
    });
  }
  for (const m of [{ cpu: 'arm926', timing: 'fast' }, { cpu: 'arm1176', timing: 'cycle' }] as const) {
    list.push({
      spec: { image: 'firmware/timer-irq.elf', ...m },
      where: 'between ticks, the timer armed',
      at: (full) => Math.floor((irqEntry(0)(full) + irqEntry(1)(full)) / 2),
      premise: (s, json) => mode(s) !== Mode.IRQ && json.board.timer01.timer1.endTick !== null && json.clock.alarms.some((a: { due: number | null }) => a.due !== null),
    });
    list.push({
      spec: { image: 'firmware/mmu.elf', ...m },
      where: 'with the MMU on, before its data abort',
      at: (full) => exceptionEntry('dataAbort')(full) - 40,
      premise: (s, json) => (json.cpu.cp15[SCTLR] & 1) === 1 && mode(s) !== Mode.ABT,
    });
    list.push({
      spec: { image: 'firmware/echo.elf', stdin: 'hello world\nabc\nq\n', ...m },
      where: 'with console input half read',
      at: () => 1,
      until: (s) => s.stdout.includes('HELLO'),
      premise: (s) => s.rx > 0 && s.rx < 'hello world\nabc\nq\n'.length,
    });
    list.push({
      spec: { image: buildFileProgram, ...m },
      where: 'after a semihosting file was written, with it open and half read back',
      at: () => 1,
      until: (s) => s.stdout.includes('pausing'),
      stride: 500,
      premise: (_s, json) => {
        const files = json.personality.semihosting.files;
        return files.files.some((f: { name: string }) => f.name === 'notes/snap.txt') && files.open.length === 1 && files.open[0].position > 0;
      },
    });
  }
  for (const m of [{ cpu: 'arm926', timing: 'fast' }, { cpu: 'arm926', timing: 'cycle' }, { cpu: 'arm1176', timing: 'cycle' }] as const) {
    list.push({
      spec: { image: 'firmware/exceptions.elf', ...m },
      where: 'inside the undefined-instruction handler',
      at: exceptionEntry('undefined'),
      until: (s) => mode(s) === Mode.UND,
      premise: (s) => mode(s) === Mode.UND,
    });
    list.push({
      spec: { image: 'firmware/exceptions.elf', ...m },
      where: 'inside the data abort handler, the MMU on',
      at: exceptionEntry('dataAbort'),
      until: (s) => mode(s) === Mode.ABT,
      premise: (s, json) => mode(s) === Mode.ABT && (json.cpu.cp15[SCTLR] & 1) === 1,
    });
  }
  return list;
}

/** Stops a fresh run of the case at its point; returns the session (stopped) and the snapshot cycle. */
function stopAtPoint(c: Case, full: Session): Session {
  const s = new Session(c.spec).load();
  let target = c.at(full);
  for (let walked = 0; ; walked++) {
    const outcome = s.machine.run({ maxCycles: target });
    if (outcome.kind !== 'limit') throw new Error(`${c.where}: the run ended (${outcome.kind}) before the point`);
    if (c.until === undefined || c.until(s)) return s;
    if (walked > 200_000) throw new Error(`${c.where}: point not found`);
    target = s.machine.cycles + (c.stride ?? 1);
  }
}

const label = (c: Case) => `${imagePath(c.spec).replace(/^.*\//, '')} ${c.spec.cpu} ${c.spec.timing}: ${c.where}`;

for (const c of cases()) {
  t.test(label(c), async (t) => {
    const full = new Session(c.spec).load();
    const expected = full.run();
    t.equal(expected.outcome.kind, 'exit', 'the uninterrupted run exits');

    // Find the point, then take the snapshot in a run that went straight there.
    const probe = stopAtPoint(c, full);
    const point = probe.machine.cycles;
    probe.close();
    const split = new Session(c.spec).load();
    t.same(split.run({ maxCycles: point }).outcome, { kind: 'limit', limit: 'cycles' });
    t.equal(split.machine.cycles, point, 'stops where the probe stopped');
    const before = { stdout: split.stdout.length, stderr: split.stderr.length, rx: split.rx, instructions: split.machine.instructions, cycles: split.machine.cycles };
    t.ok(before.instructions > 0 && before.instructions < expected.instructions, `mid-run: ${before.instructions} of ${expected.instructions} instructions`);
    const bytes = split.machine.snapshot();
    t.ok(c.premise(split, decode(bytes).json, full), `the snapshot is taken ${c.where}`);

    // Taking a snapshot does not perturb the run.
    t.same(split.run(), expected, 'the same machine goes on as the uninterrupted run');

    // A fresh machine restored from the snapshot continues identically (input not yet taken is given again).
    const stdin = c.spec.stdin ?? '';
    const restored = new Session(c.spec, stdin.slice(before.rx));
    restored.machine.restore(bytes);
    t.equal(restored.machine.instructions, before.instructions, 'instruction count continues from the snapshot');
    t.equal(restored.machine.cycles, before.cycles, 'cycle count continues from the snapshot');
    const after = restored.run();
    t.ok(after.stdout.length + after.stderr.length > 0, 'the restored run prints something');
    t.same(
      after,
      { ...expected, stdout: expected.stdout.slice(before.stdout), stderr: expected.stderr.slice(before.stderr) },
      'the restored run prints what the uninterrupted run printed after the point, and ends the same',
    );

    full.close();
    split.close();
    restored.close();
  });
}

// ---- in-place restore and determinism ----

t.test('restoring into the same machine after it ran on (and after it exited) gives the same continuation', async (t) => {
  for (const c of cases().filter((c) => /timer-irq arm1176 cycle: inside|wfi arm926 fast|snap-file arm926/.test(label(c)))) {
    const full = new Session(c.spec).load();
    const expected = full.run();
    const s = stopAtPoint(c, full);
    const before = { stdout: s.stdout.length, stderr: s.stderr.length };
    const bytes = s.machine.snapshot();
    const first = s.run({ maxCycles: Math.floor((s.machine.cycles + expected.cycles) / 2) });
    t.same(first.outcome, { kind: 'limit', limit: 'cycles' }, `${label(c)}: ran on`);
    s.machine.restore(bytes);
    t.same(Buffer.from(s.machine.snapshot()), Buffer.from(bytes), `${label(c)}: restored in place mid-run, the state is the snapshot's`);
    const again = s.run();
    t.same(
      { ...again, stdout: again.stdout.slice(first.stdout.length), stderr: again.stderr.slice(first.stderr.length) },
      { ...expected, stdout: expected.stdout.slice(before.stdout), stderr: expected.stderr.slice(before.stderr) },
      `${label(c)}: continuation after an in-place restore`,
    );
    // Once more, after the run exited.
    const printed = { stdout: s.stdout.length, stderr: s.stderr.length };
    s.machine.restore(bytes);
    const third = s.run();
    t.same(
      { ...third, stdout: third.stdout.slice(printed.stdout), stderr: third.stderr.slice(printed.stderr) },
      { ...expected, stdout: expected.stdout.slice(before.stdout), stderr: expected.stderr.slice(before.stderr) },
      `${label(c)}: continuation after restoring an exited machine`,
    );
    full.close();
    s.close();
  }
});

/** Assembles one of the programs below into WORK/NAME.elf, linked at 0x8000. */
function buildProgram(name: string, source: string): string {
  const src = join(work, `${name}.S`);
  const elf = join(work, `${name}.elf`);
  writeFileSync(src, source);
  execFileSync('arm-none-eabi-gcc', ['-march=armv5te', '-nostdlib', '-Wl,-Ttext=0x8000', '-Wl,--build-id=none', '-o', elf, src]);
  return elf;
}

// The programs' last lines: a newline, exit (semihosting SYS_EXIT), and putc (r4 to UART0).
const PRINT_NEWLINE_AND_EXIT = `    mov     r4, #'\\n'
    bl      putc
    mov     r0, #0x18
    ldr     r1, =0x20026
    svc     0x123456
`;
const PUTC = `putc:
    ldr     r1, =0x10009000
    strb    r4, [r1]
    bx      lr
`;

// Turns the MMU on: identity sections for 0 to 511 MiB but VA 0x80000000 -> PA 0x100000 (its entry at r6).
const MMU_ON = `    ldr     r0, =0x4000             @ page table: identity sections 0..511 MiB
    add     r6, r0, #0x2000
    mov     r1, #0
1:  mov     r2, r1, lsl #20
    orr     r2, r2, #0xc00
    orr     r2, r2, #0x2
    str     r2, [r0, r1, lsl #2]
    add     r1, r1, #1
    cmp     r1, #0x200
    blo     1b
    ldr     r2, =0x100c02           @ VA 0x80000000 -> PA 0x100000
    str     r2, [r6]
    mcr     p15, 0, r0, c2, c0, 0
    mvn     r1, #0
    mcr     p15, 0, r1, c3, c0, 0
    mov     r1, #0
    mcr     p15, 0, r1, c8, c7, 0
    mrc     p15, 0, r1, c1, c0, 0
    orr     r1, r1, #1
    mcr     p15, 0, r1, c1, c0, 0
`;

// Maps VA 0x80000000 to the section holding 'A', reads it (the TLB caches the mapping), pauses, reads it
// again, then maps it to the section holding 'B', invalidates the TLB and reads: prints "AAB".
const TLB_PROGRAM = `    .syntax unified
    .arm
    .global _start
_start:
    ldr     sp, =0x80000
    ldr     r0, =0x100000
    mov     r1, #'A'
    str     r1, [r0]
    ldr     r0, =0x200000
    mov     r1, #'B'
    str     r1, [r0]
${MMU_ON}    ldr     r3, =0x80000000
    ldr     r4, [r3]
    bl      putc
    ldr     r5, =20000
2:  subs    r5, r5, #1
    bne     2b
    ldr     r4, [r3]
    bl      putc
    ldr     r2, =0x200c02           @ remap VA 0x80000000 -> PA 0x200000, flush the TLB
    str     r2, [r6]
    mov     r1, #0
    mcr     p15, 0, r1, c8, c7, 0
    ldr     r4, [r3]
    bl      putc
${PRINT_NEWLINE_AND_EXIT}${PUTC}`;

// With the MMU on (VA 0x80000000 -> PA 0x100000), copies a routine that prints 'X' to VA 0x80000000,
// pauses, calls it, overwrites it with one that prints 'Y' (the engine sees that store and translates
// again) and calls it again: prints "XY". A restore to the pause puts the 'X' routine back in RAM behind
// the engine's back: the 'Y' routine's translation must not survive it.
const CODE_PROGRAM = `    .syntax unified
    .arm
    .global _start
_start:
    ldr     sp, =0x80000
${MMU_ON}    ldr     r3, =0x80000000
    adr     r0, print_x
    ldm     r0, {r1, r2}
    stm     r3, {r1, r2}
    mov     r1, #0
    mcr     p15, 0, r1, c7, c5, 0   @ invalidate the I-cache (as a real core needs)
    ldr     r5, =20000
2:  subs    r5, r5, #1
    bne     2b
    blx     r3
    bl      putc
    adr     r0, print_y
    ldm     r0, {r1, r2}
    stm     r3, {r1, r2}
    mov     r1, #0
    mcr     p15, 0, r1, c7, c5, 0
    blx     r3
    bl      putc
${PRINT_NEWLINE_AND_EXIT}print_x:
    mov     r4, #'X'
    bx      lr
print_y:
    mov     r4, #'Y'
    bx      lr
${PUTC}`;

for (const cpu of ['arm926', 'arm1176'] as const) {
  t.test(`${cpu}: an in-place restore drops the code the machine translated after the snapshot (MMU on)`, async (t) => {
    const spec: Spec = { image: buildProgram('code', CODE_PROGRAM), cpu, timing: 'fast' };
    const s = new Session(spec).load();
    s.run({ maxInsns: 15_000 });
    t.equal(s.stdout, '', 'stopped in the pause, before the routine ran');
    const bytes = s.machine.snapshot();
    t.equal(s.run().stdout, 'XY\n', "the routine printed X, then, rewritten, Y: Y's code is translated");
    s.machine.restore(bytes);
    const printed = s.stdout.length;
    t.equal(s.run().stdout.slice(printed), 'XY\n', "after the restore the routine is X's again, not Y's translation");
    s.close();
  });
}

for (const cpu of ['arm926', 'arm1176'] as const) {
  t.test(`${cpu}: an in-place restore drops the translations the machine cached after the snapshot (TLB)`, async (t) => {
    const spec: Spec = { image: buildProgram('tlb', TLB_PROGRAM), cpu, timing: 'fast' };
    const full = new Session(spec).load();
    t.equal(full.run().stdout, 'AAB\n', 'the program reads A, A, then B');
    const s = new Session(spec).load();
    const c: Case = { spec, where: 'after the first read through the MMU', at: () => 1, until: (x) => x.stdout === 'A', premise: () => true };
    const stopped = stopAtPoint(c, full);
    const point = stopped.machine.cycles;
    stopped.close();
    t.equal(s.run({ maxCycles: point }).stdout, 'A', 'stopped after the first read');
    const bytes = s.machine.snapshot();
    t.equal(s.run().stdout, 'AAB\n', 'the machine runs on: the TLB now maps VA 0x80000000 to B');
    s.machine.restore(bytes);
    const printed = s.stdout.length;
    t.equal(s.run().stdout.slice(printed), 'AB\n', 'after restoring in place the snapshot\'s page tables are in effect');
    full.close();
    s.close();
  });
}

t.test('snapshot bytes are deterministic', async (t) => {
  const spec: Spec = { image: 'firmware/newlib-demo.elf', cpu: 'arm1176', timing: 'cycle' };
  const take = () => {
    const s = new Session(spec).load();
    s.run({ maxCycles: 300_000 });
    const bytes = s.machine.snapshot();
    const again = s.machine.snapshot();
    s.close();
    return { bytes, again };
  };
  const a = take();
  const b = take();
  t.ok(a.bytes.length > 12, 'a snapshot');
  t.same(Buffer.from(a.again), Buffer.from(a.bytes), 'two snapshots of one state are the same bytes');
  t.same(Buffer.from(b.bytes), Buffer.from(a.bytes), 'two runs to the same point give the same bytes');
  const fresh = new Session(spec);
  fresh.machine.restore(a.bytes);
  t.same(Buffer.from(fresh.machine.snapshot()), Buffer.from(a.bytes), 'snapshot -> restore -> snapshot gives the same bytes');
  fresh.close();
  // A different point gives different bytes (the comparison above can fail).
  const other = new Session(spec).load();
  other.run({ maxCycles: 300_500 });
  t.not(Buffer.from(other.machine.snapshot()).equals(Buffer.from(a.bytes)), true, 'another point, other bytes');
  other.close();
});

// ---- traces: the restored run's trace is the uninterrupted trace from the snapshot on ----

function traceOf(s: Session, path: string, run: () => void): TraceRecord[] {
  const cfg = s.machine.config;
  const recorder = new Recorder(s.machine, {
    path,
    header: { cpu: cfg.cpu, clockHz: cfg.clockHz, ramSize: cfg.ramSize, timing: cfg.timing, imageSha256: '' },
  });
  try {
    run();
  } finally {
    recorder.finish();
  }
  return [...openTrace(path).records()];
}

for (const c of cases().filter((c) => /timer-irq arm926 cycle: inside|exceptions arm1176 cycle: inside the data abort|thumb arm1176 fast|wfi arm1176 cycle/.test(label(c)))) {
  t.test(`${label(c)}: the restored run's trace equals the uninterrupted trace from the snapshot on`, async (t) => {
    const full = new Session(c.spec).load();
    const whole = traceOf(full, join(work, 'whole.trace'), () => full.run());
    const s = stopAtPoint(c, full);
    const at = s.machine.instructions;
    const bytes = s.machine.snapshot();
    s.close();
    const restored = new Session(c.spec, (c.spec.stdin ?? '').slice(s.rx));
    restored.machine.restore(bytes);
    const tail = traceOf(restored, join(work, 'tail.trace'), () => restored.run());

    const start = whole.findIndex((r) => r.kind === 'insn' && r.i === at);
    t.ok(start > 0, `the uninterrupted trace has instruction ${at}`);
    const want = whole.slice(start);
    t.equal(tail[0]?.kind, 'insn', 'the restored trace starts with an instruction');
    t.equal(tail.length, want.length, 'as many records after the snapshot');
    t.ok(want.some((r) => r.kind !== 'insn'), 'events after the snapshot are compared too');
    let differences = 0;
    for (let k = 0; k < Math.min(tail.length, want.length) && differences < 3; k++) {
      const a = tail[k];
      const b = want[k];
      // The restored trace's first record carries every register (the state it starts from).
      const same =
        a.kind === 'insn' && b.kind === 'insn'
          ? a.i === b.i && a.cycle === b.cycle && a.pc === b.pc && a.insn === b.insn && a.thumb === b.thumb && a.mode === b.mode && (k === 0 || JSON.stringify(a.regs) === JSON.stringify(b.regs))
          : JSON.stringify(a) === JSON.stringify(b);
      if (!same) {
        differences++;
        t.fail(`record ${k} after the snapshot differs: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      }
    }
    t.equal(differences, 0, 'every record after the snapshot is the same');
    const first = tail[0];
    const orig = want[0];
    if (first.kind === 'insn' && orig.kind === 'insn') {
      // The first record's registers are the state at the snapshot: those the instruction changed agree.
      for (const [reg, value] of Object.entries(orig.regs)) t.equal(first.regs[reg as keyof typeof first.regs], value, `first record ${reg}`);
    }
    full.close();
    restored.close();
  });
}

// ---- RAM is sparse ----

t.test('a 256 MiB board after newlib-demo gives a small snapshot', async (t) => {
  const s = new Session({ image: 'firmware/newlib-demo.elf', cpu: 'arm926', timing: 'fast', ramSize: 256 * MiB }).load();
  t.equal(s.run().outcome.kind, 'exit');
  const bytes = s.machine.snapshot();
  const { json, ram } = decode(bytes);
  const chunks = json.ram.reduce((n: number, r: { chunks: number[] }) => n + r.chunks.length, 0);
  // newlib-demo writes its image (~90 KiB), a heap of about 1 MiB and a stack at the top of RAM: a few dozen
  // 64 KiB chunks of 4096 + 57344 (RAM and the alias space), i.e. a couple of MiB raw, mostly zeros, which
  // gzip shrinks a lot. 256 MiB raw would be 128 times the bound.
  t.ok(chunks > 0 && chunks <= 32, `${chunks} chunks of 64 KiB listed`);
  t.equal(ram.length, chunks * 64 * 1024, 'the RAM part is the listed chunks');
  t.ok(bytes.length < 2 * MiB, `the snapshot is ${bytes.length} bytes (< 2 MiB)`);
  s.close();
});

// ---- bad snapshots ----

t.test('bad snapshots are one-line SnapshotFileErrors, and leave the machine as it was', async (t) => {
  const spec: Spec = { image: 'firmware/timer-irq.elf', cpu: 'arm926', timing: 'fast' };
  const source = new Session(spec).load();
  source.run({ maxCycles: 450_000 });
  const good = source.machine.snapshot();
  source.close();
  const { json, ram } = decode(good);
  t.same(snapshotConfig(good), json.config, 'snapshotConfig reads the configuration');
  const gz = Buffer.from(good).subarray(12);
  const edit = (change: (j: any) => void) => {
    const copy = structuredClone(json);
    change(copy);
    return encode(copy, ram);
  };
  const flipped = Buffer.from(good);
  flipped[12 + Math.floor(gz.length / 2)] ^= 0x40;
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty', new Uint8Array(0), /not a handset snapshot/],
    ['not a snapshot (an ELF file)', new Uint8Array(Buffer.from('\x7fELF\x01\x01\x01\x00 and more bytes', 'latin1')), /not a handset snapshot/],
    ['bad magic', encode(json, ram, { magic: 'HANDSNAQ' }), /not a handset snapshot/],
    ['other version', encode(json, ram, { version: 1 }), /version 1 is not supported/],
    ['version 0', encode(json, ram, { version: 0 }), /version 0 is not supported/],
    ['a flipped byte in the compressed data', flipped, /corrupt|truncated/],
    ['valid gzip, not JSON', encode(json, ram, { text: '{"config": oops' }), /not JSON/],
    ['valid gzip, JSON length past the end', (() => { const b = Buffer.concat([Buffer.from('HANDSNAP\x02\x00\x00\x00', 'latin1'), gzipSync(Buffer.from([0xff, 0xff, 0, 0, 0x7b, 0x7d]))]); return b; })(), /bad header length/],
    ['RAM bytes missing', encode(json, ram.subarray(0, ram.length - 1)), /bytes of RAM/],
    ['RAM bytes extra', encode(json, Buffer.concat([ram, Buffer.alloc(1)])), /bytes of RAM/],
    ['a register value out of range', edit((j) => (j.cpu.r[3] = 2 ** 32)), /corrupt snapshot/],
    ['a negative register value', edit((j) => (j.cpu.banked.irq[0] = -1)), /corrupt snapshot/],
    ['an unknown CP15 register', edit((j) => (j.cpu.cp15['9,9,9,9'] = 0)), /corrupt snapshot/],
    ['a CP15 register this core does not have', edit((j) => (j.cpu.cp15['13,0,0,2'] = 5)), /corrupt snapshot/],
    ['a missing CP15 register (SCTLR)', edit((j) => delete j.cpu.cp15[SCTLR]), /corrupt snapshot/],
    ['an unknown device', edit((j) => (j.board.modem = {})), /modem/],
    ['a missing device', edit((j) => delete j.board.uart2), /uart2/],
    ['a device field out of range', edit((j) => (j.board.gic.pmr = 256)), /gic.*pmr/],
    ['a missing alarm', edit((j) => j.clock.alarms.pop()), /alarm .* missing/],
    ['an unknown alarm', edit((j) => j.clock.alarms.push({ name: 'nothing.here', due: 5 })), /nothing\.here/],
    ['a bad semihosting handle', edit((j) => j.personality.semihosting.handles.push({ handle: 0, kind: 'stdin' })), /handle/],
    ['a block clock with a fractional cycle', edit((j) => (j.blockClock.cycles = 1.5)), /cycles/],
    ['an unknown top-level field', edit((j) => (j.extra = 1)), /extra/],
    ['a RAM chunk out of the region', edit((j) => (j.ram[0].chunks = [...j.ram[0].chunks, 2048])), /chunks|RAM/],
  ];
  for (let cut = 0; cut < good.length; cut += Math.max(1, Math.floor(good.length / 9))) {
    cases.push([`truncated to ${cut} bytes`, good.subarray(0, cut), /not a handset snapshot|corrupt|truncated/]);
  }
  cases.push([`truncated by one byte`, good.subarray(0, good.length - 1), /corrupt|truncated/]);

  // The victim: a machine part way through the same image, whose state must survive every bad restore.
  const victim = new Session(spec).load();
  victim.run({ maxCycles: 700_000 });
  const state = Buffer.from(victim.machine.snapshot());
  for (const [what, bytes, message] of cases) {
    let error: unknown;
    try {
      victim.machine.restore(bytes);
    } catch (e) {
      error = e;
    }
    t.ok(error instanceof SnapshotFileError, `${what}: a SnapshotFileError (${(error as Error)?.message})`);
    t.match((error as Error)?.message ?? '', message, `${what}: says why`);
    t.notMatch((error as Error)?.message ?? '', /\n/, `${what}: one line`);
    t.same(Buffer.from(victim.machine.snapshot()), state, `${what}: the machine is as it was`);
  }
  // The victim still runs to the end as an untouched machine would.
  const reference = new Session(spec).load();
  t.same(victim.run(), reference.run(), 'after the failed restores the victim ends as an untouched run');
  victim.close();
  reference.close();
});

t.test('a snapshot restores only into a machine of the same CPU, RAM size, clock and timing', async (t) => {
  const s = new Session({ image: 'firmware/hello.elf', cpu: 'arm926', timing: 'fast' }).load();
  s.run({ maxCycles: 100 });
  const bytes = s.machine.snapshot();
  s.close();
  const others: [string, ConstructorParameters<typeof Machine>[0], RegExp][] = [
    ['another CPU', { cpu: 'arm1176', ramSize: RAM }, /cpu arm926.*arm1176/],
    ['another ARMv5 clock', { cpu: 'arm926', ramSize: RAM, clockHz: 100_000_000 }, /clockHz 200000000.*100000000/],
    ['another RAM size', { cpu: 'arm926', ramSize: 256 * MiB }, /ramSize 134217728.*268435456/],
    ['another timing', { cpu: 'arm926', ramSize: RAM, timing: 'cycle' }, /timing fast.*cycle/],
  ];
  for (const [what, options, message] of others) {
    const m = new Machine(options);
    let error: unknown;
    try {
      m.restore(bytes);
    } catch (e) {
      error = e;
    }
    t.ok(error instanceof SnapshotFileError, `${what}: refused with a SnapshotFileError`);
    t.match((error as Error)?.message ?? '', message, `${what}: names both`);
    t.throws(() => m.run(), /no image loaded/, `${what}: the machine is still empty`);
    m.close();
  }
});
