/*
 * Hypercall stubs (docs/hypercalls.md §4): the call number goes in r7, arguments stay in r0-r3 where the
 * AAPCS put them, `svc #0` traps to the hypervisor, the result comes back in r0 (and r1 for TIME_GET).
 * r7 is callee-saved in the AAPCS, so each stub saves it.
 */
    .syntax unified
    .arm
    .text

.macro HYPERCALL name, number
    .global \name
    .type \name, %function
    .balign 4
\name:
    push    {r7, lr}
    mov     r7, #\number
    svc     #0
    pop     {r7, pc}
    .size \name, . - \name
.endm

    HYPERCALL hc_console_write,     0
    HYPERCALL hc_console_read,      1
    HYPERCALL hc_yield,             2
    HYPERCALL hc_wait,              3
    HYPERCALL hc_virq_set_entry,    4
    HYPERCALL hc_virq_return,       5
    HYPERCALL hc_virq_unmask,       6
    HYPERCALL hc_timer_set,         7
    HYPERCALL hc_time_get,          8
    HYPERCALL hc_foreground,        9
    HYPERCALL hc_fault_set_handler, 12
    HYPERCALL hc_fault_return,      13
    HYPERCALL hc_store_read,        14
    HYPERCALL hc_store_write,       15
    HYPERCALL hc_audio,             16
    HYPERCALL hc_modem_write,       17
    HYPERCALL hc_modem_read,        18
    HYPERCALL hc_policy_check,      19

/* EXIT and REBOOT do not return; should one ever come back, wait forever rather than run on. */
.macro NORETURN_HYPERCALL name, number
    .global \name
    .type \name, %function
    .balign 4
\name:
    mov     r7, #\number
    svc     #0
1:  mov     r7, #3          @ WAIT
    svc     #0
    b       1b
    .size \name, . - \name
.endm

    NORETURN_HYPERCALL hc_exit,   10
    NORETURN_HYPERCALL hc_reboot, 11

/* int32_t hc_raw(a0, a1, a2, a3, num): the fifth argument (num) is on the stack. */
    .global hc_raw
    .type hc_raw, %function
    .balign 4
hc_raw:
    push    {r7, lr}
    ldr     r7, [sp, #8]
    svc     #0
    pop     {r7, pc}
    .size hc_raw, . - hc_raw
