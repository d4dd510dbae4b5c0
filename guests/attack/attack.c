/*
 * The attack guest: tries to break out of its partition, for the hypervisor's isolation tests.
 *
 * Prints "handset attack ready", then one line per attempt:
 *   attack <label>: faulted <kind>       the attempt faulted (the fault handler skipped it)
 *   attack <label>: error <code>         a hypercall refused it (negative result)
 *   attack <label>: ignored <detail>     it ran without a fault and without effect (MSR of the mode in USR)
 *   attack <label>: ALLOWED <detail>     isolation broke
 * then "attack done <n> allowed" (n = ALLOWED lines), and idles in a WAIT loop forever (draining console
 * input) so that tests can check the other partition runs on.
 *
 * The fault handler counts faults and records the last kind; it resumes at fault_resume when set (the
 * branch probes), else after the faulting instruction (4 bytes, 2 in Thumb).
 */
#include "lib.h"

/* probes.S */
uint32_t probe_read(uint32_t address);
void probe_write(uint32_t address, uint32_t value);
void probe_exec_bx(uint32_t target);
void probe_exec_blx(uint32_t target);
void probe_mcr_ttbr0(uint32_t value);
uint32_t probe_mrc_sctlr(void);
uint32_t probe_msr_svc(void);
int32_t probe_svc_123456(void);
int32_t probe_svc_ab(void);
int32_t probe_thumb_svc_ab(void);
int32_t probe_bkpt_ab(void);
int32_t probe_ctx_return(struct vcpu_ctx *ctx, uint32_t call);
#define PROBE_RESUMED 0x600d

volatile uint32_t fault_resume;          /* set by the branch probes */
static volatile uint32_t faults, fault_kind, fault_address;
static uint32_t faults_before;
static unsigned allowed;
static char label[64];

static uint8_t fault_stack[4096] __attribute__((aligned(8)));
static uint8_t buffer[64] __attribute__((aligned(8)));   /* a valid in-window buffer */

void guest_fault(uint32_t kind, uint32_t address, uint32_t pc)
{
    struct vcpu_ctx *ctx = &VCPU->fault_ctx;
    faults++;
    fault_kind = kind;
    fault_address = address;
    if (fault_resume) {
        ctx->pc = fault_resume;
        ctx->cpsr &= ~CPSR_THUMB;
        fault_resume = 0;
    } else {
        ctx->pc = pc + ((ctx->cpsr & CPSR_THUMB) ? 2 : 4);
    }
}

static int32_t set_fault_handler(void)
{
    return hc_fault_set_handler(fault_entry, fault_stack + sizeof fault_stack);
}

/* ---- reporting ---- */

