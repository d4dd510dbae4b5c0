// The private in-memory directory behind semihosting files: names, open modes, its limits (ENOSPC past the
// total size or the file count), removed-but-open files, and save/load as plain JSON data.
import t from 'tap';
import { MEMORY_FILES_LIMITS, MemoryFiles, openFlags, resolveName } from '../../src/machine/semihosting-files.ts';
import { SnapshotError } from '../../src/soc/device.ts';

const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
const text = (b: Uint8Array | number) => (typeof b === 'number' ? b : Buffer.from(b).toString('latin1'));

t.test('ARM open modes 0-11: r, rb, r+, r+b, w, wb, w+, w+b, a, ab, a+, a+b', async (t) => {
  const r = { read: true, write: false, create: false, truncate: false, append: false };
  const rw = { read: true, write: true, create: false, truncate: false, append: false };
  const w = { read: false, write: true, create: true, truncate: true, append: false };
  const wr = { ...w, read: true };
  const a = { read: false, write: true, create: true, truncate: false, append: true };
  const ar = { ...a, read: true };
  t.same(Array.from({ length: 12 }, (_, m) => openFlags(m)), [r, r, rw, rw, w, w, wr, wr, a, a, ar, ar]);
});

t.test('names resolve inside the root: "/" and "." are the root, ".." never climbs above it', async (t) => {
  t.same(resolveName('/tmp/t1.0'), ['tmp', 't1.0']);
  t.same(resolveName('tmp//./t1.0'), ['tmp', 't1.0']);
  t.same(resolveName('a/b/../c'), ['a', 'c']);
  t.same(resolveName('/'), []);
  t.equal(resolveName('../x'), -13, 'EACCES');
  t.equal(resolveName('a/../../x'), -13);
  t.equal(resolveName('/..'), -13);
  t.equal(resolveName(''), -2, 'ENOENT');
  t.equal(resolveName('a\0b'), -22, 'EINVAL');
  t.equal(resolveName('x'.repeat(256)), -36, 'a component over NAME_MAX');
  t.equal(resolveName('a/'.repeat(2048)), -36, 'a name over PATH_MAX');
});

t.test('open, write, read back, seek, length; modes are enforced', async (t) => {
  const d = new MemoryFiles();
  t.equal(d.open('f', 0), -2, 'r of a missing file: ENOENT');
  const w = d.open('/dir/f', 4);
  t.ok(w >= 0);
  t.equal(d.write(w, bytes('hello')), 5);
  t.equal(d.read(w, 5), -9, 'write-only: EBADF');
  t.equal(d.close(w), 0);
  t.equal(d.close(w), -9);
  const r = d.open('dir/./f', 1);
  t.equal(text(d.read(r, 3)), 'hel');
  t.equal(d.write(r, bytes('x')), -9, 'read-only: EBADF');
  t.equal(d.seek(r, 4), 0);
  t.equal(text(d.read(r, 100)), 'o');
  t.equal(text(d.read(r, 100)), '', 'end of file');
  t.equal(d.length(r), 5);
  t.equal(d.open('dir', 0), -21, 'an implicit directory: EISDIR');
  t.equal(d.open('/', 4), -21, 'the root');
  t.equal(d.open('dir/f/g', 4), -20, 'under a file: ENOTDIR');
  t.equal(d.remove('dir'), -21);
  t.same(d.list(), ['dir/f']);
});

t.test('total size limit: a write stops where the limit is and the next gets ENOSPC; removing frees space', async (t) => {
  const d = new MemoryFiles({ maxBytes: 100 });
  const a = d.open('a', 4);
  t.equal(d.write(a, new Uint8Array(60)), 60);
  const b = d.open('b', 4);
  t.equal(d.write(b, new Uint8Array(60)), 40, 'short write');
  t.equal(d.write(b, new Uint8Array(1)), -28, 'ENOSPC');
  t.equal(d.bytesUsed, 100);
  t.equal(d.seek(a, 10), 0);
  t.equal(d.write(a, new Uint8Array(50)), 50, 'overwriting inside a file needs no space');
  t.equal(d.write(a, new Uint8Array(1)), -28);
  const c = d.open('c', 4);
  t.equal(d.seek(c, 1000), 0);
  t.equal(d.write(c, new Uint8Array(1)), -28, 'a hole past the limit');
  t.equal(d.remove('a'), 0);
  t.equal(d.bytesUsed, 100, 'a removed file that is open still takes its space');
  t.equal(d.close(a), 0);
  t.equal(d.bytesUsed, 40, 'closed: freed');
  t.ok(d.open('b', 4) >= 0, 'w truncates b...');
  t.equal(d.bytesUsed, 0, '...and frees its bytes');
  t.equal(d.seek(c, 50), 0);
  t.equal(d.write(c, new Uint8Array(10)), 10);
  t.equal(d.bytesUsed, 60, 'the hole before the data counts');
  t.same([...d.contents('c')!], new Array(60).fill(0));
});

