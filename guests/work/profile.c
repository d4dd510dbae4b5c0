/* The work phone's profile: a customer list and a mail inbox. */
#include "../lib/shell.h"

struct customer {
    uint32_t id;
    const char *name;
    const char *city;
    uint32_t balance_cents;
};

static const struct customer customers[] = {
    { 1001, "Acme Industries", "Berlin", 1250000 },
    { 1002, "Borealis Shipping", "Oslo", 87550 },
    { 1003, "Cobalt Analytics", "Lyon", 4320099 },
    { 1004, "Delta Foods", "Porto", 0 },
    { 1005, "Elm Street Dental", "Leeds", 15999 },
};

static void app_customers(void)
{
    uint32_t total = 0, sum = 0;
    gprintf("customers: %u\n", (unsigned)ARRAY_SIZE(customers));
    for (unsigned i = 0; i < ARRAY_SIZE(customers); i++) {
        const struct customer *c = &customers[i];
        gprintf("%u %s (%s) %u.%02u\n", (unsigned)c->id, c->name, c->city, (unsigned)(c->balance_cents / 100),
                (unsigned)(c->balance_cents % 100));
        total += c->balance_cents;
        sum = crc32_u32(sum, c->id);
        sum = crc32_str(sum, c->name);
        sum = crc32_str(sum, c->city);
        sum = crc32_u32(sum, c->balance_cents);
    }
    gprintf("total balance: %u.%02u\n", (unsigned)(total / 100), (unsigned)(total % 100));
    gprintf("checksum: 0x%08x\n", (unsigned)sum);
}

struct message {
    const char *from;
    const char *subject;
    const char *body;
    int unread;
};

static const struct message inbox[] = {
    { "alice@example.com", "Quarterly report",
      "The numbers for the third quarter are in the shared folder. Please review them before Monday.", 1 },
    { "bob@example.com", "Lunch on Friday?", "Shall we try the new place on the corner at noon?", 0 },
    { "it@example.com", "Password expiry",
      "Your password expires in 5 days. Change it from the settings page of the intranet portal.", 1 },
};

static unsigned count_words(const char *s)
{
    unsigned words = 0;
    int in_word = 0;
    for (; *s; s++) {
        int letter = *s != ' ';
        if (letter && !in_word)
            words++;
        in_word = letter;
    }
    return words;
}

static void app_mail(void)
{
    unsigned unread = 0;
    uint32_t sum = 0;
    for (unsigned i = 0; i < ARRAY_SIZE(inbox); i++)
        unread += inbox[i].unread != 0;
    gprintf("inbox: %u messages, %u unread\n", (unsigned)ARRAY_SIZE(inbox), unread);
    for (unsigned i = 0; i < ARRAY_SIZE(inbox); i++) {
        const struct message *m = &inbox[i];
        gprintf("%u %c %s: %s (%u words)\n", i + 1, m->unread ? '*' : ' ', m->from, m->subject, count_words(m->body));
        sum = crc32_str(sum, m->from);
        sum = crc32_str(sum, m->subject);
        sum = crc32_str(sum, m->body);
        sum = crc32_u32(sum, (uint32_t)m->unread);
    }
    gprintf("checksum: 0x%08x\n", (unsigned)sum);
}

static const struct app apps[] = {
    { "customers", app_customers },
    { "mail", app_mail },
};

const struct profile guest_profile = { apps, ARRAY_SIZE(apps) };
