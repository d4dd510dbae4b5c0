/*
 * The hypercall ABI of docs/hypercalls.md, for guests under `handset run`.
 *
 * A hypercall is `SVC #0` with the call number in r7 and arguments in r0-r3; the result is in r0 (a
 * second word, for TIME_GET, in r1); a negative result is an error code (HC_E*). Every other register is
 * preserved. The stubs are in hypercall.S, one function per call.
 */
#ifndef GUEST_HYPERCALL_H
#define GUEST_HYPERCALL_H

#include <stddef.h>
#include <stdint.h>

/* Call numbers (r7), docs/hypercalls.md §4.1. */
#define HC_CONSOLE_WRITE     0
#define HC_CONSOLE_READ      1
#define HC_YIELD             2
#define HC_WAIT              3
#define HC_VIRQ_SET_ENTRY    4
#define HC_VIRQ_RETURN       5
#define HC_VIRQ_UNMASK       6
#define HC_TIMER_SET         7
#define HC_TIME_GET          8
#define HC_FOREGROUND        9
#define HC_EXIT              10
#define HC_REBOOT            11
#define HC_FAULT_SET_HANDLER 12
#define HC_FAULT_RETURN      13
#define HC_STORE_READ        14
#define HC_STORE_WRITE       15
#define HC_AUDIO             16
#define HC_MODEM_WRITE       17
#define HC_MODEM_READ        18
#define HC_POLICY_CHECK      19

/* Error codes (negative results), §4.2. */
#define HC_ENOSYS (-1)
#define HC_EINVAL (-2)
#define HC_EFAULT (-3)
#define HC_ENOSPC (-4)
#define HC_EPERM  (-5)   /* POLICY_CHECK: the management policy refuses */

/* Largest transfers of one call (the rest is for the next call). */
#define HC_CONSOLE_CHUNK 1024u
#define HC_STORE_CHUNK   4096u
#define HC_MODEM_WRITE_CHUNK 256u   /* MODEM_WRITE takes at most this much */
#define HC_MODEM_READ_CHUNK  1024u  /* MODEM_READ returns at most this much */

/* Virtual interrupt bits (virq_pending, and r0 of an upcall), §5. */
#define VIRQ_TIMER      (1u << 0)
#define VIRQ_CONSOLE    (1u << 1)
#define VIRQ_FOREGROUND (1u << 2)
#define VIRQ_MODEM      (1u << 3)   /* the virtual modem has output (MODEM_READ) */
#define VIRQ_POLICY     (1u << 4)   /* the management policy or lock changed (policy_flags, policy_seq) */

/* POLICY_CHECK kinds: may I start app NAME, may I send an SMS, these are my apps ("a\nb\nc"). */
#define POLICY_APP  1
#define POLICY_SMS  2
#define POLICY_APPS 3

/* policy_flags bits (vCPU page). */
#define POLICY_LOCKED       (1u << 0)
#define POLICY_SMS_BLOCKED  (1u << 1)
#define POLICY_APPS_LIMITED (1u << 2)

/* fault_kind (and r0 of the fault handler), §3 / §6. */
#define FAULT_UNDEFINED     1
#define FAULT_PREFETCH      2
#define FAULT_DATA_ABORT    3
#define FAULT_BREAKPOINT    4
#define FAULT_BAD_SVC       5

/* AUDIO ops. */
#define AUDIO_STOP 0
#define AUDIO_PLAY 1

/* CPSR bits that matter in a saved context. */
#define CPSR_MODE_USR 0x10u
#define CPSR_THUMB    0x20u

/* A saved register context (upcall_ctx, fault_ctx): 17 words. */
struct vcpu_ctx {
    volatile uint32_t r[13];
    volatile uint32_t sp;
    volatile uint32_t lr;
    volatile uint32_t pc;
    volatile uint32_t cpsr;
};

/* The vCPU page at VCPU_ADDR (§3). "hv" fields are written by the hypervisor, "guest" ones by us. */
struct vcpu {
    volatile uint32_t magic;         /* 0x000 hv    VCPU_MAGIC */
    volatile uint32_t version;       /* 0x004 hv    1 */
    volatile uint32_t index;         /* 0x008 hv    partition index */
    volatile uint32_t ram_size;      /* 0x00c hv    RAM window size in bytes */
    volatile uint32_t virq_masked;   /* 0x010 guest the virtual I flag */
    volatile uint32_t virq_pending;  /* 0x014 hv    raised, not yet delivered */
    volatile uint32_t foreground;    /* 0x018 hv    1 = foreground */
    volatile uint32_t store_size;    /* 0x01c hv    store capacity in bytes */
    char name[16];                   /* 0x020 hv    NUL-terminated */
    char number[32];                 /* 0x030 hv    NUL-terminated */
    volatile uint32_t policy_flags;  /* 0x050 hv    POLICY_* bits (management) */
    volatile uint32_t policy_seq;    /* 0x054 hv    policy changes so far */
    uint32_t reserved0[10];          /* 0x058 */
    struct vcpu_ctx upcall_ctx;      /* 0x080 both */
    uint32_t reserved1[15];          /* 0x0c4 */
    struct vcpu_ctx fault_ctx;       /* 0x100 both */
    volatile uint32_t fault_kind;    /* 0x144 hv */
    volatile uint32_t fault_address; /* 0x148 hv */
    volatile uint32_t fault_write;   /* 0x14c hv */
};

