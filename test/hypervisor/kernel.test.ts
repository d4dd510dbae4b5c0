// The hypervisor model with small assembled guests: hypercalls and their checks, faults and their
// containment, virtual timers and upcalls, scheduling shares, idle fast-forward and snapshots.
import t from 'tap';
import { hypervisorMachine, partition, rawGuest } from './harness.ts';

const TICK = 200; // cycles per µs at the arm926's 200 MHz

/** A guest that writes `text` to its console and exits with `status`. */
function printer(text: string, status = 0) {
  return rawGuest(`
    adr r0, msg
    mov r1, #${Buffer.byteLength(text)}
    hc 0
    mov r0, #${status}
    hc 10
  msg: .ascii ${JSON.stringify(text)}
  .align 2
  `);
}

/** A guest that counts in r4 forever (CPU-bound, never calls the hypervisor). */
const spinner = () => rawGuest('1: add r4, r4, #1\n b 1b');

t.test('two guests print their lines and exit: the run exits 0 once both have', async (t) => {
  const g = hypervisorMachine([{ config: partition('work'), image: printer('work here\n') }, { config: partition('home'), image: printer('home here\n') }], { record: ['worldSwitch', 'guestState'] });
  t.same(g.machine.run({ maxCycles: 1e7 }), { kind: 'exit', status: 0 });
  t.same(g.out, { work: 'work here\n', home: 'home here\n' });
  t.same(g.events.worldSwitch, [{ from: null, to: 'work' }, { from: null, to: 'home' }], 'work first, then home when work exits');
  t.same(g.events.guestState?.map((e) => [e.guest, e.state]), [['work', 'exited'], ['home', 'exited']]);
  t.same(g.hypervisor.status().map((s) => [s.name, s.state, s.exitStatus, s.hypercalls]), [['work', 'exited', 0, 2], ['home', 'exited', 0, 2]]);
});

t.test('a non-zero exit status makes the run exit 1', async (t) => {
  const g = hypervisorMachine([{ config: partition('work'), image: printer('bye\n', 3) }, { config: partition('home'), image: printer('bye\n') }]);
  t.same(g.machine.run({ maxCycles: 1e7 }), { kind: 'exit', status: 1 });
  t.equal(g.hypervisor.status()[0].exitStatus, 3);
});

t.test('entry state: registers and vCPU page as docs/hypercalls.md §2-§3 say', async (t) => {
  // Stores r0-r2, sp, cpsr and the vCPU page's magic, index, ram_size, virq_masked, foreground, name into
  // its RAM at 0x100000, then prints them as raw bytes (the test decodes them).
  const image = rawGuest(`
    ldr r8, =0x100000
    str r0, [r8, #0]
    str r1, [r8, #4]
    str r2, [r8, #8]
    str sp, [r8, #12]
    mrs r3, cpsr
    str r3, [r8, #16]
    ldr r3, [r0, #0x00]
    str r3, [r8, #20]
    ldr r3, [r0, #0x08]
    str r3, [r8, #24]
    ldr r3, [r0, #0x0c]
    str r3, [r8, #28]
    ldr r3, [r0, #0x10]
    str r3, [r8, #32]
    ldr r3, [r0, #0x18]
    str r3, [r8, #36]
    ldr r3, [r0, #0x20]
    str r3, [r8, #40]
    ldr r3, [r0, #0x30]
    str r3, [r8, #44]
    mov r0, r8
    mov r1, #48
    hc 0
    mov r0, #0
    hc 10
  `);
  const bytes: number[] = [];
  const g = hypervisorMachine([{ config: partition('home', { ramMiB: 3 }), image: printer('x\n') }, { config: partition('work', { ramMiB: 5 }), image }]);
  g.machine.on('guestConsole', (e) => e.guest === 'work' && bytes.push(...e.bytes));
  t.same(g.machine.run({ maxCycles: 1e7 }), { kind: 'exit', status: 0 });
  const w = new DataView(Uint8Array.from(bytes).buffer);
  const word = (k: number) => w.getUint32(k * 4, true);
  t.equal(word(0), 0xc000_0000, 'r0: the vCPU page');
  t.equal(word(1), 5 << 20, 'r1: the RAM window size');
  t.equal(word(2), 1, 'r2: the partition index');
  t.equal(word(3), 5 << 20, 'sp: the top of the window');
  t.equal(word(4) & 0x1f, 0x10, 'USR mode');
  t.equal(word(4) & 0xc0, 0, 'real IRQ and FIQ unmasked (the guest cannot mask them)');
  t.equal(word(5), 0x5550_4356, 'magic');
  t.equal(word(6), 1, 'index');
  t.equal(word(7), 5 << 20, 'ram_size');
  t.equal(word(8), 1, 'vIRQs masked at boot');
  t.equal(word(9), 0, 'not foreground (home is first in this config, and the foreground)');
  t.equal(Buffer.from(bytes.slice(40, 44)).toString('latin1'), 'work', 'name');
  t.equal(Buffer.from(bytes.slice(44, 48)).toString('latin1'), '+155', 'number');
});

