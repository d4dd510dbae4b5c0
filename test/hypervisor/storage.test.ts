// Partition stores: zero-filled when new, bounds, write-through files that persist across instances,
// wipe, snapshot save/load (and every refused state), file size and directory errors, and isolation.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { buildSync } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SnapshotError, type StateValue } from '../../src/soc/device.ts';
import { fileStore, memoryStore, StoreError, type PartitionStore } from '../../src/hypervisor/storage.ts';

const KIB64 = 65536;

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

function storeErrorOf(run: () => unknown): StoreError | undefined {
  try {
    run();
  } catch (e) {
    if (e instanceof StoreError) return e;
    throw e;
  }
  return undefined;
}

function snapshotErrorOf(run: () => unknown): SnapshotError | undefined {
  try {
    run();
  } catch (e) {
    if (e instanceof SnapshotError) return e;
    throw e;
  }
  return undefined;
}

/** t.testdir() makes one fresh directory per test: call it once, and only when needed. */
function lazyDir(t: { testdir(): string }): () => string {
  let made: string | undefined;
  return () => (made ??= t.testdir());
}

/** The same tests for both kinds of store; `dir` gives the test's directory (file stores only). */
const kinds: [string, (dir: () => string, size: number, name?: string) => PartitionStore][] = [
  ['memory', (_dir, size) => memoryStore(size)],
  ['file', (dir, size, name = 'work') => fileStore(dir(), name, size)],
];

