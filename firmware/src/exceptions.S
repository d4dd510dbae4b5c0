@ exceptions: SVC (immediate decoded by the handler), UDF, BKPT (prefetch abort) and a data abort
@ (MMU section translation fault); each handler records what it saw and returns to the instruction
@ after the trigger.

    .syntax unified
    .arm

    .equ MODE_SYS, 0x1F
    .equ MODE_SVC, 0x13
    .equ MODE_ABT, 0x17
    .equ MODE_UND, 0x1B

    .equ FAULT_VA,  0x30000000      @ left as a fault entry in the page table
    .equ PERIPH,    0x10000000
    .equ RAM_MIBS,  1               @ image, .bss (table) and stacks are all below 0x100000
    .equ SECT_RAM,  0xC1E           @ section, bit4 (must be 1 on ARM926), C+B, domain 0, AP=11
    .equ SECT_DEV,  0xC12           @ same, uncached/unbuffered for the peripheral MiB

    .section .vectors, "ax"
vectors:
    ldr     pc, =_start
    ldr     pc, =und_handler
    ldr     pc, =svc_handler
    ldr     pc, =pabt_handler
    ldr     pc, =dabt_handler
    b       .
    b       .                       @ IRQ (masked throughout)
    b       .                       @ FIQ
    .ltorg

    .section .text.start, "ax"
    .global _start
_start:
    msr     cpsr_c, #0xD7           @ ABT mode stack
    ldr     sp, =__abt_stack_top
    msr     cpsr_c, #0xDB           @ UND mode stack
    ldr     sp, =__und_stack_top
    msr     cpsr_c, #0xD3           @ SVC mode stack
    ldr     sp, =__svc_stack_top
    msr     cpsr_c, #0xDF           @ run the test in SYS mode so SVC does not clobber our lr
    ldr     sp, =__irq_stack_top    @ (IRQs unused: borrow that stack)
    bl      uart_init
    ldr     r8, =rec                @ r8 = record block, preserved by all handlers

@ --- SVC #0x42: handler decodes the 24-bit immediate from the SVC instruction at lr-4
    mov     r0, #0x11               @ check r0-r3 survive the exception