t.test('file count limit: creating one more file than the limit is ENOSPC; removed-but-open files count', async (t) => {
  const d = new MemoryFiles({ maxFiles: 2 });
  const a = d.open('a', 4);
  d.open('b', 4);
  t.equal(d.open('c', 4), -28);
  const again = d.open('a', 4);
  t.ok(again >= 0, 'opening an existing file again is fine');
  t.equal(d.remove('a'), 0);
  t.equal(d.open('c', 4), -28, 'a is gone from the directory but still open');
  d.close(a);
  d.close(again);
  t.ok(d.open('c', 4) >= 0);
});

t.test('rename: over an existing file (kept while open), into a new directory, onto a directory is EISDIR', async (t) => {
  const d = new MemoryFiles();
  const a = d.open('a', 6);
  d.write(a, bytes('AAA'));
  const b = d.open('b', 6);
  d.write(b, bytes('BB'));
  t.equal(d.rename('a', 'b'), 0);
  t.same(d.list(), ['b']);
  t.equal(d.seek(b, 0), 0);
  t.equal(text(d.read(b, 10)), 'BB', 'the replaced file is still there for its handle');
  t.equal(d.bytesUsed, 5);
  d.close(b);
  t.equal(d.bytesUsed, 3);
  t.equal(d.rename('b', 'x/y/z'), 0);
  t.equal(d.rename('missing', 'q'), -2);
  t.equal(d.open('w', 4) >= 0, true);
  t.equal(d.rename('w', 'x/y'), -21);
  t.equal(d.rename('x/y/z', 'x/y/z'), 0);
  t.equal(text(d.contents('x/y/z')!), 'AAA');
});

t.test('tmpnam: QEMU-shaped names from a counter, skipping names in use; the same on every run', async (t) => {
  const d = new MemoryFiles();
  t.equal(d.tmpnam(0x2a), '/tmp/handset-02a');
  d.close(d.open('/tmp/handset-12a', 4));
  t.equal(d.tmpnam(0x2a), '/tmp/handset-22a', 'the name in use is skipped');
  t.equal(new MemoryFiles().tmpnam(0x2a), '/tmp/handset-02a');
});

t.test('save/load round trip through JSON, open handles and positions included', async (t) => {
  const d = new MemoryFiles({ maxBytes: 1000, maxFiles: 8 });
  const a = d.open('/tmp/a.bin', 10); // a+
  d.write(a, Uint8Array.from([0, 1, 2, 250, 255]));
  d.seek(a, 2);
  const tmp = d.open('scratch', 6);
  d.write(tmp, bytes('scratch'));
  t.equal(d.remove('scratch'), 0);
  d.tmpnam(0);
  const json = JSON.stringify(d.save());
  const state = JSON.parse(json);
  t.equal(state.files.find((f: { name: string | null }) => f.name === 'tmp/a.bin').data, 'AAEC+v8=', 'bytes as base64');
  const e = new MemoryFiles({ maxBytes: 1000, maxFiles: 8 });
  e.load(state);
  t.equal(JSON.stringify(e.save()), json, 'the same state back');
  t.same(e.list(), ['tmp/a.bin']);
  t.equal(e.bytesUsed, 12);
  t.same([...(e.read(a, 10) as Uint8Array)], [2, 250, 255], 'read from the saved position');
  t.equal(e.write(a, bytes('Z')), 1);
  t.same([...e.contents('tmp/a.bin')!], [0, 1, 2, 250, 255, 90], 'still appends');
  t.equal(text(e.read(tmp, 10)), '', 'the removed file is still open');
  e.seek(tmp, 0);
  t.equal(text(e.read(tmp, 10)), 'scratch');
  e.close(tmp);
  t.equal(e.bytesUsed, 6, 'and freed when closed');
  t.equal(e.tmpnam(0), '/tmp/handset-100', 'the tmpnam counter went on');
  t.equal(e.open('new', 4) >= 0, true);

  t.throws(() => new MemoryFiles({ maxBytes: 10 }).load(state), SnapshotError, 'more than this directory holds');
  t.throws(() => new MemoryFiles().load({ ...state, extra: 1 }), SnapshotError, 'an unknown field');
  t.throws(() => new MemoryFiles().load({ ...state, files: [{ id: 0, name: null, data: '' }], open: [] }), SnapshotError, 'a removed file nobody has open');
  t.throws(() => new MemoryFiles().load({ ...state, tmpCounter: -1 }), SnapshotError);
  t.throws(() => new MemoryFiles().load(null), SnapshotError);
});

t.test('the default limits are the documented ones', async (t) => {
  t.same(MEMORY_FILES_LIMITS, { maxBytes: 32 * 1024 * 1024, maxFiles: 256 });
  const d = new MemoryFiles();
  t.equal(d.maxBytes, 32 * 1024 * 1024);
  t.equal(d.maxFiles, 256);
});