for (const [kind, make] of kinds) {
  t.test(`${kind}: a new store is all zero; bytes written read back; reads are copies`, async (t) => {
    const dir = lazyDir(t);
    const s = make(dir, 10000);
    t.equal(s.size, 10000);
    t.strictSame(s.read(0, 10000), new Uint8Array(10000));
    s.write(4090, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
    s.write(0, Uint8Array.of(0xff));
    s.write(9999, Uint8Array.of(0xee));
    t.strictSame(s.read(4088, 14), Uint8Array.of(0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 0));
    t.strictSame(s.read(0, 2), Uint8Array.of(0xff, 0));
    t.strictSame(s.read(9998, 2), Uint8Array.of(0, 0xee));
    t.strictSame(s.read(10000, 0), new Uint8Array(0), 'an empty read at the end');
    s.write(10000, new Uint8Array(0));
    const copy = s.read(4090, 3);
    copy[0] = 99;
    t.strictSame(s.read(4090, 3), Uint8Array.of(1, 2, 3), 'changing what read returned does not change the store');
    const source = Uint8Array.of(7, 7);
    s.write(100, source);
    source[0] = 0;
    t.strictSame(s.read(100, 2), Uint8Array.of(7, 7), 'changing the written array afterwards does not either');
    s.write(4091, Uint8Array.of(0x20));
    t.strictSame(s.read(4090, 3), Uint8Array.of(1, 0x20, 3), 'an overwrite');
    s.close();
  });

  t.test(`${kind}: out-of-bounds reads and writes are RangeErrors and change nothing`, async (t) => {
    const dir = lazyDir(t);
    const s = make(dir, 4096);
    s.write(4090, Uint8Array.of(1, 2, 3, 4, 5, 6));
    for (const [offset, length] of [[4096, 1], [4095, 2], [0, 4097], [-1, 1], [0, -1], [0.5, 1], [1, 0.5], [NaN, 1], [Infinity, 0]] as const) {
      t.throws(() => s.read(offset, length), RangeError, `read(${offset}, ${length})`);
    }
    for (const [offset, length] of [[4096, 1], [4090, 7], [-1, 1], [1.5, 1], [0, 4097]] as const) {
      t.throws(() => s.write(offset, new Uint8Array(length).fill(9)), RangeError, `write(${offset}, ${length} bytes)`);
    }
    t.strictSame(s.read(4088, 8), Uint8Array.of(0, 0, 1, 2, 3, 4, 5, 6), 'nothing written');
    t.strictSame(s.read(0, 1), Uint8Array.of(0));
    s.close();
  });

  t.test(`${kind}: wipe makes every byte zero`, async (t) => {
    const dir = lazyDir(t);
    const s = make(dir, 8192);
    s.write(0, new Uint8Array(8192).fill(0xa5));
    s.wipe();
    t.strictSame(s.read(0, 8192), new Uint8Array(8192));
    t.equal(s.size, 8192);
    s.write(5, Uint8Array.of(1));
    t.strictSame(s.read(4, 3), Uint8Array.of(0, 1, 0), 'usable after a wipe');
    s.close();
  });

  t.test(`${kind}: save lists the non-zero 4 KiB chunks as base64; load restores them`, async (t) => {
    const dir = lazyDir(t);
    const s = make(dir, 10000); // chunks at 0, 4096 and 8192 (1808 bytes)
    t.strictSame(s.save(), { size: 10000, chunks: [] }, 'a new store saves no chunk');
    s.write(5000, Uint8Array.of(1, 2, 3));
    s.write(9999, Uint8Array.of(0x80));
    const middle = Buffer.alloc(4096);
    middle.set([1, 2, 3], 5000 - 4096);
    const last = Buffer.alloc(10000 - 8192);
    last[last.length - 1] = 0x80;
    const saved = s.save();
    t.strictSame(saved, { size: 10000, chunks: [[4096, middle.toString('base64')], [8192, last.toString('base64')]] });
    t.strictSame(JSON.parse(JSON.stringify(saved)), saved, 'plain JSON data');

    const other = make(dir, 10000, 'home');
    other.write(0, Uint8Array.of(0x55)); // a chunk the snapshot does not have: load clears it
    other.load(saved);
    t.strictSame(other.read(0, 10000), s.read(0, 10000), 'the same bytes');
    t.strictSame(other.save(), saved, 'and the same state');
    s.write(5000, Uint8Array.of(9));
    t.strictSame(other.read(5000, 1), Uint8Array.of(1), 'the loaded store does not share memory with the saved one');
    other.write(9999, Uint8Array.of(0));
    t.strictSame(s.read(9999, 1), Uint8Array.of(0x80), 'nor the other way round');
    s.close();
    other.close();
  });

  t.test(`${kind}: a bad state is a SnapshotError naming the field, and changes nothing`, async (t) => {
    const dir = lazyDir(t);
    const s = make(dir, 10000);
    s.write(10, Uint8Array.of(42));
    const chunk = (n: number, fill = 1) => Buffer.alloc(n, fill).toString('base64');
    const full = chunk(4096);
    const cases: [string, unknown, string, string][] = [
      ['not an object', [], '', 'expected an object, got an array'],
      ['null', null, '', 'expected an object, got null'],
      ['size missing', { chunks: [] }, 'size', 'missing'],
      ['chunks missing', { size: 10000 }, 'chunks', 'missing'],
      ['an unknown field', { size: 10000, chunks: [], extra: 1 }, 'extra', 'unknown field'],
      ['size not an integer', { size: '10000', chunks: [] }, 'size', 'expected an integer, got "10000"'],
      ['another size', { size: 8192, chunks: [] }, 'size', 'the saved store has 8192 bytes, this one 10000 (storeKiB changed?)'],
      ['chunks not a list', { size: 10000, chunks: {} }, 'chunks', 'expected an array, got an object'],
      ['a chunk not a pair', { size: 10000, chunks: [[0]] }, 'chunks[0]', 'expected [offset, base64 data]'],
      ['a chunk an object', { size: 10000, chunks: [{ offset: 0, data: full }] }, 'chunks[0]', 'expected [offset, base64 data]'],
      ['an offset not a chunk boundary', { size: 10000, chunks: [[100, full]] }, 'chunks[0][0]', 'expected a multiple of 4096 below 10000, got 100'],
      ['an offset past the end', { size: 10000, chunks: [[12288, full]] }, 'chunks[0][0]', 'expected a multiple of 4096 below 10000, got 12288'],
      ['a negative offset', { size: 10000, chunks: [[-4096, full]] }, 'chunks[0][0]', 'expected a multiple of 4096 below 10000, got -4096'],
      ['an offset as a string', { size: 10000, chunks: [['0', full]] }, 'chunks[0][0]', 'expected a multiple of 4096 below 10000, got "0"'],
      ['offsets out of order', { size: 10000, chunks: [[4096, full], [0, full]] }, 'chunks[1][0]', 'offset 0 is not above the previous chunk\'s 4096'],
      ['an offset twice', { size: 10000, chunks: [[0, full], [0, full]] }, 'chunks[1][0]', 'offset 0 is not above the previous chunk\'s 0'],
      ['data not a string', { size: 10000, chunks: [[0, [1, 2]]] }, 'chunks[0][1]', 'expected base64 data'],
      ['data not base64', { size: 10000, chunks: [[0, '!'.repeat(5464)]] }, 'chunks[0][1]', 'expected base64 data'],
      ['data with spaces', { size: 10000, chunks: [[0, ` ${full}`]] }, 'chunks[0][1]', 'expected base64 data'],
      ['data with bits past the end', { size: 10000, chunks: [[0, `${full.slice(0, -2)}B=`]] }, 'chunks[0][1]', 'expected base64 data'],
      ['a short chunk', { size: 10000, chunks: [[0, chunk(4095)]] }, 'chunks[0][1]', '4095 bytes, expected 4096'],
      ['a long chunk', { size: 10000, chunks: [[4096, chunk(4097)]] }, 'chunks[0][1]', '4097 bytes, expected 4096'],
      ['the last chunk at full size', { size: 10000, chunks: [[8192, full]] }, 'chunks[0][1]', '4096 bytes, expected 1808'],
      ['a bad chunk after good ones', { size: 10000, chunks: [[0, full], [4096, 'x']] }, 'chunks[1][1]', 'expected base64 data'],
    ];
    for (const [what, state, field, problem] of cases) {
      const e = snapshotErrorOf(() => s.load(state as StateValue));
      t.equal(e?.message, field === '' ? `store: snapshot: ${problem}` : `store: snapshot field ${field}: ${problem}`, what);
      t.match(e, { part: 'store', field, problem }, `${what}: parts`);
    }
    const expected = new Uint8Array(10000);
    expected[10] = 42;
    t.strictSame(s.read(0, 10000), expected, 'the store is as it was');
    s.load({ size: 10000, chunks: [[8192, chunk(1808, 0)]] });
    t.strictSame(s.read(0, 10000), new Uint8Array(10000), 'an all-zero chunk is accepted (and the old contents gone)');
    s.close();
  });

  t.test(`${kind}: close ends the store`, async (t) => {
    const dir = lazyDir(t);
    const s = make(dir, 4096);
    s.close();
    t.throws(() => s.read(0, 1), /closed/);
    t.throws(() => s.write(0, Uint8Array.of(1)), /closed/);
    t.throws(() => s.wipe(), /closed/);
    t.throws(() => s.save(), /closed/);
    t.throws(() => s.load({ size: 4096, chunks: [] }), /closed/);
    t.doesNotThrow(() => s.close(), 'closing twice is harmless');
  });
}

t.test('sizes and names a caller may not pass are RangeErrors', async (t) => {
  for (const size of [0, -1, 1.5, NaN, 2 ** 30 + 1]) {
    t.throws(() => memoryStore(size), RangeError, `memoryStore(${size})`);
    t.throws(() => fileStore(t.testdir(), 'work', size), RangeError, `fileStore size ${size}`);
  }
  t.equal(memoryStore(1).size, 1);
  const dir = t.testdir();
  for (const name of ['../home', 'a/b', '', 'Work', '.hidden', 'x'.repeat(16)]) {
    t.throws(() => fileStore(dir, name, 1024), RangeError, `name ${JSON.stringify(name)}`);
  }
  t.strictSame(readdirSync(dir), [], 'no file created for a refused name');
});

t.test('file: created zero-filled at its size, with its directory', async (t) => {
  const dir = join(t.testdir(), 'state', 'deeper');
  const s = fileStore(dir, 'work', KIB64);
  const path = join(dir, 'work.store');
  t.ok(statSync(path).isFile());
  t.equal(statSync(path).size, KIB64);
  t.strictSame(readFileSync(path), Buffer.alloc(KIB64));
  s.close();
});

t.test('file: every write reaches the file at once, at its offset', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'home.store');
  const s = fileStore(dir, 'home', KIB64);
  s.write(1000, Uint8Array.of(0xde, 0xad));
  const expected = Buffer.alloc(KIB64);
  expected[1000] = 0xde;
  expected[1001] = 0xad;
  t.strictSame(readFileSync(path), expected, 'before close');
  s.write(KIB64 - 3, Uint8Array.of(1, 2, 3));
  expected.set([1, 2, 3], KIB64 - 3);
  t.strictSame(readFileSync(path), expected, 'the last bytes');
  t.equal(statSync(path).size, KIB64, 'the size does not change');
  s.close();
});

