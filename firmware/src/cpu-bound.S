@ cpu-bound: benchmark loop (ARM loads/stores/ALU, ~100M instructions by default); prints a checksum.
@ Instructions executed = PASSES * (WORDS * 8 + 4) + 4760 (setup, printing, exit; measured with QEMU
@ -singlestep -d exec); default PASSES=12200 -> 99,995,960.
@ Change PASSES with `make CPU_BOUND_PASSES=n`, or patch the 32-bit word at symbol cpu_bound_passes.

    .syntax unified
    .arm

#ifndef PASSES
#define PASSES 12200
#endif
    .equ WORDS, 1024                @ 4 KiB buffer

    .section .text.start, "ax"
    .global _start
_start:
    ldr     sp, =__svc_stack_top
    bl      uart_init

    @ fill the buffer from an LCG (x = x * 1664525 + 1013904223)
    ldr     r0, =buf
    mov     r1, #WORDS
    ldr     r2, =1
    ldr     r3, =1664525
    ldr     r4, =1013904223
1:  mla     r2, r3, r2, r4
    str     r2, [r0], #4
    subs    r1, r1, #1
    bne     1b

    ldr     r5, =cpu_bound_passes
    ldr     r5, [r5]                @ outer count
    mov     r3, #0                  @ checksum
    cmp     r5, #0
    beq     done
outer:
    ldr     r0, =buf
    mov     r1, #WORDS
inner:                              @ 8 instructions per word
    ldr     r2, [r0]
    eor     r3, r2, r3, ror #5
    add     r3, r3, r2, lsl #1
    add     r2, r2, r3
    eor     r2, r2, r2, lsr #7
    str     r2, [r0], #4
    subs    r1, r1, #1
    bne     inner
    subs    r5, r5, #1
    bne     outer
done:
    mov     r4, r3
    adr     r0, s_passes
    bl      puts
    ldr     r0, =cpu_bound_passes
    ldr     r0, [r0]
    bl      putdec
    adr     r0, s_sum
    bl      puts
    mov     r0, r4
    bl      puthex
    adr     r0, s_ok
    bl      puts
    b       exit_ok

s_passes: .asciz "cpu-bound passes="
s_sum:    .asciz " checksum="
s_ok:     .asciz "\ncpu-bound ok\n"
    .align 2

    .data
    .align 2
    .global cpu_bound_passes
cpu_bound_passes: .word PASSES

    .bss
    .align 2
buf:    .space WORDS * 4
