/**
 * For the benchmark: a traced run on handset (Machine + Recorder, what `handset boot --trace FILE` does,
 * without --trace-mem) and QEMU's per-instruction log of the same image, each timed as a whole run (host
 * time: this is the measurement) with the size of what it wrote.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { loadImage } from '../../src/loader/image.ts';
import { Machine, memoryLayout } from '../../src/machine/machine.ts';
import { Recorder } from '../../src/trace/recorder.ts';

const RAM = 128 * 1024 * 1024;

export interface TracedRun {
  ms: number;
  insns: number;
  bytes: number;
}

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Machine construction, load, the traced run and closing the trace file, timed together. */
export function handsetTraced(image: string, path: string): TracedRun {
  const start = process.hrtime.bigint();
  const machine = new Machine({ cpu: 'arm926', ramSize: RAM, cmdline: image });
  try {
    const loaded = loadImage(image, {}, memoryLayout(RAM));
    machine.load(loaded);
    const recorder = new Recorder(machine, {
      path,
      header: { cpu: 'arm926', clockHz: machine.config.clockHz, ramSize: RAM, timing: 'fast', imageSha256: loaded.sha256 ?? '' },
    });
    let outcome;
    try {
      outcome = machine.run();
    } finally {
      recorder.finish();
    }
    const elapsed = ms(start);
    if (outcome.kind !== 'exit' || outcome.status !== 0) throw new Error(`traced run did not exit 0: ${JSON.stringify(outcome)}`);
    if (recorder.written !== machine.instructions) throw new Error(`trace has ${recorder.written} records for ${machine.instructions} instructions`);
    return { ms: elapsed, insns: machine.instructions, bytes: statSync(path).size };
  } finally {
    machine.close();
  }
}

/** `Trace ` lines in QEMU's log: one per instruction with -singlestep. */
export function countTraceLines(path: string): number {
  const fd = openSync(path, 'r');
  const chunk = Buffer.alloc(16 << 20);
  const needle = Buffer.from('\nTrace ');
  let count = 0;
  let carry: number; // bytes kept at the chunk's start from the previous read
  try {
    chunk[0] = 0x0a; // the file's first line counts as after a newline
    carry = 1;
    for (;;) {
      const n = readSync(fd, chunk, carry, chunk.length - carry, null);
      if (n === 0) break;
      const end = carry + n;
      const view = chunk.subarray(0, end);
      for (let at = view.indexOf(needle); at !== -1; at = view.indexOf(needle, at + 1)) count++;
      // keep one byte less than the needle: a needle split by the chunk's end is found next time, none twice
      const keep = Math.min(needle.length - 1, end);
      chunk.copy(chunk, 0, end - keep, end);
      carry = keep;
    }
  } finally {
    closeSync(fd);
  }
  return count;
}

/** qemu-system-arm with `-singlestep -d exec,cpu -D log` (no nochain), as a whole process. */
export function qemuTraced(image: string, log: string, countLines: boolean): TracedRun | undefined {
  rmSync(log, { force: true });
  const start = process.hrtime.bigint();
  const r = spawnSync(
    'qemu-system-arm',
    ['-M', 'realview-eb', '-cpu', 'arm926', '-m', '128M', '-kernel', image, '-nographic', '-monitor', 'none', '-semihosting', '-audiodev', 'none,id=n',
      '-singlestep', '-d', 'exec,cpu', '-D', log],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  const elapsed = ms(start);
  if (r.status !== 0) return undefined;
  const bytes = statSync(log).size;
  const insns = countLines ? countTraceLines(log) : 0;
  rmSync(log, { force: true });
  return { ms: elapsed, insns, bytes };
}
