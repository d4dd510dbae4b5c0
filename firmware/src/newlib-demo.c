/* newlib-demo: newlib + rdimon semihosting (printf, malloc, qsort, soft-float double), exits with 3. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    printf("newlib-demo: hello from newlib\n");

    /* malloc + qsort on pseudo-random data (fixed LCG seed: deterministic) */
    enum { N = 16 };
    int *v = malloc(N * sizeof *v);
    if (!v) {
        printf("malloc failed\n");
        return 1;
    }
    unsigned s = 12345;
    for (int i = 0; i < N; i++) {
        s = s * 1103515245u + 12345u;
        v[i] = (int)((s >> 16) % 1000);
    }
    qsort(v, N, sizeof *v, cmp_int);
    printf("sorted:");
    for (int i = 0; i < N; i++)
        printf(" %d", v[i]);
    printf("\n");
    for (int i = 1; i < N; i++)
        if (v[i - 1] > v[i]) {
            printf("qsort failed\n");
            return 1;
        }
    free(v);

    /* a bigger allocation, to exercise the heap from SYS_HEAPINFO */
    char *big = malloc(1 << 20);
    if (!big) {
        printf("malloc 1MiB failed\n");
        return 1;
    }
    memset(big, 0x5A, 1 << 20);
    volatile unsigned char *vb = (volatile unsigned char *)big;   /* keeps the memset alive */
    unsigned sum = 0;
    for (int i = 0; i < (1 << 20); i += 4096)
        sum += vb[i];
    printf("malloc 1MiB ok, sum of every 4096th byte 0x%x\n", sum);   /* 256 * 0x5A */

    /* soft-float double arithmetic and printf formatting */
    double pi = 3.14159;
    double area = pi * 2.5 * 2.5;
    printf("pi = %.5f, area(r=2.5) = %.4f, %g\n", pi, area, 1.0 / 3.0);
    long long big_mul = 123456789LL * 1000LL;
    printf("64-bit: %lld\n", big_mul);

    printf("exiting with status 3\n");
    return 3;
}
