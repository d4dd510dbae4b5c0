import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadImage } from '../../src/loader/image.ts';
import { loadErrorMessage } from './fixtures/catch-load-error.ts';
import { buildElf, ramp, realview } from './fixtures/elf-builder.ts';

const dir = mkdtempSync(join(tmpdir(), 'handset-loader-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

const failure = (path: string, options = {}) => loadErrorMessage(() => loadImage(path, options, realview));
const ABC_SHA256 = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

t.test('reports files that cannot be read as one-line errors naming the file', async (t) => {
  const missing = join(dir, 'missing.elf');
  t.equal(failure(missing), `${missing}: no such file`);

  const directory = join(dir, 'firmware.d');
  mkdirSync(directory);
  t.equal(failure(directory), `${directory}: is a directory, not an image file`);

  const empty = file('empty.bin', '');
  t.equal(failure(empty), `${empty}: empty file`);

  t.equal(failure('/dev/null'), '/dev/null: not a regular file');

  const loop = join(dir, 'loop.elf');
  symlinkSync(loop, loop);
  t.equal(failure(loop), `${loop}: cannot read file (ELOOP: too many symbolic links encountered)`);

  const underAFile = join(file('plain.txt', 'x'), 'x.elf');
  t.equal(failure(underAFile), `${underAFile}: cannot read file (ENOTDIR: not a directory)`);
});

t.test('loads an ELF file by its magic and hashes the file', async (t) => {
  const bytes = buildElf({ entry: 0x8001, segments: [{ paddr: 0x8000, data: ramp(0x40) }] });
  const image = loadImage(file('thumb.elf', bytes), {}, realview);
  t.equal(image.kind, 'elf');
  t.equal(image.entry, 0x8000);
  t.equal(image.thumb, true);
  t.match(image.sha256, /^[0-9a-f]{64}$/);
});

t.test('an entry override applies to ELF files too; a load address does not', async (t) => {
  const path = file('arm.elf', buildElf({ entry: 0x8000, segments: [{ paddr: 0x8000, data: ramp(0x40) }] }));
  const image = loadImage(path, { entry: 0x8021 }, realview);
  t.same([image.entry, image.thumb], [0x8020, true]);
  t.equal(failure(path, { entry: 0x9000 }), `${path}: entry point 0x00009000 is not inside any loaded segment`);
  t.equal(failure(path, { entry: -4 }), `${path}: entry point -4 is not a 32-bit address`);
  t.equal(
    failure(path, { loadAddr: 0x8000 }),
    `${path}: --load-addr is only for raw images; an ELF file gives its own load addresses`,
  );
});

t.test('loads anything else as a raw image at the load address', async (t) => {
  const path = file('abc.bin', 'abc');
  t.same(loadImage(path, { loadAddr: 0x1_0000 }, realview), {
    kind: 'raw',
    segments: [{ addr: 0x1_0000, data: new TextEncoder().encode('abc'), memSize: 3 }],
    entry: 0x1_0000,
    thumb: false,
    end: 0x1_0003,
    sha256: ABC_SHA256,
  });
  const thumb = loadImage(path, { loadAddr: 0x1_0000, entry: 0x1_0001 }, realview);
  t.same([thumb.entry, thumb.thumb], [0x1_0000, true]);
});

t.test('rejects raw images without a load address or that do not fit', async (t) => {
  const path = file('image.bin', ramp(0x200));
  t.equal(failure(path), `${path}: not an ELF file; to load it as a raw image, pass --load-addr`);
  t.equal(
    failure(path, { loadAddr: 0x07ff_ff00 }),
    `${path}: raw image 0x07ffff00-0x08000100 is not within RAM 0x00000000-0x08000000`,
  );
  t.equal(
    failure(path, { loadAddr: 0x1000_9000 }),
    `${path}: raw image 0x10009000-0x10009200 overlaps uart0 at 0x10009000`,
  );
  t.equal(
    failure(path, { loadAddr: 0x1000, entry: 0x1200 }),
    `${path}: entry point 0x00001200 is not inside any loaded segment`,
  );
  t.equal(failure(path, { loadAddr: 2 ** 32 }), `${path}: load address 4294967296 is not a 32-bit address`);
  t.equal(failure(path, { loadAddr: 0.5 }), `${path}: load address 0.5 is not a 32-bit address`);
  t.equal(failure(path, { loadAddr: 0, entry: -1 }), `${path}: entry point -1 is not a 32-bit address`);
});

t.test('the entry and a raw load address are aligned as the code at the entry must be (issue 7, defect 9)', async (t) => {
  const path = file('aligned.bin', ramp(0x40));
  t.equal(failure(path, { loadAddr: 2 }), `${path}: load address 0x00000002 is not 4-byte aligned (ARM code needs 4)`);
  t.equal(failure(path, { loadAddr: 0x8001 }), `${path}: load address 0x00008001 is not 2-byte aligned (Thumb code needs 2)`);
  t.equal(
    failure(path, { loadAddr: 0x8000, entry: 0x8006 }),
    `${path}: entry point 0x00008006 is not 4-byte aligned (ARM code needs 4; set bit 0 for Thumb)`,
  );
  t.equal(failure(path, { loadAddr: 0x8002, entry: 0x8004 }), `${path}: load address 0x00008002 is not 4-byte aligned (ARM code needs 4)`);
  const thumb = loadImage(path, { loadAddr: 0x8002, entry: 0x8007 }, realview);
  t.same([thumb.entry, thumb.thumb], [0x8006, true], 'Thumb code on a 2-byte boundary');
  const elf = file('entry.elf', buildElf({ entry: 0x8000, segments: [{ paddr: 0x8000, data: ramp(0x40) }] }));
  t.equal(failure(elf, { entry: 0x8002 }), `${elf}: entry point 0x00008002 is not 4-byte aligned (ARM code needs 4; set bit 0 for Thumb)`);
  const misaligned = file('misaligned.elf', buildElf({ entry: 0x8002, segments: [{ paddr: 0x8000, data: ramp(0x40) }] }));
  t.equal(failure(misaligned), `${misaligned}: entry point 0x00008002 is not 4-byte aligned (ARM code needs 4; set bit 0 for Thumb)`);
});

t.test('a file too short for ELF magic is a raw image', async (t) => {
  const path = file('short.bin', Uint8Array.of(0x7f, 0x45, 0x4c));
  t.equal(loadImage(path, { loadAddr: 0 }, realview).kind, 'raw');
});

t.test('ELF errors from a file name the file', async (t) => {
  const path = file('x86.elf', buildElf({ machine: 3, segments: [{ paddr: 0x8000, data: ramp(4) }] }));
  t.equal(failure(path), `${path}: not an ARM ELF (e_machine 3, need 40 = EM_ARM)`);
});
