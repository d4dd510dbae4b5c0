@ echo: console input through PL011 UART0 (polling FR.RXFE, reading DR): echoes each line upper-cased
@ until a line starting with 'q', then prints the line count and exits 0.

    .syntax unified
    .arm
    .equ UART0,   0x10009000
    .equ FR_RXFE, (1 << 4)

    .section .text.start, "ax"
    .global _start
_start:
    ldr     sp, =__svc_stack_top
    bl      uart_init
    adr     r0, prompt
    bl      puts
    mov     r5, #0                  @ lines echoed
    mov     r6, #1                  @ at the start of a line
next:
    ldr     r1, =UART0
1:  ldr     r2, [r1, #0x18]         @ UARTFR
    tst     r2, #FR_RXFE
    bne     1b
    ldrb    r4, [r1]                @ UARTDR
    cmp     r6, #1
    cmpeq   r4, #'q'
    beq     done
    mov     r6, #0
    cmp     r4, #'\n'
    moveq   r6, #1
    addeq   r5, r5, #1
    sub     r0, r4, #'a'
    cmp     r0, #25
    subls   r4, r4, #32             @ a-z to A-Z
    mov     r0, r4
    bl      putc
    b       next
done:
    adr     r0, count
    bl      puts
    mov     r0, r5
    bl      putdec
    mov     r0, #'\n'
    bl      putc
    b       exit_ok

prompt: .asciz  "echo: type lines, q to quit\n"
count:  .asciz  "lines: "
    .align  2
