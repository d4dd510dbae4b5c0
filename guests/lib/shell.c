/*
 * The phone shell shared by the work and home guests (the profile in work/ or home/ gives the apps).
 *
 * Boot: upcall entry and fault handler (each on its own 4 KiB stack), a 1 s periodic virtual timer (the
 * heartbeat), the installed apps reported to the hypervisor (POLICY_CHECK kind 3, silent), the banner
 * "handset <name> phone <number> ready", "[locked]" if management has locked the partition, the phone's
 * modem set-up (phone_init, silent), the prompt "<name>> ", VIRQ_UNMASK.
 *
 * The management policy (docs/hypercalls.md, POLICY_CHECK): `run APP` of an installed app asks first and
 * prints "app blocked by policy: APP" when refused; `sms` asks and prints "sms blocked by policy". On
 * VIRQ_POLICY the shell prints what changed since it last looked (policy_flags, policy_seq in the vCPU
 * page): "[locked]" or "[unlocked]", and "[policy updated]" after a new policy.
 *
 * Task loop: take the vIRQ bits the upcall handler recorded (events_take: WAIT when there is nothing to
 * do), count heartbeats, report foreground changes, hand the bits to the phone (phone.c reads the modem on
 * VIRQ_MODEM), read console input (CONSOLE_READ after VIRQ_CONSOLE, until it returns 0) and run at most one
 * complete line per turn. Each complete line is echoed after the prompt (the line editing itself is the
 * terminal's or the front end's).
 *
 * A phone command (dial, answer, hangup, sms, calls) ends when the modem's final result has been printed:
 * until then (phone_busy()) the shell holds the prompt and leaves further input unread, but the task loop
 * goes on taking events (heartbeats, the button, the modem). News from outside a command (shell_notify:
 * an incoming call, an SMS, the button) printed while the prompt shows starts with a newline (ending the
 * prompt's line), and the prompt follows once the batch of events is handled.
 *
 * Lines end at '\n' or '\r' ("\r\n" is one end); a line of more than LINE_MAX characters is not run:
 * "line too long" is printed when it ends. After every line the prompt is printed again (after a phone
 * command's result, below).
 *
 * A fault (crash, peek/poke of an unmapped address, or a bug) prints
 * "fault: <kind> at 0x<address> (pc 0x<pc>)" and restarts the task loop on a fresh stack (the state in
 * globals, including unread console input, is kept), printing the prompt.
 */
#include "shell.h"
#include "phone.h"

#define LINE_MAX 200
#define HEARTBEAT_US 1000000u
#define SPIN_DEFAULT_S 5u

static char name[16];
static char number[32];
static uint32_t heartbeats;
/* policy_flags and policy_seq as last shown (VIRQ_POLICY news is what changed since). */
static uint32_t policy_flags_seen, policy_seq_seen;

/* Console input not yet assembled into lines, and the line being assembled. */
static char inbuf[256];
static uint32_t in_pos, in_len;
static int console_ready;
static char line[LINE_MAX + 1];
static uint32_t line_len;
static int line_overflow, last_cr;
/* The prompt is the last thing printed; news printed over it needs the prompt again; a phone command runs. */
static int prompt_shown, reprompt, awaiting;

static uint8_t fault_stack[4096] __attribute__((aligned(8)));

static void prompt(void)
{
    gprintf("%s> ", name);
    prompt_shown = 1;
    reprompt = 0;
}

void shell_notify(const char *fmt, ...)
{
    if (prompt_shown) {
        console_write("\n", 1);
        prompt_shown = 0;
        reprompt = !awaiting;
    }
    va_list ap;
    va_start(ap, fmt);
    gvprintf(fmt, ap);
    va_end(ap);
    console_write("\n", 1);
}

/* ---- commands ---- */

struct command {
    const char *name;
    const char *args;
    const char *help;
    void (*run)(const struct command *cmd, char *args);
};

