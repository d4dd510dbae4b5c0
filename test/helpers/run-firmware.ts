/** Boots a firmware image in-process and collects what it printed, for machine tests. */
import { loadImage } from '../../src/loader/image.ts';
import { Machine, memoryLayout, type MachineOptions, type RunLimits, type RunOutcome } from '../../src/machine/machine.ts';
import type { CpuModelName } from '../../src/cpu/models.ts';
import { bytesInput } from '../../src/machine/console-input.ts';

export interface FirmwareRun {
  stdout: string;
  stderr: string;
  outcome: RunOutcome;
  instructions: number;
  cycles: number;
}

export function runFirmware(
  path: string,
  options: Partial<MachineOptions> & { cpu?: CpuModelName; limits?: RunLimits; stdin?: string } = {},
): FirmwareRun {
  const ramSize = options.ramSize ?? 128 * 1024 * 1024;
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  const machine = new Machine({
    cpu: 'arm926',
    ...options,
    ramSize,
    cmdline: options.cmdline ?? path,
    input: bytesInput(options.stdin ?? ''),
  });
  machine.on('console', (e) => {
    if (e.source === 'uart0' || (e.source === 'semihosting' && e.stream === 'stdout')) out.push(e.bytes.slice());
    else if (e.source === 'semihosting') err.push(e.bytes.slice());
  });
  try {
    machine.load(loadImage(path, {}, memoryLayout(ramSize)));
    const outcome = machine.run(options.limits ?? { maxInsns: 500_000_000 });
    return {
      stdout: Buffer.concat(out).toString('latin1'),
      stderr: Buffer.concat(err).toString('latin1'),
      outcome,
      instructions: machine.instructions,
      cycles: machine.cycles,
    };
  } finally {
    machine.close();
  }
}
