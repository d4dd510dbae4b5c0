/** Runs an image under qemu-system-arm -M realview-eb -semihosting (the oracle; installed by set-up). */
import { spawnSync } from 'node:child_process';

const QEMU_AUDIO_WARNING = /^audio: Device lm4549: audiodev default parameter is deprecated.*\n/m;

export function runQemu(image: string, cpu = 'arm926', input = ''): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(
    'qemu-system-arm',
    ['-M', 'realview-eb', '-cpu', cpu, '-m', '128M', '-kernel', image, '-nographic', '-monitor', 'none', '-semihosting', '-audiodev', 'none,id=n'],
    { encoding: 'latin1', input, timeout: 60_000 },
  );
  return { stdout: r.stdout, stderr: r.stderr.replace(QEMU_AUDIO_WARNING, ''), status: r.status };
}
