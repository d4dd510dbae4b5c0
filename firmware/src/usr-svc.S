@ usr-svc: the semihosting SVC (SVC 0x123456) from USR mode is an ordinary SVC, as under QEMU, which
@ answers semihosting only from privileged modes (semihosting_enabled(is_user)). The SVC handler prints
@ what it saw and exits through semihosting from SVC mode.

    .syntax unified
    .arm

    .section .vectors, "ax"
vectors:
    ldr     pc, =_start
    b       .                       @ undefined
    ldr     pc, =svc_handler
    b       .                       @ prefetch abort
    b       .                       @ data abort
    b       .
    b       .                       @ IRQ
    b       .                       @ FIQ
    .ltorg

    .section .text.start, "ax"
    .global _start
_start:
    ldr     sp, =__svc_stack_top
    bl      uart_init
    adr     r0, s_start
    bl      puts
    msr     cpsr_c, #0xD0           @ USR mode, IRQ/FIQ masked
    ldr     sp, =0x70000
    mov     r0, #0x18               @ SYS_EXIT: must not exit from USR mode
    ldr     r1, =0x20026
    svc     0x123456
    adr     r0, s_after             @ not reached: the handler does not return
    bl      puts
    mov     r0, #0x18
    ldr     r1, =0x20024            @ ADP_Stopped_RunTimeErrorUnknown: exit 1
    svc     0x123456

svc_handler:
    mrs     r4, spsr
    adr     r0, s_svc
    bl      puts
    and     r0, r4, #0x1F
    bl      puthex                  @ the mode the SVC came from
    mov     r0, #'\n'
    bl      putc
    b       exit_ok

s_start: .asciz "usr-svc: SVC 0x123456 from USR mode\n"
s_svc:   .asciz "SVC vector taken from mode "
s_after: .asciz "semihosting answered USR mode\n"
    .align 2
