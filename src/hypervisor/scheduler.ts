/**
 * The scheduling decision (ARCHITECTURE §6): strict priority between priorities, and among the ready
 * partitions of the highest priority a round-robin in which each partition spends a budget of
 * `weight × slice` cycles per round. A round ends when every one of them has spent its budget; each then
 * gets another `weight × slice` on top of what it has left (an overshoot, a negative budget, is paid back),
 * so over many rounds the CPU shares follow the weights. A partition woken by a vIRQ runs at once if it
 * still has budget in the round (low latency for interactive work without giving it more than its share).
 */
export interface Schedulable {
  readonly ready: boolean;
  readonly priority: number;
  readonly weight: number;
  /** Cycles left in the current round; the caller charges what the partition uses. */
  budget: number;
}

export interface Choice {
  /** The running partition, if it may go on (not yielding). */
  current: number | undefined;
  /** A partition just woken by a vIRQ, preferred if it has budget. */
  woken: number | undefined;
  /** The partition that ran last: round-robin continues after it. */
  last: number;
}

/** Picks the partition to run (refilling budgets when a round ends), or undefined when none is ready. */
export function choose(parts: readonly Schedulable[], sliceCycles: number, choice: Choice): number | undefined {
  let top = -1;
  for (const p of parts) if (p.ready && p.priority > top) top = p.priority;
  if (top < 0) return undefined;
  const group = parts.map((_, i) => i).filter((i) => parts[i].ready && parts[i].priority === top);
  // A new round: the partition that ran last goes to the back (it must not run two slices in a row).
  const newRound = group.every((i) => parts[i].budget <= 0);
  if (newRound) {
    for (const i of group) {
      const p = parts[i];
      do p.budget += p.weight * sliceCycles;
      while (p.budget <= 0);
    }
  }
  const runnable = (i: number | undefined) => i !== undefined && group.includes(i) && parts[i].budget > 0;
  if (runnable(choice.woken)) return choice.woken;
  if (!newRound && runnable(choice.current)) return choice.current;
  for (let k = 1; k <= parts.length; k++) {
    const i = (choice.last + k) % parts.length;
    if (runnable(i)) return i;
  }
  return undefined; // unreachable: the refill leaves every member of the group with budget
}