t.test('file: contents persist into a second instance', async (t) => {
  const dir = t.testdir();
  const a = fileStore(dir, 'work', KIB64);
  const bytes = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7 + 3) & 0xff);
  a.write(30000, bytes);
  a.close();
  const b = fileStore(dir, 'work', KIB64);
  t.strictSame(b.read(30000, 5000), bytes);
  t.strictSame(b.read(0, 30000), new Uint8Array(30000));
  t.strictSame(b.read(35000, KIB64 - 35000), new Uint8Array(KIB64 - 35000));
  b.close();

  const outside = join(dir, 'home.store');
  const content = Buffer.alloc(2048, 0x61);
  writeFileSync(outside, content);
  const c = fileStore(dir, 'home', 2048);
  t.strictSame(c.read(0, 2048), new Uint8Array(content), 'a file written by other means is read as it is');
  c.close();
});

t.test('file: wipe and load rewrite the file', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'work.store');
  const s = fileStore(dir, 'work', 10000);
  s.write(0, new Uint8Array(10000).fill(0x11));
  s.wipe();
  t.strictSame(readFileSync(path), Buffer.alloc(10000), 'wiped file: all zero');
  t.equal(statSync(path).size, 10000, 'at its size');
  s.close();
  t.strictSame(fileStore(dir, 'work', 10000).read(0, 10000), new Uint8Array(10000), 'and so it reopens');

  const m = memoryStore(10000);
  m.write(4096, Uint8Array.of(5, 6));
  m.write(9000, Uint8Array.of(7));
  const state = m.save();
  const f = fileStore(dir, 'home', 10000);
  f.write(0, new Uint8Array(4096).fill(0x33));
  f.load(state);
  const expected = Buffer.alloc(10000);
  expected.set([5, 6], 4096);
  expected[9000] = 7;
  t.strictSame(readFileSync(join(dir, 'home.store')), expected, 'the loaded contents, the old ones gone');
  f.close();
  const again = fileStore(dir, 'home', 10000);
  t.strictSame(again.save(), state, 'a store saved in memory and loaded into a file reopens equal');
  again.close();
});

