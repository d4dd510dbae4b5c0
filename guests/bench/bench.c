/*
 * The CPU-bound benchmark guest (`npm run bench`, hypervisor section): runs firmware/cpu-bound.S's loop
 * (loop.S) for bench_passes outer passes, prints
 *   bench <name> passes=<n> checksum=0x<sum>
 * (name from the vCPU page; the checksum is the one cpu-bound prints for the same number of passes) and
 * EXITs 0. It makes no hypercall before the loop ends: nothing in it depends on timers or input.
 */
#include "lib.h"

/* loop.S */
uint32_t bench_loop(uint32_t passes);
extern const volatile uint32_t bench_passes;

int guest_main(const struct vcpu *vcpu)
{
    uint32_t passes = bench_passes;
    uint32_t sum = bench_loop(passes);
    gprintf("bench %s passes=%lu checksum=0x%08lx\n", vcpu->name, passes, sum);
    return 0;
}
