// Semihosting operations against a fake host with a flat guest memory: each operation's result and
// side effects as ARM DUI 0471 and QEMU 7.2 define them (results checked against qemu-system-arm 7.2 with a
// probe program), and absurd guest requests answered at once: what they cost is counted in host calls and
// bytes, never timed.
import t from 'tap';
import { ADP_STOPPED_APPLICATION_EXIT, MAX_HANDLES, Semihosting, SYS } from '../../src/machine/semihosting.ts';
import { MemoryFiles } from '../../src/machine/semihosting-files.ts';
import { SnapshotError } from '../../src/soc/device.ts';

/** A fake machine with `size` bytes of flat memory at 0 that counts what semihosting asks of it. */
function setup(stdinText = '', size = 0x10000, options: { files?: MemoryFiles; ramSize?: number } = {}) {
  const mem = new Uint8Array(size);
  const out: number[] = [];
  const err: number[] = [];
  const counts = { reads: 0, bytesRead: 0, writes: 0, bytesWritten: 0, stdoutCalls: 0, stderrCalls: 0, stdinAsked: 0 };
  let stdin = Buffer.from(stdinText);
  let ns = 0;
  const sh = new Semihosting({
    readMemory: (va, n) => {
      counts.reads++;
      counts.bytesRead += n;
      return va + n <= mem.length ? mem.slice(va, va + n) : undefined;
    },
    writeMemory: (va, b) => {
      counts.writes++;
      counts.bytesWritten += b.length;
      if (va + b.length > mem.length) return false;
      mem.set(b, va);
      return true;
    },
    stdout: (b) => {
      counts.stdoutCalls++;
      for (const x of b) out.push(x);
    },
    stderr: (b) => {
      counts.stderrCalls++;
      for (const x of b) err.push(x);
    },
    stdin: (max) => {
      counts.stdinAsked = Math.max(counts.stdinAsked, max);
      const b = stdin.subarray(0, max);
      stdin = stdin.subarray(b.length);
      return b;
    },
    nanos: () => ns,
    isTerminal: (stream) => stream === 'stdout',
    cmdline: () => 'fw.elf arg',
    heap: () => ({ heapBase: 0x1000, heapLimit: 0x8000, stackBase: 0x8000, stackLimit: 0 }),
    files: options.files,
    ramSize: options.ramSize ?? size,
  });
  const view = new DataView(mem.buffer);
  const words = (at: number, ...w: number[]) => w.forEach((v, i) => view.setUint32(at + i * 4, v >>> 0, true));
  const str = (at: number, s: string) => mem.set(Buffer.from(s + '\0', 'latin1'), at);
  const reset = () => Object.keys(counts).forEach((k) => (counts[k as keyof typeof counts] = 0));
  /** Opens `name` (written at 0x200, block at 0x100) with `mode`; returns r0. */
  const open = (name: string, mode: number, length = name.length) => {
    str(0x200, name);
    words(0x100, 0x200, mode, length);
    return sh.call(SYS.OPEN, 0x100).r0!;
  };
  const errno = () => sh.call(SYS.ERRNO, 0).r0;
  return { sh, mem, view, out, err, words, str, counts, reset, open, errno, setNs: (v: number) => (ns = v) };
}

t.test('exit statuses as QEMU reports them', async (t) => {
  const { sh, words } = setup();
  t.same(sh.call(SYS.EXIT, ADP_STOPPED_APPLICATION_EXIT), { exit: 0 });
  t.same(sh.call(SYS.EXIT, 0x20023), { exit: 1 }, 'any other reason (here RunTimeErrorUnknown) is 1');
  words(0x100, ADP_STOPPED_APPLICATION_EXIT, 42);
  t.same(sh.call(SYS.EXIT_EXTENDED, 0x100), { exit: 42 });
  words(0x100, 0x20023, 42);
  t.same(sh.call(SYS.EXIT_EXTENDED, 0x100), { exit: 1 });
});

t.test('WRITEC and WRITE0 print on stderr (the QEMU 7.2 semihosting console)', async (t) => {
  const { sh, mem, err, out, str } = setup();
  mem[0x10] = 0x41;
  sh.call(SYS.WRITEC, 0x10);
  str(0x20, 'hi\n');
  t.same(sh.call(SYS.WRITE0, 0x20), { r0: 0xdeadbeef }, 'no result: r0 is corrupted, as QEMU does it');
  t.equal(Buffer.from(err).toString(), 'Ahi\n');
  t.equal(out.length, 0);
});