t.test('a guest fault without a handler stops that partition only, with a report', async (t) => {
  const bad = rawGuest(`
    ldr r0, =0x40000000
    ldr r1, [r0]
    mov r0, #0
    hc 10
  `);
  const g = hypervisorMachine([{ config: partition('work'), image: bad }, { config: partition('home'), image: printer('still here\n') }], { record: ['guestFault'] });
  t.same(g.machine.run({ maxCycles: 1e7 }), { kind: 'exit', status: 1 }, 'the run ends when home exits; 1 because work faulted');
  t.equal(g.out.home, 'still here\n');
  const [work] = g.hypervisor.status();
  t.equal(work.state, 'faulted');
  t.match(work.report, /^data abort at 0x40000000 \(read\), pc 0x0000800[0-9a-f] \(no fault handler\)$/);
  t.same(g.events.guestFault?.map((e) => [e.guest, e.kind, e.address, e.write, e.handled]), [['work', 'dataAbort', 0x4000_0000, false, false]]);
});

t.test('faults go to the registered handler with kind, address and pc; FAULT_RETURN resumes the edited context', async (t) => {
  // The handler stores (kind, address, pc) of each fault, skips the faulting instruction and resumes.
  const image = rawGuest(`
    adr r0, handler
    ldr r1, =0x200000
    hc 12
    ldr r5, =0x30000000
    str r0, [r5]            @ data abort (write)
    .word 0xe7f000f0        @ undefined instruction
    bkpt #1
    svc #0x123456           @ semihosting: a fault, not a way out
    ldr r0, =0x100000
    ldr r1, =0x100100
    ldr r1, [r1]
    mov r1, r1, lsl #4
    hc 0                    @ print the records
    mov r0, #0
    hc 10
  handler:
    ldr r4, =0x100100       @ count
    ldr r6, [r4]
    ldr r3, =0x100000
    add r3, r3, r6, lsl #4
    str r0, [r3]
    str r1, [r3, #4]
    str r2, [r3, #8]
    add r6, r6, #1
    str r6, [r4]
    ldr r4, =0xc0000100      @ fault_ctx
    ldr r3, [r4, #60]        @ pc
    add r3, r3, #4
    str r3, [r4, #60]
    hc 13
  `);
  const words: number[] = [];
  const g = hypervisorMachine([{ config: partition('work'), image }, { config: partition('home'), image: printer('home\n') }]);
  g.machine.on('guestConsole', (e) => {
    if (e.guest !== 'work') return;
    const v = new DataView(Uint8Array.from(e.bytes).buffer);
    for (let k = 0; k + 4 <= e.bytes.length; k += 4) words.push(v.getUint32(k, true));
  });
  t.same(g.machine.run({ maxCycles: 1e7 }), { kind: 'exit', status: 0 });
  const records: number[][] = [];
  for (let k = 0; k < words.length; k += 4) records.push(words.slice(k, k + 3));
  t.equal(records.length, 4, 'four faults, each handled');
  t.same(records.map((r) => r[0]), [3, 1, 4, 5], 'data abort, undefined, breakpoint, bad svc');
  t.equal(records[0][1], 0x3000_0000, 'the data address');
  t.ok(records.every((r) => r[2] >= 0x8000 && r[2] < 0x8100), 'the faulting pcs are in the code');
  t.same(records.map((r) => r[2] - records[0][2]), [0, 4, 8, 12], 'each at its instruction');
  t.same(g.hypervisor.status()[0].faults, 4);
});

