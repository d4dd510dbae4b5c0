/**
 * `npm run bench`: speed of the emulator measured against raw Unicorn and QEMU in the same run, on the
 * same CPU-bound firmware (firmware/cpu-bound.elf). Reports ratios, which survive a noisy shared machine
 * better than absolute times. Host time is read here only: this is a measuring tool, not the emulation.
 *
 * Also: the cycle timing mode against fast, and tracing (handset's trace file against QEMU's
 * `-singlestep -d exec,cpu` log) on a shortened copy of the image (cpu_bound_passes patched) in a temp dir;
 * and snapshots: size, save and restore time of a 128 MiB board near the end of firmware/newlib-demo.elf,
 * against the time newlib-demo itself takes to run; and the hypervisor (tools/bench/hypervisor-bench.ts):
 * two CPU-bound guests against the same loop bare-metal, hypercalls and world switches per host second,
 * and the boot of the work and home guests to their prompts.
 *
 * Environment: BENCH_ROUNDS (default 3; each measurement is the best of that many runs);
 * BENCH_TRACE_PASSES (the tracing workload's cpu_bound_passes, default 244); BENCH_ONLY, a comma-separated
 * list of the sections to run, of `speed` (MIPS against raw Unicorn and QEMU, cycle timing), `trace`,
 * `snapshot`, `hypervisor` (default all, in that order), e.g. `BENCH_ONLY=hypervisor npm run bench`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { patchedCopy } from './bench/elf-patch.ts';
import { handsetTraced, qemuTraced } from './bench/trace-bench.ts';
import { runRawUnicorn } from './bench/raw-baseline.ts';
import { hypervisorBench } from './bench/hypervisor-bench.ts';
import { loadImage } from '../src/loader/image.ts';
import { Machine, memoryLayout, type TimingMode } from '../src/machine/machine.ts';
import type { BlockClockKind } from '../src/cpu/block-clock.ts';

const IMAGE = 'firmware/cpu-bound.elf';
const RAM = 128 * 1024 * 1024;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Passes of cpu-bound's outer loop (8196 instructions each) for the tracing workload: ~2.0 M instructions. */
const TRACE_PASSES = Number(process.env.BENCH_TRACE_PASSES ?? 244);
/** QEMU's exec,cpu log takes ~300 bytes per instruction. */
const QEMU_LOG_BYTES_PER_PASS = 8196 * 300;
const SECTIONS = ['speed', 'trace', 'snapshot', 'hypervisor'] as const;
const ONLY = (process.env.BENCH_ONLY ?? SECTIONS.join(',')).split(',').map((x) => x.trim()).filter((x) => x !== '');
for (const name of ONLY) {
  if (!(SECTIONS as readonly string[]).includes(name)) throw new Error(`BENCH_ONLY: no section "${name}" (expected some of ${SECTIONS.join(', ')})`);
}
const want = (section: (typeof SECTIONS)[number]) => ONLY.includes(section);

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function ours(blockClock: BlockClockKind, timing: TimingMode = 'fast'): { ms: number; insns: number; cycles: number } {
  const image = loadImage(IMAGE, {}, memoryLayout(RAM));
  const machine = new Machine({ cpu: 'arm926', ramSize: RAM, blockClock, timing });
  try {
    machine.load(image);
    const start = process.hrtime.bigint();
    const outcome = machine.run();
    const elapsed = ms(start);
    if (outcome.kind !== 'exit' || outcome.status !== 0) throw new Error(`cpu-bound did not exit 0: ${JSON.stringify(outcome)}`);
    return { ms: elapsed, insns: machine.instructions, cycles: machine.cycles };
  } finally {
    machine.close();
  }
}

function raw(): number {
  const image = loadImage(IMAGE, {}, memoryLayout(RAM));
  return runRawUnicorn('arm926', RAM, image.segments, image.entry);
}

