/*
 * The phone: an AT client on the partition's virtual modem channel (docs/hypercalls.md "The virtual
 * modem", the AT commands of docs/modem.md). See phone.h for the interface and guests/README.md for what
 * each command prints.
 *
 * Boot (phone_init, after the banner and before the prompt, printing nothing): MODEM_READ tells whether there is a modem
 * (ENOSYS: none, and every phone command prints "modem not available") and drains what a previous boot
 * left unread. Then the set-up commands go out, one at a time like every command: AT+CNUM first (its
 * "+CNUM:" line marks where this boot's answers start: a final result before it is a late answer to a
 * command of a previous boot and is ignored), then ATE0, AT+CMEE=1, AT+CLIP=1, AT+CRC=1, AT+CCWA=1 (a call
 * to this line while the other line has a call comes as +CCWA: it must be announced too), AT+CMGF=1,
 * AT+CNMI=2,1, and an AT+CLCC for calls that outlived a reboot of this phone.
 *
 * Reading: the task loop calls phone_events with every vIRQ batch; on VIRQ_MODEM it calls MODEM_READ until
 * it returns 0 and feeds the bytes to the line assembler. Lines end at CR or LF (empty lines are skipped);
 * the SMS prompt "> " (no line end) is recognised while an AT+CMGS waits for it.
 *
 * Commands: a queue (QUEUE_MAX), one command on the channel at a time. A line while a command is in flight
 * is its final result (OK, CONNECT, ERROR, +CME ERROR: n, +CMS ERROR: n, NO DIALTONE; for ATD and ATA also
 * NO CARRIER, BUSY, NO ANSWER), one of its information lines (+CLCC, +CMGR and the text after it), or else
 * an unsolicited result. The shell's commands (dial, answer, hangup, sms, calls) are queued behind the
 * phone's own (set-up, +CLCC polls, reading and deleting SMS); phone_busy() is true until a shell
 * command's final result has been printed. A command without a final result within COMMAND_TIMEOUT_US
 * (checked on each heartbeat) is given up ("modem not answering" for a shell command).
 *
 * Calls: the phone keeps a table of its calls as the last AT+CLCC listed them, updated at once by what the
 * unsolicited results say (a new ringing call, a call ended) and by its own commands' results (ATD, ATA,
 * ATH), then re-read with AT+CLCC. The far end answering an outgoing call sends no unsolicited result
 * through the virtual modem, so while an outgoing call is dialling or alerting AT+CLCC is polled on every
 * heartbeat (1 s): "call connected" when it turns active. The ringtone (AUDIO) plays exactly while the
 * table holds an incoming or waiting call.
 *
 * SMS: "+CMTI: <mem>,<index>" queues AT+CMGR=<index>; its "+CMGR:" line gives the sender, the line after it
 * is the text, whatever it looks like; once "sms from NUMBER: TEXT" is printed, AT+CMGD=<index> deletes it
 * (a message that could not be read stays in the modem's store). Sending: AT+CMGS="<number>", and at the
 * "> " prompt the text (printable ASCII; anything else is sent as '?') and Ctrl-Z.
 */
#include "phone.h"
#include "shell.h"

#define QUEUE_MAX 16
#define CALLS_MAX 8
#define NUMBER_MAX 24          /* '+', 20 digits, NUL, spare */
#define MODEM_LINE_MAX 255
#define SMS_OUT_MAX 200        /* the shell's longest line */
#define SMS_IN_MAX 161         /* an SMS text (160) and its NUL */
#define COMMAND_TIMEOUT_US 5000000u

enum kind {
    K_SETUP,
    K_DIAL,
    K_ANSWER,
    K_HANGUP,
    K_SMS,
    K_CALLS,
    K_POLL,
    K_READ_SMS,
    K_DELETE_SMS,
};

struct command {
    uint32_t kind;
    uint32_t index;            /* K_SETUP: into setup[]; K_READ_SMS, K_DELETE_SMS: the store index */
    char number[NUMBER_MAX];   /* K_DIAL, K_SMS */
};

/* The set-up commands, in order; the first is the sync marker (its answer line starts with SYNC_LINE). */
static const char *const setup[] = { "AT+CNUM", "ATE0", "AT+CMEE=1", "AT+CLIP=1", "AT+CRC=1", "AT+CCWA=1",
                                     "AT+CMGF=1", "AT+CNMI=2,1" };
