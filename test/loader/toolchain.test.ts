// Real executables from arm-none-eabi-gcc (installed by tools/setup), so the loader is checked against
// what the GNU toolchain writes, not only against the test's own ELF builder.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadImage } from '../../src/loader/image.ts';
import { realview } from './fixtures/elf-builder.ts';

const START_S = `
    .syntax unified
    .arm
    .text
    .global _start
_start:
    ldr sp, =0x20000
    blx thumb_main
1:  b 1b

    .thumb
    .thumb_func
    .global thumb_main
thumb_main:
    movs r0, #0
    bx lr

    .data
    .word 0x12345678

    .bss
    .space 0x1000
`;

const dir = mkdtempSync(join(tmpdir(), 'handset-loader-gcc-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'start.S'), START_S);

/** Links start.S with the given linker script; returns the ELF path and its symbols. */
function link(name: string, script: string): { elf: string; symbols: Map<string, number> } {
  const elf = join(dir, `${name}.elf`);
  writeFileSync(join(dir, `${name}.ld`), script);
  execFileSync('arm-none-eabi-gcc', [
    '-mcpu=arm926ej-s',
    '-nostdlib',
    '-T',
    join(dir, `${name}.ld`),
    '-Wl,--no-warn-rwx-segments',
    join(dir, 'start.S'),
    '-o',
    elf,
  ]);
  const symbols = new Map<string, number>();
  for (const line of execFileSync('arm-none-eabi-nm', [elf], { encoding: 'utf8' }).trim().split('\n')) {
    const [value, , symbol] = line.split(' ');
    symbols.set(symbol!, parseInt(value!, 16));
  }
  return { elf, symbols };
}

t.test('an ARM executable: one segment with .text and .data, .bss as extra memory size', async (t) => {
  const { elf, symbols } = link(
    'arm',
    'ENTRY(_start) SECTIONS { .text 0x10000 : { *(.text*) } .data : { *(.data*) } .bss : { *(.bss*) } __bss_end = .; }',
  );
  const image = loadImage(elf, {}, realview);
  t.equal(image.entry, symbols.get('_start'));
  t.equal(image.thumb, false);
  t.equal(image.end, symbols.get('__bss_end'));
  t.equal(image.segments.length, 1);
  const [segment] = image.segments;
  t.equal(segment!.addr, 0x1_0000);
  t.equal(segment!.memSize - segment!.data.length, 0x1000, '.bss');

  const binary = join(dir, 'arm.bin');
  execFileSync('arm-none-eabi-objcopy', ['-O', 'binary', elf, binary]);
  t.same(segment!.data, new Uint8Array(readFileSync(binary)), 'the same bytes objcopy extracts');
  const raw = loadImage(binary, { loadAddr: 0x1_0000 }, realview);
  t.same([raw.kind, raw.entry, raw.segments[0]!.data], ['raw', 0x1_0000, segment!.data]);
});

t.test('a Thumb entry linked at a virtual address loads at the physical one, as QEMU -kernel does', async (t) => {
  const { elf, symbols } = link(
    'thumb',
    'ENTRY(thumb_main) SECTIONS { .text 0xc0010000 : AT(0x10000) { *(.text*) } .data : { *(.data*) } ' +
      '.bss : { *(.bss*) } }',
  );
  const image = loadImage(elf, {}, realview);
  t.equal(symbols.get('thumb_main'), 0xc001_000c);
  t.equal(image.entry, 0x1_000c);
  t.equal(image.thumb, true);
  t.equal(image.segments[0]!.addr, 0x1_0000);
});

t.test('every committed firmware image loads on realview-eb', async (t) => {
  const firmware = new URL('../../firmware/', import.meta.url).pathname;
  const images = existsSync(firmware) ? readdirSync(firmware).filter((f) => f.endsWith('.elf')) : [];
  for (const name of images) {
    t.equal(loadImage(join(firmware, name), {}, realview).kind, 'elf', name);
  }
});
