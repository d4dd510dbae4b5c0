@ mmu: 1 MiB-section page table (identity RAM + peripherals, VA 0x80000000 alias of PA 0), MMU on,
@ code runs from the alias, alias writes are visible at the physical address, unmapped VA aborts.

    .syntax unified
    .arm

    .equ ALIAS_VA,   0x80000000     @ maps the first MiB of RAM (where this image lives)
    .equ UNMAPPED,   0x90000000     @ left as a fault entry
    .equ SECT_RAM,   0xC1E          @ section, bit4 (must be 1 on ARM926), C+B, domain 0, AP=11
    .equ SECT_DEV,   0xC12          @ same, uncached/unbuffered for the peripheral MiB
    .equ PERIPH,     0x10000000

    .section .vectors, "ax"
vectors:
    ldr     pc, =_start
    b       .                       @ undefined
    b       .                       @ SVC
    b       .                       @ prefetch abort
    ldr     pc, =dabt_handler
    b       .
    b       .                       @ IRQ (masked)
    b       .                       @ FIQ
    .ltorg

    .section .text.start, "ax"
    .global _start
_start:
    msr     cpsr_c, #0xD7
    ldr     sp, =__abt_stack_top
    msr     cpsr_c, #0xD3
    ldr     sp, =__svc_stack_top
    bl      uart_init

    @ build the table: 4096 fault entries, then the mappings
    ldr     r0, =ttb
    mov     r1, #0
    mov     r2, #4096
1:  str     r1, [r0], #4
    subs    r2, r2, #1
    bne     1b
    ldr     r0, =ttb
    ldr     r1, =SECT_RAM           @ identity-map 128 MiB of RAM
    mov     r2, #128
2:  str     r1, [r0], #4
    add     r1, r1, #0x100000
    subs    r2, r2, #1
    bne     2b
    ldr     r0, =ttb
    ldr     r1, =PERIPH | SECT_DEV  @ identity-map the peripheral MiB (UART, timers, GIC)
    str     r1, [r0, #(PERIPH >> 20) * 4]
    ldr     r1, =SECT_RAM           @ alias VA 0x80000000 -> PA 0
    add     r2, r0, #(ALIAS_VA >> 20) * 4
    str     r1, [r2]

    mcr     p15, 0, r0, c2, c0, 0   @ TTBR0
    mov     r1, #1                  @ domain 0 = client (AP bits are checked)
    mcr     p15, 0, r1, c3, c0, 0   @ DACR
    mov     r1, #0
    mcr     p15, 0, r1, c8, c7, 0   @ invalidate TLBs
    mrc     p15, 0, r1, c1, c0, 0
    orr     r1, r1, #1              @ SCTLR.M
    mcr     p15, 0, r1, c1, c0, 0
    ldr     r0, =m_on
    bl      puts

    @ continue at the same code through the alias
    ldr     r0, =high
    add     r0, r0, #ALIAS_VA
    bx      r0

@ From here on the PC is in the alias: only PC-relative branches and literals.
high:
    mov     r0, pc
    cmp     r0, #ALIAS_VA
    ldrlo   r0, =e_pc
    blo     fail
    ldr     r0, =m_alias            @ literal pool is fetched through the alias too
    bl      puts

    ldr     r4, =shared             @ physical (identity) address
    add     r5, r4, #ALIAS_VA       @ the same word through the alias
    ldr     r0, =0xCAFEF00D
    str     r0, [r5]
    ldr     r1, [r4]
    cmp     r0, r1
    ldrne   r0, =e_alias_wr
    bne     fail
    ldr     r0, =0x12345678
    str     r0, [r4]
    ldr     r1, [r5]
    cmp     r0, r1
    ldrne   r0, =e_alias_rd
    bne     fail
    ldr     r0, =m_write
    bl      puts

    @ a load from an unmapped VA takes a section translation fault
    ldr     r1, =UNMAPPED
    mov     r0, #0x55
fault_site:
    ldr     r0, [r1]
    cmp     r0, #0x55
    ldrne   r0, =e_regs
    bne     fail
    ldr     r6, =rec
    ldr     r0, [r6, #0]            @ faulting PC, must be the alias address of fault_site
    adr     r1, fault_site
    cmp     r0, r1
    ldrne   r0, =e_fault_pc
    bne     fail
    ldr     r0, [r6, #4]            @ DFSR: FS = 0b0101 section translation fault
    ldr     r1, =0x40F
    and     r0, r0, r1
    cmp     r0, #5
    ldrne   r0, =e_fault_fsr
    bne     fail
    ldr     r0, [r6, #8]            @ FAR
    cmp     r0, #UNMAPPED
    ldrne   r0, =e_fault_far
    bne     fail
    ldr     r0, =m_fault
    bl      puts

    ldr     r0, =m_ok
    bl      puts
    b       exit_ok

dabt_handler:                       @ record PC/DFSR/FAR, resume after the faulting load
    sub     lr, lr, #4
    push    {r0-r1, lr}
    ldr     r1, =rec
    sub     r0, lr, #4
    str     r0, [r1, #0]
    mrc     p15, 0, r0, c5, c0, 0
    str     r0, [r1, #4]
    mrc     p15, 0, r0, c6, c0, 0
    str     r0, [r1, #8]
    ldmfd   sp!, {r0-r1, pc}^

m_on:        .asciz "mmu enabled\n"
m_alias:     .asciz "running from alias 0x80000000\n"
m_write:     .asciz "alias write visible at physical address\n"
m_fault:     .asciz "translation fault at 0x90000000 ok\n"
m_ok:        .asciz "mmu ok\n"
e_pc:        .asciz "pc not in alias"
e_alias_wr:  .asciz "write through alias not visible physically"
e_alias_rd:  .asciz "physical write not visible through alias"
e_regs:      .asciz "load destination changed by aborted load"
e_fault_pc:  .asciz "data abort return address"
e_fault_fsr: .asciz "data abort FSR (expected section translation fault)"
e_fault_far: .asciz "data abort FAR"
    .align 2

    .data
    .align 2
shared: .word 0

    .bss
    .align 14                       @ first-level table must be 16 KiB aligned
ttb:    .space 16384
rec:    .space 12