static void begin(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void begin(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gvsnprintf(label, sizeof label, fmt, ap);
    va_end(ap);
    fault_resume = 0;
    faults_before = faults;
}

static int faulted(void)
{
    if (faults == faults_before)
        return 0;
    gprintf("attack %s: faulted %s\n", label, fault_kind_name(fault_kind));
    return 1;
}

static void allow(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void allow(const char *fmt, ...)
{
    char detail[64];
    va_list ap;
    va_start(ap, fmt);
    gvsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    allowed++;
    gprintf("attack %s: ALLOWED %s\n", label, detail);
}

/* A hypercall's outcome: faulted, error <code>, or ALLOWED returned <r>. */
static void hypercall_result(int32_t r)
{
    if (faulted())
        return;
    if (r < 0)
        gprintf("attack %s: error %d\n", label, (int)r);
    else
        allow("returned %d", (int)r);
}

/* ---- the attacks ---- */

struct target {
    uint32_t address;
    const char *name;
};

static void attack_memory(void)
{
    const struct target targets[] = {
        { guest_ram_size, "ram end" },
        { 0x10000000u, "sysregs" },
        { 0x40000000u, "unmapped" },
        { 0x80000000u, "unmapped" },
        { VCPU_ADDR + VCPU_SIZE, "vcpu end" },
        { 0xffff0000u, "high vectors" },
        { 0x10009000u, "uart0" },
        { 0x1000a000u, "uart1" },
        { 0x1000b000u, "uart2" },
        { 0x1000c000u, "uart3" },
        { 0x10040000u, "gic cpu" },
        { 0x10041000u, "gic dist" },
        { 0x10011000u, "timer01" },
        { 0x10012000u, "timer23" },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(targets); i++) {
        const struct target *t = &targets[i];
        begin("read 0x%08x (%s)", (unsigned)t->address, t->name);
        uint32_t v = probe_read(t->address);
        if (!faulted())
            allow("read 0x%08x", (unsigned)v);
        begin("write 0x%08x (%s)", (unsigned)t->address, t->name);
        probe_write(t->address, 0);
        if (!faulted())
            allow("wrote 0x00000000");
    }
}

/* A branch out of the window must fault at its target; a fault further on means the target ran. */
static void exec_result(uint32_t target)
{
    if (faults == faults_before)
        allow("returned");
    else if (fault_kind != FAULT_PREFETCH || fault_address != target)
        allow("ran, then %s at 0x%08x", fault_kind_name(fault_kind), (unsigned)fault_address);
    else
        faulted();
}

static void attack_execute(void)
{
    begin("exec bx 0x40000000");
    probe_exec_bx(0x40000000u);
    exec_result(0x40000000u);
    begin("exec blx 0x40000000");
    probe_exec_blx(0x40000000u);
    exec_result(0x40000000u);
}

static void attack_privileged(void)
{
    begin("mcr p15 ttbr0");
    probe_mcr_ttbr0(0);
    if (!faulted())
        allow("wrote ttbr0");

    begin("mrc p15 c1");
    uint32_t v = probe_mrc_sctlr();
    if (!faulted())
        allow("read 0x%08x", (unsigned)v);

    begin("msr cpsr_c svc");
    uint32_t cpsr = probe_msr_svc();
    if (!faulted()) {
        if ((cpsr & 0x1f) != CPSR_MODE_USR)
            allow("mode 0x%02x", (unsigned)(cpsr & 0x1f));
        else
            gprintf("attack %s: ignored (mode still usr)\n", label);
    }
}

static void attack_semihosting(void)
{
    int32_t r;
    begin("svc 0x123456 sys_exit");
    r = probe_svc_123456();
    if (!faulted())
        allow("returned %d", (int)r);
    begin("svc 0xab sys_exit");
    r = probe_svc_ab();
    if (!faulted())
        allow("returned %d", (int)r);
    begin("thumb svc 0xab sys_exit");
    r = probe_thumb_svc_ab();
    if (!faulted())
        allow("returned %d", (int)r);
    begin("bkpt 0xab sys_exit");
    r = probe_bkpt_ab();
    if (!faulted())
        allow("returned %d", (int)r);
}

/* A number for a label: decimal when small, else hex. */
static const char *num(char *out, size_t size, uint32_t v)
{
    gsnprintf(out, size, v < 0x10000u ? "%u" : "0x%08x", (unsigned)v);
    return out;
}

/* A call with a bad buffer. buf_name names an in-window buffer (its address depends on the build). */
static void bad_buffer(uint32_t call, const char *name, uint32_t offset, uint32_t buf, const char *buf_name,
                       uint32_t len)
{
    char b[16], l[16];
    if (buf_name)
        strlcpy(b, buf_name, sizeof b);
    else
        gsnprintf(b, sizeof b, "0x%08x", (unsigned)buf);
    num(l, sizeof l, len);
    if (call == HC_STORE_READ || call == HC_STORE_WRITE) {
        begin("%s offset 0x%08x buf %s len %s", name, (unsigned)offset, b, l);
        hypercall_result(hc_raw(offset, buf, len, 0, call));
    } else {
        begin("%s buf %s len %s", name, b, l);
        hypercall_result(hc_raw(buf, len, 0, 0, call));
    }
}

static void attack_hypercalls(void)
{
    uint32_t end = guest_ram_size;
    uint32_t ok = (uint32_t)buffer;

    bad_buffer(HC_CONSOLE_WRITE, "CONSOLE_WRITE", 0, end - 1, 0, 16);
    bad_buffer(HC_CONSOLE_WRITE, "CONSOLE_WRITE", 0, VCPU_ADDR - 4, 0, 16);
    bad_buffer(HC_CONSOLE_WRITE, "CONSOLE_WRITE", 0, VCPU_ADDR, 0, 16);
    bad_buffer(HC_CONSOLE_WRITE, "CONSOLE_WRITE", 0, 0xffffffffu, 0, 2);
    /* A huge length is cut to one call's 1024 bytes, which must still lie in the window. */
    bad_buffer(HC_CONSOLE_WRITE, "CONSOLE_WRITE", 0, end - 8, 0, 0xffffffffu);
    bad_buffer(HC_CONSOLE_READ, "CONSOLE_READ", 0, 0x40000000u, 0, 16);
    bad_buffer(HC_STORE_WRITE, "STORE_WRITE", 0, 0x40000000u, 0, 16);
    bad_buffer(HC_STORE_WRITE, "STORE_WRITE", 0, VCPU_ADDR, 0, 16);
    bad_buffer(HC_STORE_WRITE, "STORE_WRITE", 0, end - 8, 0, 16);
    bad_buffer(HC_STORE_READ, "STORE_READ", 0, VCPU_ADDR + VCPU_SIZE - 16, 0, 32);
    bad_buffer(HC_STORE_READ, "STORE_READ", 0, end - 4, 0, 16);
    bad_buffer(HC_STORE_WRITE, "STORE_WRITE", 0xfffffff0u, ok, "in-window", 32);

    begin("VIRQ_SET_ENTRY entry 0x40000000");
    hypercall_result(hc_raw(0x40000000u, ok + sizeof buffer, 0, 0, HC_VIRQ_SET_ENTRY));
    events_init();
    begin("VIRQ_SET_ENTRY stack 0x40000000");
    hypercall_result(hc_raw((uint32_t)virq_entry, 0x40000000u, 0, 0, HC_VIRQ_SET_ENTRY));
    events_init();
    begin("FAULT_SET_HANDLER entry 0x40000000");
    hypercall_result(hc_raw(0x40000000u, ok + sizeof buffer, 0, 0, HC_FAULT_SET_HANDLER));
    set_fault_handler();
    begin("FAULT_SET_HANDLER stack 0x40000000");
    hypercall_result(hc_raw((uint32_t)fault_entry, 0x40000000u, 0, 0, HC_FAULT_SET_HANDLER));
    set_fault_handler();

    begin("TIMER_SET 0xffffffff periodic 1");
    hypercall_result(hc_raw(0xffffffffu, 1, 0, 0, HC_TIMER_SET));
    begin("TIMER_SET 1000 periodic 2");
    hypercall_result(hc_raw(1000, 2, 0, 0, HC_TIMER_SET));
    hc_timer_set(0, 0);

    static const uint32_t calls[] = { 0xffffffffu, 17, 1000 };
    for (unsigned i = 0; i < ARRAY_SIZE(calls); i++) {
        char n[16];
        begin("call %s", num(n, sizeof n, calls[i]));
        /* arguments a future call would refuse: an out-of-window buffer */
        hypercall_result(hc_raw(0x40000000u, 16, 0x40000000u, 16, calls[i]));
    }

    begin("VIRQ_RETURN outside an upcall");
    hypercall_result(probe_ctx_return(&VCPU->upcall_ctx, HC_VIRQ_RETURN));
    VCPU->virq_masked = 1;
    begin("FAULT_RETURN outside the fault handler");
    hypercall_result(probe_ctx_return(&VCPU->fault_ctx, HC_FAULT_RETURN));
    VCPU->virq_masked = 1;
}

int guest_main(const struct vcpu *vcpu)
{
    (void)vcpu;
    set_fault_handler();
    events_init();                       /* vIRQs stay masked (as at boot) until the idle loop */
    console_puts("handset attack ready");

    attack_memory();
    attack_execute();
    attack_privileged();
    attack_semihosting();
    attack_hypercalls();

    gprintf("attack done %u allowed\n", allowed);

    /* Idle forever: WAIT, drain console input, never exit. */
    static char input[256];
    int console_ready = 1;
    for (;;) {
        if (events_take(!console_ready) & VIRQ_CONSOLE)
            console_ready = 1;
        if (console_ready && hc_console_read(input, sizeof input) <= 0)
            console_ready = 0;
    }
}
