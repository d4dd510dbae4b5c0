@ wfi: sleeps in the ARM926 wait-for-interrupt (MCR p15,0,r0,c7,c0,4) until 3 SP804 ticks (10 ms) arrive.

    .syntax unified
    .arm
#include "timer.inc"

    .equ TICKS, 3

    .section .text.start, "ax"
    .global _start
_start:
    msr     cpsr_c, #0xD2           @ IRQ mode, IRQ/FIQ masked
    ldr     sp, =__irq_stack_top
    msr     cpsr_c, #0xD3           @ back to SVC, IRQs stay masked
    ldr     sp, =__svc_stack_top
    bl      uart_init
    ldr     r0, =10000              @ 10 ms period
    bl      timer_start

    mov     r4, #0                  @ ticks reported so far
    mov     r5, #0                  @ WFIs executed
loop:
    @ Check with IRQs masked so a tick cannot land between the check and the WFI (lost wake-up).
    @ WFI wakes on a pending IRQ even while CPSR.I is set; unmasking then takes it.
    msr     cpsr_c, #0xD3
    ldr     r0, =ticks
    ldr     r0, [r0]
    cmp     r4, r0
    bne     woke
    mov     r0, #0
    mcr     p15, 0, r0, c7, c0, 4   @ wait for interrupt
    add     r5, r5, #1
    msr     cpsr_c, #0x53           @ IRQ taken here
    b       loop
woke:
    msr     cpsr_c, #0x53
    add     r4, r4, #1
    adr     r0, s_woke
    bl      puts
    mov     r0, r4
    bl      putdec
    mov     r0, #'\n'
    bl      putc
    cmp     r4, #TICKS
    blo     loop

    msr     cpsr_c, #0xD3
    bl      timer_stop
    cmp     r5, #0                  @ the first tick is 10 ms away: at least one WFI must have run
    adreq   r0, e_nowfi
    beq     fail
    adr     r0, s_ok
    bl      puts
    b       exit_ok

s_woke: .asciz "wfi woke "
s_ok:   .asciz "wfi ok\n"
e_nowfi: .asciz "no WFI executed"
    .align 2
