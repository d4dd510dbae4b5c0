/* The phone shell common to the work and home guests; each guest only supplies its profile. */
#ifndef GUEST_SHELL_H
#define GUEST_SHELL_H

#include "lib.h"

struct app {
    const char *name;
    void (*run)(void);
};

struct profile {
    const struct app *apps;
    unsigned n_apps;
};

/* Defined by each guest (work/profile.c, home/profile.c). */
extern const struct profile guest_profile;

/* mem.S */
uint32_t peek_word(uint32_t address);
void poke_word(uint32_t address, uint32_t value);

/* notes.c: the persistent notes in the partition's store (format described there). */
int32_t notes_count(uint32_t *count);   /* 0, or a negative hypercall error */
void notes_list(void);
void notes_add(const char *text);
void notes_clear(void);

/* shell.c: a line of output from outside a command (the phone's results and news, the button): when the
   prompt is showing, a newline ends its line first and the prompt comes again after the batch of events. */
void shell_notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
