// C programs that write files through newlib's semihosting (rdimon) and read them back, compiled at test time:
// equivalents of GCC's torture tests fprintf-2, printf-2 and user-printf (tmpnam, freopen of stdout, abort on a
// mismatch), every fopen mode, tmpfile/remove/rename, and a full directory. Each passes on handset (exit 0) and
// gives the same output and status as qemu-system-arm, which opens host files relative to its working
// directory: it runs in a fresh temporary directory, and with --semihosting-root handset leaves the same files.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFirmware } from '../helpers/run-firmware.ts';

const PROGRAMS: Record<string, string> = {
  'fprintf-file': `/* fprintf to a tmpnam() file, read back with fscanf (like gcc.c-torture/execute/fprintf-2.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) {
  char name[L_tmpnam];
  if (tmpnam(name) == NULL) { perror("tmpnam"); return 1; }
  FILE *out = fopen(name, "w");
  if (out == NULL) { perror("fopen for writing"); return 1; }
  fprintf(out, "a");
  fprintf(out, "%c", 'b');
  fprintf(out, "%c%c", 'c', 'd');
  fprintf(out, "%s", "e");
  fprintf(out, "%s%s", "f", "g");
  fprintf(out, "%d", 7);
  fprintf(out, "%.2s\\n", "hij");
  if (fclose(out) != 0) abort();
  FILE *in = fopen(name, "r");
  if (in == NULL) { perror("fopen for reading"); remove(name); return 1; }
  char word[16] = "";
  if (fscanf(in, "%15s", word) != 1) { perror("fscanf"); fclose(in); remove(name); return 1; }
  fclose(in);
  if (remove(name) != 0) abort();
  if (strcmp(word, "abcdefg7hi") != 0) abort();
  printf("fprintf-file: %s\\n", word);
  return 0;
}
`,
  'printf-file': `/* printf with stdout redirected to a tmpnam() file by freopen, read back (like gcc.c-torture/execute/printf-2.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) {
  char *name = tmpnam(NULL);
  if (name == NULL) return 1;
  char saved[L_tmpnam];
  strcpy(saved, name);
  if (freopen(saved, "w", stdout) == NULL) { perror("freopen"); return 1; }
  printf("1");
  printf("%c", '2');
  printf("%c%c", '3', '4');
  printf("%s", "5");
  printf("%s%s", "6", "7");
  printf("%i", 8);
  printf("%.1s\\n", "9x");
  puts("tail");
  if (fclose(stdout) != 0) abort();
  FILE *in = fopen(saved, "r");
  if (in == NULL) { perror("fopen for reading"); remove(saved); return 1; }
  char line[32] = "", line2[32] = "";
  if (fgets(line, sizeof line, in) == NULL || fgets(line2, sizeof line2, in) == NULL) abort();
  if (fgetc(in) != EOF || !feof(in)) abort();
  fclose(in);
  remove(saved);
  if (strcmp(line, "123456789\\n") != 0 || strcmp(line2, "tail\\n") != 0) abort();
  fprintf(stderr, "printf-file: %s", line);
  return 0;
}
`,
  'user-printf-file': `/* A user's printf-like function (vfprintf/vprintf) writing to a redirected stdout (like gcc.c-torture/execute/user-printf.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static __attribute__((noinline, format(printf, 1, 2))) void say(const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  vfprintf(stdout, format, ap);
  va_end(ap);
}
static __attribute__((noinline, format(printf, 1, 2))) void say2(const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  vprintf(format, ap);
  va_end(ap);
}
int main(void) {
  char name[L_tmpnam];
  if (tmpnam(name) == NULL) return 1;
  if (freopen(name, "w", stdout) == NULL) { perror("freopen"); return 1; }
  say("x");
  say("%c", 'y');
  say("%c%c", 'z', '0');
  say("%s", "1");
  say2("%s%s", "2", "3");
  say2("%u", 45u);
  say2("%.3s\\n", "6789");
  if (fclose(stdout) != 0) abort();
  FILE *in = fopen(name, "rb");
  if (in == NULL) { perror("fopen"); return 1; }
  char buf[32];
  size_t n = fread(buf, 1, sizeof buf, in);
  fclose(in);
  if (remove(name) != 0) abort();
  if (n != 13 || memcmp(buf, "xyz012345678\\n", 13) != 0) { fprintf(stderr, "got %u bytes\\n", (unsigned)n); abort(); }
  fprintf(stderr, "user-printf-file: %.*s", (int)n, buf);
  return 0;
}
`,
  'file-modes': `/* Every fopen mode, seeking, binary data, tmpfile, rename and remove, printed for comparison with QEMU. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* newlib's rename() goes through link(), which rdimon lacks: call SYS_RENAME (0x0f) directly. */
static int sys_rename(const char *from, const char *to) {
  unsigned block[4] = {(unsigned)from, strlen(from), (unsigned)to, strlen(to)};
  register int r0 asm("r0") = 0x0f;
  register unsigned *r1 asm("r1") = block;
  asm volatile("svc 0x123456" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}
static void show(const char *name) {
  FILE *f = fopen(name, "rb");
  if (f == NULL) { printf("%s: cannot open (errno %d)\\n", name, errno); return; }
  char buf[64];
  size_t n = fread(buf, 1, sizeof buf, f);
  printf("%s: %u bytes [", name, (unsigned)n);
  for (size_t i = 0; i < n; i++) printf(buf[i] >= 32 && buf[i] < 127 ? "%c" : "\\\\%o", (unsigned char)buf[i]);
  printf("]\\n");
  fclose(f);
}
int main(void) {
  FILE *f;
  errno = 0;
  printf("r missing: %p errno %d\\n", (void *)fopen("missing.txt", "r"), errno);
  errno = 0;
  printf("r+ missing: %p errno %d\\n", (void *)fopen("missing.txt", "r+"), errno);
  f = fopen("m.txt", "w"); fputs("hello", f); fclose(f); show("m.txt");
  f = fopen("m.txt", "a"); fputs(" world", f); fclose(f); show("m.txt");
  f = fopen("m.txt", "r+"); fseek(f, 1, SEEK_SET); fputc('E', f); fclose(f); show("m.txt");
  f = fopen("m.txt", "a+"); fputs("!", f); rewind(f);
  char first[4] = ""; fread(first, 1, 3, f); printf("a+ reads from the start: %s\\n", first);
  fseek(f, 0, SEEK_SET); fputs("?", f); printf("a+ ftell after write: %ld\\n", ftell(f)); fclose(f); show("m.txt");
  f = fopen("m.txt", "w+"); fputs("new", f); rewind(f); char again[8] = ""; fgets(again, sizeof again, f); printf("w+ read back: %s\\n", again); fclose(f); show("m.txt");
  f = fopen("b.bin", "wb"); const unsigned char bin[] = {0, 1, 2, 255, 0, 10, 13, 26}; fwrite(bin, 1, sizeof bin, f); fclose(f); show("b.bin");
  f = fopen("b.bin", "ab"); fwrite(bin, 1, 2, f); fclose(f); show("b.bin");
  f = fopen("b.bin", "rb+"); fseek(f, -3, SEEK_END); printf("rb+ at %ld of ", ftell(f)); fseek(f, 0, SEEK_END); printf("%ld\\n", ftell(f));
  fseek(f, 12, SEEK_SET); fputc('Z', f); fclose(f); show("b.bin");
  f = fopen("b.bin", "wb+"); fputc('q', f); fclose(f); show("b.bin");
  f = fopen("b.bin", "ab+"); fputc('r', f); fclose(f); show("b.bin");
  f = fopen("m.txt", "rb"); printf("isatty(file) %d, isatty(stdout) %d\\n", isatty(fileno(f)), isatty(1)); fclose(f);
  printf("rename: %d\\n", rename("m.txt", "n.txt")); show("m.txt"); show("n.txt");
  printf("rename over: %d\\n", rename("n.txt", "b.bin")); show("b.bin");
  errno = 0; printf("remove missing: %d errno %d\\n", remove("n.txt"), errno);
  printf("SYS_RENAME: %d\\n", sys_rename("m.txt", "sub.txt")); show("m.txt"); show("sub.txt");
  printf("SYS_RENAME over: %d\\n", sys_rename("sub.txt", "b.bin")); show("b.bin");
  printf("remove: %d\\n", remove("b.bin")); show("b.bin");
  f = tmpfile(); if (f == NULL) { perror("tmpfile"); return 1; }
  for (int i = 0; i < 1000; i++) fprintf(f, "%d,", i);
  printf("tmpfile length %ld\\n", ftell(f));
  rewind(f); int sum = 0, v; while (fscanf(f, "%d,", &v) == 1) sum += v; printf("tmpfile sum %d\\n", sum);
  fclose(f);
  return 0;
}
`,
  'enospc': `#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static char block[1 << 20];
int main(void) {
  memset(block, 'x', sizeof block);
  FILE *f = fopen("big.bin", "wb");
  if (f == NULL) return 1;
  long total = 0;
  size_t n;
  errno = 0;
  while ((n = fwrite(block, 1, sizeof block, f)) == sizeof block) total += n;
  total += n;
  printf("wrote %ld bytes, then ferror %d errno %d\\n", total, ferror(f) != 0, errno);
  fclose(f);
  f = fopen("big.bin", "rb");
  fseek(f, 0, SEEK_END);
  printf("length %ld\\n", ftell(f));
  fclose(f);
  errno = 0;
  f = fopen("small.txt", "w");
  int put = fputs("x", f), closed = fclose(f);
  printf("a new file when full: opened, fputs %d, fclose %d, errno %d\\n", put, closed, errno);
  if (remove("big.bin") != 0) abort();
  f = fopen("small.txt", "w");
  fputs("fits again", f);
  printf("after remove: fclose %d\\n", fclose(f));
  char name[16];
  int i;
  errno = 0;
  for (i = 0; i < 1000; i++) {
    sprintf(name, "f%d", i);
    f = fopen(name, "w");
    if (f == NULL) break;
    fclose(f);
  }
  printf("created %d more files, then errno %d\\n", i, errno);
  return 0;
}
`,
  absurd: `/* Absurd semihosting requests: each returns at once with QEMU's result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int sh(int op, void *p) {
  register int r0 asm("r0") = op;
  register void *r1 asm("r1") = p;
  asm volatile("svc 0x123456" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}
static char buf[64];
int main(void) {
  unsigned a[3];
  a[0] = (unsigned)":tt"; a[1] = 4; a[2] = 3;
  int tt = sh(0x01, a);
  a[0] = tt; a[1] = (unsigned)buf; a[2] = 0xffffffff;
  printf("WRITE 0xffffffff: %#x\\n", sh(0x05, a));
  a[0] = tt; a[1] = 0x100; a[2] = 0x7fffffff;
  printf("WRITE 0x7fffffff: %#x\\n", sh(0x05, a));
  a[0] = (unsigned)"name.txt"; a[1] = 4; a[2] = 0xfffffff0;
  printf("OPEN name length 0xfffffff0: %d errno %d\\n", sh(0x01, a), sh(0x13, 0));
  a[0] = (unsigned)":tt"; a[1] = 4; a[2] = 0xfffffff0;
  printf("OPEN :tt length 0xfffffff0: %s\\n", sh(0x01, a) > 0 ? "opened" : "failed");
  FILE *f = fopen("ten.txt", "w");
  fputs("0123456789", f);
  fclose(f);
  a[0] = (unsigned)"ten.txt"; a[1] = 0; a[2] = 7;
  int h = sh(0x01, a);
  a[0] = h; a[1] = (unsigned)buf; a[2] = 0xfffffff0;
  printf("READ 0xfffffff0 of a 10-byte file: %#x [%.10s]\\n", sh(0x06, a), buf);
  a[0] = h;
  sh(0x02, a);
  remove("ten.txt");
  char *big = malloc(1 << 20);
  memset(big, 'w', (1 << 20) - 1);
  big[(1 << 20) - 1] = 0;
  sh(0x04, big); /* SYS_WRITE0 of 1 MiB */
  printf("done\\n");
  return 0;
}
`,
};

