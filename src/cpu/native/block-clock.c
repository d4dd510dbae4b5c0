/*
 * Native BLOCK hook for the run loop: adds each translated block's cost to the virtual clock and stops
 * emulation at the first block boundary at or after the deadline. It does in C exactly what
 * src/cpu/block-clock.ts does in TypeScript (the reference it is tested against), because a JavaScript
 * BLOCK hook costs about 4x the emulation speed (HARDWARE.md §7).
 *
 * Costs come from the TypeScript side: on a cache miss the hook calls `cost_fn(address, size)`, which
 * decodes the block and returns its instruction count and cycle cost. Entries are keyed by address and
 * size; `hs_block_clock_forget` drops a range when code is rewritten.
 */
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>

typedef struct uc_struct uc_engine;
int uc_emu_stop(uc_engine *uc);
int uc_reg_read(uc_engine *uc, int regid, void *value);
int uc_hook_add(uc_engine *uc, size_t *hh, int type, void *callback, void *user_data, uint64_t begin,
                uint64_t end, ...);

#define UC_HOOK_BLOCK (1 << 3)
#define UC_ARM_REG_CPSR 3
#define CPSR_I (1u << 7)
#define STOP_DEADLINE 1
#define STOP_INTERRUPT 2
#define CACHE_BITS 16
#define CACHE_SIZE (1u << CACHE_BITS)

/* Shared with TypeScript through a koffi struct view: keep the layout in step with block-clock.ts. */
typedef struct {
  uint64_t cycles;     /* cycles charged so far (the clock) */
  uint64_t insns;      /* instructions charged so far */
  uint64_t deadline;   /* stop at the first block boundary where cycles >= deadline */
  uint64_t last_addr;  /* the block charged last, for partial-block corrections after an exception */
  uint32_t last_size;
  uint32_t stopped;    /* why this hook stopped emulation: STOP_DEADLINE or STOP_INTERRUPT, else 0 */
  uint32_t irq_pending; /* the interrupt line is high: stop as soon as CPSR.I is clear */
  uint32_t reserved;
} hs_clock_state;

typedef uint64_t (*hs_cost_fn)(uint64_t address, uint32_t size); /* returns insns << 32 | cycles */

typedef struct {
  uint32_t address, size, insns, cycles;
} entry;

typedef struct {
  hs_clock_state *state;
  hs_cost_fn cost_fn;
  entry cache[CACHE_SIZE];
} hs_block_clock;

static void block_hook(uc_engine *uc, uint64_t address, uint32_t size, void *user_data) {
  hs_block_clock *bc = user_data;
  hs_clock_state *s = bc->state;
  /* Unicorn checks for a stop request right after the BLOCK hook: a stopped block does not run now. */
  if (s->cycles >= s->deadline) {
    s->stopped = STOP_DEADLINE;
    uc_emu_stop(uc);
    return;
  }
  if (s->irq_pending) {
    /* QEMU ends a block after any write that unmasks interrupts, so this is the first boundary after it. */
    uint32_t cpsr = 0;
    uc_reg_read(uc, UC_ARM_REG_CPSR, &cpsr);
    if ((cpsr & CPSR_I) == 0) {
      s->stopped = STOP_INTERRUPT;
      uc_emu_stop(uc);
      return;
    }
  }
  entry *e = &bc->cache[(address >> 1) & (CACHE_SIZE - 1)];
  if (e->address != (uint32_t)address || e->size != size || e->size == 0) {
    uint64_t cost = bc->cost_fn(address, size);
    e->address = (uint32_t)address;
    e->size = size;
    e->insns = (uint32_t)(cost >> 32);
    e->cycles = (uint32_t)cost;
  }
  s->cycles += e->cycles;
  s->insns += e->insns;
  s->last_addr = address;
  s->last_size = size;
}

hs_block_clock *hs_block_clock_new(hs_clock_state *state, hs_cost_fn cost_fn) {
  hs_block_clock *bc = calloc(1, sizeof *bc);
  if (bc == NULL) return NULL;
  bc->state = state;
  bc->cost_fn = cost_fn;
  return bc;
}

int hs_block_clock_install(uc_engine *uc, hs_block_clock *bc, size_t *hook) {
  return uc_hook_add(uc, hook, UC_HOOK_BLOCK, (void *)block_hook, bc, 1, 0);
}

void hs_block_clock_forget(hs_block_clock *bc, uint64_t begin, uint64_t end) {
  for (uint32_t i = 0; i < CACHE_SIZE; i++) {
    entry *e = &bc->cache[i];
    if (e->size != 0 && e->address < end && e->address + e->size > begin) e->size = 0;
  }
}

void hs_block_clock_free(hs_block_clock *bc) { free(bc); }
