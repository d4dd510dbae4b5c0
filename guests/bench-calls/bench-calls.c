/*
 * The hypercall-rate benchmark guest (`npm run bench`, hypervisor section): makes bench_calls_count
 * hypercalls number bench_calls_number (calls.S; default 20000 YIELDs) in a tight loop, prints
 *   bench-calls <name> number=<n> calls=<count>
 * and EXITs 0. Two of them YIELDing to each other make one world switch per YIELD.
 */
#include "lib.h"

/* calls.S */
void calls_loop(uint32_t number, uint32_t count);
extern const volatile uint32_t bench_calls_number;
extern const volatile uint32_t bench_calls_count;

int guest_main(const struct vcpu *vcpu)
{
    uint32_t number = bench_calls_number;
    uint32_t count = bench_calls_count;
    calls_loop(number, count);
    gprintf("bench-calls %s number=%lu calls=%lu\n", vcpu->name, number, count);
    return 0;
}
