/*
 * Native BLOCK hook for the run loop: adds each translated block's cost to the virtual clock and stops
 * emulation at the first block boundary at or after the deadline. It does in C exactly what
 * src/cpu/block-clock.ts does in TypeScript (the reference it is tested against), because a JavaScript
 * BLOCK hook costs about 4x the emulation speed (HARDWARE.md §7).
 *
 * Costs come from the TypeScript side: on a cache miss the hook calls `cost_fn(address, size)`, which
 * decodes the block and writes its cost into the shared `hs_block_cost`. Costs that depend on where the
 * block went next (a taken branch, a return predicted by the return stack) are charged when the next
 * block starts. Entries are keyed by address and size. A block that Unicorn translates (again) is costed
 * again: after the guest rewrites code, QEMU retranslates it at the same address, often with the same
 * size, so the EDGE_GENERATED hook, which Unicorn calls whenever it generates a block, drops the entry.
 */
#include <stdlib.h>
#include <string.h>
#include "handset-native.h"

#define CPSR_I (1u << 7)
#define STOP_DEADLINE 1
#define STOP_INTERRUPT 2
#define CACHE_BITS 16
#define CACHE_SIZE (1u << CACHE_BITS)
#define FLAG_CALL 1u
#define FLAG_RET 2u
#define RETURN_STACK 3

/* What cost_fn writes for one block (shared with TypeScript). */
typedef struct {
  uint32_t insns, cycles;
  int32_t taken_delta;              /* added when the next block is not the fall-through */
  uint32_t flags;                   /* FLAG_CALL: push the return stack; FLAG_RET: pop it */
  int32_t ret_correct, ret_wrong, ret_empty; /* added after a return, by prediction outcome */
} hs_block_cost;

typedef void (*hs_cost_fn)(uint64_t address, uint32_t size);

typedef struct {
  uint32_t address, size;
  uint32_t space;                   /* the address space the block was costed in (hs_clock_state.space) */
  hs_block_cost cost;
} entry;

/* The state that links one block to the next: the block that ran last (a copy, so that a cache entry
 * evicted by the next block cannot change it) and the return stack. Saved in snapshots. */
typedef struct {
  uint32_t has_prev;
  entry prev;
  uint32_t depth;
  uint32_t stack[RETURN_STACK];
} hs_edge_state;

typedef struct {
  hs_clock_state *state;
  hs_block_cost *scratch;
  hs_cost_fn cost_fn;
  hs_edge_state edge;
  entry cache[CACHE_SIZE];
} hs_block_clock;

/* Cycles the previous block's exit costs, now that we know this block follows it. */
static int32_t exit_cost(hs_edge_state *edge, uint32_t address) {
  const entry *prev = &edge->prev;
  uint32_t fall_through = prev->address + prev->size;
  int32_t delta = 0;
  if ((prev->cost.flags & FLAG_RET) && address != fall_through) { /* a conditional return not taken pops nothing */
    if (edge->depth == 0) {
      delta = prev->cost.ret_empty;
    } else {
      uint32_t predicted = edge->stack[--edge->depth];
      delta = predicted == address ? prev->cost.ret_correct : prev->cost.ret_wrong;
    }
  } else if (address != fall_through) {
    delta = prev->cost.taken_delta;
  }
  if (prev->cost.flags & FLAG_CALL) {
    if (edge->depth == RETURN_STACK) {
      for (uint32_t i = 1; i < RETURN_STACK; i++) edge->stack[i - 1] = edge->stack[i];
      edge->depth--;
    }
    edge->stack[edge->depth++] = fall_through;
  }
  return delta;
}

/* The cache slot of a block: the address space is mixed in, so that two guests running the same code
 * at the same addresses (one image, two partitions) keep their entries apart instead of evicting each
 * other on every world switch. */
static uint32_t slot(uint64_t address, uint32_t space) {
  return ((uint32_t)(address >> 1) ^ (space * 0x9e3779b1u)) & (CACHE_SIZE - 1);
}

/* The first block refused is where the CPU resumes (later ones are not reached: the engine is stopping). */
static void refuse(hs_clock_state *s, uint64_t address) {
  if (s->refused) return;
  s->refused = 1;
  s->refused_addr = (uint32_t)address;
}

