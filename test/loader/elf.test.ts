import t from 'tap';
import { parseElf } from '../../src/loader/elf.ts';
import { loadErrorMessage } from './fixtures/catch-load-error.ts';
import { PF_R, PF_W, PF_X, PT_NOTE, buildElf, ramp, realview, type ElfSpec } from './fixtures/elf-builder.ts';

const NAME = 'firmware/x.elf';
const parse = (spec: ElfSpec) => parseElf(buildElf(spec), NAME, realview);
const failure = (spec: ElfSpec) => loadErrorMessage(() => parse(spec));
const text = { paddr: 0x8000, data: ramp(0x100) };

t.test('loads PT_LOAD segments at their physical address with file bytes and memory size', async (t) => {
  const image = parse({
    entry: 0x8000,
    segments: [
      text,
      { type: PT_NOTE, paddr: 0x7000_0000, data: ramp(8) },
      { paddr: 0x2_0000, data: ramp(0x10, 0x80), memSize: 0x400, flags: PF_R | PF_W },
    ],
  });
  t.equal(image.kind, 'elf');
  t.same(
    image.segments.map((s) => [s.addr, s.data.length, s.memSize]),
    [
      [0x8000, 0x100, 0x100],
      [0x2_0000, 0x10, 0x400],
    ],
    'PT_NOTE is skipped; .bss is memSize beyond the file bytes',
  );
  t.same(image.segments[0]!.data, ramp(0x100));
  t.same(image.segments[1]!.data, ramp(0x10, 0x80));
  t.equal(image.entry, 0x8000);
  t.equal(image.thumb, false);
  t.equal(image.end, 0x2_0400, 'end of the highest segment, .bss included');
  t.equal(image.sha256, undefined, 'only loadImage hashes the file');
});

t.test('a segment with only .bss has no file bytes', async (t) => {
  const image = parse({ segments: [text, { paddr: 0x1_0000, fileSize: 0, memSize: 0x2000, offset: 0xffff_0000 }] });
  t.same(image.segments[1], { addr: 0x1_0000, data: new Uint8Array(0), memSize: 0x2000 });
});

t.test('segment data is a copy of the file bytes', async (t) => {
  const file = buildElf({ segments: [text] });
  const image = parseElf(file, NAME, realview);
  file.fill(0);
  t.same(image.segments[0]!.data, ramp(0x100));
});

t.test('bit 0 of the entry selects Thumb and is cleared', async (t) => {
  const image = parse({ entry: 0x8041, segments: [text] });
  t.equal(image.entry, 0x8040);
  t.equal(image.thumb, true);
});

t.test('an entry in an executable segment linked at another virtual address moves with it, as in QEMU', async (t) => {
  const image = parse({ entry: 0xc000_0011, segments: [{ ...text, vaddr: 0xc000_0000 }] });
  t.equal(image.entry, 0x8010);
  t.equal(image.thumb, true);
  t.equal(
    failure({ entry: 0xc000_0010, segments: [{ ...text, vaddr: 0xc000_0000, flags: PF_R }] }),
    `${NAME}: entry point 0xc0000010 is not inside any loaded segment`,
    'not when the segment is not executable',
  );
});

t.test('zero-size PT_LOAD headers are ignored', async (t) => {
  const image = parse({ entry: 0x8000, segments: [{ paddr: 0xf000_0000, fileSize: 0, memSize: 0 }, text] });
  t.equal(image.segments.length, 1);
});

t.test('rejects files that are not ELF', async (t) => {
  t.equal(
    loadErrorMessage(() => parseElf(Uint8Array.of(0x7f, 0x45, 0x4c), NAME, realview)),
    `${NAME}: not an ELF file (too short: 3 bytes)`,
  );
  t.equal(failure({ magic: [0x7f, 0x45, 0x4c, 0x47], segments: [text] }), `${NAME}: not an ELF file (bad magic)`);
});

t.test('rejects a truncated header', async (t) => {
  t.equal(
    failure({ segments: [text], truncateTo: 40 }),
    `${NAME}: truncated file: the ELF header needs 52 bytes, the file has 40`,
  );
});

t.test('rejects the wrong class, encoding, machine or file type', async (t) => {
  t.equal(
    failure({ elfClass: 2, segments: [text] }),
    `${NAME}: 64-bit ELF (ELFCLASS64); need a 32-bit ARM executable (ELFCLASS32)`,
  );
  t.equal(failure({ elfClass: 0, segments: [text] }), `${NAME}: invalid ELF class 0`);
  t.equal(
    failure({ encoding: 2, segments: [text] }),
    `${NAME}: big-endian ELF (ELFDATA2MSB); need little-endian (ELFDATA2LSB)`,
  );
  t.equal(failure({ encoding: 3, segments: [text] }), `${NAME}: invalid ELF data encoding 3`);
  t.equal(failure({ machine: 62, segments: [text] }), `${NAME}: not an ARM ELF (e_machine 62, need 40 = EM_ARM)`);
  t.equal(
    failure({ type: 1, segments: [text] }),
    `${NAME}: not an executable: ET_REL (relocatable object); need ET_EXEC`,
  );
  t.equal(
    failure({ type: 3, segments: [text] }),
    `${NAME}: not an executable: ET_DYN (shared object or position-independent executable); need ET_EXEC`,
  );
  t.equal(failure({ type: 4, segments: [text] }), `${NAME}: not an executable: ET_CORE (core dump); need ET_EXEC`);
  t.equal(failure({ type: 0xfe00, segments: [text] }), `${NAME}: not an executable: e_type 65024; need ET_EXEC`);
});

