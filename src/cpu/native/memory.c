/*
 * Guest RAM owned by handset (mapped into Unicorn with uc_mem_map_ptr), so that a snapshot can find the
 * pages a run has touched without reading gigabytes of untouched memory: the 3.5 GiB alias space above
 * 512 MiB (see src/soc/board.ts ALIAS_SPACE) is mostly never touched, and mincore() says which of its
 * host pages exist at all.
 */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Zero-filled memory reserved lazily by the kernel; NULL on failure. */
void *hs_mem_alloc(uint64_t size) {
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

void hs_mem_free(void *p, uint64_t size) { munmap(p, size); }

static int all_zero(const uint8_t *p, uint64_t n) {
  const uint64_t *w = (const uint64_t *)p;
  for (uint64_t i = 0; i < n / 8; i++)
    if (w[i] != 0) return 0;
  return 1;
}

/*
 * Writes to `out` the indexes of the `chunk`-byte chunks of [base, base + size) that hold a non-zero byte,
 * in increasing order, at most `max` of them; returns how many there are (which may exceed `max`).
 * Host pages that were never touched are not resident and are skipped without reading them.
 */
uint32_t hs_mem_nonzero_chunks(uint8_t *base, uint64_t size, uint32_t chunk, uint32_t *out, uint32_t max) {
  uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
  unsigned char resident[256];
  uint32_t count = 0;
  for (uint64_t at = 0; at < size; at += chunk) {
    uint64_t len = size - at < chunk ? size - at : chunk;
    uint64_t pages = (len + page - 1) / page;
    int any = 0;
    for (uint64_t p0 = 0; p0 < pages && !any; p0 += sizeof resident) {
      uint64_t n = pages - p0 < sizeof resident ? pages - p0 : sizeof resident;
      if (mincore(base + at + p0 * page, n * page, resident) != 0) { any = 1; break; } /* unsure: look */
      for (uint64_t k = 0; k < n; k++)
        if ((resident[k] & 1) && !all_zero(base + at + (p0 + k) * page, page)) { any = 1; break; }
    }
    if (any) {
      if (count < max) out[count] = (uint32_t)(at / chunk);
      count++;
    }
  }
  return count;
}
