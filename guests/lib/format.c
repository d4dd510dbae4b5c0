/*
 * printf-like formatting: %s %d %i %u %x %X %c %%, flags '-' (left-justify) and '0' (zero-pad), a decimal
 * width, and an ignored 'l' (long is 32 bits here). gprintf formats into a 128-byte buffer and writes it
 * to the console whenever it fills, so output of any length works with little stack.
 */
#include "lib.h"

struct sink {
    char *buf;
    size_t size;   /* capacity of buf */
    size_t len;    /* bytes in buf now */
    int total;     /* bytes produced in all */
    int console;   /* flush to the console when full (else drop what does not fit) */
};

static void sink_putc(struct sink *s, char c)
{
    s->total++;
    if (s->len == s->size) {
        if (!s->console)
            return;
        console_write(s->buf, s->len);
        s->len = 0;
    }
    s->buf[s->len++] = c;
}

static void sink_pad(struct sink *s, char c, int n)
{
    while (n-- > 0)
        sink_putc(s, c);
}

static void emit(struct sink *s, const char *str, int n, int width, int left, char pad)
{
    if (!left)
        sink_pad(s, pad, width - n);
    for (int i = 0; i < n; i++)
        sink_putc(s, str[i]);
    if (left)
        sink_pad(s, ' ', width - n);
}

static void vformat(struct sink *s, const char *fmt, va_list ap)
{
    char num[12];
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            sink_putc(s, *fmt);
            continue;
        }
        fmt++;
        int left = 0;
        char pad = ' ';
        for (;; fmt++) {
            if (*fmt == '-')
                left = 1;
            else if (*fmt == '0')
                pad = '0';
            else
                break;
        }
        int width = 0;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l')
            fmt++;
        if (left)
            pad = ' ';
        switch (*fmt) {
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (!str)
                str = "(null)";
            emit(s, str, (int)strlen(str), width, left, ' ');
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            emit(s, &c, 1, width, left, ' ');
            break;
        }
        case 'd':
        case 'i':
        case 'u':
        case 'x':
        case 'X': {
            uint32_t v = va_arg(ap, uint32_t);
            int neg = 0;
            if ((*fmt == 'd' || *fmt == 'i') && (int32_t)v < 0) {
                neg = 1;
                v = 0u - v;
            }
            const char *digits = *fmt == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
            uint32_t base = (*fmt == 'x' || *fmt == 'X') ? 16 : 10;
            int n = 0;
            do {
                num[sizeof num - 1 - n++] = digits[v % base];
                v /= base;
            } while (v);
            if (neg) {
                if (pad == '0') {
                    sink_putc(s, '-');
                    width--;
                } else {
                    num[sizeof num - 1 - n++] = '-';
                }
            }
            emit(s, num + sizeof num - n, n, width, left, pad);
            break;
        }
        case '%':
            sink_putc(s, '%');
            break;
        case 0:
            fmt--;   /* a lone '%' at the end: stop */
            break;
        default:     /* unknown conversion: show it as is */
            sink_putc(s, '%');
            sink_putc(s, *fmt);
            break;
        }
    }
}

int gvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct sink s = { buf, size ? size - 1 : 0, 0, 0, 0 };
    vformat(&s, fmt, ap);
    if (size)
        buf[s.len] = 0;
    return s.total;
}

int gsnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = gvsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int gvprintf(const char *fmt, va_list ap)
{
    char buf[128];
    struct sink s = { buf, sizeof buf, 0, 0, 1 };
    vformat(&s, fmt, ap);
    if (s.len)
        console_write(s.buf, s.len);
    return s.total;
}

int gprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = gvprintf(fmt, ap);
    va_end(ap);
    return n;
}
