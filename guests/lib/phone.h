/*
 * The phone functions of the shell. The modem is not connected yet (a later issue adds the modem
 * hypercalls); until then each one prints "modem not available". The shell has already checked the
 * arguments (a NUMBER and a TEXT are non-empty).
 */
#ifndef GUEST_PHONE_H
#define GUEST_PHONE_H

#include <stdint.h>

void phone_init(void);                 /* at boot, before the banner: must print nothing */
void phone_events(uint32_t virq_bits); /* every vIRQ batch the task loop takes (modem vIRQs later) */
void phone_dial(const char *number);
void phone_answer(void);
void phone_hangup(void);
void phone_sms(const char *number, const char *text);
void phone_calls(void);

#endif
