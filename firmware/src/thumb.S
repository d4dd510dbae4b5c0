@ thumb: ARM<->Thumb interworking (BLX imm/reg, BX, Thumb BLX back to ARM), Thumb computations,
@ semihosting from Thumb state (SVC 0xAB: SYS_WRITE0 and the final SYS_EXIT).

    .syntax unified

    .equ SYS_WRITE0, 0x04
    .equ SYS_EXIT,   0x18

    .section .text.start, "ax"
    .arm
    .global _start
_start:
    ldr     sp, =__svc_stack_top
    bl      uart_init

    @ 1) BLX immediate (ARM -> Thumb): sum of squares 1..10 = 385
    mov     r0, #10
    blx     t_sumsq
    mov     r4, r0
    ldr     r0, =m_sumsq
    bl      puts
    mov     r0, r4
    bl      putdec
    mov     r0, #'\n'
    bl      putc
    ldr     r1, =385
    cmp     r4, r1
    ldrne   r0, =e_sumsq
    bne     fail

    @ 2) BLX register (ARM -> Thumb, bit 0 set): fib(24) = 46368, Thumb calls ARM helper
    ldr     r3, =t_fib              @ the assembler sets bit 0 for a Thumb function symbol
    tst     r3, #1
    ldreq   r0, =e_bit0
    beq     fail
    mov     r0, #24
    blx     r3
    mov     r4, r0
    ldr     r0, =m_fib
    bl      puts
    mov     r0, r4
    bl      putdec
    mov     r0, #'\n'
    bl      putc
    ldr     r1, =46368
    cmp     r4, r1
    ldrne   r0, =e_fib
    bne     fail

    @ 3) BX into Thumb with lr set by hand (pre-v5 style); Thumb returns with BX lr
    ldr     r0, =0x12345678
    adr     lr, 1f
    ldr     r3, =t_bswap
    bx      r3
1:  mov     r4, r0
    ldr     r0, =m_bswap
    bl      puts
    mov     r0, r4
    bl      puthex
    mov     r0, #'\n'
    bl      putc
    ldr     r1, =0x78563412
    cmp     r4, r1
    ldrne   r0, =e_bswap
    bne     fail

    @ 4) the rest runs in Thumb: semihosting write, then exit from Thumb
    ldr     r3, =t_finish
    bx      r3

@ ARM helper called from Thumb: r0 = a + b (the Thumb caller checks that the state came back)
    .arm
    .type   a_add, %function
a_add:
    add     r0, r0, r1
    bx      lr

    .thumb
    .thumb_func
    .type   t_sumsq, %function
t_sumsq:                            @ r0 = n -> sum of i*i for i = 1..n
    movs    r1, #0
1:  movs    r2, r0
    muls    r2, r2, r2
    adds    r1, r1, r2
    subs    r0, r0, #1
    bne     1b
    movs    r0, r1
    bx      lr

    .thumb_func
    .type   t_fib, %function
t_fib:                              @ r0 = n -> fib(n), each addition done by the ARM a_add
    push    {r4-r6, lr}
    movs    r4, #0                  @ fib(0)
    movs    r5, #1                  @ fib(1)
    movs    r6, r0
1:  movs    r0, r4
    movs    r1, r5
    blx     a_add                   @ Thumb BLX immediate -> ARM
    movs    r4, r5
    movs    r5, r0
    subs    r6, r6, #1
    bne     1b
    movs    r0, r4
    pop     {r4-r6, pc}             @ v5: POP {pc} interworks (lr has bit 0 clear -> ARM)

    .thumb_func
    .type   t_bswap, %function
t_bswap:                            @ byte-reverse r0 (no REV on v5: shifts and masks)
    lsls    r1, r0, #24
    lsrs    r2, r0, #24
    orrs    r1, r1, r2
    lsrs    r2, r0, #8
    lsls    r2, r2, #24
    lsrs    r2, r2, #8
    orrs    r1, r1, r2
    lsls    r2, r0, #8
    lsrs    r2, r2, #24
    lsls    r2, r2, #8
    orrs    r1, r1, r2
    movs    r0, r1
    bx      lr

    .thumb_func
    .type   t_finish, %function
t_finish:
    ldr     r0, =m_thumb            @ also print through the UART from Thumb (putc/puts are ARM)
    bl      puts_via_reg
    movs    r0, #SYS_WRITE0
    ldr     r1, =m_semi
    svc     0xAB                    @ Thumb semihosting trap
    movs    r0, #SYS_EXIT
    ldr     r1, =0x20026            @ ADP_Stopped_ApplicationExit
    svc     0xAB
    b       .

    .thumb_func
puts_via_reg:                       @ Thumb -> ARM through BX with a register (bit 0 clear)
    ldr     r3, =puts
    bx      r3                      @ tail call: puts returns to our caller via lr (Thumb)

    .align  2
m_sumsq: .asciz "thumb sumsq(10) = "
m_fib:   .asciz "thumb fib(24) = "
m_bswap: .asciz "thumb bswap(0x12345678) = "
m_thumb: .asciz "thumb ok\n"
m_semi:  .asciz "semihosting write from thumb\n"
e_sumsq: .asciz "sumsq"
e_fib:   .asciz "fib"
e_bswap: .asciz "bswap"
e_bit0:  .asciz "Thumb symbol without bit 0"
    .align 2