t.test('a fault inside the fault handler stops the partition', async (t) => {
  const image = rawGuest(`
    adr r0, handler
    ldr r1, =0x200000
    hc 12
    ldr r5, =0x30000000
    ldr r0, [r5]
  handler:
    ldr r0, [r5]            @ faults again
  `);
  const g = hypervisorMachine([{ config: partition('work'), image }, { config: partition('home'), image: printer('home\n') }]);
  t.same(g.machine.run({ maxCycles: 1e7 }), { kind: 'exit', status: 1 });
  t.match(g.hypervisor.status()[0].report, /fault in its fault handler/);
  t.equal(g.out.home, 'home\n');
});

t.test('privileged instructions and device MMIO from a guest are contained faults', async (t) => {
  for (const [what, code] of [
    ['CP15 write', 'mcr p15, 0, r0, c2, c0, 0'],
    ['CP15 read', 'mrc p15, 0, r0, c1, c0, 0'],
    ['UART0', 'ldr r1, =0x10009000\n str r0, [r1]'],
    ['GIC distributor', 'ldr r1, =0x10041000\n ldr r0, [r1]'],
    ['SP804', 'ldr r1, =0x10011000\n str r0, [r1]'],
    ['jump out of the window', 'ldr r1, =0x40000000\n bx r1'],
    ['past its own window', 'ldr r1, =0x400000\n ldr r0, [r1]'],
    ['past its vCPU page', 'ldr r1, =0xc0001000\n ldr r0, [r1]'],
  ] as const) {
    const g = hypervisorMachine([{ config: partition('work'), image: rawGuest(`${code}\n mov r0, #0\n hc 10`) }, { config: partition('home'), image: printer('home ok\n') }], { record: ['device'] });
    t.same(g.machine.run({ maxCycles: 1e7 }), { kind: 'exit', status: 1 }, `${what}: the run ends with home`);
    t.equal(g.hypervisor.status()[0].state, 'faulted', `${what}: work stopped`);
    t.equal(g.out.home, 'home ok\n', `${what}: home ran`);
    t.notOk(g.events.device?.some((a) => a.initiator === 'cpu'), `${what}: no device access by the guest`);
  }
});

t.test('MSR cannot leave USR mode or mask real interrupts', async (t) => {
  const image = rawGuest(`
    msr cpsr_c, #0xd3
    mrs r4, cpsr
    ldr r5, =0x100000
    str r4, [r5]
    mov r0, r5
    mov r1, #4
    hc 0
    mov r0, #0
    hc 10
  `);
  const bytes: number[] = [];
  const g = hypervisorMachine([{ config: partition('work'), image }, { config: partition('home'), image: printer('h\n') }]);
  g.machine.on('guestConsole', (e) => e.guest === 'work' && bytes.push(...e.bytes));
  g.machine.run({ maxCycles: 1e7 });
  const cpsr = new DataView(Uint8Array.from(bytes).buffer).getUint32(0, true);
  t.equal(cpsr & 0xdf, 0x10, 'still USR, I and F clear');
});

t.test('CPU shares follow the weights over 10^8 cycles (within ±10% of each weight\'s share)', async (t) => {
  for (const weights of [[1, 1], [1, 3], [2, 5]]) {
    const g = hypervisorMachine([{ config: partition('work', { weight: weights[0] }), image: spinner() }, { config: partition('home', { weight: weights[1] }), image: spinner() }]);
    t.same(g.machine.run({ maxCycles: 1e8 }), { kind: 'limit', limit: 'cycles' });
    const total = weights[0] + weights[1];
    g.hypervisor.status().forEach((s, i) => {
      const want = weights[i] / total;
      t.ok(Math.abs(s.share - want) <= 0.1 * want, `weights ${weights}: ${s.name} has ${(s.share * 100).toFixed(2)}% (configured ${(want * 100).toFixed(2)}%)`);
    });
  }
});