t.test(':tt opens by mode: r -> stdin, w -> stdout, a -> stderr; WRITE returns bytes not written', async (t) => {
  const { sh, out, err, words, str } = setup();
  str(0x200, ':tt');
  words(0x100, 0x200, 4, 3);
  const hOut = sh.call(SYS.OPEN, 0x100).r0!;
  words(0x100, 0x200, 8, 3);
  const hErr = sh.call(SYS.OPEN, 0x100).r0!;
  t.not(hOut, hErr);
  str(0x300, 'abcdef');
  words(0x110, hOut, 0x300, 3);
  t.same(sh.call(SYS.WRITE, 0x110), { r0: 0 });
  words(0x110, hErr, 0x303, 3);
  t.same(sh.call(SYS.WRITE, 0x110), { r0: 0 });
  t.equal(Buffer.from(out).toString(), 'abc');
  t.equal(Buffer.from(err).toString(), 'def');
  words(0x120, hErr);
  t.same(sh.call(SYS.ISTTY, 0x120), { r0: 0 }, 'stderr is not a terminal here');
  t.same(sh.call(SYS.ERRNO, 0), { r0: 25 }, 'ENOTTY');
  words(0x120, hOut);
  t.same(sh.call(SYS.ISTTY, 0x120), { r0: 1 }, 'stdout is');
  t.same(sh.call(SYS.CLOSE, 0x120), { r0: 0 });
  t.same(sh.call(SYS.CLOSE, 0x120), { r0: 0xffffffff }, 'closing twice fails');
  words(0x100, 0x200, 4, 3);
  t.same(sh.call(SYS.OPEN, 0x100), { r0: hOut }, 'the lowest free handle is reused');
  t.same(sh.call(SYS.ERRNO, 0), { r0: 9 }, 'EBADF');
});

t.test('READ from stdin returns bytes not read; READC returns one byte', async (t) => {
  const { sh, mem, words, str } = setup('xyz');
  str(0x200, ':tt');
  words(0x100, 0x200, 0, 3);
  const h = sh.call(SYS.OPEN, 0x100).r0!;
  words(0x110, h, 0x400, 2);
  t.same(sh.call(SYS.READ, 0x110), { r0: 0 }, 'asked 2, got 2');
  t.equal(Buffer.from(mem.subarray(0x400, 0x402)).toString(), 'xy');
  t.same(sh.call(SYS.READC, 0), { r0: 'z'.charCodeAt(0) });
  words(0x110, h, 0x400, 8);
  t.same(sh.call(SYS.READ, 0x110), { r0: 8 }, 'end of input: all 8 not read');
});

t.test('the features file advertises EXIT_EXTENDED and stdout/stderr', async (t) => {
  const { sh, mem, words, str } = setup();
  str(0x200, ':semihosting-features');
  words(0x100, 0x200, 0, 21);
  const h = sh.call(SYS.OPEN, 0x100).r0!;
  words(0x110, h);
  t.same(sh.call(SYS.FLEN, 0x110), { r0: 5 });
  words(0x120, h, 0x400, 5);
  t.same(sh.call(SYS.READ, 0x120), { r0: 0 });
  t.same([...mem.subarray(0x400, 0x405)], [0x53, 0x48, 0x46, 0x42, 3]);
});

t.test('HEAPINFO, GET_CMDLINE and virtual time', async (t) => {
  const { sh, view, mem, words, setNs } = setup();
  words(0x100, 0x300);
  t.same(sh.call(SYS.HEAPINFO, 0x100), { r0: 0 });
  t.same([0, 1, 2, 3].map((i) => view.getUint32(0x300 + i * 4, true)), [0x1000, 0x8000, 0x8000, 0]);
  words(0x110, 0x400, 64);
  t.same(sh.call(SYS.GET_CMDLINE, 0x110), { r0: 0 });
  t.equal(Buffer.from(mem.subarray(0x400, 0x40a)).toString(), 'fw.elf arg');
  t.equal(view.getUint32(0x114, true), 10, 'length written back');
  words(0x110, 0x400, 4);
  t.same(sh.call(SYS.GET_CMDLINE, 0x110), { r0: 0xffffffff }, 'buffer too small');
  setNs(2_530_000_000);
  t.same(sh.call(SYS.CLOCK, 0), { r0: 253 }, 'centiseconds');
  t.same(sh.call(SYS.TIME, 0), { r0: 2 }, 'seconds since reset');
  t.same(sh.call(SYS.ELAPSED, 0x500), { r0: 0 });
  t.equal(view.getUint32(0x500, true), 2_530_000_000 % 2 ** 32);
  t.same(sh.call(SYS.TICKFREQ, 0), { r0: 1_000_000_000 });
});

