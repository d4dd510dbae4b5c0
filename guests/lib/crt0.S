/*
 * Guest entry (docs/hypercalls.md §2): USR mode, ARM state, r0 = the vCPU page (0xC0000000),
 * r1 = RAM window size, r2 = partition index, sp = top of the RAM window, other registers 0.
 * Zero .bss, keep r1/r2 in guest_ram_size/guest_index, call guest_main(vcpu); if it returns, EXIT with
 * its result. Used on boot and on REBOOT alike.
 */
    .syntax unified
    .arm
    .section .text.start, "ax", %progbits
    .global _start
    .type _start, %function
_start:
    mov     r4, r0
    mov     r5, r1
    mov     r6, r2
    ldr     r0, =__bss_start
    ldr     r1, =__bss_end
    mov     r2, #0
1:  cmp     r0, r1
    strlo   r2, [r0], #4
    blo     1b
    ldr     r0, =guest_ram_size
    str     r5, [r0]
    ldr     r0, =guest_index
    str     r6, [r0]
    mov     fp, #0
    mov     lr, #0
    mov     r0, r4
    bl      guest_main
    bl      hc_exit
    .size _start, . - _start
    .ltorg

    .bss
    .balign 4
    .global guest_ram_size
    .type guest_ram_size, %object
guest_ram_size:
    .space 4
    .size guest_ram_size, 4
    .global guest_index
    .type guest_index, %object
guest_index:
    .space 4
    .size guest_index, 4