t.test('a higher priority partition runs whenever it is ready', async (t) => {
  const g = hypervisorMachine([{ config: partition('work', { priority: 1 }), image: spinner() }, { config: partition('home', { priority: 2 }), image: printer('first\n') }], { record: ['worldSwitch'] });
  g.machine.run({ maxCycles: 1e6 });
  t.same(g.events.worldSwitch?.[0], { from: null, to: 'home' }, 'home first');
  t.equal(g.out.home, 'first\n');
});

// A guest with a periodic virtual timer whose upcall handler counts ticks; it waits between them.
const ticker = (periodUs: number, ticks: number) =>
  rawGuest(`
    adr r0, upcall
    ldr r1, =0x200000
    hc 4
    ldr r0, =${periodUs}
    mov r1, #1
    hc 7
    hc 6                    @ unmask
  loop:
    ldr r4, =0x100000
    ldr r4, [r4]
    cmp r4, #${ticks}
    bge done
    hc 3                    @ wait
    b loop
  done:
    mov r0, #0
    hc 10
  upcall:
    ldr r4, =0x100000
    ldr r5, [r4]
    add r5, r5, #1
    str r5, [r4]
    hc 5
  `);

t.test('virtual timer upcalls arrive on time while the other guest is CPU-bound (the bound in docs/hypercalls.md §5)', async (t) => {
  const PERIOD = 1000; // µs
  const g = hypervisorMachine([{ config: partition('work'), image: ticker(PERIOD, 20) }, { config: partition('home'), image: spinner() }], { record: ['virq', 'hypercall'] });
  let armedAt: number | undefined;
  const deliveries: number[] = [];
  g.machine.on('hypercall', (e) => {
    if (e.name === 'timer_set') armedAt = Math.floor(g.machine.cycles / TICK);
  });
  g.machine.on('virq', () => deliveries.push(g.machine.cycles));
  t.same(g.machine.run({ maxCycles: 1e8 }), { kind: 'limit', limit: 'cycles' }, 'home spins on');
  t.equal(g.hypervisor.status()[0].state, 'exited', 'work counted its 20 ticks and exited');
  t.equal(deliveries.length, 20);
  const latencies = deliveries.map((c, k) => c - (armedAt! + (k + 1) * PERIOD) * TICK);
  t.ok(latencies.every((l) => l >= 0 && l <= 1000), `each upcall within 1000 cycles of its due time (${Math.min(...latencies)}..${Math.max(...latencies)})`);
});

t.test('with every guest waiting, virtual time jumps to the next timer (idle costs no instructions)', async (t) => {
  const g = hypervisorMachine([{ config: partition('work'), image: ticker(100_000, 10) }, { config: partition('home'), image: ticker(250_000, 4) }], { record: ['idle'] });
  t.same(g.machine.run({ maxCycles: 1e9 }), { kind: 'exit', status: 0 });
  t.ok(g.machine.cycles >= 1_000_000 * TICK, `a second of virtual time passed (${g.machine.cycles} cycles)`);
  t.ok(g.machine.instructions < 2000, `in ${g.machine.instructions} instructions`);
  t.ok((g.events.idle?.length ?? 0) >= 10, 'the clock jumped while every guest waited');
});

t.test('WAIT with nothing that can ever wake any guest: the run returns waiting', async (t) => {
  const waiter = rawGuest('hc 3\n b .');
  const g = hypervisorMachine([{ config: partition('work'), image: waiter }, { config: partition('home'), image: waiter }]);
  t.same(g.machine.run().kind, 'waiting', 'without a cycle limit (with one, idle time runs to it)');
  g.hypervisor.typeInto('home', new TextEncoder().encode('x'));
  t.equal(g.hypervisor.status()[1].state, 'ready', 'typed input wakes home');
});