t.test('bad pointers fail with EFAULT instead of crashing', async (t) => {
  const { sh } = setup();
  t.same(sh.call(SYS.WRITE, 0xfffffff0), { r0: 0xffffffff });
  t.same(sh.call(SYS.ERRNO, 0), { r0: 14 });
  t.same(sh.call(SYS.HEAPINFO, 0xfffffff0), { r0: 0xffffffff });
});

t.test('the features file: only modes r and rb (EACCES), SEEK past its end is EINVAL', async (t) => {
  const { sh, words, open, errno } = setup();
  t.equal(open(':semihosting-features', 4), 0xffffffff);
  t.equal(errno(), 13, 'EACCES, as QEMU');
  t.equal(open(':semihosting-features', 2), 0xffffffff, 'r+ too');
  const h = open(':semihosting-features', 1);
  words(0x110, h, 6);
  t.same(sh.call(SYS.SEEK, 0x110), { r0: 0xffffffff });
  t.equal(errno(), 22);
  words(0x110, h, 5);
  t.same(sh.call(SYS.SEEK, 0x110), { r0: 0 });
});

t.test('OPEN: mode 12 and up is EINVAL; the length must end on the NUL (EINVAL); an unreadable name is EFAULT', async (t) => {
  const { open, errno, sh, words, mem } = setup();
  t.equal(open('x.txt', 12), 0xffffffff);
  t.equal(errno(), 22);
  t.equal(open('x.txt', 4, 3), 0xffffffff, 'length 3 for a name of 5');
  t.equal(errno(), 22);
  mem.fill(0x61, 0xfff0);
  words(0x100, 0xfff0, 4, 3); // no NUL before the end of memory
  t.same(sh.call(SYS.OPEN, 0x100), { r0: 0xffffffff });
  t.equal(errno(), 14);
  t.same(sh.call(SYS.OPEN, 0xfffffff0), { r0: 0xffffffff }, 'unreadable argument block');
  t.equal(errno(), 14);
});

t.test('files live in a private in-memory directory: write, read back, FLEN, SEEK, ISTTY, REMOVE, RENAME', async (t) => {
  const files = new MemoryFiles();
  const { sh, mem, words, str, open, errno } = setup('', 0x10000, { files });
  t.equal(open('/etc/passwd', 0), 0xffffffff, 'nothing of the host is there');
  t.equal(errno(), 2);
  const w = open('out.txt', 4);
  t.ok(w >= 1 && w < 100);
  str(0x300, 'hello world');
  words(0x110, w, 0x300, 11);
  t.same(sh.call(SYS.WRITE, 0x110), { r0: 0 }, 'all written');
  words(0x110, w, 0x400, 4);
  t.same(sh.call(SYS.READ, 0x110), { r0: 4 }, 'a write-only file reads nothing (all 4 not read)');
  t.equal(errno(), 9, 'EBADF (handset sets errno where QEMU 7.2 leaves it)');
  words(0x120, w);
  t.same(sh.call(SYS.ISTTY, 0x120), { r0: 0 });
  t.equal(errno(), 25, 'ENOTTY, as isatty leaves it');
  t.same(sh.call(SYS.FLEN, 0x120), { r0: 11 });
  t.same(sh.call(SYS.CLOSE, 0x120), { r0: 0 });
  t.same(files.list(), ['out.txt']);
  const r = open('./out.txt', 1);
  words(0x130, r, 6);
  t.same(sh.call(SYS.SEEK, 0x130), { r0: 0 });
  words(0x110, r, 0x400, 0xffffffff);
  t.same(sh.call(SYS.READ, 0x110), { r0: 0xffffffff - 5 }, 'a huge read returns what there is');
  t.equal(Buffer.from(mem.subarray(0x400, 0x405)).toString(), 'world');
  words(0x110, r, 0x300, 3);
  t.same(sh.call(SYS.WRITE, 0x110), { r0: 3 }, 'a read-only file takes nothing');
  words(0x120, r);
  sh.call(SYS.CLOSE, 0x120);
  str(0x500, 'out.txt');
  str(0x520, 'dir/new.txt');
  words(0x140, 0x500, 7, 0x520, 11);
  t.same(sh.call(SYS.RENAME, 0x140), { r0: 0 });
  t.same(files.list(), ['dir/new.txt']);
  t.same(sh.call(SYS.RENAME, 0x140), { r0: 0xffffffff }, 'renaming what is gone');
  t.equal(errno(), 2);
  words(0x150, 0x520, 11);
  t.same(sh.call(SYS.REMOVE, 0x150), { r0: 0 });
  t.same(sh.call(SYS.REMOVE, 0x150), { r0: 0xffffffff });
  t.equal(errno(), 2);
  t.same(files.list(), []);
  words(0x150, 0x520, 0xffffffff); // length + 1 wraps to 0: QEMU then measures the name itself
  t.same(sh.call(SYS.REMOVE, 0x150), { r0: 0xffffffff });
  t.equal(errno(), 2);
  words(0x150, 0x520, 0xfffffff0);
  t.same(sh.call(SYS.REMOVE, 0x150), { r0: 0xffffffff });
  t.equal(errno(), 36, 'ENAMETOOLONG');
});

