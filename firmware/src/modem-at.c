/* modem-at: talks AT to the baseband behind PL011 UART1 (0x1000A000) by polling UARTFR/UARTDR, checks every
 * answer byte for byte, prints a PASS or FAIL line per step on UART0, and exits (newlib + rdimon semihosting)
 * with 0 only if every step passed. Timeouts count SYS_24MHZ ticks (virtual time). Runs under handset only:
 * QEMU's realview-eb has nothing behind UART1. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define UART0 0x10009000u
#define UART1 0x1000A000u
#define UARTDR 0x000u
#define UARTFR 0x018u
#define UARTLCR_H 0x02cu
#define UARTCR 0x030u
#define FR_RXFE (1u << 4)
#define FR_TXFF (1u << 5)
#define LCR_H_FEN_WLEN8 0x70u
#define CR_UARTEN_TXE_RXE 0x301u
#define SYS_24MHZ (*(volatile uint32_t *)0x1000005Cu)

/* How long a byte of an answer may take, and how long to watch for bytes after a complete answer. */
#define ANSWER_MS 50u
#define QUIET_MS 2u

static volatile uint32_t *reg(uint32_t base, uint32_t offset)
{
    return (volatile uint32_t *)(base + offset);
}

static void uart0_putc(char c)
{
    while (*reg(UART0, UARTFR) & FR_TXFF)
        ;
    *reg(UART0, UARTDR) = (uint8_t)c;
}

static void uart0_puts(const char *s)
{
    while (*s)
        uart0_putc(*s++);
}

static void uart0_putu(unsigned n)
{
    char digits[12];
    int i = 0;
    do {
        digits[i++] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    while (i)
        uart0_putc(digits[--i]);
}

static void modem_send(const char *bytes, size_t length)
{
    for (size_t i = 0; i < length; i++) {
        while (*reg(UART1, UARTFR) & FR_TXFF)
            ;
        *reg(UART1, UARTDR) = (uint8_t)bytes[i];
    }
}

/* A few hundred instructions without device accesses between two polls (an emulator pays for each of those). */
static void pause(void)
{
    unsigned n = 256;
    __asm__ volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
}

/* The next byte from the modem within `ms` milliseconds, or -1. */
static int modem_getc(uint32_t ms)
{
    uint32_t start = SYS_24MHZ;
    for (;;) {
        if (!(*reg(UART1, UARTFR) & FR_RXFE))
            return (int)(*reg(UART1, UARTDR) & 0xff);
        if (SYS_24MHZ - start >= ms * 24000u)
            return -1;
        pause();
    }
}

static unsigned passed, failed;

static void show(const char *bytes, size_t length)
{
    for (size_t i = 0; i < length; i++) {
        char c = bytes[i];
        if (c == '\r')
            uart0_puts("\\r");
        else if (c == '\n')
            uart0_puts("\\n");
        else if ((unsigned char)c < 0x20 || (unsigned char)c > 0x7e)
            uart0_putc('.');
        else
            uart0_putc(c);
    }
}

/* Sends `length` bytes, then expects exactly `expected` back (and nothing more for QUIET_MS). */
static void step(const char *name, const char *command, size_t length, const char *expected)
{
    char got[512];
    size_t n = 0, want = strlen(expected);
    modem_send(command, length);
    while (n < want) {
        int c = modem_getc(ANSWER_MS);
        if (c < 0)
            break;
        got[n++] = (char)c;
        if (got[n - 1] != expected[n - 1])
            break;
    }
    if (n == want && memcmp(got, expected, want) == 0) {
        int extra = modem_getc(QUIET_MS);
        if (extra < 0) {
            passed++;
            uart0_puts("PASS ");
            uart0_puts(name);
            uart0_putc('\n');
            return;
        }
        got[n++] = (char)extra;
    }
    failed++;
    uart0_puts("FAIL ");
    uart0_puts(name);
    uart0_puts(": got \"");
    show(got, n);
    uart0_puts("\"\n");
}

#define STEP(name, command, expected) step(name, command, sizeof command - 1, expected)
#define OK "\r\nOK\r\n"

int main(void)
{
    static char overlong[2 + 300 + 1];
    static const char garbage[] = "\x00\xff\x13zq\x7f\x1b\n\n\x80\x1a{}|\x08\r\r\n";

    *reg(UART0, UARTCR) = CR_UARTEN_TXE_RXE;
    *reg(UART1, UARTLCR_H) = LCR_H_FEN_WLEN8;
    *reg(UART1, UARTCR) = CR_UARTEN_TXE_RXE;
    uart0_puts("modem-at: AT commands to the baseband on UART1\n");

    STEP("AT (echo on)", "AT\r", "AT\r" OK);
    STEP("ATE0", "ATE0\r", "ATE0\r" OK);
    STEP("AT+CMEE=1", "AT+CMEE=1\r", OK);
    STEP("AT+CPIN?", "AT+CPIN?\r", "\r\n+CPIN: READY\r\n" OK);
    STEP("AT+CREG?", "AT+CREG?\r", "\r\n+CREG: 0,1\r\n" OK);
    STEP("AT+CSQ", "AT+CSQ\r", "\r\n+CSQ: 20,99\r\n" OK);
    STEP("AT+CNUM", "AT+CNUM\r", "\r\n+CNUM: \"Line 1\",\"+15550100\",145\r\n+CNUM: \"Line 2\",\"+15550199\",145\r\n" OK);
    STEP("ATD+15551234;", "ATD+15551234;\r", OK);
    STEP("AT+CLCC (dialing)", "AT+CLCC\r", "\r\n+CLCC: 1,0,2,0,0,\"+15551234\",145\r\n" OK);
    STEP("ATH", "ATH\r", OK);
    STEP("AT+CLCC (no call)", "AT+CLCC\r", OK);
    STEP("AT+CMGF=1", "AT+CMGF=1\r", OK);
    STEP("AT+CMGS prompt", "AT+CMGS=\"+15551234\"\r", "\r\n> ");
    STEP("SMS text, Ctrl-Z", "Hello from bare metal\x1a", "\r\n+CMGS: 0\r\n" OK);
    STEP("AT+CMGS again", "AT+CMGS=\"+15551234\"\r", "\r\n> ");
    STEP("SMS text, ESC", "never mind\x1b", OK);
    STEP("unknown command", "AT+XYZZY\r", "\r\n+CME ERROR: 4\r\n");
    STEP("bad argument", "AT+CREG=5\r", "\r\n+CME ERROR: 3\r\n");
    STEP("two commands", "AT+CSQ;+CPIN?\r", "\r\n+CSQ: 20,99\r\n\r\n+CPIN: READY\r\n" OK);

    memcpy(overlong, "AT", 2);
    memset(overlong + 2, 'X', 300);
    overlong[302] = '\r';
    step("over-long line", overlong, sizeof overlong, "\r\nERROR\r\n");
    step("garbage", garbage, sizeof garbage - 1, "");
    STEP("AT after the garbage", "AT\r", OK);

    uart0_puts("modem-at: ");
    uart0_putu(passed);
    uart0_puts(" passed, ");
    uart0_putu(failed);
    uart0_puts(" failed\n");
    return failed == 0 ? 0 : 1;
}