const work = mkdtempSync(join(tmpdir(), 'handset-semihosting-c-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

function build(name: string): string {
  const src = join(work, `${name}.c`);
  const elf = join(work, `${name}.elf`);
  writeFileSync(src, PROGRAMS[name]);
  execFileSync('arm-none-eabi-gcc', ['-march=armv5te', '-marm', '-mfloat-abi=soft', '-O2', '-Wall', '--specs=rdimon.specs', '-o', elf, src]);
  return elf;
}

/** QEMU with the program's files in a fresh directory `cwd` (tmpnam's /tmp names are the host's /tmp). */
function qemu(elf: string, cwd: string) {
  const r = spawnSync(
    'qemu-system-arm',
    ['-M', 'realview-eb', '-cpu', 'arm926', '-m', '128M', '-kernel', elf, '-nographic', '-monitor', 'none', '-semihosting', '-audiodev', 'none,id=n'],
    { encoding: 'latin1', input: '', timeout: 60_000, cwd, maxBuffer: 64 * 1024 * 1024 },
  );
  return { stdout: r.stdout, stderr: r.stderr.replace(/^audio: Device lm4549: audiodev default parameter is deprecated.*\n/m, ''), status: r.status };
}

function handset(elf: string, semihostingRoot?: string) {
  const r = runFirmware(elf, { semihostingRoot });
  return { stdout: r.stdout, stderr: r.stderr, status: r.outcome.kind === 'exit' ? r.outcome.status : -1 };
}

/** Every regular file under `dir` with its contents. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out[join(e.parentPath, e.name).slice(dir.length + 1)] = readFileSync(join(e.parentPath, e.name), 'latin1');
  }
  return out;
}

const EXPECTED: Record<string, { stdout?: RegExp; stderr?: RegExp }> = {
  'fprintf-file': { stdout: /^fprintf-file: abcdefg7hi\n$/ },
  'printf-file': { stderr: /^printf-file: 123456789\n$/ },
  'user-printf-file': { stderr: /^user-printf-file: xyz012345678\n$/ },
  'file-modes': { stdout: /tmpfile sum 499500\n$/ },
};

for (const name of Object.keys(EXPECTED)) {
  t.test(`${name}: passes in the in-memory directory, as under QEMU with host files`, async (t) => {
    const elf = build(name);
    const ours = handset(elf);
    t.equal(ours.status, 0, 'exit 0');
    t.match(ours.stdout, EXPECTED[name].stdout ?? /^$/);
    t.match(ours.stderr, EXPECTED[name].stderr ?? /^$/);
    const cwd = mkdtempSync(join(work, `qemu-${name}-`));
    t.same(qemu(elf, cwd), ours, 'the same stdout, stderr and status as QEMU');

    // With --semihosting-root, the directory ends up holding what QEMU's working directory holds.
    const root = mkdtempSync(join(work, `root-${name}-`));
    mkdirSync(join(root, 'tmp'));
    t.same(handset(elf, root), ours, 'the same run in a host directory');
    t.same(tree(root), tree(cwd), 'the same files left behind');
  });
}

t.test('file-modes: every fopen mode, seeking, tmpfile, SYS_RENAME and remove print what QEMU prints', async (t) => {
  const r = handset(build('file-modes'));
  t.match(r.stdout, /^m\.txt: 11 bytes \[hEllo world\]$/m, 'r+ overwrites in place');
  t.match(r.stdout, /^m\.txt: 13 bytes \[hEllo world!\?\]$/m, 'a+ appends after a seek');
  t.match(r.stdout, /^b\.bin: 13 bytes \[\\0\\1\\2\\377\\0\\12\\15\\32\\0\\1\\0\\0Z\]$/m, 'binary data, a hole from seeking past the end');
  t.match(r.stdout, /^isatty\(file\) 0/m);
  t.match(r.stdout, /^SYS_RENAME: 0\nm\.txt: cannot open \(errno 2\)\nsub\.txt: 3 bytes \[new\]$/m);
  t.match(r.stdout, /^remove missing: -1 errno 2$/m);
});

t.test('a full in-memory directory: writes fail with ENOSPC at 32 MiB or 256 files, and space comes back', async (t) => {
  const r = handset(build('enospc'));
  t.equal(r.status, 0);
  t.equal(
    r.stdout,
    'wrote 33554432 bytes, then ferror 1 errno 28\n' +
      'length 33554432\n' +
      'a new file when full: opened, fputs 0, fclose -1, errno 28\n' +
      'after remove: fclose 0\n' +
      'created 255 more files, then errno 28\n',
  );
  t.equal(r.stderr, '');
});

t.test('absurd requests from a program (issue 7): the results QEMU gives, and the 1 MiB SYS_WRITE0 printed whole', async (t) => {
  const elf = build('absurd');
  const ours = handset(elf);
  t.equal(ours.status, 0);
  t.equal(
    ours.stdout,
    'WRITE 0xffffffff: 0xffffffff\n' +
      'WRITE 0x7fffffff: 0x7fffffff\n' +
      'OPEN name length 0xfffffff0: -1 errno 36\n' +
      'OPEN :tt length 0xfffffff0: opened\n' +
      'READ 0xfffffff0 of a 10-byte file: 0xffffffe6 [0123456789]\n' +
      'done\n',
  );
  t.ok(ours.stderr === 'w'.repeat((1 << 20) - 1), 'SYS_WRITE0 printed the 1 MiB string');
  const q = qemu(elf, mkdtempSync(join(work, 'qemu-absurd-')));
  t.same({ ...q, stderr: q.stderr.length }, { ...ours, stderr: ours.stderr.length }, 'as QEMU');
  t.ok(q.stderr === ours.stderr, 'the same stderr as QEMU');
});
