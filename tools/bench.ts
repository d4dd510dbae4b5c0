/**
 * `npm run bench`: speed of the emulator measured against raw Unicorn and QEMU in the same run, on the
 * same CPU-bound firmware (firmware/cpu-bound.elf). Reports ratios, which survive a noisy shared machine
 * better than absolute times. Host time is read here only: this is a measuring tool, not the emulation.
 */
import { spawnSync } from 'node:child_process';
import { runRawUnicorn } from '../src/cpu/raw-baseline.ts';
import { loadImage } from '../src/loader/image.ts';
import { Machine, memoryLayout } from '../src/machine/machine.ts';
import type { BlockClockKind } from '../src/cpu/block-clock.ts';

const IMAGE = 'firmware/cpu-bound.elf';
const RAM = 128 * 1024 * 1024;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function ours(blockClock: BlockClockKind): { ms: number; insns: number } {
  const image = loadImage(IMAGE, {}, memoryLayout(RAM));
  const machine = new Machine({ cpu: 'arm926', ramSize: RAM, blockClock });
  try {
    machine.load(image);
    const start = process.hrtime.bigint();
    const outcome = machine.run();
    const elapsed = ms(start);
    if (outcome.kind !== 'exit' || outcome.status !== 0) throw new Error(`cpu-bound did not exit 0: ${JSON.stringify(outcome)}`);
    return { ms: elapsed, insns: machine.instructions };
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

const native = best(ROUNDS, () => ours('native'), (r) => r.ms);
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
