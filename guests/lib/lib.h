/* The guests' tiny C library: strings, numbers, formatted console output, checksums, vIRQ events. */
#ifndef GUEST_LIB_H
#define GUEST_LIB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "hypercall.h"

/* Set by crt0 from the entry registers r1 and r2. */
extern uint32_t guest_ram_size;
extern uint32_t guest_index;

/* string.c */
size_t strlen(const char *s);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
/* Copies at most size - 1 bytes of src and NUL-terminates (size > 0); returns strlen(dst). */
size_t strlcpy(char *dst, const char *src, size_t size);
/* Parses all of s as an unsigned 32-bit number, decimal or 0x/0X hex; 0 on success, -1 if s is empty,
   has another character, or overflows. */
int parse_u32(const char *s, uint32_t *out);
/* CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320) of n bytes, continuing from crc (start with 0). */
uint32_t crc32(uint32_t crc, const void *data, size_t n);
uint32_t crc32_str(uint32_t crc, const char *s);     /* including the NUL */
uint32_t crc32_u32(uint32_t crc, uint32_t value);    /* the 4 bytes, little-endian */

/* format.c: %s %d %i %u %x %X %c %% with optional '-' / '0' flags, a width, and 'l' (ignored). */
int gvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int gsnprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int gprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int gvprintf(const char *fmt, va_list ap);

/* console.c: CONSOLE_WRITE until everything is out (the call writes at most 1024 bytes each time). */
int console_write(const void *buf, size_t len);  /* 0, or the negative error code */
int console_print(const char *s);                /* s as is */
int console_puts(const char *s);                 /* s and "\n" */

/* events.c: the upcall handler ORs the delivered vIRQ bits into virq_events. */
extern volatile uint32_t virq_events;
void virq_handler(uint32_t bits);
/* Registers virq_entry on its own 4 KiB stack; returns the hypercall's result. */
int32_t events_init(void);
/* Takes (and clears) the vIRQ bits seen so far. With none and may_wait set, WAITs for one first (the
   bits then arrive on the next call). Race-free: vIRQs are masked while looking, and WAIT returns at
   once for a bit raised while masked; VIRQ_UNMASK at the end delivers whatever is pending. */
uint32_t events_take(int may_wait);

/* Each program's C entry, called by crt0 with the vCPU page; returning from it EXITs with its result. */
int guest_main(const struct vcpu *vcpu);

/* entry.S */
void virq_entry(uint32_t bits);
void fault_entry(uint32_t kind, uint32_t address, uint32_t pc);
/* Each program defines it: called on the fault stack; may edit VCPU->fault_ctx before FAULT_RETURN. */
void guest_fault(uint32_t kind, uint32_t address, uint32_t pc);
/* Fault kind names: "undefined", "prefetch abort", "data abort", "breakpoint", "bad svc", else "kind?" */
const char *fault_kind_name(uint32_t kind);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
