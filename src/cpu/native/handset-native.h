/* Shared declarations of the native helpers (block clock, trace capture). Layouts of the structs shared
 * with TypeScript must stay in step with src/cpu/block-clock.ts and src/cpu/trace-capture.ts. */
#ifndef HANDSET_NATIVE_H
#define HANDSET_NATIVE_H
#include <stddef.h>
#include <stdint.h>

typedef struct uc_struct uc_engine;
int uc_emu_stop(uc_engine *uc);
int uc_reg_read(uc_engine *uc, int regid, void *value);
int uc_reg_read_batch(uc_engine *uc, int *regs, void **vals, int count);
int uc_hook_add(uc_engine *uc, size_t *hh, int type, void *callback, void *user_data, uint64_t begin,
                uint64_t end, ...);

#define UC_HOOK_CODE (1 << 2)
#define UC_HOOK_BLOCK (1 << 3)
#define UC_HOOK_EDGE_GENERATED (1 << 15)

typedef struct {
  uint64_t pc;
  uint16_t icount;
  uint16_t size;
} uc_tb;
#define UC_ARM_REG_CPSR 3

/* The virtual clock as the block hook keeps it; TypeScript reads and writes it through a DataView. */
typedef struct {
  uint64_t cycles;       /* cycles charged so far (the clock) */
  uint64_t insns;        /* instructions charged so far */
  uint64_t deadline;     /* stop at the first block boundary where cycles >= deadline */
  uint64_t last_addr;    /* the block charged last */
  uint32_t last_size;
  uint32_t stopped;      /* why emulation is stopping: STOP_DEADLINE, STOP_INTERRUPT or STOP_REQUESTED; 0 runs */
  uint32_t irq_pending;  /* the interrupt line is high: stop as soon as CPSR.I is clear */
  uint32_t last_insns;   /* instructions in the block charged last */
  uint64_t block_start_cycles; /* the clock when the block charged last started */
  uint64_t block_start_insns;  /* index of the first instruction of that block */
  uint64_t block_seq;          /* blocks charged so far */
  uint32_t space;              /* the running address space: cached block costs are tagged with it */
  /* The block the hook refused when it stopped emulation: where the CPU resumes. Unicorn's PC is not
   * always there after the stop (with a CODE hook installed it is the previous block's last instruction). */
  uint32_t refused_addr;
  uint32_t refused;            /* refused_addr is set (cleared with the deadline) */
  uint32_t pad;
} hs_clock_state;

#endif
