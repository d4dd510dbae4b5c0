/** A C program written for the tests, not for the emulator, compiled at test time with newlib's rdimon.specs. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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


/** Compiles the program into a temporary directory and returns the ELF's path. */
export function buildUnseenProgram(): string {
  const dir = mkdtempSync(join(tmpdir(), 'handset-c-'));
  const src = join(dir, 'unseen.c');
  const elf = join(dir, 'unseen.elf');
  writeFileSync(src, UNSEEN_C);
  execFileSync('arm-none-eabi-gcc', ['-march=armv5te', '-O2', '--specs=rdimon.specs', '-o', elf, src, '-lm']);
  return elf;
}
