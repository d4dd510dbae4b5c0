@ timer-irq: SP804 timer 1 periodic IRQ through the GIC v1 (ID 36); counts 5 ticks in the IRQ handler.

    .syntax unified
    .arm
#include "timer.inc"

    .equ TICKS, 5

    .section .text.start, "ax"
    .global _start
_start:
    msr     cpsr_c, #0xD2           @ IRQ mode, IRQ/FIQ masked
    ldr     sp, =__irq_stack_top
    msr     cpsr_c, #0xD3           @ back to SVC
    ldr     sp, =__svc_stack_top
    bl      uart_init
    ldr     r0, =1000               @ 1000 counts of the 1 MHz clock = 1 ms period
    bl      timer_start
    msr     cpsr_c, #0x53           @ SVC, IRQ enabled (FIQ still masked)

    @ Print one line per tick value reached; output does not depend on timing.
    mov     r4, #0                  @ ticks printed so far
wait:
    ldr     r0, =ticks
    ldr     r0, [r0]
    cmp     r4, r0
    bhs     wait
    add     r4, r4, #1
    adr     r0, s_tick
    bl      puts
    mov     r0, r4
    bl      putdec
    mov     r0, #'\n'
    bl      putc
    cmp     r4, #TICKS
    blo     wait

    msr     cpsr_c, #0xD3           @ mask IRQs, stop the timer
    bl      timer_stop
    adr     r0, s_ok
    bl      puts
    b       exit_ok

s_tick: .asciz "tick "
s_ok:   .asciz "timer-irq ok\n"
    .align 2
