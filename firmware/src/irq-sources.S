@ irq-sources: interrupts raised by device writes, with IRQs masked and unmasked in CPSR.
@
@ Each step prints its number, then letters around the device access that raises (or arms) the interrupt;
@ the IRQ handler prints which source it saw ({gic}, {tx}, {rx:c}, {timer}). Where IRQs are masked, the
@ letters and the raising write share one translation block (no branch between them): every letter must
@ appear exactly once, then the handler runs when the step unmasks IRQs. Where IRQs are unmasked, the
@ raising write is followed by a branch, so the interrupt is taken before the next letter on QEMU (with or
@ without -icount) and on handset alike, and the earlier letter of the same block must not appear twice.
@ Sources: GICD_ISPENDR1 (SPI 63, which nothing drives), PL011 UART0 UARTIMSC with the TX and RX
@ conditions present (RX needs two bytes of input, e.g. "xy"), SP804 timer 1 (Load with IntEnable set,
@ and IntEnable written while the raw interrupt is already set).

    .syntax unified
    .arm

    .equ GICC,        0x10040000    @ CPU interface
    .equ GICC_CTLR,   0x00
    .equ GICC_PMR,    0x04
    .equ GICC_IAR,    0x0C
    .equ GICC_EOIR,   0x10
    .equ GICD,        0x10041000    @ distributor
    .equ GICD_CTLR,   0x000
    .equ GICD_ISENABLER1, 0x104     @ IDs 32..63
    .equ GICD_ISPENDR1,   0x204
    .equ SOFT_ID,     63            @ an SPI nothing drives: pending only by software
    .equ TIMER_ID,    36            @ SP804 timer 0/1 = board line 4
    .equ UART_ID,     44            @ UART0 = board line 12
    .equ UART0,       0x10009000
    .equ UART_DR,     0x000
    .equ UART_FR,     0x018
    .equ UART_IMSC,   0x038
    .equ UART_MIS,    0x040
    .equ UART_ICR,    0x044
    .equ FR_RXFE,     (1 << 4)
    .equ INT_RX,      (1 << 4)
    .equ INT_TX,      (1 << 5)
    .equ TIMER01,     0x10011000
    .equ T_LOAD,      0x00
    .equ T_CTRL,      0x08
    .equ T_INTCLR,    0x0C
    .equ T_RIS,       0x10
    .equ T_ONESHOT,   0x83          @ enable | 32-bit | one-shot, no interrupt
    .equ T_ONESHOT_IE, 0xA3         @ the same with IntEnable
    .equ T_IE_ONLY,   0x23          @ IntEnable, 32-bit, one-shot, timer disabled

    .section .vectors, "ax"
vectors:
    ldr     pc, =_start             @ reset
    b       .                       @ undefined
    b       .                       @ SVC
    b       .                       @ prefetch abort
    b       .                       @ data abort
    b       .                       @ reserved
    ldr     pc, =irq_handler        @ IRQ
    b       .                       @ FIQ
    .ltorg

    .section .text.start, "ax"
    .global _start
