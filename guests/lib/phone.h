/*
 * The phone: an AT client on the partition's virtual modem (MODEM_WRITE / MODEM_READ, VIRQ_MODEM; the AT
 * commands of docs/modem.md). The shell has already checked the arguments (a NUMBER and a TEXT are
 * non-empty). Without a modem (MODEM_READ is ENOSYS at boot) every command prints "modem not available".
 *
 * Commands go to the modem one at a time, in order (phone.c queues them); a shell command's result is
 * printed when its final result arrives, and until then phone_busy() is true (the shell holds its prompt
 * and its next input line, but keeps taking events). Everything the phone prints goes through
 * shell_notify() (shell.h).
 */
#ifndef GUEST_PHONE_H
#define GUEST_PHONE_H

#include <stdint.h>

void phone_init(void);                 /* at boot: sets the modem channel up; prints nothing */
void phone_events(uint32_t virq_bits); /* every vIRQ batch the task loop takes: reads the modem, polls */
int phone_busy(void);                  /* a shell command's result is still to come */
/* The calls in one word ("none", "ringing", "waiting", "active", "held", "dialling", "alerting"), or 0
   without a modem. */
const char *phone_call_state(void);
void phone_dial(const char *number);
void phone_answer(void);
void phone_hangup(void);
void phone_sms(const char *number, const char *text);
void phone_calls(void);

#endif
