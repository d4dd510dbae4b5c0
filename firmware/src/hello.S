@ hello: prints a greeting through PL011 UART0 and exits 0 via semihosting SYS_EXIT.

    .syntax unified
    .arm
    .section .text.start, "ax"
    .global _start
_start:
    ldr     sp, =__svc_stack_top
    bl      uart_init
    adr     r0, msg
    bl      puts
    b       exit_ok

msg:
    .asciz  "Hello from handset\n"
    .align  2