t.test('rejects an executable with nothing to load', async (t) => {
  const message = `${NAME}: no loadable segment (no PT_LOAD program header with a non-zero size)`;
  t.equal(failure({ segments: [] }), message);
  t.equal(failure({ segments: [{ type: PT_NOTE, paddr: 0x8000, data: ramp(4) }] }), message);
});

t.test('rejects broken program headers', async (t) => {
  t.equal(failure({ phentsize: 40, segments: [text] }), `${NAME}: program header entry size 40, need 32 for ELF32`);
  t.equal(
    failure({ phnum: 3, segments: [text], truncateTo: 52 + 32 }),
    `${NAME}: truncated file: the program header table ends at offset 0x00000094, the file has 0x00000054 bytes`,
  );
  t.equal(
    failure({ phoff: 0xffff_fff0, segments: [text] }),
    `${NAME}: truncated file: the program header table ends at offset 0x100000010, the file has 0x00000154 bytes`,
    'an offset near 4 GiB does not wrap',
  );
  t.equal(
    failure({ segments: [text], truncateTo: 0x100 }),
    `${NAME}: truncated file: program header 0 data ends at offset 0x00000154, the file has 0x00000100 bytes`,
  );
  t.equal(
    failure({ segments: [text, { paddr: 0x9000, data: ramp(8), memSize: 4 }] }),
    `${NAME}: program header 1: file size 0x00000008 exceeds memory size 0x00000004`,
  );
});

t.test('rejects segments outside RAM or over a device', async (t) => {
  t.equal(
    failure({ segments: [{ paddr: 0x07ff_ff80, data: ramp(0x100) }] }),
    `${NAME}: segment 0x07ffff80-0x08000080 is not within RAM 0x00000000-0x08000000`,
    'partly outside',
  );
  t.equal(
    failure({ segments: [{ paddr: 0x2000_0000, data: ramp(0x100) }] }),
    `${NAME}: segment 0x20000000-0x20000100 is not within RAM 0x00000000-0x08000000`,
    'wholly outside',
  );
  t.equal(
    failure({ segments: [text, { paddr: 0xffff_ff00, fileSize: 0, memSize: 0x200 }] }),
    `${NAME}: segment 0xffffff00-0x100000100 is not within RAM 0x00000000-0x08000000`,
    'past 4 GiB',
  );
  t.equal(
    failure({ segments: [{ paddr: 0x1000_9000, data: ramp(0x1000) }] }),
    `${NAME}: segment 0x10009000-0x1000a000 overlaps uart0 at 0x10009000`,
  );
  t.equal(
    failure({ segments: [{ paddr: 0x1003_f000, fileSize: 0, memSize: 0x1004 }] }),
    `${NAME}: segment 0x1003f000-0x10040004 overlaps gic at 0x10040000`,
  );
});

t.test('rejects overlapping segments', async (t) => {
  t.equal(
    failure({ segments: [text, { paddr: 0x80f0, data: ramp(0x20) }] }),
    `${NAME}: segments 0x00008000-0x00008100 and 0x000080f0-0x00008110 overlap`,
  );
  t.equal(
    failure({
      segments: [
        { paddr: 0x9000, data: ramp(0x10) },
        { paddr: 0x8000, fileSize: 0, memSize: 0x2000 },
      ],
    }),
    `${NAME}: segments 0x00008000-0x0000a000 and 0x00009000-0x00009010 overlap`,
    'in any program header order',
  );
  t.equal(parse({ segments: [text, { paddr: 0x8100, data: ramp(4) }] }).end, 0x8104, 'touching is fine');
});

t.test('rejects an entry point outside the loaded segments', async (t) => {
  t.equal(
    failure({ entry: 0x8100, segments: [text] }),
    `${NAME}: entry point 0x00008100 is not inside any loaded segment`,
  );
  t.equal(
    failure({ entry: 0x7fff, segments: [text] }),
    `${NAME}: entry point 0x00007ffe is not inside any loaded segment`,
  );
  t.equal(parse({ entry: 0x80ff, segments: [text] }).entry, 0x80fe, 'the last halfword is inside');
  t.equal(
    parse({ entry: 0x2_0100, segments: [text, { paddr: 0x2_0000, fileSize: 0, memSize: 0x200, flags: PF_X }] }).entry,
    0x2_0100,
    '.bss counts as loaded memory',
  );
});