t.test('modes: w truncates, r+ keeps, a appends wherever SEEK put the position, a+ reads from the start', async (t) => {
  const files = new MemoryFiles();
  const { sh, mem, words, str, open } = setup('', 0x10000, { files });
  const write = (h: number, s: string) => {
    str(0x300, s);
    words(0x110, h, 0x300, s.length);
    return sh.call(SYS.WRITE, 0x110).r0;
  };
  const close = (h: number) => (words(0x120, h), sh.call(SYS.CLOSE, 0x120).r0);
  const seek = (h: number, p: number) => (words(0x130, h, p), sh.call(SYS.SEEK, 0x130).r0);
  const read = (h: number, n: number) => {
    words(0x110, h, 0x400, n);
    const left = sh.call(SYS.READ, 0x110).r0!;
    return Buffer.from(mem.subarray(0x400, 0x400 + n - left)).toString('latin1');
  };
  t.equal(open('f', 0), 0xffffffff, 'r of a missing file');
  t.equal(open('f', 2), 0xffffffff, 'r+ of a missing file');
  let h = open('f', 5); // wb
  write(h, 'abcdef');
  close(h);
  h = open('f', 3); // r+b
  seek(h, 2);
  write(h, 'XY');
  t.equal((seek(h, 0), read(h, 100)), 'abXYef');
  close(h);
  h = open('f', 8); // a
  seek(h, 0);
  write(h, '12');
  close(h);
  t.equal(Buffer.from(files.contents('f')!).toString(), 'abXYef12', 'appended, not written at 0');
  h = open('f', 10); // a+
  t.equal(read(h, 3), 'abX');
  write(h, '!');
  close(h);
  h = open('f', 6); // w+
  t.equal(read(h, 10), '', 'w+ truncated');
  write(h, 'new');
  seek(h, 6);
  write(h, 'z');
  close(h);
  t.same([...files.contents('f')!], [...Buffer.from('new'), 0, 0, 0, ...Buffer.from('z')], 'a hole reads as zeros');
});

