// --semihosting-root DIR: the guest's files are DIR's, and no name reaches outside it — not with `..`, an
// absolute name, a symlink to a directory or a file outside, nor by opening a FIFO (which would block the
// emulator) or a device. Every escape attempt below is refused and leaves the outside untouched.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostDirectoryFiles, SemihostingFilesError } from '../../src/machine/semihosting-files.ts';
import { SnapshotError } from '../../src/soc/device.ts';

const ENOENT = -2;
const EACCES = -13;
const EISDIR = -21;
const EINVAL = -22;
const ENAMETOOLONG = -36;

function layout() {
  const outer = mkdtempSync(join(tmpdir(), 'handset-root-'));
  const root = join(outer, 'root');
  mkdirSync(join(root, 'tmp'), { recursive: true });
  writeFileSync(join(outer, 'secret.txt'), 'secret');
  writeFileSync(join(root, 'inside.txt'), 'inside');
  symlinkSync('/etc', join(root, 'etc'));
  symlinkSync('../secret.txt', join(root, 'leak.txt'));
  symlinkSync(join(outer, 'secret.txt'), join(root, 'abs-leak.txt'));
  symlinkSync('..', join(root, 'up'));
  symlinkSync('../nothere', join(root, 'dangling'));
  symlinkSync('inside.txt', join(root, 'ok-link'));
  symlinkSync('/dev/zero', join(root, 'zero'));
  execFileSync('mkfifo', [join(root, 'fifo')]);
  t.teardown(() => rmSync(outer, { recursive: true, force: true }));
  return { outer, root, files: new HostDirectoryFiles(root) };
}

const text = (b: Uint8Array | number) => (typeof b === 'number' ? b : Buffer.from(b).toString('latin1'));

t.test('names resolve inside the root: relative and absolute alike, symlinks that stay inside are followed', async (t) => {
  const { files } = layout();
  const a = files.open('inside.txt', 0);
  t.equal(text(files.read(a, 100)), 'inside');
  const b = files.open('/inside.txt', 0);
  t.equal(text(files.read(b, 100)), 'inside', '"/" is the root');
  const c = files.open('ok-link', 0);
  t.equal(text(files.read(c, 100)), 'inside', 'a symlink to a file inside');
  const d = files.open('tmp/../inside.txt', 0);
  t.ok(d >= 0);
  const w = files.open('/tmp/new.txt', 4);
  t.equal(files.write(w, new Uint8Array(Buffer.from('made'))), 4);
  t.equal(files.length(w), 4);
  files.dispose();
});

t.test('each escape attempt is refused', async (t) => {
  const { outer, root, files } = layout();
  const attempts: [string, number, number][] = [
    ['../secret.txt', 0, EACCES],
    ['../secret.txt', 4, EACCES],
    ['a/../../secret.txt', 0, EACCES],
    ['tmp/../../secret.txt', 0, EACCES],
    ['/../secret.txt', 0, EACCES],
    ['/etc/passwd', 0, EACCES], // root/etc is a symlink to /etc
    ['etc/passwd', 4, EACCES],
    ['leak.txt', 0, EACCES], // a relative symlink to a file outside
    ['leak.txt', 4, EACCES],
    ['leak.txt', 8, EACCES],
    ['abs-leak.txt', 2, EACCES], // an absolute symlink to a file outside
    ['up/secret.txt', 0, EACCES], // a symlink to the parent directory
    ['up/secret.txt', 4, EACCES],
    ['dangling', 4, ENOENT], // not created outside through the link
    ['zero', 0, EACCES], // a device, through a symlink
    ['fifo', 0, EACCES], // opening a FIFO for reading would block until a writer came
    ['fifo', 4, EACCES],
    ['tmp', 0, EISDIR],
    ['/', 0, EISDIR],
    ['x'.repeat(300), 4, ENAMETOOLONG],
    ['a/'.repeat(3000) + 'x', 4, ENAMETOOLONG],
    ['inside.txt\0/../../secret.txt', 0, EINVAL],
    ['', 0, ENOENT],
  ];
  for (const [name, mode, errno] of attempts) t.equal(files.open(name, mode), errno, `open ${JSON.stringify(name.slice(0, 40))} mode ${mode}`);
  t.equal(readFileSync(join(outer, 'secret.txt'), 'latin1'), 'secret', 'the file outside is unchanged');
  t.notOk(existsSync(join(outer, 'nothere')), 'nothing was created outside');

  t.equal(files.remove('../secret.txt'), EACCES);
  t.equal(files.remove('up/secret.txt'), EACCES);
  t.equal(files.remove('/etc/passwd'), EACCES);
  t.equal(files.rename('inside.txt', '../moved.txt'), EACCES);
  t.equal(files.rename('inside.txt', 'up/moved.txt'), EACCES);
  t.equal(files.rename('inside.txt', 'etc/moved.txt'), EACCES);
  t.equal(files.rename('../secret.txt', 'stolen.txt'), EACCES);
  t.equal(files.rename('up/secret.txt', 'stolen.txt'), EACCES);
  t.equal(files.remove('fifo'), EACCES, 'only regular files (and links) are removed');
  t.equal(files.remove('leak.txt'), 0, 'removing a symlink removes the link only');
  t.equal(readFileSync(join(outer, 'secret.txt'), 'latin1'), 'secret');
  t.notOk(existsSync(join(outer, 'moved.txt')));
  t.ok(existsSync(join(root, 'inside.txt')));
  files.dispose();
});

