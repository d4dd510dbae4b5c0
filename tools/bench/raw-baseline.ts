/**
 * The benchmark baseline: the same image on a bare Unicorn engine with no SoC, no clock and no hooks but
 * the one that ends the run at the first SVC (the firmware's semihosting exit). The device page is plain
 * RAM here, so UART writes cost a store and status reads see zero ("not full").
 */
import { UC_ARCH_ARM, UC_CTL_CPU_MODEL_WRITE, UC_HOOK_INTR, UC_MODE_ARM, UC_PROT_ALL, unicorn } from '../../src/cpu/unicorn-ffi.ts';
import { CPU_MODELS, type CpuModelName } from '../../src/cpu/models.ts';

export interface RawSegment {
  addr: number;
  data: Uint8Array;
  memSize: number;
}

/** Runs to the first SVC; returns the host milliseconds spent inside uc_emu_start. */
export function runRawUnicorn(model: CpuModelName, ramSize: number, segments: RawSegment[], entry: number): number {
  const u = unicorn();
  const out: unknown[] = [null];
  if (u.uc_open(UC_ARCH_ARM, UC_MODE_ARM, out) !== 0) throw new Error('uc_open failed');
  const uc = out[0] as Parameters<typeof u.uc_emu_stop>[0];
  const stop = u.koffi.register(() => void u.uc_emu_stop(uc), u.koffi.pointer(u.intrHook));
  try {
    u.uc_ctl_int(uc, UC_CTL_CPU_MODEL_WRITE, 'int', CPU_MODELS[model].ucModel);
    u.uc_mem_map(uc, 0, ramSize, UC_PROT_ALL);
    u.uc_mem_map(uc, 0x1000_0000, 0x10_0000, UC_PROT_ALL);
    for (const s of segments) {
      const bytes = new Uint8Array(s.memSize);
      bytes.set(s.data);
      u.uc_mem_write(uc, s.addr, bytes, bytes.length);
    }
    u.uc_hook_add(uc, [0], UC_HOOK_INTR, stop, null, 1, 0);
    // Host time is this benchmark's measurement; nothing emulated depends on it.
    const started = process.hrtime.bigint();
    const err = u.uc_emu_start(uc, entry, 0xffffffff, 0, 0);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (err !== 0) throw new Error(`raw Unicorn run failed: ${u.uc_strerror(err)}`);
    return ms;
  } finally {
    u.uc_close(uc);
    u.koffi.unregister(stop);
  }
}