_start:
    msr     cpsr_c, #0xD2           @ IRQ mode, IRQ/FIQ masked
    ldr     sp, =__irq_stack_top
    msr     cpsr_c, #0xD3           @ back to SVC
    ldr     sp, =__svc_stack_top
    bl      uart_init
    @ GIC: enable the three sources (priority 0), distributor and CPU interface on
    ldr     r2, =GICD
    ldr     r1, =((1 << (SOFT_ID - 32)) | (1 << (UART_ID - 32)) | (1 << (TIMER_ID - 32)))
    str     r1, [r2, #GICD_ISENABLER1]
    mov     r1, #1
    str     r1, [r2, #GICD_CTLR]
    ldr     r2, =GICC
    mov     r1, #0xF0
    str     r1, [r2, #GICC_PMR]
    mov     r1, #1
    str     r1, [r2, #GICC_CTLR]
    ldr     r4, =UART0              @ r4-r7 stay put through the steps
    ldr     r5, =GICD
    ldr     r6, =TIMER01
    ldr     r7, =handled

@ 1: GIC pending bit, IRQs masked: a, pend, b in one block; the IRQ comes when unmasked.
    mov     r0, #'1'
    bl      step
    mov     r0, #'a'
    mov     r1, #(1 << (SOFT_ID - 32))
    mov     r2, #'b'
    strb    r0, [r4, #UART_DR]
    str     r1, [r5, #GICD_ISPENDR1]
    strb    r2, [r4, #UART_DR]
    bl      unmask_mask

@ 2: GIC pending bit, IRQs unmasked: c, pend, (IRQ) d.
    mov     r0, #'2'
    bl      step
    msr     cpsr_c, #0x53
    mov     r0, #'c'
    mov     r1, #(1 << (SOFT_ID - 32))
    strb    r0, [r4, #UART_DR]
    str     r1, [r5, #GICD_ISPENDR1]
    b       1f
1:  mov     r0, #'d'
    bl      putc
    msr     cpsr_c, #0xD3
    bl      end_step

@ 3: UART TX interrupt (TXRIS is set by every byte sent), IRQs masked: e, unmask TXIM, f.
    mov     r0, #'3'
    bl      step
    mov     r0, #'e'
    mov     r1, #INT_TX
    mov     r2, #'f'
    strb    r0, [r4, #UART_DR]
    str     r1, [r4, #UART_IMSC]
    strb    r2, [r4, #UART_DR]
    bl      unmask_mask

@ 4: UART TX interrupt, IRQs unmasked: g, TXIM, (IRQ) h.
    mov     r0, #'4'
    bl      step
    msr     cpsr_c, #0x53
    mov     r0, #'g'
    mov     r1, #INT_TX
    strb    r0, [r4, #UART_DR]
    str     r1, [r4, #UART_IMSC]
    b       1f
1:  mov     r0, #'h'
    bl      putc
    msr     cpsr_c, #0xD3
    bl      end_step

@ 5: UART RX interrupt, IRQs masked: wait for an input byte, then i, RXIM, j.
    mov     r0, #'5'
    bl      step
    bl      wait_rx
    mov     r0, #'i'
    mov     r1, #INT_RX
    mov     r2, #'j'
    strb    r0, [r4, #UART_DR]
    str     r1, [r4, #UART_IMSC]
    strb    r2, [r4, #UART_DR]
    bl      unmask_mask

@ 6: UART RX interrupt, IRQs unmasked: wait for the next byte, then k, RXIM, (IRQ) l.
    mov     r0, #'6'
    bl      step
    bl      wait_rx
    msr     cpsr_c, #0x53
    mov     r0, #'k'
    mov     r1, #INT_RX
    strb    r0, [r4, #UART_DR]
    str     r1, [r4, #UART_IMSC]
    b       1f
1:  mov     r0, #'l'
    bl      putc
    msr     cpsr_c, #0xD3
    bl      end_step

@ 7: SP804 Load with IntEnable, IRQs masked: m, Load 10 us into the running one-shot timer; wait for RIS; n;
@ the IRQ when unmasked.
    mov     r0, #'7'
    bl      step
    mov     r0, #'m'
    bl      putc
    ldr     r1, =1000000            @ 1 s, then reloaded with 10 us while running
    str     r1, [r6, #T_LOAD]
    mov     r1, #T_ONESHOT_IE
    str     r1, [r6, #T_CTRL]
    mov     r1, #10
    str     r1, [r6, #T_LOAD]
    bl      wait_timer
    mov     r0, #'n'
    bl      putc
    bl      unmask_mask

@ 8: SP804 Load with IntEnable, IRQs unmasked: o, load; wait for the handler; p.
    mov     r0, #'8'
    bl      step
    msr     cpsr_c, #0x53
    mov     r0, #'o'
    bl      putc
    ldr     r1, =1000000            @ 1 s, then reloaded with 10 us while running
    str     r1, [r6, #T_LOAD]
    mov     r1, #T_ONESHOT_IE
    str     r1, [r6, #T_CTRL]
    mov     r1, #10
    str     r1, [r6, #T_LOAD]
1:  ldr     r0, [r7]
    cmp     r0, #0
    beq     1b
    mov     r0, #'p'
    bl      putc
    msr     cpsr_c, #0xD3
    bl      end_step

@ 9: SP804 IntEnable written while the raw interrupt is set, IRQs masked: expire without IntEnable; q, IE, r.
    mov     r0, #'9'
    bl      step
    bl      expire_quietly
    mov     r0, #'q'
    mov     r1, #T_IE_ONLY
    mov     r2, #'r'
    strb    r0, [r4, #UART_DR]
    str     r1, [r6, #T_CTRL]
    strb    r2, [r4, #UART_DR]
    bl      unmask_mask

@ 10 (printed as ':'): the same, IRQs unmasked: s, IE, (IRQ) t.
    mov     r0, #':'
    bl      step
    bl      expire_quietly
    msr     cpsr_c, #0x53
    mov     r0, #'s'
    mov     r1, #T_IE_ONLY
    strb    r0, [r4, #UART_DR]
    str     r1, [r6, #T_CTRL]
    b       1f
1:  mov     r0, #'t'
    bl      putc
    msr     cpsr_c, #0xD3
    bl      end_step

    ldr     r0, =s_ok
    bl      puts
    b       exit_ok

@ step(r0 = step character): clears the handled flag, prints "<c> ".
step:
    push    {r0, lr}
    mov     r1, #0
    str     r1, [r7]
    bl      putc
    mov     r0, #' '
    bl      putc
    pop     {r0, pc}

@ unmask_mask: lets the pending IRQ in, masks again, ends the step.
unmask_mask:
    msr     cpsr_c, #0x53
    msr     cpsr_c, #0xD3
    @ fall through
@ end_step: a step must have run the handler exactly once.
end_step:
    push    {r4, lr}
    ldr     r0, [r7]
    cmp     r0, #1
    ldrne   r0, =s_count
    bne     fail
    mov     r0, #'\n'
    bl      putc
    pop     {r4, pc}

@ wait_rx: polls UARTFR until the receive FIFO holds a byte.
wait_rx:
    ldr     r0, [r4, #UART_FR]
    tst     r0, #FR_RXFE
    bne     wait_rx
    bx      lr

@ wait_timer: polls timer 1's raw interrupt.
wait_timer:
    ldr     r0, [r6, #T_RIS]
    tst     r0, #1
    beq     wait_timer
    bx      lr

@ expire_quietly: runs timer 1 one-shot for 10 us with IntEnable clear and waits for its raw interrupt.
expire_quietly:
    mov     r1, #10
    str     r1, [r6, #T_LOAD]
    mov     r1, #T_ONESHOT
    str     r1, [r6, #T_CTRL]
    b       wait_timer

@ IRQ handler: acknowledge, name and silence the source, count, EOI.
irq_handler:
    sub     lr, lr, #4
    push    {r0-r5, r12, lr}
    ldr     r4, =GICC
    ldr     r5, [r4, #GICC_IAR]
    ldr     r2, =0x3FF
    and     r0, r5, r2
    cmp     r0, r2
    beq     irq_done                @ spurious: no EOI
    cmp     r0, #SOFT_ID
    adreq   r0, s_gic
    beq     irq_print
    cmp     r0, #TIMER_ID
    beq     irq_timer
    cmp     r0, #UART_ID
    beq     irq_uart
    adr     r0, s_other
    b       irq_print
irq_timer:
    ldr     r2, =TIMER01
    mov     r1, #0
    str     r1, [r2, #T_CTRL]
    str     r1, [r2, #T_INTCLR]
    adr     r0, s_timer
    b       irq_print
irq_uart:
    ldr     r2, =UART0
    ldr     r3, [r2, #UART_MIS]
    mov     r1, #0
    str     r1, [r2, #UART_IMSC]    @ mask first: printing sets TXRIS again
    str     r3, [r2, #UART_ICR]     @ clear what was seen only: input may have come before step 5
    tst     r3, #INT_RX
    bne     irq_rx
    tst     r3, #INT_TX
    adrne   r0, s_tx
    adreq   r0, s_other
    b       irq_print
irq_rx:
    ldrb    r3, [r2, #UART_DR]      @ reading the byte clears RXRIS
    push    {r3}
    adr     r0, s_rx
    bl      puts
    pop     {r0}
    bl      putc
    adr     r0, s_close
irq_print:
    bl      puts
    ldr     r2, =handled
    ldr     r3, [r2]
    add     r3, r3, #1
    str     r3, [r2]
    str     r5, [r4, #GICC_EOIR]
irq_done:
    ldmfd   sp!, {r0-r5, r12, pc}^  @ return, restoring CPSR from SPSR_irq

s_gic:   .asciz "{gic}"
s_tx:    .asciz "{tx}"
s_rx:    .asciz "{rx:"
s_close: .asciz "}"
s_timer: .asciz "{timer}"
s_other: .asciz "{?}"
s_count: .asciz "the IRQ handler did not run exactly once"
s_ok:    .asciz "irq-sources ok\n"
    .align 2

    .bss
    .align  2
handled: .space 4