#define VCPU_ADDR    0xC0000000u
#define VCPU_SIZE    0x1000u
#define VCPU_MAGIC   0x55504356u
#define VCPU_VERSION 1u
#define VCPU ((struct vcpu *)VCPU_ADDR)

_Static_assert(sizeof(struct vcpu_ctx) == 17 * 4, "vcpu_ctx is 17 words");
_Static_assert(offsetof(struct vcpu_ctx, sp) == 13 * 4, "ctx.sp");
_Static_assert(offsetof(struct vcpu_ctx, lr) == 14 * 4, "ctx.lr");
_Static_assert(offsetof(struct vcpu_ctx, pc) == 15 * 4, "ctx.pc");
_Static_assert(offsetof(struct vcpu_ctx, cpsr) == 16 * 4, "ctx.cpsr");
_Static_assert(offsetof(struct vcpu, magic) == 0x000, "vcpu.magic");
_Static_assert(offsetof(struct vcpu, version) == 0x004, "vcpu.version");
_Static_assert(offsetof(struct vcpu, index) == 0x008, "vcpu.index");
_Static_assert(offsetof(struct vcpu, ram_size) == 0x00c, "vcpu.ram_size");
_Static_assert(offsetof(struct vcpu, virq_masked) == 0x010, "vcpu.virq_masked");
_Static_assert(offsetof(struct vcpu, virq_pending) == 0x014, "vcpu.virq_pending");
_Static_assert(offsetof(struct vcpu, foreground) == 0x018, "vcpu.foreground");
_Static_assert(offsetof(struct vcpu, store_size) == 0x01c, "vcpu.store_size");
_Static_assert(offsetof(struct vcpu, name) == 0x020, "vcpu.name");
_Static_assert(offsetof(struct vcpu, number) == 0x030, "vcpu.number");
_Static_assert(offsetof(struct vcpu, policy_flags) == 0x050, "vcpu.policy_flags");
_Static_assert(offsetof(struct vcpu, policy_seq) == 0x054, "vcpu.policy_seq");
_Static_assert(offsetof(struct vcpu, upcall_ctx) == 0x080, "vcpu.upcall_ctx");
_Static_assert(offsetof(struct vcpu, fault_ctx) == 0x100, "vcpu.fault_ctx");
_Static_assert(offsetof(struct vcpu, fault_kind) == 0x144, "vcpu.fault_kind");
_Static_assert(offsetof(struct vcpu, fault_address) == 0x148, "vcpu.fault_address");
_Static_assert(offsetof(struct vcpu, fault_write) == 0x14c, "vcpu.fault_write");
_Static_assert(sizeof(struct vcpu) == 0x150, "vcpu page fields end at 0x150");

/* One function per hypercall (hypercall.S). Results are int32_t: negative = HC_E*. */
int32_t hc_console_write(const void *buf, uint32_t len);
int32_t hc_console_read(void *buf, uint32_t max);
int32_t hc_yield(void);
int32_t hc_wait(void);
int32_t hc_virq_set_entry(void (*entry)(uint32_t), void *stack);
int32_t hc_virq_return(void);                   /* returns only on error (EINVAL) */
int32_t hc_virq_unmask(void);
int32_t hc_timer_set(uint32_t interval_us, uint32_t periodic);
uint64_t hc_time_get(void);                     /* r0 = low word, r1 = high word */
int32_t hc_foreground(void);
__attribute__((noreturn)) void hc_exit(uint32_t status);
__attribute__((noreturn)) void hc_reboot(void);
int32_t hc_fault_set_handler(void (*entry)(uint32_t, uint32_t, uint32_t), void *stack);
int32_t hc_fault_return(void);                  /* returns only on error (EINVAL) */
int32_t hc_store_read(uint32_t offset, void *buf, uint32_t len);
int32_t hc_store_write(uint32_t offset, const void *buf, uint32_t len);
int32_t hc_audio(uint32_t op);
/* The partition's virtual modem channel (AT commands): HC_ENOSYS when the handset has no modem for it. */
int32_t hc_modem_write(const void *buf, uint32_t len);   /* bytes taken: min(len, 256) */
int32_t hc_modem_read(void *buf, uint32_t max);          /* bytes copied, 0 = none now */
/* The management policy: 0 allowed, HC_EPERM refused (always 0 for a partition that is not managed). */
int32_t hc_policy_check(uint32_t kind, const void *buf, uint32_t len);

/* Any call with any arguments (the attack guest's raw access): r0-r3 = a0-a3, r7 = num. */
int32_t hc_raw(uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t num);

#endif
