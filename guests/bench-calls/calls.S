/*
 * The bench-calls guest's loop: `count` hypercalls of one number, back to back, nothing else in the loop
 * (three instructions per call: SVC, SUBS, BNE).
 *
 * void calls_loop(uint32_t number, uint32_t count)
 *
 * bench_calls_number (default 2, YIELD; `make BENCH_CALLS_NUMBER=n`) and bench_calls_count (default
 * 20000; `make BENCH_CALLS_COUNT=n`) are words the benchmark may patch in the ELF (as cpu_bound_passes).
 * Only calls that return make sense here: YIELD, TIME_GET, FOREGROUND, ... (r0 and r1 are clobbered).
 */
    .syntax unified
    .arm

#ifndef CALLS_NUMBER
#define CALLS_NUMBER 2
#endif
#ifndef CALLS_COUNT
#define CALLS_COUNT 20000
#endif

    .text
    .global calls_loop
    .type calls_loop, %function
    .balign 4
calls_loop:
    push    {r4, r7}
    mov     r7, r0
    movs    r4, r1
    beq     2f
1:  svc     #0
    subs    r4, r4, #1
    bne     1b
2:  pop     {r4, r7}
    bx      lr
    .size calls_loop, . - calls_loop

    .data
    .balign 4
    .global bench_calls_number
    .type bench_calls_number, %object
bench_calls_number:
    .word CALLS_NUMBER
    .size bench_calls_number, 4
    .global bench_calls_count
    .type bench_calls_count, %object
bench_calls_count:
    .word CALLS_COUNT
    .size bench_calls_count, 4
