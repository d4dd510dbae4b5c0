/* Console output over CONSOLE_WRITE, which takes at most 1024 bytes per call: loop until all is out. */
#include "lib.h"

int console_write(const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        int32_t n = hc_console_write(p, len > HC_CONSOLE_CHUNK ? HC_CONSOLE_CHUNK : (uint32_t)len);
        if (n < 0)
            return n;
        if (n == 0)          /* not in the ABI: never spin on it */
            return HC_EINVAL;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int console_print(const char *s)
{
    return console_write(s, strlen(s));
}

int console_puts(const char *s)
{
    int r = console_print(s);
    return r ? r : console_write("\n", 1);
}