t.test('absurd lengths: each answered as QEMU answers it, without reading or allocating for the length', async (t) => {
  const { sh, words, out, counts, reset, open, errno, str } = setup();
  const tt = open(':tt', 4);
  reset();
  words(0x110, tt, 0x100, 0xffffffff);
  t.same(sh.call(SYS.WRITE, 0x110), { r0: 0xffffffff }, 'WRITE of 0xffffffff: nothing written');
  t.equal(errno(), 14, 'EFAULT');
  words(0x110, tt, 0x100, 0x7fffffff);
  t.same(sh.call(SYS.WRITE, 0x110), { r0: 0x7fffffff });
  t.ok(counts.bytesRead <= 64, `only the argument blocks were read (${counts.bytesRead} bytes)`);
  words(0x110, tt, 0x8000, 0x10000);
  t.same(sh.call(SYS.WRITE, 0x110), { r0: 0x10000 }, 'a buffer that runs off the end of memory');
  t.equal(out.length, 0, 'nothing printed');

  reset();
  t.equal(open('x.txt', 4, 0xfffffff0), 0xffffffff, 'OPEN with a name length of 0xfffffff0');
  t.equal(errno(), 36, 'ENAMETOOLONG, as QEMU');
  t.ok(counts.bytesRead <= 1024 + 64, `read the name only (${counts.bytesRead} bytes)`);
  t.ok(open(':tt', 4, 0xfffffff0) >= 1, 'QEMU opens :tt whatever the length');

  reset();
  str(0x1000, 'n'.repeat(10000));
  words(0x100, 0x1000, 0, 10000);
  t.same(sh.call(SYS.OPEN, 0x100), { r0: 0xffffffff }, 'a 10000-byte name');
  t.equal(errno(), 36);
  t.ok(counts.bytesRead <= 4096 + 64, `read up to PATH_MAX (${counts.bytesRead} bytes)`);

  reset();
  const stdin = open(':tt', 0);
  words(0x110, stdin, 0x100, 0xffffffff);
  t.same(sh.call(SYS.READ, 0x110), { r0: 0xffffffff }, 'READ of 0xffffffff from empty stdin');
  t.ok(counts.stdinAsked <= 64 * 1024, `stdin asked for ${counts.stdinAsked} bytes`);
  const features = open(':semihosting-features', 0);
  words(0x110, features, 0x100, 0xfffffff0);
  t.same(sh.call(SYS.READ, 0x110), { r0: 0xfffffff0 - 5 });
  t.ok(counts.bytesWritten <= 5 + 8, `wrote only what was read (${counts.bytesWritten} bytes)`);

  reset();
  words(0x110, tt, 0x100, 0x20000);
  t.same(sh.call(SYS.WRITE, 0x110), { r0: 0x20000 }, 'longer than RAM: EFAULT without reading it');
  t.ok(counts.bytesRead <= 12, 'only the argument block');
});

t.test('large legitimate transfers go in a few large host calls', async (t) => {
  const size = 4 * 1024 * 1024;
  const { sh, mem, words, out, err, counts, reset, open } = setup('', size);
  const tt = open(':tt', 4);
  mem.fill(0x61, 0x10000, 0x10000 + 0x100000);
  reset();
  words(0x110, tt, 0x10000, 0x100000);
  t.same(sh.call(SYS.WRITE, 0x110), { r0: 0 }, '1 MiB SYS_WRITE');
  t.equal(out.length, 0x100000);
  t.ok(counts.reads <= 20, `${counts.reads} memory reads`);
  t.ok(counts.bytesRead <= 0x100000 + 64, `${counts.bytesRead} bytes read`);

  // 1 MiB SYS_WRITE0: read a page at a time (the NUL is searched in each), printed in one call.
  reset();
  sh.call(SYS.WRITE0, 0x10000);
  t.equal(err.length, 0x100000);
  t.equal(counts.stderrCalls, 1);
  t.ok(counts.reads <= 0x100000 / 1024 + 1, `${counts.reads} memory reads`);
  t.ok(counts.bytesRead <= 0x100000 + 1024, `${counts.bytesRead} bytes read`);

  // No NUL before memory ends: QEMU prints nothing (target_strlen fails); neither do we.
  mem.fill(0x62, 0x10000);
  err.length = 0;
  reset();
  t.same(sh.call(SYS.WRITE0, 0x10000), { r0: 0xdeadbeef });
  t.equal(err.length, 0);
  t.ok(counts.bytesRead <= size, 'read no further than memory goes');
});

t.test('a full in-memory directory: a write stops short, the next fails with ENOSPC and SYS_ERRNO says so', async (t) => {
  const files = new MemoryFiles({ maxBytes: 1000, maxFiles: 3 });
  const { sh, words, open, errno } = setup('', 0x10000, { files });
  const h = open('a', 4);
  words(0x110, h, 0x1000, 600);
  t.same(sh.call(SYS.WRITE, 0x110), { r0: 0 });
  t.same(sh.call(SYS.WRITE, 0x110), { r0: 200 }, '400 of 600 fit: 200 not written');
  t.same(sh.call(SYS.WRITE, 0x110), { r0: 600 }, 'nothing fits');
  t.equal(errno(), 28, 'ENOSPC');
  t.ok(open('b', 4) >= 1);
  t.ok(open('c', 4) >= 1);
  t.equal(open('d', 4), 0xffffffff, 'a fourth file');
  t.equal(errno(), 28);
});

