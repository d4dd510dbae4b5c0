/*
 * Native CODE hook for instruction tracing: before each instruction it reads the registers, closes the
 * record of the previous instruction (the registers it changed, with their new values) and opens one for
 * this instruction. Records go into a byte buffer that TypeScript drains between slices
 * (src/cpu/trace-capture.ts decodes them), or that the hook hands over through `flush_fn` when the buffer
 * is nearly full (stopping the CPU instead would cut a block short). Optional: a MEM hook records data
 * accesses.
 *
 * Record layouts (little-endian), each starting with its type byte:
 *   INSN: u8 type=1, u8 flags (bit0 Thumb), u8 mode, u8 reserved, u32 pc, u32 changed-mask,
 *         u32 block address, u64 block's first instruction index, u64 block start cycle, u32 reserved,
 *         then one u32 per set mask bit (registers in REG order: r0..r15, cpsr, spsr). TypeScript finds
 *         the instruction's place in its block by its pc (an address-range filter skips some hooks).
 *   MEM:  u8 type=2, u8 size, u8 write, u8 reserved, u32 address, u32 value, u32 reserved, u64 index
 */
#include <stdlib.h>
#include <string.h>
#include "handset-native.h"

#define UC_HOOK_MEM_WRITE (1 << 11)
#define UC_HOOK_MEM_READ_AFTER (1 << 13)
#define NREGS 18
#define INSN_HEADER 36
#define MAX_INSN_RECORD (INSN_HEADER + NREGS * 4)
#define MEM_RECORD 24
#define REC_INSN 1
#define REC_MEM 2

typedef void (*hs_flush_fn)(void);

typedef struct {
  hs_clock_state *clock;
  hs_flush_fn flush_fn;      /* drains the buffer (TypeScript), called when it is nearly full */
  uint8_t *buffer;
  uint32_t capacity, used;
  uint32_t high_water;       /* above this, stop at the next block boundary so TypeScript can drain */
  uint64_t from_index, to_index; /* window of instruction indices recorded, [from, to) */
  uint64_t from_cycle, to_cycle;
  int reg_ids[NREGS];
  uint32_t last[NREGS];
  int have_last;             /* `last` holds the registers after the last recorded instruction */
  /* the instruction whose hook ran last: its record is written when the next one starts */
  int pending;
  uint32_t pending_pc, pending_flags, pending_mode, pending_block, pending_ordinal;
  uint64_t pending_index, pending_block_insns, pending_block_cycles, seen_block_seq;
  uint64_t current_index;    /* index of the instruction executing now (for events and MEM records) */
} hs_trace;

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static void reserve(hs_trace *t) {
  if (t->used > t->high_water) t->flush_fn();
}

static int in_window(const hs_trace *t, uint64_t index, uint64_t cycle) {
  return index >= t->from_index && index < t->to_index && cycle >= t->from_cycle && cycle < t->to_cycle;
}

/* Writes the pending instruction's record, given the registers after it. */
static void close_pending(hs_trace *t, const uint32_t *now) {
  if (!t->pending) return;
  t->pending = 0;
  uint64_t cycle = t->pending_block_cycles; /* TypeScript adds the in-block prefix from its cost cache */
  if (!in_window(t, t->pending_index, cycle)) {
    t->have_last = 0;
    return;
  }
  if (t->used + MAX_INSN_RECORD > t->capacity) return; /* cannot happen: the high-water mark leaves room */
  /* r15 after an instruction is the next record's pc: only the first record carries it. */
  uint32_t mask = 0;
  for (int i = 0; i < NREGS; i++) {
    if (!t->have_last || (i != 15 && now[i] != t->last[i])) mask |= 1u << i;
  }
  uint8_t *p = t->buffer + t->used;
  p[0] = REC_INSN;
  p[1] = (uint8_t)t->pending_flags;
  p[2] = (uint8_t)t->pending_mode;
  p[3] = 0;
  put32(p + 4, t->pending_pc);
  put32(p + 8, mask);
  put32(p + 12, t->pending_block);
  put64(p + 16, t->pending_block_insns);
  put64(p + 24, cycle);
  put32(p + 32, 0);
  uint8_t *v = p + INSN_HEADER;
  for (int i = 0; i < NREGS; i++) {
    if (mask & (1u << i)) {
      put32(v, now[i]);
      v += 4;
    }
  }
  t->used = (uint32_t)(v - t->buffer);
  memcpy(t->last, now, sizeof t->last);
  t->have_last = 1;
}

