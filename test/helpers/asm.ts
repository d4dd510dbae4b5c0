/** Assembles a snippet with Debian's arm-none-eabi-as (a project dependency) into raw bytes at `origin`. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function assemble(source: string, origin = 0x8000, march = 'armv5te'): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'handset-asm-'));
  try {
    writeFileSync(join(dir, 'a.S'), `.text\n.global _start\n_start:\n${source}\n`);
    execFileSync('arm-none-eabi-gcc', [`-march=${march}`, '-nostdlib', `-Wl,-Ttext=0x${origin.toString(16)}`, '-Wl,--build-id=none', '-o', join(dir, 'a.elf'), join(dir, 'a.S')]);
    execFileSync('arm-none-eabi-objcopy', ['-O', 'binary', '-j', '.text', join(dir, 'a.elf'), join(dir, 'a.bin')]);
    return new Uint8Array(readFileSync(join(dir, 'a.bin')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
