/*
 * The bench guest's loop: firmware/src/cpu-bound.S's buffer fill, inner and outer loops, copied
 * instruction for instruction (same registers, same 8-instruction inner loop over a 4 KiB buffer, same
 * 4-instruction outer step), so a pass here is the same 8196 instructions as a pass there and the two
 * runs compare the hypervisor against bare metal on an identical instruction mix. No hypercall (and so
 * no timer, no console) inside the loop.
 *
 * uint32_t bench_loop(uint32_t passes): fills the buffer, runs `passes` outer passes, returns the
 * checksum (cpu-bound's checksum for the same number of passes).
 *
 * The number of passes a run makes is the word at bench_passes: PASSES (`make BENCH_PASSES=n`, default
 * 6100, half of cpu-bound.elf's 12200, so two guests together make the passes of one cpu-bound run), or
 * patched in the ELF as cpu_bound_passes is.
 */
    .syntax unified
    .arm

#ifndef PASSES
#define PASSES 6100
#endif
    .equ WORDS, 1024                @ 4 KiB buffer

    .text
    .global bench_loop
    .type bench_loop, %function
    .balign 4
bench_loop:
    push    {r4, r5, r6, lr}
    mov     r5, r0                  @ outer count

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
    mov     r0, r3
    pop     {r4, r5, r6, pc}
    .size bench_loop, . - bench_loop
    .ltorg

    .data
    .balign 4
    .global bench_passes
    .type bench_passes, %object
bench_passes:
    .word PASSES
    .size bench_passes, 4

    .bss
    .balign 4
buf:
    .space WORDS * 4
