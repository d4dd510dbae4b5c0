// QEMU is the oracle: every firmware image, and C programs this project has never seen, built with
// newlib's rdimon.specs, print the same console output and exit with the same status under handset as
// under qemu-system-arm -M realview-eb -semihosting.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFirmware } from '../helpers/run-firmware.ts';
import { runQemu } from '../helpers/qemu.ts';

const IMAGES = ['hello', 'timer-irq', 'exceptions', 'mmu', 'thumb', 'wfi', 'newlib-demo', 'echo'];
const INPUT: Record<string, string> = { echo: 'hello world\nabc 123\nq\n' };

const RUNS = [
  ...IMAGES.map((name) => ({ name, cpu: 'arm926' as const })),
  ...['hello', 'thumb', 'timer-irq', 'exceptions'].map((name) => ({ name, cpu: 'arm1176' as const })),
];

t.test('firmware images match QEMU', async (t) => {
  for (const { name, cpu } of RUNS) {
    const image = `firmware/${name}.elf`;
    const q = runQemu(image, cpu, INPUT[name]);
    const h = runFirmware(image, { cpu, stdin: INPUT[name] });
    t.equal(h.stdout, q.stdout, `${name} on ${cpu}: stdout`);
    t.equal(h.stderr, q.stderr, `${name} on ${cpu}: stderr`);
    t.same(h.outcome, { kind: 'exit', status: q.status }, `${name} on ${cpu}: exit status`);
  }
});

// Written here, compiled at test time: nothing about this program is tuned to the emulator.
const UNSEEN_C = `
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
static int cmp(const void *a, const void *b) { return (*(const double *)a > *(const double *)b) - (*(const double *)a < *(const double *)b); }
int main(int argc, char **argv) {
  double v[12]; unsigned s = 12345;
  for (int i = 0; i < 12; i++) { s = s * 1103515245u + 12345u; v[i] = (s >> 8) % 10000 / 7.0; }
  qsort(v, 12, sizeof v[0], cmp);
  for (int i = 0; i < 12; i++) printf("%.3f%c", v[i], i == 11 ? '\\n' : ' ');
  char *buf = malloc(100000); memset(buf, 'q', 99999); buf[99999] = 0;
  printf("len=%u sqrt2=%.12f exp1=%.9e\\n", (unsigned)strlen(buf), sqrt(2.0), exp(1.0));
  fprintf(stderr, "argc=%d to stderr\\n", argc);
  long long big = 1; for (int i = 0; i < 40; i++) big *= 3; printf("3^40=%lld %s\\n", big, argc > 0 ? "argv ok" : "no argv");
  free(buf);
  return 7;
}
`;

t.test('an unseen newlib C program behaves as under QEMU', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'handset-c-'));
  const src = join(dir, 'unseen.c');
  const elf = join(dir, 'unseen.elf');
  writeFileSync(src, UNSEEN_C);
  execFileSync('arm-none-eabi-gcc', ['-march=armv5te', '-O2', '--specs=rdimon.specs', '-o', elf, src, '-lm']);
  const q = runQemu(elf);
  t.equal(q.status, 7, 'QEMU ran it');
  const h = runFirmware(elf);
  t.equal(h.stdout, q.stdout);
  t.equal(h.stderr, q.stderr);
  t.same(h.outcome, { kind: 'exit', status: 7 });
});
