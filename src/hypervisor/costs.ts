/**
 * What the hypervisor's own work costs in virtual time, in CPU cycles, charged to the clock whenever the
 * model does it (the TypeScript that does the work takes no emulated time by itself). The reference is
 * the measured L4-embedded/OKL4 figures in HYPERVISOR.md §A4: a one-way IPC between address spaces, which
 * is a trap into the kernel, a little kernel work and a return to user mode in another space, took 151
 * cycles on an XScale PXA255 (ARMv5) with fast address-space switching. Our entries are sized from it:
 *
 * - `hypercall`: SVC entry, argument checks, dispatch and return to the caller: an IPC without the space
 *   switch, plus the pointer checks; copies are charged per byte on top (`copyPerByte`, ~4 bytes/cycle
 *   for an LDM/STM loop).
 * - `interrupt`: IRQ entry, GICC_IAR read, device acknowledge, GICC_EOIR write, return: the device
 *   accesses themselves go through the bus and cost nothing extra here.
 * - `worldSwitch`: saving one partition's registers and loading the other's, the TTBR0 write and the TLB
 *   flush an ARMv5 needs without FASS (the flush's cost shows up later as TLB refills the model does not
 *   count, so it is folded in here): about twice an IPC.
 * - `upcall`: saving the interrupted context into the vCPU page and entering the guest's handler;
 *   `virqReturn` the way back.
 * - `fault`: an abort or undefined-instruction entry, decoding the fault and entering the guest's handler
 *   (or stopping the partition).
 * - `schedule`: one scheduling decision with SP804 reprogramming (done on every hypervisor entry that
 *   may change the running partition).
 */
export const COSTS = {
  hypercall: 120,
  copyPerByte: 0.25,
  interrupt: 150,
  worldSwitch: 300,
  upcall: 100,
  virqReturn: 80,
  fault: 200,
  schedule: 60,
} as const;

export type CostName = keyof typeof COSTS;
