/*
 * Single loads and stores at an arbitrary address, for `peek`, `poke` and `crash`: written in assembly
 * so that the access is exactly one instruction (the faulting pc a fault handler sees) and the compiler
 * can neither drop nor transform it.
 */
    .syntax unified
    .arm
    .text

    .global peek_word
    .type peek_word, %function
    .balign 4
peek_word:                      @ uint32_t peek_word(uint32_t address)
    ldr     r0, [r0]
    bx      lr
    .size peek_word, . - peek_word

    .global poke_word
    .type poke_word, %function
    .balign 4
poke_word:                      @ void poke_word(uint32_t address, uint32_t value)
    str     r1, [r0]
    bx      lr
    .size poke_word, . - poke_word