svc_site:
    svc     #0x42
    cmp     r0, #0x11
    bne     bad_regs
    ldr     r0, [r8, #R_SVC_IMM]
    cmp     r0, #0x42
    ldrne   r0, =e_svc_imm
    bne     fail
    ldr     r0, [r8, #R_SVC_PC]
    adr     r1, svc_site
    cmp     r0, r1
    ldrne   r0, =e_svc_pc
    bne     fail
    ldr     r0, [r8, #R_SVC_MODES]
    ldr     r1, =(MODE_SVC << 8) | MODE_SYS   @ handler ran in SVC, SPSR says SYS
    cmp     r0, r1
    ldrne   r0, =e_svc_mode
    bne     fail
    ldr     r0, =m_svc
    bl      puts

@ --- Undefined instruction (permanently undefined encoding, "UDF #0")
    mov     r0, #0x22
und_site:
    .word   0xE7F000F0
    cmp     r0, #0x22
    bne     bad_regs
    ldr     r0, [r8, #R_UND_PC]
    adr     r1, und_site
    cmp     r0, r1
    ldrne   r0, =e_und_pc
    bne     fail
    ldr     r0, [r8, #R_UND_INSN]
    ldr     r1, =0xE7F000F0
    cmp     r0, r1
    ldrne   r0, =e_und_insn
    bne     fail
    ldr     r0, [r8, #R_UND_MODES]
    ldr     r1, =(MODE_UND << 8) | MODE_SYS
    cmp     r0, r1
    ldrne   r0, =e_und_mode
    bne     fail
    ldr     r0, =m_und
    bl      puts

@ --- BKPT: on ARMv5 with no debugger attached this is a prefetch abort (lr_abt = BKPT + 4)
    mov     r0, #0x33
bkpt_site:
    bkpt    #0x17
    cmp     r0, #0x33
    bne     bad_regs
    ldr     r0, [r8, #R_PABT_PC]
    adr     r1, bkpt_site
    cmp     r0, r1
    ldrne   r0, =e_pabt_pc
    bne     fail
    ldr     r0, [r8, #R_PABT_MODES]
    ldr     r1, =(MODE_ABT << 8) | MODE_SYS
    cmp     r0, r1
    ldrne   r0, =e_pabt_mode
    bne     fail
    ldr     r0, =m_pabt
    bl      puts

@ --- Data abort: section translation fault through the MMU. (Not an SCTLR.A alignment fault:
@ Unicorn 2.0.1 does not emulate those for AArch32; and QEMU's realview ignores bus errors, so a
@ load from an unmapped physical address would not abort either.) Flat map of the first RAM MiB
@ (code, data, stacks, this table) and of the peripheral MiB; everything else, including
@ FAULT_VA, is a fault entry. The MMU is switched off again afterwards.
    ldr     r0, =ttb                @ 4096 fault entries
    mov     r1, #0
    mov     r2, #4096
1:  str     r1, [r0], #4
    subs    r2, r2, #1
    bne     1b
    ldr     r0, =ttb
    ldr     r1, =SECT_RAM           @ VA 0 -> PA 0, RAM_MIBS sections
    mov     r2, #RAM_MIBS
2:  str     r1, [r0], #4
    add     r1, r1, #0x100000
    subs    r2, r2, #1
    bne     2b
    ldr     r0, =ttb
    ldr     r1, =PERIPH | SECT_DEV  @ UART etc.
    str     r1, [r0, #(PERIPH >> 20) * 4]
    mcr     p15, 0, r0, c2, c0, 0   @ TTBR0 (TTBCR = 0 at reset on ARMv6)
    mov     r1, #1                  @ domain 0 = client (AP bits are checked)
    mcr     p15, 0, r1, c3, c0, 0   @ DACR
    mov     r1, #0
    mcr     p15, 0, r1, c8, c7, 0   @ invalidate TLBs
    mrc     p15, 0, r1, c1, c0, 0
    orr     r1, r1, #1              @ SCTLR.M
    mcr     p15, 0, r1, c1, c0, 0
    ldr     r1, =FAULT_VA
    mov     r0, #0x44
dabt_site:
    ldr     r0, [r1]                @ aborts: r0 must keep 0x44
    mrc     p15, 0, r1, c1, c0, 0   @ MMU off again (identity map: execution just continues)
    bic     r1, r1, #1
    mcr     p15, 0, r1, c1, c0, 0
    mov     r1, #0
    mcr     p15, 0, r1, c8, c7, 0
    cmp     r0, #0x44
    bne     bad_regs
    ldr     r0, [r8, #R_DABT_PC]
    adr     r1, dabt_site
    cmp     r0, r1
    ldrne   r0, =e_dabt_pc
    bne     fail
    ldr     r0, [r8, #R_DABT_FAR]
    cmp     r0, #FAULT_VA
    ldrne   r0, =e_dabt_far
    bne     fail
    ldr     r0, [r8, #R_DABT_FSR]
    ldr     r1, =0x40F              @ FS[4] (bit 10) and FS[3:0]; ignore domain [7:4] and WnR (11)
    and     r0, r0, r1
    cmp     r0, #5                  @ 0b00101: section translation fault
    ldrne   r0, =e_dabt_fsr
    bne     fail
    ldr     r0, [r8, #R_DABT_MODES]
    ldr     r1, =(MODE_ABT << 8) | MODE_SYS
    cmp     r0, r1
    ldrne   r0, =e_dabt_mode
    bne     fail
    ldr     r0, =m_dabt
    bl      puts

@ --- every handler ran exactly once
    ldr     r0, [r8, #R_COUNT]
    ldr     r1, =0x01010101
    cmp     r0, r1
    ldrne   r0, =e_count
    bne     fail
    ldr     r0, =m_ok
    bl      puts
    b       exit_ok

bad_regs:
    ldr     r0, =e_regs
    b       fail

@ record layout (r8 points to rec)
    .equ R_SVC_IMM,    0
    .equ R_SVC_PC,     4
    .equ R_SVC_MODES,  8            @ (CPSR mode << 8) | SPSR mode, as seen by the handler
    .equ R_UND_PC,     12
    .equ R_UND_INSN,   16
    .equ R_UND_MODES,  20
    .equ R_PABT_PC,    24
    .equ R_PABT_MODES, 28
    .equ R_DABT_PC,    32
    .equ R_DABT_FSR,   36
    .equ R_DABT_FAR,   40
    .equ R_DABT_MODES, 44
    .equ R_COUNT,      48           @ one byte per handler: svc, und, pabt, dabt

@ r0 = (CPSR mode << 8) | SPSR mode; clobbers r1
    .macro modes
    mrs     r0, cpsr
    and     r0, r0, #0x1F
    mrs     r1, spsr
    and     r1, r1, #0x1F
    orr     r0, r1, r0, lsl #8
    .endm

    .macro bump byte
    ldrb    r0, [r8, #R_COUNT + \byte]
    add     r0, r0, #1
    strb    r0, [r8, #R_COUNT + \byte]
    .endm

svc_handler:                        @ lr = SVC + 4; return to lr
    push    {r0-r3, r12, lr}
    ldr     r0, [lr, #-4]
    bic     r0, r0, #0xFF000000     @ imm24
    str     r0, [r8, #R_SVC_IMM]
    sub     r0, lr, #4
    str     r0, [r8, #R_SVC_PC]
    modes
    str     r0, [r8, #R_SVC_MODES]
    bump    0
    ldmfd   sp!, {r0-r3, r12, pc}^

und_handler:                        @ lr = insn + 4 (ARM state); return to lr to skip it
    push    {r0-r3, r12, lr}
    sub     r0, lr, #4
    str     r0, [r8, #R_UND_PC]
    ldr     r0, [lr, #-4]
    str     r0, [r8, #R_UND_INSN]
    modes
    str     r0, [r8, #R_UND_MODES]
    bump    1
    ldmfd   sp!, {r0-r3, r12, pc}^

pabt_handler:                       @ lr = aborted insn + 4; lr - 4 would retry, lr skips the BKPT
    push    {r0-r3, r12, lr}
    sub     r0, lr, #4
    str     r0, [r8, #R_PABT_PC]
    modes
    str     r0, [r8, #R_PABT_MODES]
    bump    2
    ldmfd   sp!, {r0-r3, r12, pc}^

dabt_handler:                       @ lr = aborted insn + 8; lr - 4 resumes after it
    sub     lr, lr, #4
    push    {r0-r3, r12, lr}
    sub     r0, lr, #4
    str     r0, [r8, #R_DABT_PC]
    mrc     p15, 0, r0, c5, c0, 0   @ DFSR
    str     r0, [r8, #R_DABT_FSR]
    mrc     p15, 0, r0, c6, c0, 0   @ FAR
    str     r0, [r8, #R_DABT_FAR]
    modes
    str     r0, [r8, #R_DABT_MODES]
    bump    3
    ldmfd   sp!, {r0-r3, r12, pc}^

m_svc:       .asciz "svc 0x42 ok\n"
m_und:       .asciz "undefined instruction ok\n"
m_pabt:      .asciz "prefetch abort (bkpt) ok\n"
m_dabt:      .asciz "data abort (translation) ok\n"
m_ok:        .asciz "exceptions ok\n"
e_regs:      .asciz "registers not preserved across exception"
e_svc_imm:   .asciz "svc immediate"
e_svc_pc:    .asciz "svc return address"
e_svc_mode:  .asciz "svc handler mode/spsr"
e_und_pc:    .asciz "undef return address"
e_und_insn:  .asciz "undef instruction word"
e_und_mode:  .asciz "undef handler mode/spsr"
e_pabt_pc:   .asciz "prefetch abort return address"
e_pabt_mode: .asciz "prefetch abort handler mode/spsr"
e_dabt_pc:   .asciz "data abort return address"
e_dabt_far:  .asciz "data abort FAR"
e_dabt_fsr:  .asciz "data abort FSR (expected section translation fault)"
e_dabt_mode: .asciz "data abort handler mode/spsr"
e_count:     .asciz "handler run counts"
    .align 2

    .bss
    .align 14                       @ first-level table must be 16 KiB aligned
ttb:    .space 16384
rec:    .space 52