function qemu(): number | undefined {
  const start = process.hrtime.bigint();
  const r = spawnSync(
    'qemu-system-arm',
    ['-M', 'realview-eb', '-cpu', 'arm926', '-m', '128M', '-kernel', IMAGE, '-nographic', '-monitor', 'none', '-semihosting', '-audiodev', 'none,id=n'],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  const elapsed = ms(start);
  return r.status === 0 ? elapsed : undefined;
}

function qemuStartup(): number | undefined {
  // QEMU's own start-up and exit, timed on the hello image (a few hundred instructions), to subtract.
  const start = process.hrtime.bigint();
  const r = spawnSync(
    'qemu-system-arm',
    ['-M', 'realview-eb', '-cpu', 'arm926', '-m', '128M', '-kernel', 'firmware/hello.elf', '-nographic', '-monitor', 'none', '-semihosting', '-audiodev', 'none,id=n'],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  return r.status === 0 ? ms(start) : undefined;
}

function best<T>(n: number, f: () => T, key: (t: T) => number): T {
  let b: T | undefined;
  for (let i = 0; i < n; i++) {
    const r = f();
    if (b === undefined || key(r) < key(b)) b = r;
  }
  return b!;
}

if (want('speed')) {
  const native = best(ROUNDS, () => ours('native'), (r) => r.ms);
  const cycle = best(ROUNDS, () => ours('native', 'cycle'), (r) => r.ms);
  const js = ours('js');
  const rawMs = best(ROUNDS, raw, (x) => x);
  const qemuMs = best(ROUNDS, () => qemu() ?? Infinity, (x) => x);
  const qemuBase = best(ROUNDS, () => qemuStartup() ?? Infinity, (x) => x);
  const insns = native.insns;
  const mips = (t: number) => insns / t / 1000;
  const qemuNet = qemuMs - qemuBase;

  console.log(`image ${IMAGE}: ${insns} instructions, best of ${ROUNDS}`);
  console.log(`handset fast (native block clock)  ${mips(native.ms).toFixed(1)} MIPS`);
  console.log(`handset fast (TypeScript reference) ${mips(js.ms).toFixed(1)} MIPS`);
  console.log(`raw Unicorn, no SoC                 ${mips(rawMs).toFixed(1)} MIPS`);
  if (Number.isFinite(qemuMs)) {
    console.log(`qemu-system-arm (whole process)     ${mips(qemuMs).toFixed(1)} MIPS; minus start-up ${mips(qemuNet).toFixed(1)} MIPS`);
  }
  console.log(`ratio handset/raw Unicorn = ${(rawMs / native.ms).toFixed(2)} (target >= 0.8)`);
  if (Number.isFinite(qemuMs)) {
    console.log(`ratio handset/QEMU = ${(qemuMs / native.ms).toFixed(2)} (whole process), ${(qemuNet / native.ms).toFixed(2)} (minus QEMU start-up)`);
  }

  // cycle timing mode against fast, same image, native block clock
  console.log(`handset cycle (native block clock) ${(cycle.insns / cycle.ms / 1000).toFixed(1)} MIPS, CPI ${(cycle.cycles / cycle.insns).toFixed(3)}`);
  console.log(`ratio cycle/fast = ${((cycle.insns / cycle.ms) / (native.insns / native.ms)).toFixed(2)} (target >= 0.5)`);
}

if (want('trace')) {
  // tracing: handset's trace file against QEMU's per-instruction log, on a shortened copy of the image
  const dir = mkdtempSync(join(tmpdir(), 'handset-bench-'));
  try {
    const fs = statfsSync(dir);
    // QEMU's log gets at most half the free space
    const passes = Math.max(1, Math.min(TRACE_PASSES, Math.floor((fs.bavail * fs.bsize) / 2 / QEMU_LOG_BYTES_PER_PASS)));
    const image = join(dir, 'cpu-bound-short.elf');
    patchedCopy(IMAGE, image, 'cpu_bound_passes', passes);
    const traceFile = join(dir, 'handset.trace');
    const h = best(ROUNDS, () => {
      rmSync(traceFile, { force: true });
      return handsetTraced(image, traceFile);
    }, (r) => r.ms);
    rmSync(traceFile, { force: true });
    // QEMU's instructions: the log's Trace lines, counted on the first successful round (the same every round)
    let qemuInsns: number | undefined;
    const q = best(ROUNDS, () => {
      const r = qemuTraced(image, join(dir, 'qemu.log'), qemuInsns === undefined);
      if (r !== undefined && qemuInsns === undefined) qemuInsns = r.insns;
      return r;
    }, (r) => r?.ms ?? Infinity);
    const rate = (n: number, t: number) => (n / t / 1000).toFixed(2);
    const perInsn = (b: number, n: number) => (b / n).toFixed(2);
    console.log(`trace workload: copy with cpu_bound_passes=${passes}, ${h.insns} instructions`);
    console.log(`handset --trace (whole run)        ${rate(h.insns, h.ms)} M insn/s, ${perInsn(h.bytes, h.insns)} B/insn (${h.bytes} B)`);
    if (q !== undefined && qemuInsns !== undefined) {
      const n = qemuInsns;
      const same = n === h.insns ? "= handset's count" : `handset counts ${h.insns}`;
      console.log(`qemu -d exec,cpu (whole process)   ${rate(n, q.ms)} M insn/s, ${perInsn(q.bytes, n)} B/insn (${q.bytes} B; -singlestep, no nochain; ${n} Trace lines ${same})`);
      const size = (h.bytes / h.insns) / (q.bytes / n);
      console.log(`ratio trace throughput handset/QEMU = ${((h.insns / h.ms) / (n / q.ms)).toFixed(2)} (target >= 10)`);
      console.log(`ratio trace bytes/insn handset/QEMU = ${size.toFixed(4)} = 1/${(1 / size).toFixed(0)} (target <= 0.1)`);
    } else {
      console.log('qemu-system-arm traced run failed');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// snapshots: a 128 MiB board near the end of newlib-demo (all its RAM written, its files still open)
if (want('snapshot')) {
  const DEMO = 'firmware/newlib-demo.elf';
  const demo = () => {
    const machine = new Machine({ cpu: 'arm926', ramSize: RAM, cmdline: DEMO });
    machine.load(loadImage(DEMO, {}, memoryLayout(RAM)));
    return machine;
  };
  const whole = best(ROUNDS, () => {
    const machine = demo();
    try {
      const start = process.hrtime.bigint();
      const outcome = machine.run();
      const elapsed = ms(start);
      if (outcome.kind !== 'exit') throw new Error(`newlib-demo did not exit: ${JSON.stringify(outcome)}`);
      return { ms: elapsed, cycles: machine.cycles, insns: machine.instructions };
    } finally {
      machine.close();
    }
  }, (r) => r.ms);
  const at = whole.cycles - 1000;
  const taken = best(ROUNDS, () => {
    const machine = demo();
    try {
      machine.run({ maxCycles: at });
      const start = process.hrtime.bigint();
      const bytes = machine.snapshot();
      return { ms: ms(start), bytes, cycles: machine.cycles };
    } finally {
      machine.close();
    }
  }, (r) => r.ms);
  // Into a fresh machine (as `boot --restore` does), then once more into the same machine (warm).
  const restored = best(ROUNDS, () => {
    const machine = new Machine({ cpu: 'arm926', ramSize: RAM, cmdline: DEMO });
    try {
      let start = process.hrtime.bigint();
      machine.restore(taken.bytes);
      const fresh = ms(start);
      start = process.hrtime.bigint();
      machine.restore(taken.bytes);
      const again = ms(start);
      const outcome = machine.run();
      if (outcome.kind !== 'exit' || machine.instructions !== whole.insns || machine.cycles !== whole.cycles) {
        throw new Error(`the restored newlib-demo did not end as the whole run: ${JSON.stringify(outcome)} after ${machine.instructions} instructions`);
      }
      return { ms: fresh, again };
    } finally {
      machine.close();
    }
  }, (r) => r.ms);
  console.log(`snapshot workload: ${DEMO} on a 128 MiB board, ${whole.insns} instructions in ${whole.ms.toFixed(1)} ms; snapshot at cycle ${taken.cycles} of ${whole.cycles}`);
  console.log(`snapshot size ${taken.bytes.length} B (${(taken.bytes.length / 1024).toFixed(1)} KiB)`);
  console.log(`snapshot() ${taken.ms.toFixed(1)} ms; restore() into a fresh machine ${restored.ms.toFixed(1)} ms, into the same machine again ${restored.again.toFixed(1)} ms`);
  console.log(`ratio snapshot time / newlib-demo run time = ${(taken.ms / whole.ms).toFixed(2)}; restore (fresh) / run time = ${(restored.ms / whole.ms).toFixed(2)}`);
}

// the hypervisor: two CPU-bound guests against bare metal, hypercall and world-switch rates, boot
if (want('hypervisor')) hypervisorBench(ROUNDS);