static void usage(const struct command *cmd)
{
    gprintf("usage: %s%s%s\n", cmd->name, cmd->args[0] ? " " : "", cmd->args);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* The next word of *p (NUL-terminated in place), or 0 at the end; *p moves past it. */
static char *word(char **p)
{
    char *s = *p;
    while (is_space(*s))
        s++;
    if (!*s) {
        *p = s;
        return 0;
    }
    char *start = s;
    while (*s && !is_space(*s))
        s++;
    if (*s)
        *s++ = 0;
    *p = s;
    return start;
}

/* The rest of the line after spaces (the line has no trailing spaces). */
static char *rest(char *p)
{
    while (is_space(*p))
        p++;
    return p;
}

static int no_args(const struct command *cmd, char *args)
{
    if (*rest(args)) {
        usage(cmd);
        return 0;
    }
    return 1;
}

/* One number argument: 0 on success, else prints "bad number: X" and returns -1. */
static int number_arg(const char *s, uint32_t *v)
{
    if (parse_u32(s, v) == 0)
        return 0;
    gprintf("bad number: %s\n", s);
    return -1;
}

static void print_help(void);

static void cmd_help(const struct command *cmd, char *args)
{
    if (no_args(cmd, args))
        print_help();
}

static void cmd_apps(const struct command *cmd, char *args)
{
    if (!no_args(cmd, args))
        return;
    for (unsigned i = 0; i < guest_profile.n_apps; i++)
        console_puts(guest_profile.apps[i].name);
}

static void cmd_run(const struct command *cmd, char *args)
{
    char *app = word(&args);
    if (!app || *rest(args)) {
        usage(cmd);
        return;
    }
    for (unsigned i = 0; i < guest_profile.n_apps; i++) {
        if (strcmp(app, guest_profile.apps[i].name) == 0) {
            if (hc_policy_check(POLICY_APP, app, strlen(app)) < 0)
                gprintf("app blocked by policy: %s\n", app);
            else
                guest_profile.apps[i].run();
            return;
        }
    }
    gprintf("no such app: %s\n", app);
}

static void cmd_status(const struct command *cmd, char *args)
{
    if (!no_args(cmd, args))
        return;
    uint64_t now = hc_time_get();
    uint32_t notes;
    notes_count(&notes);
    gprintf("name: %s\n", name);
    gprintf("number: %s\n", number);
    gprintf("uptime: %u s\n", (unsigned)(now / 1000000u));
    gprintf("heartbeats: %u\n", (unsigned)heartbeats);
    gprintf("foreground: %s\n", VCPU->foreground ? "yes" : "no");
    gprintf("notes: %u\n", (unsigned)notes);
    const char *call = phone_call_state();
    if (call)                /* only with a modem */
        gprintf("call: %s\n", call);
}

static void cmd_notes(const struct command *cmd, char *args)
{
    char *sub = word(&args);
    if (!sub) {
        notes_list();
    } else if (strcmp(sub, "add") == 0) {
        char *text = rest(args);
        if (!*text)
            gprintf("usage: notes add TEXT\n");
        else
            notes_add(text);
    } else if (strcmp(sub, "clear") == 0 && !*rest(args)) {
        notes_clear();
    } else {
        usage(cmd);
    }
}

static void cmd_crash(const struct command *cmd, char *args)
{
    if (!no_args(cmd, args))
        return;
    peek_word(0x40000000u);     /* outside every window: a data abort */
    console_puts("crash did not fault");
}

static void cmd_spin(const struct command *cmd, char *args)
{
    uint32_t seconds = SPIN_DEFAULT_S;
    char *arg = word(&args);
    if (*rest(args)) {
        usage(cmd);
        return;
    }
    if (arg && number_arg(arg, &seconds))
        return;
    VCPU->virq_masked = 1;
    uint64_t end = hc_time_get() + (uint64_t)seconds * 1000000u;
    /* Real work between clock reads: a hypercall per iteration would make this a hypercall benchmark. */
    while (hc_time_get() < end) {
        for (volatile uint32_t i = 0; i < 10000; i++)
            ;
    }
    hc_virq_unmask();
    console_puts("spin done");
}

static void cmd_peek(const struct command *cmd, char *args)
{
    char *arg = word(&args);
    uint32_t address;
    if (!arg || *rest(args)) {
        usage(cmd);
        return;
    }
    if (number_arg(arg, &address))
        return;
    uint32_t value = peek_word(address);
    gprintf("0x%08x: 0x%08x\n", (unsigned)address, (unsigned)value);
}

static void cmd_poke(const struct command *cmd, char *args)
{
    char *a = word(&args), *v = word(&args);
    uint32_t address, value;
    if (!a || !v || *rest(args)) {
        usage(cmd);
        return;
    }
    if (number_arg(a, &address) || number_arg(v, &value))
        return;
    poke_word(address, value);
    console_puts("ok");
}

static void cmd_dial(const struct command *cmd, char *args)
{
    char *num = word(&args);
    if (!num || *rest(args)) {
        usage(cmd);
        return;
    }
    phone_dial(num);
}

static void cmd_answer(const struct command *cmd, char *args)
{
    if (no_args(cmd, args))
        phone_answer();
}

static void cmd_hangup(const struct command *cmd, char *args)
{
    if (no_args(cmd, args))
        phone_hangup();
}

static void cmd_sms(const struct command *cmd, char *args)
{
    char *num = word(&args);
    char *text = rest(args);
    if (!num || !*text) {
        usage(cmd);
        return;
    }
    if (hc_policy_check(POLICY_SMS, 0, 0) < 0) {
        console_puts("sms blocked by policy");
        return;
    }
    phone_sms(num, text);
}

static void cmd_calls(const struct command *cmd, char *args)
{
    if (no_args(cmd, args))
        phone_calls();
}

static void cmd_reboot(const struct command *cmd, char *args)
{
    if (no_args(cmd, args)) {
        console_puts("rebooting");
        hc_reboot();
    }
}

static void cmd_exit(const struct command *cmd, char *args)
{
    uint32_t code = 0;
    char *arg = word(&args);
    if (*rest(args)) {
        usage(cmd);
        return;
    }
    if (arg && number_arg(arg, &code))
        return;
    hc_exit(code);
}

static const struct command commands[] = {
    { "help", "", "list the commands", cmd_help },
    { "apps", "", "list the apps", cmd_apps },
    { "run", "APP", "run an app", cmd_run },
    { "status", "", "name, number, uptime, heartbeats, foreground, notes, call", cmd_status },
    { "notes", "[add TEXT|clear]", "list, add to or clear the notes", cmd_notes },
    { "crash", "", "make a deliberate fault", cmd_crash },
    { "spin", "[SECONDS]", "busy loop with vIRQs masked (default 5)", cmd_spin },
    { "peek", "ADDR", "read the word at ADDR", cmd_peek },
    { "poke", "ADDR VAL", "write VAL to the word at ADDR", cmd_poke },
    { "dial", "NUMBER", "call NUMBER", cmd_dial },
    { "answer", "", "answer the incoming call", cmd_answer },
    { "hangup", "", "end the call", cmd_hangup },
    { "sms", "NUMBER TEXT", "send a text message", cmd_sms },
    { "calls", "", "list the calls", cmd_calls },
    { "reboot", "", "restart this phone", cmd_reboot },
    { "exit", "[CODE]", "stop this phone", cmd_exit },
};
static const unsigned n_commands = ARRAY_SIZE(commands);

static void print_help(void)
{
    for (unsigned i = 0; i < n_commands; i++) {
        char left[24];
        gsnprintf(left, sizeof left, "%s%s%s", commands[i].name, commands[i].args[0] ? " " : "", commands[i].args);
        gprintf("%-22s %s\n", left, commands[i].help);
    }
}

static void run_line(char *s)
{
    size_t n = strlen(s);
    while (n && is_space(s[n - 1]))
        s[--n] = 0;
    char *name_ = word(&s);
    if (!name_)
        return;
    for (unsigned i = 0; i < n_commands; i++) {
        if (strcmp(name_, commands[i].name) == 0) {
            commands[i].run(&commands[i], s);
            return;
        }
    }
    gprintf("unknown command: %s (try help)\n", name_);
}

/* ---- input ---- */

static int input_pending(void)
{
    return !awaiting && (in_pos < in_len || console_ready);
}

/* A complete line: reset the assembly first (a command may fault and restart the loop), then run it. */
static void line_done(void)
{
    int overflow = line_overflow;
    line[line_len] = 0;
    line_len = 0;
    line_overflow = 0;
    prompt_shown = 0;
    /* The line as received, after the prompt, as a serial console would show it: the screen (and a log
       of the run) shows what was typed where it was typed, and each answer on lines of its own. */
    if (overflow) {
        console_puts("");
        console_puts("line too long");
    } else {
        console_puts(line);
        run_line(line);
    }
    if (phone_busy())
        awaiting = 1;        /* the prompt comes with the phone command's result */
    else
        prompt();
}

/* Consumes console input up to and including the end of one line (running it), or until none is left. */
static void shell_input(void)
{
    for (;;) {
        if (in_pos == in_len) {
            if (!console_ready)
                return;
            int32_t n = hc_console_read(inbuf, sizeof inbuf);
            if (n <= 0) {
                console_ready = 0;
                in_pos = in_len = 0;
                return;
            }
            in_pos = 0;
            in_len = (uint32_t)n > sizeof inbuf ? sizeof inbuf : (uint32_t)n;
        }
        char c = inbuf[in_pos++];
        if (c == '\n' && last_cr) {
            last_cr = 0;
            continue;
        }
        last_cr = c == '\r';
        if (c == '\r' || c == '\n') {
            line_done();
            return;
        }
        if (line_len < LINE_MAX)
            line[line_len++] = c;
        else
            line_overflow = 1;
    }
}

/* ---- the management policy ---- */

/* Tells the hypervisor the installed apps (POLICY_CHECK kind 3: the names, one per line). */
static void report_apps(void)
{
    static char list[HC_CONSOLE_CHUNK];
    size_t len = 0;
    for (unsigned i = 0; i < guest_profile.n_apps; i++) {
        size_t n = strlen(guest_profile.apps[i].name);
        if (len + (len != 0) + n > sizeof list)
            break;
        if (len)
            list[len++] = '\n';
        memcpy(list + len, guest_profile.apps[i].name, n);
        len += n;
    }
    int32_t r = hc_policy_check(POLICY_APPS, list, len);
    if (r < 0)
        gprintf("boot: POLICY_CHECK error %d\n", (int)r);
}

/* VIRQ_POLICY: what changed since it was last shown. */
static void policy_news(void)
{
    uint32_t flags = VCPU->policy_flags, seq = VCPU->policy_seq;
    if ((flags ^ policy_flags_seen) & POLICY_LOCKED)
        shell_notify("[%s]", flags & POLICY_LOCKED ? "locked" : "unlocked");
    if (seq != policy_seq_seen)
        shell_notify("[policy updated]");
    policy_flags_seen = flags;
    policy_seq_seen = seq;
}

/* ---- task loop ---- */

static void handle_events(uint32_t ev)
{
    if (ev & VIRQ_TIMER)
        heartbeats++;
    if (ev & VIRQ_CONSOLE)
        console_ready = 1;
    if (ev & VIRQ_FOREGROUND)
        shell_notify("[%s]", VCPU->foreground ? "foreground" : "background");
    if (ev & VIRQ_POLICY)
        policy_news();
    phone_events(ev);
    if (awaiting && !phone_busy()) {
        awaiting = 0;
        prompt();
    } else if (reprompt) {
        prompt();
    }
}

static __attribute__((noreturn)) void task_loop(void)
{
    for (;;) {
        handle_events(events_take(!input_pending()));
        if (!awaiting)
            shell_input();
    }
}

/* Where a fault resumes (guest_fault): a fresh stack at the top of RAM, the prompt, the task loop. */
static __attribute__((noreturn)) void shell_restart(void)
{
    prompt();
    task_loop();
}

void guest_fault(uint32_t kind, uint32_t address, uint32_t pc)
{
    gprintf("fault: %s at 0x%08x (pc 0x%08x)\n", fault_kind_name(kind), (unsigned)address, (unsigned)pc);
    struct vcpu_ctx *ctx = &VCPU->fault_ctx;
    for (unsigned i = 0; i < ARRAY_SIZE(ctx->r); i++)
        ctx->r[i] = 0;
    ctx->sp = guest_ram_size;
    ctx->lr = 0;
    ctx->pc = (uint32_t)shell_restart;
    ctx->cpsr = CPSR_MODE_USR;
}

int guest_main(const struct vcpu *vcpu)
{
    strlcpy(name, vcpu->name, sizeof name);
    strlcpy(number, vcpu->number, sizeof number);
    console_ready = 1;   /* input may have arrived before the upcall entry was registered */

    int32_t r = events_init();
    if (r < 0)
        gprintf("boot: VIRQ_SET_ENTRY error %d\n", (int)r);
    r = hc_fault_set_handler(fault_entry, fault_stack + sizeof fault_stack);
    if (r < 0)
        gprintf("boot: FAULT_SET_HANDLER error %d\n", (int)r);
    r = hc_timer_set(HEARTBEAT_US, 1);
    if (r < 0)
        gprintf("boot: TIMER_SET error %d\n", (int)r);

    report_apps();
    policy_flags_seen = VCPU->policy_flags;
    policy_seq_seen = VCPU->policy_seq;

    gprintf("handset %s phone %s ready\n", name, number);
    if (policy_flags_seen & POLICY_LOCKED)
        console_puts("[locked]");
    phone_init();
    prompt();
    hc_virq_unmask();
    task_loop();
}
