/**
 * One partition's view of a hypervisor trace (`trace show --vm`, `trace diff --vm`, docs/trace-format.md):
 * its instructions, the events about it, and the world switches into and out of it.
 *
 * What belongs to partition P:
 *   - instructions whose `vm` is P (the `to` of the last world switch before them);
 *   - hypercall, virq, guestFault, guestState and ringtone events whose guest is P;
 *   - world switches from or to P;
 *   - button presses (every partition learns of them: the foreground changes for all);
 *   - data accesses (`mem`, with --trace-mem) after an instruction of P: that instruction made them.
 * Device accesses in a hypervisor trace are the hypervisor's own (a guest cannot reach a device), so
 * they, and any other event, belong to no partition.
 */
import type { EventRecord, TraceRecord } from './records.ts';

/** Whether event `ev`, written after an instruction of partition `after` (undefined: none yet), is `vm`'s. */
export function eventBelongsTo(ev: EventRecord, vm: string, after: string | undefined): boolean {
  switch (ev.kind) {
    case 'hypercall':
    case 'virq':
    case 'guestFault':
    case 'guestState':
    case 'ringtone':
      return ev.guest === vm;
    case 'worldSwitch':
      return ev.from === vm || ev.to === vm;
    case 'button':
      return true;
    case 'mem':
      return after === vm;
    default:
      return false;
  }
}

/**
 * The records of `records` that belong to `vm`. With `count`, stops after `count` of its instructions and
 * the records of its that follow them up to the next instruction of any partition (as `trace show
 * --count` stops after an instruction's events).
 */
export function* partitionView(records: Iterable<TraceRecord>, vm: string, count = Infinity): Generator<TraceRecord> {
  let after: string | undefined;
  let left = count;
  for (const rec of records) {
    if (rec.kind === 'insn') {
      if (left === 0) return;
      after = rec.vm;
      if (rec.vm !== vm) continue;
      left--;
      yield rec;
    } else if (eventBelongsTo(rec, vm, after)) {
      yield rec;
    }
  }
}
