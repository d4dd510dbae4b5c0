/** Runs an image under qemu-system-arm -M realview-eb -semihosting (the oracle; installed by set-up). */
import { spawnSync } from 'node:child_process';

/** QEMU's own messages, not the guest's: a deprecated audio option, and a note when the guest sleeps (WFI)
 * on virtual time with no timer armed, waiting for input. */
const QEMU_AUDIO_WARNING = /^audio: Device lm4549: audiodev default parameter is deprecated.*\n/m;
const QEMU_IDLE_WARNING = /^qemu-system-arm: warning: icount sleep disabled and no active timers\n/gm;

/**
 * QEMU runs on virtual time (`-icount shift=QEMU_ICOUNT_SHIFT,sleep=off`): each instruction takes 2^shift ns
 * and its timers follow the instruction count, so what it does never depends on the host's speed. A handset
 * run compared with it uses `fast` timing (one cycle per instruction) at QEMU_CLOCK_HZ, the same time per
 * instruction. Shift 9 (512 ns) is the largest whose clock is a whole number of Hz (1e9 = 2^9 * 5^9).
 */
export const QEMU_ICOUNT_SHIFT = 9;
export const QEMU_CLOCK_HZ = 1_000_000_000 / 2 ** QEMU_ICOUNT_SHIFT;

export function runQemu(image: string, cpu = 'arm926', input = ''): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(
    'qemu-system-arm',
    ['-M', 'realview-eb', '-cpu', cpu, '-m', '128M', '-kernel', image, '-nographic', '-monitor', 'none', '-semihosting', '-audiodev', 'none,id=n',
      '-icount', `shift=${QEMU_ICOUNT_SHIFT},sleep=off`],
    { encoding: 'latin1', input, timeout: 60_000 },
  );
  return { stdout: r.stdout, stderr: r.stderr.replace(QEMU_AUDIO_WARNING, '').replace(QEMU_IDLE_WARNING, ''), status: r.status };
}