t.test('typed input and the button raise vIRQs; CONSOLE_READ drains only the partition\'s own input', async (t) => {
  // Reads its console into 0x100000 whenever woken and echoes it; exits on "q".
  const echo = rawGuest(`
  loop:
    hc 3
    ldr r0, =0x100000
    mov r1, #64
    hc 1
    cmp r0, #0
    beq loop
    mov r1, r0
    ldr r0, =0x100000
    ldrb r4, [r0]
    hc 0
    cmp r4, #'q'
    bne loop
    mov r0, #0
    hc 10
  `);
  const g = hypervisorMachine([{ config: partition('work'), image: echo }, { config: partition('home'), image: echo }], { record: ['button'] });
  t.equal(g.machine.run().kind, 'waiting');
  g.hypervisor.typeInto('home', new TextEncoder().encode('hello home'));
  g.hypervisor.typeInto('work', new TextEncoder().encode('hi'));
  t.equal(g.machine.run().kind, 'waiting');
  t.same(g.out, { work: 'hi', home: 'hello home' });
  t.equal(g.hypervisor.foreground, 'work');
  g.hypervisor.pressButton();
  t.equal(g.hypervisor.foreground, 'home');
  t.same(g.events.button, [{ foreground: 'home' }]);
  g.hypervisor.typeInto('work', new TextEncoder().encode('q'));
  g.hypervisor.typeInto('home', new TextEncoder().encode('q'));
  t.same(g.machine.run(), { kind: 'exit', status: 0 });
  t.throws(() => g.hypervisor.typeInto('nobody', new Uint8Array(1)), { name: 'HypervisorError' });
});

