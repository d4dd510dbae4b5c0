/* The home phone's profile: a social feed and a photo album list. */
#include "../lib/shell.h"

struct post {
    const char *author;
    const char *text;
    uint32_t likes;
};

static const struct post posts[] = {
    { "maria", "Sunset at the beach tonight", 42 },
    { "tom", "Finally finished the bookshelf!", 17 },
    { "grandma", "Who wants cake on Sunday?", 108 },
    { "leo", "New high score: 31337", 5 },
};

static void app_feed(void)
{
    uint32_t likes = 0, sum = 0;
    gprintf("feed: %u posts\n", (unsigned)ARRAY_SIZE(posts));
    for (unsigned i = 0; i < ARRAY_SIZE(posts); i++) {
        const struct post *p = &posts[i];
        gprintf("@%s: %s (%u likes)\n", p->author, p->text, (unsigned)p->likes);
        likes += p->likes;
        sum = crc32_str(sum, p->author);
        sum = crc32_str(sum, p->text);
        sum = crc32_u32(sum, p->likes);
    }
    gprintf("total likes: %u\n", (unsigned)likes);
    gprintf("checksum: 0x%08x\n", (unsigned)sum);
}

struct album {
    const char *name;
    const uint16_t *sizes_kib;   /* one entry per photo */
    unsigned n;
};

static const uint16_t holidays[] = { 2410, 3120, 2875, 3302, 2999, 3650 };
static const uint16_t family[] = { 1890, 2204, 2048 };
static const uint16_t garden[] = { 4096, 3871, 4410, 3998, 4120 };

static const struct album albums[] = {
    { "Holidays", holidays, ARRAY_SIZE(holidays) },
    { "Family", family, ARRAY_SIZE(family) },
    { "Garden", garden, ARRAY_SIZE(garden) },
};

static void app_photos(void)
{
    uint32_t photos = 0, kib = 0, sum = 0;
    gprintf("albums: %u\n", (unsigned)ARRAY_SIZE(albums));
    for (unsigned i = 0; i < ARRAY_SIZE(albums); i++) {
        const struct album *a = &albums[i];
        uint32_t album_kib = 0;
        sum = crc32_str(sum, a->name);
        for (unsigned j = 0; j < a->n; j++) {
            album_kib += a->sizes_kib[j];
            sum = crc32_u32(sum, a->sizes_kib[j]);
        }
        gprintf("%s: %u photos, %u KiB\n", a->name, a->n, (unsigned)album_kib);
        photos += a->n;
        kib += album_kib;
    }
    gprintf("total: %u photos, %u KiB\n", (unsigned)photos, (unsigned)kib);
    gprintf("checksum: 0x%08x\n", (unsigned)sum);
}

static const struct app apps[] = {
    { "feed", app_feed },
    { "photos", app_photos },
};

const struct profile guest_profile = { apps, ARRAY_SIZE(apps) };
