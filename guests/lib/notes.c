/*
 * Notes, kept in the partition's persistent store (STORE_READ / STORE_WRITE, docs/hypercalls.md §4).
 *
 * Store format (all words little-endian):
 *
 *   offset 0   magic  0x45544f4e ("NOTE" as bytes)
 *   offset 4   count  number of notes
 *   offset 8   used   bytes of records that follow the header
 *   offset 12  records: the notes in the order they were added, each its text and a NUL byte
 *
 * A store whose first word is not the magic (a new store is all zero) holds no notes; so does one whose
 * header does not fit it (used past the store's end). `notes add` writes the record after the last one,
 * then the header (so a record never counts before it is complete); `notes clear` writes a header with
 * count 0 and used 0. A record that does not fit (STORE_WRITE's ENOSPC) is reported as "store full".
 */
#include "shell.h"

#define NOTES_MAGIC 0x45544f4eu
#define HEADER_SIZE 12u

struct header {
    uint32_t magic;
    uint32_t count;
    uint32_t used;
};
_Static_assert(sizeof(struct header) == HEADER_SIZE, "notes header is 3 words");

/* Reads the header; an absent or inconsistent one reads as empty. 0, or a negative hypercall error. */
static int32_t read_header(struct header *h)
{
    int32_t n = hc_store_read(0, h, HEADER_SIZE);
    if (n < 0)
        return n;
    uint32_t size = VCPU->store_size;
    if ((uint32_t)n < HEADER_SIZE || h->magic != NOTES_MAGIC || size < HEADER_SIZE || h->used > size - HEADER_SIZE
        || h->count > h->used) {
        h->magic = NOTES_MAGIC;
        h->count = 0;
        h->used = 0;
    }
    return 0;
}

static int32_t store_write_all(uint32_t offset, const void *buf, uint32_t len)
{
    const char *p = buf;
    while (len) {
        int32_t n = hc_store_write(offset, p, len > HC_STORE_CHUNK ? HC_STORE_CHUNK : len);
        if (n < 0)
            return n;
        if (n == 0)
            return HC_EINVAL;
        offset += (uint32_t)n;
        p += n;
        len -= (uint32_t)n;
    }
    return 0;
}

static void report(int32_t err)
{
    if (err == HC_ENOSPC)
        console_puts("store full");
    else
        gprintf("store error %d\n", (int)err);
}

int32_t notes_count(uint32_t *count)
{
    struct header h;
    int32_t r = read_header(&h);
    *count = r < 0 ? 0 : h.count;
    return r;
}

void notes_add(const char *text)
{
    struct header h;
    int32_t r = read_header(&h);
    if (r < 0) {
        report(r);
        return;
    }
    uint32_t len = (uint32_t)strlen(text) + 1;
    r = store_write_all(HEADER_SIZE + h.used, text, len);
    if (r < 0) {
        report(r);
        return;
    }
    h.count++;
    h.used += len;
    r = store_write_all(0, &h, HEADER_SIZE);
    if (r < 0) {
        report(r);
        return;
    }
    gprintf("note %u added\n", (unsigned)h.count);
}

void notes_clear(void)
{
    struct header h = { NOTES_MAGIC, 0, 0 };
    int32_t r = store_write_all(0, &h, HEADER_SIZE);
    if (r < 0) {
        report(r);
        return;
    }
    console_puts("notes cleared");
}

void notes_list(void)
{
    static char chunk[256];
    static char note[208];   /* a note is at most 200 characters; longer (foreign) records are cut */
    struct header h;
    int32_t r = read_header(&h);
    if (r < 0) {
        report(r);
        return;
    }
    if (h.count == 0) {
        console_puts("no notes");
        return;
    }
    uint32_t offset = HEADER_SIZE, end = HEADER_SIZE + h.used, shown = 0, len = 0;
    while (offset < end && shown < h.count) {
        uint32_t want = end - offset < sizeof chunk ? end - offset : sizeof chunk;
        int32_t n = hc_store_read(offset, chunk, want);
        if (n <= 0) {
            if (n < 0)
                report(n);
            return;
        }
        offset += (uint32_t)n;
        for (int32_t i = 0; i < n && shown < h.count; i++) {
            if (chunk[i]) {
                if (len < sizeof note - 1)
                    note[len++] = chunk[i];
                continue;
            }
            note[len] = 0;
            gprintf("%u: %s\n", (unsigned)++shown, note);
            len = 0;
        }
    }
}