#define SYNC_LINE "+CNUM:"

/* +CLCC <stat>: 0 active, 1 held, 2 dialling, 3 alerting, 4 incoming, 5 waiting. */
#define STAT_ACTIVE   0
#define STAT_HELD     1
#define STAT_DIALLING 2
#define STAT_ALERTING 3
#define STAT_INCOMING 4
#define STAT_WAITING  5
static const char *const stat_names[] = { "active", "held", "dialling", "alerting", "ringing", "waiting" };

/* A call: its +CLCC id (0 until AT+CLCC has listed it), direction (0 outgoing, 1 incoming), stat, number. */
struct call {
    uint32_t id;
    uint32_t dir;
    uint32_t stat;
    char number[NUMBER_MAX];
};

static int modem_ok;

static struct command queue[QUEUE_MAX];
static uint32_t q_head, q_len;
static uint32_t user_pending;          /* shell commands queued or in flight */

static struct command cur;             /* the command in flight */
static int in_flight;
static uint64_t cur_started;
static int synced;                     /* the sync marker's line was seen */
static int prompted;                   /* K_SMS: the "> " prompt came and the text went out */
static int expect_text;                /* K_READ_SMS: the next line is the message text */
static int got_sms;
static char sms_from[NUMBER_MAX];
static char sms_in[SMS_IN_MAX];
static char sms_out[SMS_OUT_MAX + 1];  /* the text of the shell's sms command */

static struct call calls[CALLS_MAX];
static uint32_t n_calls;
static struct call fresh[CALLS_MAX];   /* the +CLCC lines of the AT+CLCC in flight */
static uint32_t n_fresh;
static int announce_pending;           /* RING came; its +CLIP names the caller */
static int ringing;                    /* AUDIO(1) is on */

static char mline[MODEM_LINE_MAX + 1];
static uint32_t mlen;
static int moverflow;

