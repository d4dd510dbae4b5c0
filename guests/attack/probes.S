/*
 * The attack guest's probes: each attempt is one instruction the fault handler (attack.c) can skip
 * (fault_ctx.pc + 4, or + 2 in Thumb) or, for the branches, a recovery label it resumes at
 * (fault_resume). C decides from the fault count whether an attempt faulted.
 */
    .syntax unified
    .arm
    .text

.macro FUNC name
    .global \name
    .type \name, %function
    .balign 4
\name:
.endm

FUNC probe_read                 @ uint32_t probe_read(uint32_t address)
    ldr     r0, [r0]
    bx      lr
    .size probe_read, . - probe_read

FUNC probe_write                @ void probe_write(uint32_t address, uint32_t value)
    str     r1, [r0]
    bx      lr
    .size probe_write, . - probe_write

FUNC probe_exec_bx              @ void probe_exec_bx(uint32_t target): branch there, recover at 1
    push    {r4, lr}
    ldr     r1, =fault_resume
    adr     r2, 1f
    str     r2, [r1]
    bx      r0
1:  pop     {r4, pc}
    .size probe_exec_bx, . - probe_exec_bx

FUNC probe_exec_blx             @ void probe_exec_blx(uint32_t target): call it, recover at 1
    push    {r4, lr}
    ldr     r1, =fault_resume
    adr     r2, 1f
    str     r2, [r1]
    blx     r0
1:  pop     {r4, pc}
    .size probe_exec_blx, . - probe_exec_blx

FUNC probe_mcr_ttbr0            @ void probe_mcr_ttbr0(uint32_t value): write CP15 TTBR0
    mcr     p15, 0, r0, c2, c0, 0
    bx      lr
    .size probe_mcr_ttbr0, . - probe_mcr_ttbr0

FUNC probe_mrc_sctlr            @ uint32_t probe_mrc_sctlr(void): read CP15 c1 (control register)
    mov     r0, #0
    mrc     p15, 0, r0, c1, c0, 0
    bx      lr
    .size probe_mrc_sctlr, . - probe_mrc_sctlr

/* uint32_t probe_msr_svc(void): try to enter SVC mode; returns the CPSR read right after. Should the
   mode have changed, go back to USR at once (sp and lr are banked: nothing may use them meanwhile). */
FUNC probe_msr_svc
    msr     cpsr_c, #0x13
    mrs     r0, cpsr
    and     r1, r0, #0x1f
    cmp     r1, #0x10
    msrne   cpsr_c, #0x10
    bx      lr
    .size probe_msr_svc, . - probe_msr_svc

/* Semihosting SYS_EXIT (r0 = 0x18, r1 = ADP_Stopped_ApplicationExit) through each semihosting trap.
   r7 = 0xffffffff, so a hypervisor that took one for a hypercall would answer ENOSYS. Each returns r0. */
FUNC probe_svc_123456
    push    {r7, lr}
    mvn     r7, #0
    mov     r0, #0x18
    ldr     r1, =0x20026
    svc     #0x123456
    pop     {r7, pc}
    .size probe_svc_123456, . - probe_svc_123456

FUNC probe_svc_ab
    push    {r7, lr}
    mvn     r7, #0
    mov     r0, #0x18
    ldr     r1, =0x20026
    svc     #0xab
    pop     {r7, pc}
    .size probe_svc_ab, . - probe_svc_ab

FUNC probe_thumb_svc_ab
    push    {r7, lr}
    mvn     r7, #0
    mov     r0, #0x18
    ldr     r1, =0x20026
    adr     r2, 1f + 1
    bx      r2
    .thumb
1:  svc     #0xab
    pop     {r7, pc}            @ ARMv5T: POP {pc} interworks back to ARM (lr bit 0 clear)
    .arm
    .size probe_thumb_svc_ab, . - probe_thumb_svc_ab

FUNC probe_bkpt_ab
    push    {r7, lr}
    mvn     r7, #0
    mov     r0, #0x18
    ldr     r1, =0x20026
    bkpt    #0xab
    pop     {r7, pc}
    .size probe_bkpt_ab, . - probe_bkpt_ab

/* int32_t probe_ctx_return(struct vcpu_ctx *ctx, uint32_t call): VIRQ_RETURN or FAULT_RETURN outside an
   upcall / fault handler. First fill *ctx with this very state, resuming at 1: should the hypervisor
   resume the context instead of refusing, the probe returns PROBE_RESUMED (0x600d) rather than run off. */
FUNC probe_ctx_return
    push    {r4-r11, lr}
    mov     r7, r1
    mov     r4, r0
    stmia   r4, {r0-r12}
    str     sp, [r4, #52]
    str     lr, [r4, #56]
    adr     r5, 1f
    str     r5, [r4, #60]
    mov     r5, #0x10
    str     r5, [r4, #64]
    svc     #0
    b       2f
1:  ldr     r0, =0x600d
2:  pop     {r4-r11, pc}
    .size probe_ctx_return, . - probe_ctx_return

    .ltorg
