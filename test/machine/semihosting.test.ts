// Semihosting operations against a fake host with a flat guest memory: each operation's result and
// side effects as ARM DUI 0471 and QEMU 7.2 define them.
import t from 'tap';
import { ADP_STOPPED_APPLICATION_EXIT, Semihosting, SYS } from '../../src/machine/semihosting.ts';

function setup(stdinText = '') {
  const mem = new Uint8Array(0x10000);
  const out: number[] = [];
  const err: number[] = [];
  let stdin = Buffer.from(stdinText);
  let ns = 0;
  const sh = new Semihosting({
    readMemory: (va, n) => (va + n <= mem.length ? mem.slice(va, va + n) : undefined),
    writeMemory: (va, b) => {
      if (va + b.length > mem.length) return false;
      mem.set(b, va);
      return true;
    },
    stdout: (b) => out.push(...b),
    stderr: (b) => err.push(...b),
    stdin: (max) => {
      const b = stdin.subarray(0, max);
      stdin = stdin.subarray(b.length);
      return b;
    },
    nanos: () => ns,
    isTerminal: (stream) => stream === 'stdout',
    cmdline: 'fw.elf arg',
    heap: () => ({ heapBase: 0x1000, heapLimit: 0x8000, stackBase: 0x8000, stackLimit: 0 }),
  });
  const view = new DataView(mem.buffer);
  const words = (at: number, ...w: number[]) => w.forEach((v, i) => view.setUint32(at + i * 4, v >>> 0, true));
  const str = (at: number, s: string) => mem.set(Buffer.from(s + '\0', 'latin1'), at);
  return { sh, mem, view, out, err, words, str, setNs: (v: number) => (ns = v) };
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

t.test('no host files: other names fail with ENOENT', async (t) => {
  const { sh, words, str } = setup();
  str(0x200, '/etc/passwd');
  words(0x100, 0x200, 0, 11);
  t.same(sh.call(SYS.OPEN, 0x100), { r0: 0xffffffff });
  t.same(sh.call(SYS.ERRNO, 0), { r0: 2 });
  t.same(sh.call(SYS.REMOVE, 0x100), { r0: 0xffffffff });
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