/** A small seeded generator (mulberry32): the same fuzz cases on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return (x ^ (x >>> 14)) >>> 0;
  };
}

t.test('hypercall fuzz: random calls and arguments only ever get documented results, never a hypervisor error', async (t) => {
  const WINDOW = 4 << 20;
  const STORE = 64 * 1024;
  const next = random(0x5eed);
  const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length];
  // Pointers: good ones in a scratch area, and the edges and outsides that must be refused.
  const pointer = () =>
    pick([
      0x20_0000 + (next() % 0x10_0000),
      WINDOW - 1 - (next() % 16),
      WINDOW,
      0xc000_0000 - 4,
      0xc000_0000 + (next() % 0x1000),
      0xc000_1000,
      0x1000_9000,
      0x1004_0000,
      0xffff_fff0 + (next() % 16),
      next(),
    ]);
  const length = () => pick([0, 1, 4, 16, 1023, 1024, 1025, 4096, 4097, 0x7fff_ffff, 0xffff_ffff, next() % 5000, next()]);
  // WAIT, VIRQ_UNMASK, EXIT and REBOOT are left out: the fuzzing guest must go on with vIRQs masked.
  const numbers = [0, 1, 2, 4, 5, 7, 8, 9, 12, 13, 14, 15, 16, 17, 100, 0xffff_ffff];
  const cases = Array.from({ length: 3000 }, () => {
    const n = pick(numbers);
    return [n, pointer(), length(), pick([pointer(), length()]), length()] as const;
  });
  const table = cases.map(([n, a0, a1, a2, a3]) => `.word ${a0}, ${a1}, ${a2}, ${a3}, ${n}`).join('\n');
  const image = rawGuest(`
    adr r8, table
    ldr r9, =${cases.length}
    ldr r10, =0x100000
  loop:
    ldmia r8!, {r0, r1, r2, r3, r7}
    svc #0
    str r0, [r10], #4
    subs r9, r9, #1
    bne loop
    ldr r0, =0x100000
    ldr r1, =${cases.length * 4}
  print:
    hc 0
    add r0, r0, r0
    mov r0, #0
    hc 10
  .ltorg
  table:
  ${table}
  `);
  const results: number[] = [];
  const g = hypervisorMachine([{ config: partition('work'), image }, { config: partition('home'), image: printer('home is fine\n') }], { record: ['hypercall'] });
  g.machine.on('hypercall', (e) => e.guest === 'work' && results.length < cases.length && results.push(e.result ?? NaN));
  t.same(g.machine.run({ maxCycles: 1e9 }), { kind: 'exit', status: 0 }, 'the fuzzing guest ran to its end');
  t.equal(g.out.home, 'home is fine\n', 'the other guest is untouched');
  t.equal(results.length, cases.length);
  const inWindow = (p: number, n: number) => n === 0 || (p < WINDOW && n <= WINDOW - p);
  const signed = (v: number) => v | 0;
  let checked = 0;
  cases.forEach(([n, a0, a1, a2], k) => {
    const got = signed(results[k]);
    let want: number | undefined;
    switch (n) {
      case 0: // CONSOLE_WRITE
        want = inWindow(a0, Math.min(a1, 1024)) ? Math.min(a1, 1024) : -3;
        break;
      case 1: // CONSOLE_READ: nothing is ever typed
        want = inWindow(a0, Math.min(a1, 1024)) ? 0 : -3;
        break;
      case 5:
      case 13: // VIRQ_RETURN, FAULT_RETURN outside an upcall or handler
        want = -2;
        break;
      case 7: // TIMER_SET
        want = a0 > 60_000_000 || a1 > 1 ? -2 : 0;
        break;
      case 14: {
        // STORE_READ
        const len = a0 >= STORE ? 0 : Math.min(a2, 4096, STORE - a0);
        want = inWindow(a1, len) ? len : -3;
        break;
      }
      case 15: {
        // STORE_WRITE
        const len = Math.min(a2, 4096);
        want = a0 + len > STORE ? -4 : inWindow(a1, len) ? len : -3;
        break;
      }
      case 16:
        want = a0 > 1 ? -2 : 0;
        break;
      case 17:
      case 100:
      case 0xffff_ffff:
        want = -1;
        break;
      default:
        if (got < -4) t.fail(`case ${k}: call ${n} returned ${got}, not a documented error`);
    }
    if (want === undefined) return;
    checked++;
    if (got !== want) t.fail(`case ${k}: call ${n}(0x${a0.toString(16)}, 0x${a1.toString(16)}, 0x${a2.toString(16)}) returned ${got}, want ${want}`);
  });
  t.ok(checked > 2000, `${checked} results checked against the documented semantics`);
  t.ok(results.some((r) => signed(r) === -3) && results.some((r) => signed(r) > 0), 'both refusals and successes happened');
});

t.test('a snapshot taken while both guests run restores and continues byte-identically', async (t) => {
  const build = () =>
    hypervisorMachine([{ config: partition('work'), image: ticker(700, 1000) }, { config: partition('home', { weight: 2 }), image: spinner() }], { record: ['hypercall', 'virq', 'worldSwitch'] });
  const first = build();
  t.equal(first.machine.run({ maxCycles: 3_333_333 }).kind, 'limit');
  const snapshot = first.machine.snapshot();
  const snapshotCycles = first.machine.cycles;
  const mark = { hypercall: first.events.hypercall!.length, virq: first.events.virq!.length, worldSwitch: first.events.worldSwitch!.length };
  t.equal(first.machine.run({ maxCycles: 9_000_000 }).kind, 'limit');
  const second = build();
  for (const list of Object.values(second.events)) list.length = 0; // what its own boot did
  second.machine.restore(snapshot);
  t.equal(second.machine.cycles, snapshotCycles, 'restored at the snapshot');
  t.equal(second.machine.run({ maxCycles: 9_000_000 }).kind, 'limit');
  t.equal(second.machine.cycles, first.machine.cycles, 'same cycles');
  t.equal(second.machine.instructions, first.machine.instructions, 'same instructions');
  t.same(second.events.hypercall, first.events.hypercall!.slice(mark.hypercall), 'the same hypercalls after the snapshot');
  t.same(second.events.virq, first.events.virq!.slice(mark.virq), 'the same upcalls');
  t.same(second.events.worldSwitch, first.events.worldSwitch!.slice(mark.worldSwitch), 'the same world switches');
  t.ok(mark.virq > 0 && second.events.virq!.length > 0, 'upcalls on both sides of the snapshot');
  t.same(second.hypervisor.status(), first.hypervisor.status(), 'the same partition state and counters');
  t.ok(Buffer.from(second.machine.snapshot()).equals(Buffer.from(first.machine.snapshot())), 'and the same snapshot bytes at the end');
});