t.test('tmpnam names are free names inside the root', async (t) => {
  const { root, files } = layout();
  writeFileSync(join(root, 'tmp', 'handset-005'), '');
  t.equal(files.tmpnam(5), '/tmp/handset-105', 'an existing name is skipped');
  files.dispose();
});

t.test('save/load: open files are opened again by name, at their positions', async (t) => {
  const { root, files } = layout();
  const h = files.open('/tmp/log.txt', 10); // a+
  files.write(h, new Uint8Array(Buffer.from('one ')));
  files.seek(h, 1);
  const state = JSON.parse(JSON.stringify(files.save()));
  files.dispose();
  const again = new HostDirectoryFiles(root);
  again.load(state);
  t.equal(text(again.read(h, 2)), 'ne', 'read from the saved position');
  t.equal(again.write(h, new Uint8Array(Buffer.from('two'))), 3);
  t.equal(readFileSync(join(root, 'tmp', 'log.txt'), 'latin1'), 'one two', 'still appending, not truncated');
  t.throws(() => again.load({ ...state, open: [{ ...state.open[0], name: '../secret.txt' }] }), SnapshotError, 'no escape through a snapshot');
  t.throws(() => again.load({ kind: 'memory', files: [], open: [], tmpCounter: 0 }), SnapshotError);
  again.dispose();
});

t.test('the root must be an existing directory', async (t) => {
  const { root } = layout();
  t.throws(() => new HostDirectoryFiles(join(root, 'inside.txt')), SemihostingFilesError);
  t.throws(() => new HostDirectoryFiles(join(root, 'missing')), SemihostingFilesError);
});

t.test('handset boot --semihosting-root: files land in DIR; a bad DIR is one line and exit 2', async (t) => {
  const { root } = layout();
  const src = join(root, '..', 'w.c');
  const elf = join(root, '..', 'w.elf');
  writeFileSync(src, '#include <stdio.h>\nint main(void) { FILE *f = fopen("/tmp/out.txt", "w"); if (!f) return 1; fputs("from the guest", f); return fclose(f) != 0; }\n');
  execFileSync('arm-none-eabi-gcc', ['-march=armv5te', '-marm', '-mfloat-abi=soft', '-O2', '--specs=rdimon.specs', '-o', elf, src]);
  const run = (...args: string[]) => spawnSync(process.execPath, ['bin/handset.js', 'boot', elf, ...args], { encoding: 'latin1', input: '' });
  const r = run('--semihosting-root', root);
  t.equal(r.status, 0, r.stderr);
  t.equal(readFileSync(join(root, 'tmp', 'out.txt'), 'latin1'), 'from the guest');
  const m = run();
  t.equal(m.status, 0, 'without it, the file goes to the private in-memory directory');
  for (const bad of [join(root, 'missing'), join(root, 'inside.txt')]) {
    const e = run('--semihosting-root', bad);
    t.equal(e.status, 2);
    t.equal(e.stderr, `handset: --semihosting-root ${bad}: not a directory\n`);
  }
});