t.test('at most MAX_HANDLES handles are open at once: then EMFILE', async (t) => {
  const { open, errno } = setup();
  const handles = Array.from({ length: MAX_HANDLES }, () => open(':tt', 4));
  t.same(handles, Array.from({ length: MAX_HANDLES }, (_, i) => i + 1));
  t.equal(open(':tt', 4), 0xffffffff);
  t.equal(errno(), 24);
});

t.test('TMPNAM: names from a counter, never the same twice; a short buffer fails', async (t) => {
  const { sh, mem, words, errno } = setup();
  words(0x100, 0x400, 7, 64);
  t.same(sh.call(SYS.TMPNAM, 0x100), { r0: 0 });
  const first = Buffer.from(mem.subarray(0x400, mem.indexOf(0, 0x400))).toString();
  t.same(sh.call(SYS.TMPNAM, 0x100), { r0: 0 });
  const second = Buffer.from(mem.subarray(0x400, mem.indexOf(0, 0x400))).toString();
  t.equal(first, '/tmp/handset-007');
  t.equal(second, '/tmp/handset-107');
  words(0x100, 0x400, 7, 4);
  t.same(sh.call(SYS.TMPNAM, 0x100), { r0: 0xffffffff });
  t.equal(errno(), 0, 'errno untouched, as QEMU');
});

t.test('save/load: handles, errno and the directory (open and removed-but-open files too) round-trip through JSON', async (t) => {
  const a = setup('', 0x10000, { files: new MemoryFiles() });
  const kept = a.open('kept.bin', 6); // w+
  a.mem.set([1, 2, 3, 0, 255], 0x300);
  a.words(0x110, kept, 0x300, 5);
  a.sh.call(SYS.WRITE, 0x110);
  a.words(0x130, kept, 1);
  a.sh.call(SYS.SEEK, 0x130);
  const gone = a.open('gone.txt', 6);
  a.words(0x110, gone, 0x300, 3);
  a.sh.call(SYS.WRITE, 0x110);
  a.str(0x500, 'gone.txt');
  a.words(0x150, 0x500, 8);
  t.same(a.sh.call(SYS.REMOVE, 0x150), { r0: 0 }, 'removed while open (as tmpfile() does)');
  a.open('missing', 0); // errno ENOENT
  const tt = a.open(':tt', 8);
  const state = JSON.parse(JSON.stringify(a.sh.save()));

  const files = new MemoryFiles();
  const b = setup('', 0x10000, { files });
  b.sh.load(state);
  t.equal(b.errno(), 2, 'errno restored');
  t.same(files.list(), ['kept.bin']);
  b.words(0x110, kept, 0x400, 10);
  t.same(b.sh.call(SYS.READ, 0x110), { r0: 6 }, 'the position was kept: 4 of 10 read');
  t.same([...b.mem.subarray(0x400, 0x404)], [2, 3, 0, 255]);
  b.words(0x130, gone, 0);
  b.sh.call(SYS.SEEK, 0x130);
  b.words(0x110, gone, 0x400, 10);
  t.same(b.sh.call(SYS.READ, 0x110), { r0: 7 }, 'the removed file is still readable through its handle');
  b.str(0x300, 'xy');
  b.words(0x110, tt, 0x300, 2);
  t.same(b.sh.call(SYS.WRITE, 0x110), { r0: 0 });
  t.equal(Buffer.from(b.err).toString(), 'xy', ':tt (append mode) still writes to stderr');
  t.same(b.sh.save(), JSON.parse(JSON.stringify(b.sh.save())), 'saved state is plain JSON data');

  for (const [what, bad] of [
    ['not an object', 5],
    ['a handle of unknown kind', { ...state, handles: [{ handle: 1, kind: 'socket' }] }],
    ['handle 0', { ...state, handles: [{ handle: 0, kind: 'stdin' }] }],
    ['an open file of no file', { ...state, files: { ...state.files, open: [{ handle: 0, file: 99, position: 0, read: true, write: false, append: false }] } }],
    ['bad base64', { ...state, files: { ...state.files, files: [{ id: 0, name: 'a', data: '%%%' }] } }],
    ['a name outside the root', { ...state, files: { ...state.files, files: [{ id: 0, name: '../a', data: '' }], open: [] } }],
    ['a host-directory state', { ...state, files: { kind: 'host', open: [], tmpCounter: 0 } }],
  ] as const) {
    t.throws(() => b.sh.load(bad), SnapshotError, what);
  }
  t.same(files.list(), ['kept.bin'], 'a failed load changes nothing');
});
