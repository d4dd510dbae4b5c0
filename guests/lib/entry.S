/*
 * Upcall and fault entries (docs/hypercalls.md §5, §6). The hypervisor enters these in USR mode on the
 * stacks registered with VIRQ_SET_ENTRY / FAULT_SET_HANDLER; the interrupted or faulting context is in the
 * vCPU page (upcall_ctx / fault_ctx), so nothing needs saving here.
 *
 * virq_entry:  r0 = delivered vIRQ bits -> virq_handler(bits) (C), then VIRQ_RETURN.
 * fault_entry: r0 = kind, r1 = address, r2 = faulting pc -> guest_fault(kind, address, pc) (C, may
 *              edit fault_ctx), then FAULT_RETURN.
 * Neither return call comes back unless the hypervisor refuses it (EINVAL); then the guest exits with
 * status 126 (upcall) or 127 (fault) rather than run on a handler stack.
 */
    .syntax unified
    .arm
    .text

    .global virq_entry
    .type virq_entry, %function
    .balign 4
virq_entry:
    mov     fp, #0
    bl      virq_handler
    mov     r7, #5          @ VIRQ_RETURN
    svc     #0
    mov     r0, #126
    bl      hc_exit
    .size virq_entry, . - virq_entry

    .global fault_entry
    .type fault_entry, %function
    .balign 4
fault_entry:
    mov     fp, #0
    bl      guest_fault
    mov     r7, #13         @ FAULT_RETURN
    svc     #0
    mov     r0, #127
    bl      hc_exit
    .size fault_entry, . - fault_entry
