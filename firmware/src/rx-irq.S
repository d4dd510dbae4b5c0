@ rx-irq: interrupt-driven console input. UART0's receive interrupt (UARTIMSC.RXIM, GIC ID 44) wakes the
@ core from WFI; the IRQ handler drains the receive FIFO and echoes each byte; 'q' ends the run. With no
@ input at all the core sleeps forever: a front end sees "waiting for input", not an error.

    .syntax unified
    .arm

    .equ UART0,          0x10009000
    .equ UART_DR,        0x000
    .equ UART_FR,        0x018
    .equ UART_IMSC,      0x038
    .equ FR_RXFE,        (1 << 4)
    .equ RXIM,           (1 << 4)
    .equ RTIM,           (1 << 6)
    .equ GICC,           0x10040000
    .equ GICD,           0x10041000
    .equ UART0_ID,       44

    .section .vectors, "ax"
vectors:
    ldr     pc, =_start
    b       .
    b       .
    b       .
    b       .
    b       .
    ldr     pc, =irq_handler
    b       .
    .ltorg

    .section .text.start, "ax"
    .global _start
_start:
    msr     cpsr_c, #0xD2           @ IRQ mode stack
    ldr     sp, =__irq_stack_top
    msr     cpsr_c, #0xD3
    ldr     sp, =__svc_stack_top
    bl      uart_init
    adr     r0, s_hello
    bl      puts
    ldr     r1, =UART0
    mov     r2, #(RXIM | RTIM)
    str     r2, [r1, #UART_IMSC]
    ldr     r1, =GICD
    mov     r2, #(1 << (UART0_ID - 32))
    str     r2, [r1, #0x104]        @ GICD_ISENABLER1
    mov     r2, #1
    str     r2, [r1]                @ GICD_CTLR
    ldr     r1, =GICC
    mov     r2, #0xF0
    str     r2, [r1, #0x04]         @ GICC_PMR
    mov     r2, #1
    str     r2, [r1]                @ GICC_CTLR
    @ Check for 'q' with IRQs masked, then sleep: WFI wakes on a pending interrupt even while it is
    @ masked, and unmasking takes it, so no byte can arrive unseen between the check and the WFI.
sleep:
    ldr     r0, =quit
    ldr     r0, [r0]
    cmp     r0, #0
    bne     done
    mov     r0, #0
    mcr     p15, 0, r0, c7, c0, 4   @ WFI
    msr     cpsr_c, #0x53           @ IRQs on: the handler runs here
    msr     cpsr_c, #0xD3
    b       sleep
done:
    adr     r0, s_bye
    bl      puts
    b       exit_ok

irq_handler:
    sub     lr, lr, #4
    stmfd   sp!, {r0-r5, lr}
    ldr     r4, =GICC
    ldr     r5, [r4, #0x0C]         @ GICC_IAR
1:  ldr     r1, =UART0
    ldr     r2, [r1, #UART_FR]
    tst     r2, #FR_RXFE
    bne     2f
    ldrb    r0, [r1, #UART_DR]
    cmp     r0, #'q'
    ldreq   r2, =quit
    streq   r0, [r2]
    bl      putc
    b       1b
2:  str     r5, [r4, #0x10]         @ GICC_EOIR
    ldmfd   sp!, {r0-r5, pc}^

s_hello: .asciz "rx-irq: type, q to quit\n"
s_bye:   .asciz "\nrx-irq done\n"
    .align 2
    .data
quit:    .word 0
