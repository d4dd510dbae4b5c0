import t from 'tap';
import { choose, type Schedulable } from '../../src/hypervisor/scheduler.ts';

const SLICE = 100;
const part = (p: Partial<Schedulable> = {}): Schedulable => ({ ready: true, priority: 1, weight: 1, budget: 0, ...p });

t.test('nobody ready: undefined', async (t) => {
  t.equal(choose([part({ ready: false }), part({ ready: false })], SLICE, { current: undefined, woken: undefined, last: 0 }), undefined);
});

t.test('a new round refills by weight, and the partition that ran last goes to the back', async (t) => {
  const parts = [part({ weight: 1, budget: -5 }), part({ weight: 3, budget: 0 })];
  t.equal(choose(parts, SLICE, { current: 1, woken: undefined, last: 1 }), 0, 'not the one that just spent its budget');
  t.same(parts.map((p) => p.budget), [95, 300], 'budgets: weight × slice on top of what was left (an overshoot is paid back)');
});

t.test('within a round the running partition goes on while it has budget', async (t) => {
  const parts = [part({ budget: 50 }), part({ budget: 100 })];
  t.equal(choose(parts, SLICE, { current: 0, woken: undefined, last: 0 }), 0);
  parts[0].budget = 0;
  t.equal(choose(parts, SLICE, { current: 0, woken: undefined, last: 0 }), 1, 'its budget spent: the next');
});

t.test('a woken partition with budget runs at once; without budget it waits for its turn', async (t) => {
  const parts = [part({ budget: 50 }), part({ budget: 10 })];
  t.equal(choose(parts, SLICE, { current: 0, woken: 1, last: 0 }), 1);
  parts[1].budget = 0;
  t.equal(choose(parts, SLICE, { current: 0, woken: 1, last: 0 }), 0);
});

t.test('strict priority: a higher priority partition runs whenever it is ready', async (t) => {
  const parts = [part({ priority: 1, budget: 50 }), part({ priority: 2, budget: 0 })];
  t.equal(choose(parts, SLICE, { current: 0, woken: undefined, last: 0 }), 1);
  t.equal(parts[0].budget, 50, 'the lower priority keeps its budget');
});

t.test('shares over many rounds follow the weights (simulated)', async (t) => {
  const parts = [part({ weight: 2 }), part({ weight: 5 })];
  const used = [0, 0];
  let current: number | undefined;
  let last = 1;
  for (let step = 0; step < 10_000; step++) {
    const next = choose(parts, SLICE, { current, woken: undefined, last })!;
    const run = 37; // a tick that does not divide the slice: overshoots happen
    parts[next].budget -= run;
    used[next] += run;
    current = next;
    last = next;
  }
  const share = used[0] / (used[0] + used[1]);
  t.ok(Math.abs(share - 2 / 7) < 0.01, `share ${share.toFixed(4)} ≈ ${(2 / 7).toFixed(4)}`);
});