t.test('file: a file of another size is refused, and kept as it is', async (t) => {
  const dir = t.testdir({ 'work.store': Buffer.alloc(1000, 7) });
  const before = openFds();
  const e = storeErrorOf(() => fileStore(dir, 'work', KIB64));
  t.equal(e?.message, `state ${dir}/work.store: 1000 bytes, expected 65536 (storeKiB changed? move the file away)`);
  t.equal(e?.name, 'StoreError');
  t.equal(e?.path, `${dir}/work.store`);
  t.strictSame(readFileSync(join(dir, 'work.store')), Buffer.alloc(1000, 7), 'the file is untouched');
  t.equal(openFds(), before, 'no descriptor left open');
  t.equal(storeErrorOf(() => fileStore(dir, 'work', 999))?.message, `state ${dir}/work.store: 1000 bytes, expected 999 (storeKiB changed? move the file away)`);
  const ok = fileStore(dir, 'work', 1000);
  t.strictSame(ok.read(0, 3), Uint8Array.of(7, 7, 7));
  ok.close();
});

t.test('file: a state directory that is a file, or under one, is refused in one line', async (t) => {
  const root = t.testdir({ plain: 'not a directory' });
  const file = join(root, 'plain');
  t.equal(storeErrorOf(() => fileStore(file, 'work', 1024))?.message, `state ${file}: not a directory`);
  t.equal(
    storeErrorOf(() => fileStore(join(file, 'sub'), 'work', 1024))?.message,
    `state ${file}/sub: cannot create the directory (ENOTDIR: not a directory)`,
  );
  t.equal(readFileSync(file, 'utf8'), 'not a directory', 'the file is untouched');
});

t.test('file: a store path that is not a regular file is refused in one line', async (t) => {
  const dir = t.testdir();
  mkdirSync(join(dir, 'work.store'));
  const before = openFds();
  t.match(storeErrorOf(() => fileStore(dir, 'work', 1024))?.message, new RegExp(`^state ${dir}/work\\.store: cannot open \\(EISDIR: [^\\n]*\\)$`));
  execFileSync('mkfifo', [join(dir, 'home.store')]);
  t.equal(storeErrorOf(() => fileStore(dir, 'home', 1024))?.message, `state ${dir}/home.store: not a regular file`);
  t.equal(openFds(), before, 'no descriptor left open');
});

t.test('file: close releases the descriptor', async (t) => {
  const dir = t.testdir();
  const before = openFds();
  const a = fileStore(dir, 'work', 1024);
  const b = fileStore(dir, 'home', 1024);
  t.equal(openFds(), before + 2, 'one descriptor per store, kept open');
  a.close();
  b.close();
  t.equal(openFds(), before);
});