static void read_regs(uc_engine *uc, hs_trace *t, uint32_t *out) {
  void *ptrs[NREGS];
  for (int i = 0; i < NREGS; i++) ptrs[i] = &out[i];
  uc_reg_read_batch(uc, t->reg_ids, ptrs, NREGS);
}

static void code_hook(uc_engine *uc, uint64_t address, uint32_t size, void *user_data) {
  hs_trace *t = user_data;
  (void)size;
  /* Once a stop is requested the instruction does not run now: it is hooked again when the CPU resumes. */
  if (t->clock->stopped) return;
  uint32_t now[NREGS];
  read_regs(uc, t, now);
  close_pending(t, now);
  hs_clock_state *c = t->clock;
  if (c->block_seq != t->seen_block_seq) {
    t->seen_block_seq = c->block_seq;
    t->pending_ordinal = 0;
  } else {
    t->pending_ordinal++;
  }
  t->pending = 1;
  t->pending_pc = (uint32_t)address;
  t->pending_flags = (now[16] >> 5) & 1; /* CPSR.T */
  t->pending_mode = now[16] & 0x1f;
  t->pending_block = (uint32_t)c->last_addr;
  t->pending_block_cycles = c->block_start_cycles;
  t->pending_block_insns = c->block_start_insns;
  t->pending_index = c->block_start_insns + t->pending_ordinal;
  t->current_index = t->pending_index;
  reserve(t);
}

static void mem_hook(uc_engine *uc, int type, uint64_t address, int size, int64_t value, void *user_data) {
  hs_trace *t = user_data;
  if (!in_window(t, t->current_index, t->clock->cycles)) return;
  if (t->used + MEM_RECORD > t->capacity) return;
  uint8_t *p = t->buffer + t->used;
  p[0] = REC_MEM;
  p[1] = (uint8_t)size;
  p[2] = type == 17 /* UC_MEM_WRITE */;
  p[3] = 0;
  put32(p + 4, (uint32_t)address);
  put32(p + 8, (uint32_t)value);
  put32(p + 12, 0);
  put64(p + 16, t->current_index);
  t->used += MEM_RECORD;
  reserve(t);
  (void)uc;
}

hs_trace *hs_trace_new(hs_clock_state *clock, uint32_t capacity, const int *reg_ids, hs_flush_fn flush_fn) {
  hs_trace *t = calloc(1, sizeof *t);
  if (t == NULL) return NULL;
  t->buffer = malloc(capacity);
  if (t->buffer == NULL) {
    free(t);
    return NULL;
  }
  t->clock = clock;
  t->flush_fn = flush_fn;
  t->capacity = capacity;
  t->high_water = capacity - 1024 * MAX_INSN_RECORD; /* a block has at most 512 instructions */
  t->to_index = UINT64_MAX;
  t->to_cycle = UINT64_MAX;
  t->seen_block_seq = UINT64_MAX;
  memcpy(t->reg_ids, reg_ids, sizeof t->reg_ids);
  return t;
}

void hs_trace_window(hs_trace *t, uint64_t from_index, uint64_t to_index, uint64_t from_cycle, uint64_t to_cycle) {
  t->from_index = from_index;
  t->to_index = to_index;
  t->from_cycle = from_cycle;
  t->to_cycle = to_cycle;
}

int hs_trace_install(uc_engine *uc, hs_trace *t, uint64_t begin, uint64_t end, int memory, size_t *hooks) {
  int err = uc_hook_add(uc, &hooks[0], UC_HOOK_CODE, (void *)code_hook, t, begin, end);
  if (err == 0 && memory) {
    err = uc_hook_add(uc, &hooks[1], UC_HOOK_MEM_READ_AFTER | UC_HOOK_MEM_WRITE, (void *)mem_hook, t, 1, 0);
  }
  return err;
}

/* Closes the record of the last instruction that ran (at the end of the run). */
void hs_trace_finish(uc_engine *uc, hs_trace *t) {
  uint32_t now[NREGS];
  read_regs(uc, t, now);
  close_pending(t, now);
}

uint8_t *hs_trace_buffer(hs_trace *t) { return t->buffer; }
uint32_t hs_trace_used(hs_trace *t) { return t->used; }
void hs_trace_clear(hs_trace *t) { t->used = 0; }
uint64_t hs_trace_current_index(hs_trace *t) { return t->current_index; }

void hs_trace_free(hs_trace *t) {
  free(t->buffer);
  free(t);
}
