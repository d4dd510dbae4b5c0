/** Boots an image with the recorder on, writing a trace file; and captures QEMU's trace of the same image. */
import { spawnSync } from 'node:child_process';
import { loadImage } from '../../src/loader/image.ts';
import { bytesInput } from '../../src/machine/console-input.ts';
import { Machine, memoryLayout, type TimingMode } from '../../src/machine/machine.ts';
import { Recorder, type RecorderOptions } from '../../src/trace/recorder.ts';
import type { CpuModelName } from '../../src/cpu/models.ts';

const RAM = 128 * 1024 * 1024;

export function traceRun(
  image: string,
  path: string,
  options: { cpu?: CpuModelName; timing?: TimingMode; clockHz?: number; stdin?: string; window?: Omit<RecorderOptions, 'path' | 'header'> } = {},
): { stdout: string; status: number | undefined; instructions: number } {
  const cpu = options.cpu ?? 'arm926';
  const out: Uint8Array[] = [];
  const machine = new Machine({
    cpu, ramSize: RAM, timing: options.timing, clockHz: options.clockHz, input: bytesInput(options.stdin ?? ''), cmdline: image,
  });
  machine.on('console', (e) => {
    if (e.source === 'uart0') out.push(e.bytes.slice());
  });
  try {
    const loaded = loadImage(image, {}, memoryLayout(RAM));
    machine.load(loaded);
    const recorder = new Recorder(machine, {
      path,
      ...options.window,
      header: { cpu, clockHz: machine.config.clockHz, ramSize: RAM, timing: options.timing ?? 'fast', imageSha256: loaded.sha256 ?? '' },
    });
    let outcome;
    try {
      outcome = machine.run({ maxInsns: 50_000_000 });
    } finally {
      recorder.finish();
    }
    return { stdout: Buffer.concat(out).toString('latin1'), status: outcome.kind === 'exit' ? outcome.status : undefined, instructions: machine.instructions };
  } finally {
    machine.close();
  }
}

/**
 * QEMU's -singlestep -d exec,cpu,nochain log of the image (tools/qemu-trace). `icountShift` runs QEMU on
 * virtual time (see QEMU_ICOUNT_SHIFT in qemu.ts): needed for any image whose run involves time.
 */
export function qemuTrace(image: string, log: string, stdin = '', cpu = 'arm926', icountShift?: number): number | null {
  const icount = icountShift === undefined ? [] : ['--icount', String(icountShift)];
  return spawnSync('bash', ['tools/qemu-trace', '--cpu', cpu, ...icount, image, log], { input: stdin, stdio: ['pipe', 'ignore', 'ignore'] }).status;
}
