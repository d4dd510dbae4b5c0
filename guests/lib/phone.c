/* The phone functions, without a modem for now (see phone.h). */
#include "phone.h"
#include "lib.h"

static void no_modem(void)
{
    console_puts("modem not available");
}

void phone_init(void)
{
}

void phone_events(uint32_t virq_bits)
{
    (void)virq_bits;
}

void phone_dial(const char *number)
{
    (void)number;
    no_modem();
}

void phone_answer(void)
{
    no_modem();
}

void phone_hangup(void)
{
    no_modem();
}

void phone_sms(const char *number, const char *text)
{
    (void)number;
    (void)text;
    no_modem();
}

void phone_calls(void)
{
    no_modem();
}