t.test('isolation: stores in one directory never see each other\'s bytes', async (t) => {
  const dir = t.testdir();
  const work = fileStore(dir, 'work', KIB64);
  const home = fileStore(dir, 'home', KIB64);
  const w = new Uint8Array(KIB64).fill(0x77);
  work.write(0, w);
  t.strictSame(home.read(0, KIB64), new Uint8Array(KIB64), 'home sees nothing of work\'s writes');
  home.write(100, Uint8Array.of(0x48));
  t.strictSame(work.read(99, 3), Uint8Array.of(0x77, 0x77, 0x77), 'nor work of home\'s');
  home.wipe();
  t.strictSame(work.read(0, KIB64), w, 'wiping home leaves work');
  home.load(memoryStore(KIB64).save());
  t.strictSame(work.read(0, KIB64), w, 'loading home leaves work');
  work.close();
  home.close();
  t.strictSame(readdirSync(dir).sort(), ['home.store', 'work.store'], 'one file each, named after the partition');
  t.strictSame(readFileSync(join(dir, 'work.store')), Buffer.from(w));
  t.strictSame(readFileSync(join(dir, 'home.store')), Buffer.alloc(KIB64));

  const m1 = memoryStore(4096);
  const m2 = memoryStore(4096);
  m1.write(0, Uint8Array.of(1));
  t.strictSame(m2.read(0, 1), Uint8Array.of(0), 'memory stores are separate too');
});

t.test('file: a write the file system refuses is a StoreError, and memory keeps mirroring the file', async (t) => {
  // A child under `ulimit -f 4` (4 KiB): Node ignores SIGXFSZ, so writes past 4 KiB fail with EFBIG.
  // NODE_OPTIONS is unset (tap's hook there would turn SIGXFSZ into a kill); the module is bundled.
  const dir = t.testdir({ 'work.store': Buffer.alloc(KIB64) });
  const module = join(dir, 'storage.mjs');
  buildSync({ entryPoints: ['src/hypervisor/storage.ts'], outfile: module, bundle: true, platform: 'node', format: 'esm', logLevel: 'error' });
  const script = `
    import { fileStore } from ${JSON.stringify(module)};
    const out = [];
    const attempt = (what, run) => { try { out.push([what, 'ok', run()]); } catch (e) { out.push([what, e.name, e.message]); } };
    const s = fileStore(${JSON.stringify(dir)}, 'work', ${KIB64});
    attempt('write inside the limit', () => s.write(0, Uint8Array.of(1, 2)));
    attempt('write past the limit', () => s.write(10000, Uint8Array.of(3)));
    attempt('read it back', () => Array.from(s.read(10000, 1)));
    const state = { size: ${KIB64}, chunks: [[0, Buffer.alloc(4096, 9).toString('base64')], [8192, Buffer.alloc(4096, 8).toString('base64')]] };
    attempt('load past the limit', () => s.load(state));
    attempt('what was loaded', () => [s.read(0, 1)[0], s.read(8192, 1)[0]]);
    attempt('wipe', () => s.wipe());
    attempt('after the wipe', () => Array.from(s.read(0, 2)));
    s.close();
    attempt('a new store past the limit', () => fileStore(${JSON.stringify(dir)}, 'home', ${KIB64}));
    console.log(JSON.stringify(out));
  `;
  const r = spawnSync('bash', ['-c', 'unset NODE_OPTIONS; ulimit -f 4; exec "$0" --input-type=module -e "$1"', process.execPath, script], {
    encoding: 'utf8',
  });
  t.equal(r.stderr, '', 'nothing on stderr');
  const path = `${dir}/work.store`;
  t.strictSame(JSON.parse(r.stdout), [
    ['write inside the limit', 'ok', null],
    ['write past the limit', 'StoreError', `state ${path}: cannot write (EFBIG: file too large)`],
    ['read it back', 'ok', [0]],
    ['load past the limit', 'StoreError', `state ${path}: cannot write (EFBIG: file too large)`],
    ['what was loaded', 'ok', [9, 0]], // the first chunk reached the file (and memory), the third did not
    ['wipe', 'ok', null],
    ['after the wipe', 'ok', [0, 0]],
    ['a new store past the limit', 'StoreError', `state ${dir}/home.store: cannot create (EFBIG: file too large)`],
  ]);
  t.strictSame(readdirSync(dir).sort(), ['storage.mjs', 'work.store'], 'the half-made store file is removed');
  t.strictSame(readFileSync(path), Buffer.alloc(KIB64), 'the file matches what memory says');
});