static void block_hook(uc_engine *uc, uint64_t address, uint32_t size, void *user_data) {
  hs_block_clock *bc = user_data;
  hs_clock_state *s = bc->state;
  /* A stop was requested (here or by TypeScript): this block will not run now, so it is not charged. */
  if (s->stopped) {
    refuse(s, address);
    return;
  }
  /* Unicorn checks for a stop request right after the BLOCK hook: a stopped block does not run now. */
  if (s->cycles >= s->deadline) {
    s->stopped = STOP_DEADLINE;
    refuse(s, address);
    uc_emu_stop(uc);
    return;
  }
  if (s->irq_pending) {
    /* QEMU ends a block after any write that unmasks interrupts, so this is the first boundary after it. */
    uint32_t cpsr = 0;
    uc_reg_read(uc, UC_ARM_REG_CPSR, &cpsr);
    if ((cpsr & CPSR_I) == 0) {
      s->stopped = STOP_INTERRUPT;
      refuse(s, address);
      uc_emu_stop(uc);
      return;
    }
  }
  entry *e = &bc->cache[slot(address, s->space)];
  if (e->address != (uint32_t)address || e->size != size || e->size == 0 || e->space != s->space) {
    bc->cost_fn(address, size);
    e->address = (uint32_t)address;
    e->size = size;
    e->space = s->space;
    e->cost = *bc->scratch;
  }
  if (bc->edge.has_prev) {
    int64_t delta = exit_cost(&bc->edge, (uint32_t)address);
    s->cycles = (uint64_t)((int64_t)s->cycles + delta);
  }
  s->block_start_cycles = s->cycles;
  s->block_start_insns = s->insns;
  s->cycles += e->cost.cycles;
  s->insns += e->cost.insns;
  s->last_addr = address;
  s->last_size = size;
  s->last_insns = e->cost.insns;
  s->block_seq++;
  bc->edge.prev = *e;
  bc->edge.has_prev = 1;
}

hs_block_clock *hs_block_clock_new(hs_clock_state *state, hs_block_cost *scratch, hs_cost_fn cost_fn) {
  hs_block_clock *bc = calloc(1, sizeof *bc);
  if (bc == NULL) return NULL;
  bc->state = state;
  bc->scratch = scratch;
  bc->cost_fn = cost_fn;
  return bc;
}

static void translated_hook(uc_engine *uc, uc_tb *cur, uc_tb *prev, void *user_data) {
  hs_block_clock *bc = user_data;
  (void)uc;
  (void)prev;
  entry *e = &bc->cache[slot(cur->pc, bc->state->space)]; /* translated while this space runs */
  if (e->address == (uint32_t)cur->pc) e->size = 0;
}

int hs_block_clock_install(uc_engine *uc, hs_block_clock *bc, size_t *hooks) {
  int err = uc_hook_add(uc, &hooks[0], UC_HOOK_BLOCK, (void *)block_hook, bc, 1, 0);
  if (err == 0) err = uc_hook_add(uc, &hooks[1], UC_HOOK_EDGE_GENERATED, (void *)translated_hook, bc, 1, 0);
  return err;
}

/* Forgets the previous block (after an exception or a host write of PC: no branch edge to charge). */
void hs_block_clock_break(hs_block_clock *bc) { bc->edge.has_prev = 0; }

/* Another address space runs from now on: its return addresses mean nothing here, so the return stack
 * and the edge are forgotten. Cached costs stay; entries are tagged with their space. */
void hs_block_clock_space_changed(hs_block_clock *bc) {
  bc->edge.has_prev = 0;
  bc->edge.depth = 0;
}

/* The edge state as bytes, for snapshots (the layout is private to this file: the size is exported). */
uint32_t hs_block_clock_edge_size(void) { return (uint32_t)sizeof(hs_edge_state); }
void hs_block_clock_edge_save(const hs_block_clock *bc, void *out) { memcpy(out, &bc->edge, sizeof bc->edge); }
void hs_block_clock_edge_load(hs_block_clock *bc, const void *in) { memcpy(&bc->edge, in, sizeof bc->edge); }

void hs_block_clock_free(hs_block_clock *bc) { free(bc); }

/* Forgets every cached block cost (memory was replaced wholesale, e.g. a snapshot was restored). */
void hs_block_clock_forget_costs(hs_block_clock *bc) { memset(bc->cache, 0, sizeof bc->cache); }
