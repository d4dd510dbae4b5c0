/* Virtual interrupts: the upcall handler and the race-free "take events or wait" of the task loops. */
#include "lib.h"

volatile uint32_t virq_events;

/* The upcall stack (virq_entry runs on it with vIRQs masked; it only calls virq_handler). */
static uint8_t upcall_stack[4096] __attribute__((aligned(8)));

/* Runs in the upcall, vIRQs masked: just record the bits. */
void virq_handler(uint32_t bits)
{
    virq_events |= bits;
}

int32_t events_init(void)
{
    return hc_virq_set_entry(virq_entry, upcall_stack + sizeof upcall_stack);
}

uint32_t events_take(int may_wait)
{
    VCPU->virq_masked = 1;          /* no upcall between the test and WAIT */
    uint32_t ev = virq_events;
    virq_events = 0;
    /* WAIT returns at once if a bit is (or becomes) pending; masked as we are, it hands the bits over
       itself (and clears them) instead of making an upcall. */
    if (!ev && may_wait)
        ev = (uint32_t)hc_wait();
    hc_virq_unmask();               /* a vIRQ raised since is delivered here, into virq_events */
    return ev;
}

const char *fault_kind_name(uint32_t kind)
{
    static const char *const names[] = { "kind 0", "undefined", "prefetch abort", "data abort", "breakpoint",
                                          "bad svc" };
    return kind < ARRAY_SIZE(names) ? names[kind] : "unknown kind";
}
