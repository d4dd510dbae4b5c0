@ Shared helpers for the bare-metal images: PL011 UART0 output and semihosting exit.
@ All routines are position-independent (the mmu image calls them through a VA alias)
@ and follow the AAPCS (r0-r3, r12 clobbered).

    .syntax unified
    .arm
    .text

    .equ UART0,        0x10009000
    .equ UART_DR,      0x000
    .equ UART_FR,      0x018
    .equ UART_CR,      0x030
    .equ FR_TXFF,      (1 << 5)

    .equ SYS_EXIT,          0x18
    .equ SYS_EXIT_EXTENDED, 0x20
    .equ ADP_Stopped_ApplicationExit, 0x20026

@ uart_init: UARTEN | TXE | RXE (QEMU transmits even with UARTEN clear; real PL011 does not)
    .global uart_init
uart_init:
    ldr     r0, =UART0
    ldr     r1, =0x301
    str     r1, [r0, #UART_CR]
    bx      lr

@ putc(r0 = char)
    .global putc
putc:
    ldr     r1, =UART0
1:  ldr     r2, [r1, #UART_FR]
    tst     r2, #FR_TXFF
    bne     1b
    strb    r0, [r1, #UART_DR]
    bx      lr

@ puts(r0 = NUL-terminated string), no newline added
    .global puts
puts:
    push    {r4, lr}
    mov     r4, r0
1:  ldrb    r0, [r4], #1
    cmp     r0, #0
    popeq   {r4, pc}
    bl      putc
    b       1b

@ puthex(r0): "0x" followed by 8 lowercase hex digits
    .global puthex
puthex:
    push    {r4, r5, lr}
    mov     r4, r0
    mov     r0, #'0'
    bl      putc
    mov     r0, #'x'
    bl      putc
    mov     r5, #28
1:  mov     r0, r4, lsr r5
    and     r0, r0, #0xF
    cmp     r0, #10
    addlo   r0, r0, #'0'
    addhs   r0, r0, #('a' - 10)
    bl      putc
    subs    r5, r5, #4
    bpl     1b
    pop     {r4, r5, pc}

@ putdec(r0): unsigned decimal (divide by 10 via the 0xCCCCCCCD reciprocal, no divider on v5)
    .global putdec
putdec:
    push    {r4, r5, r6, lr}
    sub     sp, sp, #16             @ up to 10 digits, built backwards
    add     r5, sp, #12
    mov     r6, #0
    strb    r6, [r5]                @ terminator
    ldr     r6, =0xCCCCCCCD
1:  umull   r2, r3, r0, r6
    mov     r3, r3, lsr #3          @ r3 = r0 / 10
    add     r2, r3, r3, lsl #2      @ r2 = q * 5
    sub     r2, r0, r2, lsl #1      @ r2 = r0 - q * 10
    add     r2, r2, #'0'
    strb    r2, [r5, #-1]!
    movs    r0, r3
    bne     1b
    mov     r0, r5
    bl      puts
    add     sp, sp, #16
    pop     {r4, r5, r6, pc}

@ exit_ok: SYS_EXIT(ADP_Stopped_ApplicationExit) -> QEMU exit status 0
    .global exit_ok
exit_ok:
    mov     r0, #SYS_EXIT
    ldr     r1, =ADP_Stopped_ApplicationExit
    svc     0x123456
    b       .

@ exit_code(r0 = status): SYS_EXIT_EXTENDED with {ApplicationExit, status} -> QEMU exits with status
    .global exit_code
exit_code:
    ldr     r1, =ADP_Stopped_ApplicationExit
    push    {r0}
    push    {r1}
    mov     r1, sp
    mov     r0, #SYS_EXIT_EXTENDED
    svc     0x123456
    b       .

@ fail(r0 = message): print "FAIL: <message>\n" and exit with status 1
    .global fail
fail:
    mov     r4, r0
    adr     r0, fail_prefix
    bl      puts
    mov     r0, r4
    bl      puts
    mov     r0, #'\n'
    bl      putc
    mov     r0, #1
    b       exit_code
fail_prefix:
    .asciz  "FAIL: "
    .align  2