/* ---- small helpers ---- */

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int equal(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

/* Digits from *p (moved past them); 0 with none. */
static uint32_t digits(const char **p)
{
    uint32_t v = 0;
    while (**p >= '0' && **p <= '9') {
        v = v * 10 + (uint32_t)(**p - '0');
        (*p)++;
    }
    return v;
}

/* The k-th (from 0) quoted string of s into out (cut to size); 0 if there is none. */
static int quoted(const char *s, unsigned k, char *out, size_t size)
{
    for (;;) {
        while (*s && *s != '"')
            s++;
        if (!*s)
            return 0;
        const char *start = ++s;
        while (*s && *s != '"')
            s++;
        if (!*s)
            return 0;
        if (k-- == 0) {
            size_t n = (size_t)(s - start);
            if (n >= size)
                n = size - 1;
            memcpy(out, start, n);
            out[n] = 0;
            return 1;
        }
        s++;
    }
}

/* A phone number the modem takes: an optional '+' and 1 to 20 digits, '*' or '#'. */
static int valid_number(const char *s)
{
    if (*s == '+')
        s++;
    size_t n = 0;
    for (; *s; s++, n++)
        if (!((*s >= '0' && *s <= '9') || *s == '*' || *s == '#'))
            return 0;
    return n >= 1 && n <= 20;
}

/* What a failed final result means to the user: "modem error N" (+CME / +CMS ERROR: N), "modem error"... */
static void describe_error(const char *final, char *out, size_t size)
{
    const char *code = 0;
    if (starts(final, "+CME ERROR:") || starts(final, "+CMS ERROR:")) {
        code = final + 11;
        while (*code == ' ')
            code++;
    }
    if (code)
        gsnprintf(out, size, "modem error %s", code);
    else if (equal(final, "ERROR"))
        strlcpy(out, "modem error", size);
    else if (equal(final, "NO CARRIER"))
        strlcpy(out, "no carrier", size);
    else if (equal(final, "BUSY"))
        strlcpy(out, "busy", size);
    else if (equal(final, "NO ANSWER"))
        strlcpy(out, "no answer", size);
    else if (equal(final, "NO DIALTONE"))
        strlcpy(out, "no dialtone", size);
    else
        gsnprintf(out, size, "modem error (%s)", final);
}

static void notify_error(const char *final)
{
    char text[48];
    describe_error(final, text, sizeof text);
    shell_notify("%s", text);
}

static int is_user(uint32_t kind)
{
    return kind >= K_DIAL && kind <= K_CALLS;
}

/* ---- the channel ---- */

static int modem_send(const char *s, size_t n)
{
    while (n) {
        int32_t r = hc_modem_write(s, n > HC_MODEM_WRITE_CHUNK ? HC_MODEM_WRITE_CHUNK : (uint32_t)n);
        if (r < 0)
            return r;
        if (r == 0)          /* not in the ABI: never spin on it */
            return HC_EINVAL;
        s += r;
        n -= (size_t)r;
    }
    return 0;
}

static int enqueue(uint32_t kind, uint32_t index, const char *number)
{
    if (q_len == QUEUE_MAX)
        return -1;
    struct command *c = &queue[(q_head + q_len) % QUEUE_MAX];
    c->kind = kind;
    c->index = index;
    strlcpy(c->number, number ? number : "", sizeof c->number);
    q_len++;
    if (is_user(kind))
        user_pending++;
    return 0;
}

/* An AT+CLCC to re-read the calls, unless one is queued or in flight already. */
static void queue_poll(void)
{
    if (in_flight && (cur.kind == K_POLL || cur.kind == K_CALLS))
        return;
    for (uint32_t i = 0; i < q_len; i++) {
        uint32_t k = queue[(q_head + i) % QUEUE_MAX].kind;
        if (k == K_POLL || k == K_CALLS)
            return;
    }
    enqueue(K_POLL, 0, 0);
}

static void complete(const char *final);

/* Sends queued commands while the channel is free. */
static void start_next(void)
{
    while (!in_flight && q_len) {
        cur = queue[q_head];
        q_head = (q_head + 1) % QUEUE_MAX;
        q_len--;
        char text[64];
        switch (cur.kind) {
        case K_SETUP:
            gsnprintf(text, sizeof text, "%s\r", setup[cur.index]);
            break;
        case K_DIAL:
            gsnprintf(text, sizeof text, "ATD%s;\r", cur.number);
            break;
        case K_ANSWER:
            strlcpy(text, "ATA\r", sizeof text);
            break;
        case K_HANGUP:
            strlcpy(text, "ATH\r", sizeof text);
            break;
        case K_SMS:
            gsnprintf(text, sizeof text, "AT+CMGS=\"%s\"\r", cur.number);
            break;
        case K_CALLS:
        case K_POLL:
            strlcpy(text, "AT+CLCC\r", sizeof text);
            break;
        case K_READ_SMS:
            gsnprintf(text, sizeof text, "AT+CMGR=%u\r", (unsigned)cur.index);
            break;
        default:
            gsnprintf(text, sizeof text, "AT+CMGD=%u\r", (unsigned)cur.index);
            break;
        }
        in_flight = 1;
        cur_started = hc_time_get();
        prompted = expect_text = got_sms = 0;
        n_fresh = 0;
        if (modem_send(text, strlen(text)) < 0)
            complete("ERROR");
    }
}

/* ---- calls ---- */

static int has_ringing_call(void)
{
    for (uint32_t i = 0; i < n_calls; i++)
        if (calls[i].stat == STAT_INCOMING || calls[i].stat == STAT_WAITING)
            return 1;
    return 0;
}

/* The ringtone plays exactly while there is an incoming or waiting call. */
static void update_audio(void)
{
    int want = has_ringing_call();
    if (want != ringing) {
        hc_audio(want ? AUDIO_PLAY : AUDIO_STOP);
        ringing = want;
    }
}

static struct call *add_call(uint32_t dir, uint32_t stat, const char *number)
{
    if (n_calls == CALLS_MAX)
        return 0;
    struct call *c = &calls[n_calls++];
    c->id = 0;
    c->dir = dir;
    c->stat = stat;
    strlcpy(c->number, number ? number : "", sizeof c->number);
    return c;
}

static void announce(const char *number)
{
    announce_pending = 0;
    for (uint32_t i = 0; i < n_calls; i++)
        if (calls[i].id == 0 && calls[i].dir == 1)
            strlcpy(calls[i].number, number, sizeof calls[i].number);
    shell_notify("incoming call from %s", number[0] ? number : "unknown");
}

/* RING / +CRING (stat incoming; the number follows in +CLIP) or +CCWA (stat waiting, with the number). */
static void incoming(uint32_t stat, const char *number)
{
    if (has_ringing_call())
        return;              /* the call that rings already: the modem refuses a second one */
    add_call(1, stat, number);
    if (number)
        announce(number);
    else
        announce_pending = 1;
    update_audio();
    queue_poll();
}

/* NO CARRIER, BUSY or NO ANSWER: a call ended (which one, AT+CLCC tells when there were several). */
static void call_gone(const char *message)
{
    if (n_calls == 0)
        return;              /* no call of ours: a late answer to something already over */
    shell_notify("%s", message);
    if (n_calls == 1)
        n_calls = 0;
    update_audio();
    queue_poll();
}

static int dialling(void)
{
    for (uint32_t i = 0; i < n_calls; i++)
        if (calls[i].dir == 0 && (calls[i].stat == STAT_DIALLING || calls[i].stat == STAT_ALERTING))
            return 1;
    return 0;
}

/* A +CLCC line: <id>,<dir>,<stat>,<mode>,<mpty>,"<number>",<type>. */
static void clcc_line(const char *s)
{
    if (n_fresh == CALLS_MAX)
        return;
    struct call *c = &fresh[n_fresh];
    c->id = digits(&s);
    if (*s++ != ',')
        return;
    c->dir = digits(&s);
    if (*s++ != ',')
        return;
    c->stat = digits(&s);
    if (c->dir > 1 || c->stat >= ARRAY_SIZE(stat_names))
        return;
    if (!quoted(s, 0, c->number, sizeof c->number))
        c->number[0] = 0;
    n_fresh++;
}

/* Whether the table has a call the modem has not numbered yet (from ATD's OK, or RING / +CCWA). */
static int unnumbered(uint32_t dir)
{
    for (uint32_t j = 0; j < n_calls; j++)
        if (calls[j].id == 0 && calls[j].dir == dir)
            return 1;
    return 0;
}

/* The AT+CLCC answer replaces the table. An outgoing call that was being set up and is now active has
   connected; a ringing call the phone did not know of (it rang before a reboot) is announced. */
static void calls_listed(int print)
{
    for (uint32_t i = 0; i < n_fresh; i++) {
        const struct call *f = &fresh[i];
        if (f->dir == 1 && (f->stat == STAT_INCOMING || f->stat == STAT_WAITING)) {
            int known = unnumbered(1);
            for (uint32_t j = 0; j < n_calls; j++)
                known |= calls[j].id == f->id;
            if (!known)
                shell_notify("incoming call from %s", f->number[0] ? f->number : "unknown");
            continue;
        }
        if (f->dir != 0 || f->stat != STAT_ACTIVE)
            continue;
        int was_setting_up = 0, known = 0;
        for (uint32_t j = 0; j < n_calls; j++) {
            if (calls[j].id == f->id) {
                known = 1;
                was_setting_up = calls[j].stat == STAT_DIALLING || calls[j].stat == STAT_ALERTING;
            }
        }
        if (!known)
            was_setting_up = unnumbered(0);
        if (was_setting_up)
            shell_notify("call connected");
    }
    memcpy(calls, fresh, n_fresh * sizeof fresh[0]);
    n_calls = n_fresh;
    update_audio();
    if (!print)
        return;
    if (n_calls == 0)
        shell_notify("no calls");
    for (uint32_t i = 0; i < n_calls; i++) {
        const struct call *c = &calls[i];
        shell_notify("call %u: %s %s (%s)", (unsigned)c->id, c->dir ? "incoming from" : "outgoing to",
                     c->number[0] ? c->number : "unknown", stat_names[c->stat]);
    }
}

/* ---- results ---- */

static int is_final(const char *line)
{
    if (equal(line, "OK") || equal(line, "ERROR") || equal(line, "CONNECT") || equal(line, "NO DIALTONE") ||
        starts(line, "+CME ERROR:") || starts(line, "+CMS ERROR:"))
        return 1;
    /* Otherwise unsolicited (a call that ended), except as the answer to a dial or an answer. */
    if (cur.kind == K_DIAL || cur.kind == K_ANSWER)
        return equal(line, "NO CARRIER") || equal(line, "BUSY") || equal(line, "NO ANSWER");
    return 0;
}

/* The final result of the command in flight. */
static void complete(const char *final)
{
    int ok = equal(final, "OK") || equal(final, "CONNECT");
    in_flight = 0;
    if (is_user(cur.kind))
        user_pending--;
    switch (cur.kind) {
    case K_DIAL:
        if (ok) {
            add_call(0, STAT_DIALLING, cur.number);
            shell_notify("calling %s", cur.number);
            queue_poll();
        } else {
            notify_error(final);
        }
        break;
    case K_ANSWER:
        if (ok) {
            for (uint32_t i = 0; i < n_calls; i++) {
                if (calls[i].stat == STAT_INCOMING || calls[i].stat == STAT_WAITING) {
                    calls[i].stat = STAT_ACTIVE;
                    break;
                }
            }
            update_audio();
            shell_notify("call connected");
            queue_poll();
        } else if (starts(final, "+CME ERROR:") || starts(final, "+CMS ERROR:")) {
            char text[48];
            describe_error(final, text, sizeof text);
            shell_notify("no call to answer (%s)", text);
        } else {
            shell_notify("no call to answer");
        }
        break;
    case K_HANGUP:
        if (ok) {
            int had = n_calls > 0;
            n_calls = 0;
            announce_pending = 0;
            update_audio();
            shell_notify(had ? "call ended" : "no call");
        } else {
            notify_error(final);
        }
        break;
    case K_SMS:
        if (ok)
            shell_notify("sms sent");
        else
            notify_error(final);
        break;
    case K_CALLS:
    case K_POLL:
        if (ok)
            calls_listed(cur.kind == K_CALLS);
        else if (cur.kind == K_CALLS)
            notify_error(final);
        break;
    case K_READ_SMS:
        if (ok && got_sms) {
            shell_notify("sms from %s: %s", sms_from[0] ? sms_from : "unknown", sms_in);
            enqueue(K_DELETE_SMS, cur.index, 0);   /* only a message that was shown */
        }
        break;
    default:                 /* set-up, deleting a read SMS: nothing to say */
        break;
    }
}

static void unsolicited(const char *line)
{
    char number[NUMBER_MAX];
    if (equal(line, "RING") || starts(line, "+CRING:")) {
        incoming(STAT_INCOMING, 0);
    } else if (starts(line, "+CLIP:")) {
        if (announce_pending)
            announce(quoted(line, 0, number, sizeof number) ? number : "");
    } else if (starts(line, "+CCWA:")) {
        incoming(STAT_WAITING, quoted(line, 0, number, sizeof number) ? number : "");
    } else if (equal(line, "NO CARRIER")) {
        call_gone("call ended");
    } else if (equal(line, "BUSY")) {
        call_gone("busy");
    } else if (equal(line, "NO ANSWER")) {
        call_gone("no answer");
    } else if (starts(line, "+CMTI:")) {
        const char *p = line;
        while (*p && *p != ',')
            p++;
        if (*p == ',') {
            p++;
            enqueue(K_READ_SMS, digits(&p), 0);
        }
    }
    /* +CREG, +CDIP, an echoed command line, a final result nobody waits for: nothing to do. */
}

static void modem_line(const char *line)
{
    if (announce_pending && !starts(line, "+CLIP:"))
        announce("");        /* RING without +CLIP: the caller is not known */
    if (in_flight) {
        if (cur.kind == K_READ_SMS && expect_text) {
            strlcpy(sms_in, line, sizeof sms_in);   /* whatever it says: it is the message */
            expect_text = 0;
            got_sms = 1;
            return;
        }
        if (cur.kind == K_SETUP && cur.index == 0 && starts(line, SYNC_LINE)) {
            synced = 1;
            return;
        }
        if (is_final(line)) {
            if (synced)
                complete(line);
            return;          /* before the sync line: an answer meant for a previous boot */
        }
        if ((cur.kind == K_CALLS || cur.kind == K_POLL) && starts(line, "+CLCC:")) {
            const char *p = line + 6;
            while (*p == ' ')
                p++;
            clcc_line(p);
            return;
        }
        if (cur.kind == K_READ_SMS && starts(line, "+CMGR:")) {
            if (!quoted(line, 1, sms_from, sizeof sms_from))
                sms_from[0] = 0;
            expect_text = 1;
            return;
        }
    }
    unsolicited(line);
}

/* The SMS prompt: the text, then Ctrl-Z. */
static void sms_prompt(void)
{
    prompted = 1;
    if (modem_send(sms_out, strlen(sms_out)) < 0 || modem_send("\x1a", 1) < 0)
        return;              /* the final result (or the timeout) ends the command */
}

static void modem_byte(char c)
{
    if (c == '\r' || c == '\n') {
        if (mlen && !moverflow) {
            mline[mlen] = 0;
            modem_line(mline);
        }
        mlen = 0;
        moverflow = 0;
        return;
    }
    if (mlen == MODEM_LINE_MAX) {
        moverflow = 1;       /* no line of the modem is this long: drop it */
        return;
    }
    mline[mlen++] = c;
    if (mlen == 2 && mline[0] == '>' && mline[1] == ' ' && in_flight && cur.kind == K_SMS && !prompted) {
        mlen = 0;
        sms_prompt();
    }
}

static void read_modem(void)
{
    char buf[256];
    for (;;) {
        int32_t n = hc_modem_read(buf, sizeof buf);
        if (n <= 0)
            return;
        for (int32_t i = 0; i < n; i++) {
            modem_byte(buf[i]);
            start_next();
        }
    }
}

/* ---- the interface ---- */

void phone_init(void)
{
    char buf[256];
    int32_t n = hc_modem_read(buf, sizeof buf);
    if (n < 0)
        return;              /* no modem */
    modem_ok = 1;
    while (n > 0)            /* what a previous boot left unread */
        n = hc_modem_read(buf, sizeof buf);
    for (uint32_t i = 0; i < ARRAY_SIZE(setup); i++)
        enqueue(K_SETUP, i, 0);
    enqueue(K_POLL, 0, 0);   /* calls that outlived a reboot */
    start_next();
}

void phone_events(uint32_t virq_bits)
{
    if (!modem_ok)
        return;
    if (virq_bits & VIRQ_MODEM)
        read_modem();
    if (virq_bits & VIRQ_TIMER) {
        if (in_flight && hc_time_get() - cur_started >= COMMAND_TIMEOUT_US) {
            in_flight = 0;
            if (is_user(cur.kind)) {
                user_pending--;
                shell_notify("modem not answering");
            }
        }
        if (dialling())
            queue_poll();
    }
    start_next();
}

int phone_busy(void)
{
    return user_pending != 0;
}

const char *phone_call_state(void)
{
    if (!modem_ok)
        return 0;
    /* The call that matters most: one ringing, then one in progress, then one being set up. */
    static const uint32_t order[] = { STAT_INCOMING, STAT_WAITING, STAT_ACTIVE, STAT_HELD, STAT_ALERTING,
                                      STAT_DIALLING };
    for (uint32_t k = 0; k < ARRAY_SIZE(order); k++)
        for (uint32_t i = 0; i < n_calls; i++)
            if (calls[i].stat == order[k])
                return stat_names[order[k]];
    return "none";
}

/* Queues a shell command (printing why not, if it cannot go) and starts it if the channel is free. */
static void user_command(uint32_t kind, const char *number)
{
    if (!modem_ok) {
        shell_notify("modem not available");
        return;
    }
    if (number && !valid_number(number)) {
        shell_notify("bad phone number: %s", number);
        return;
    }
    if (enqueue(kind, 0, number) != 0) {
        shell_notify("modem busy");
        return;
    }
    start_next();
}

void phone_dial(const char *number)
{
    user_command(K_DIAL, number);
}

void phone_answer(void)
{
    user_command(K_ANSWER, 0);
}

void phone_hangup(void)
{
    user_command(K_HANGUP, 0);
}

void phone_sms(const char *number, const char *text)
{
    /* Printable ASCII only: Ctrl-Z would send early, ESC abort. */
    size_t n = 0;
    for (; text[n] && n < SMS_OUT_MAX; n++)
        sms_out[n] = text[n] >= 0x20 && text[n] <= 0x7e ? text[n] : '?';
    sms_out[n] = 0;
    user_command(K_SMS, number);
}

void phone_calls(void)
{
    user_command(K_CALLS, 0);
}
