// The management service (issue 10, src/hypervisor/management.ts) on the real work and home guests: a
// policy enforced by the hypervisor (blocked apps and SMS), the lock and its PIN, wipe and reboot with the
// other phone running on, what the console may see of the other partition, the audit log, bad arguments,
// snapshots, POLICY_CHECK's ABI, and the config's `managed` field.
import t from 'tap';
import { loadImage } from '../../src/loader/image.ts';
import { ConfigError, managedPartition, parseConfig } from '../../src/hypervisor/config.ts';
import { AUDIT_MAX, ManagementError, type AuditEntry, type ManagementApi } from '../../src/hypervisor/management.ts';
import { SnapshotError } from '../../src/soc/device.ts';
import { command, hypervisorMachine, partition, rawGuest, runUntil, type Guests } from './harness.ts';

const RAM_MIB = 16;
const HZ = 200e6;
const image = (name: string) => loadImage(`guests/${name}.elf`, {}, { ramBase: 0, ramMiB: RAM_MIB, ramSize: RAM_MIB << 20, mmio: [] } as never);
const guest = (name: 'work' | 'home') => ({ config: partition(name, { ramMiB: RAM_MIB }), image: image(name) });
const text = (s: string) => new TextEncoder().encode(s);

function phones(record: NonNullable<Parameters<typeof hypervisorMachine>[1]>['record'] = []): Guests {
  const g = hypervisorMachine([guest('work'), guest('home')], { record });
  runUntil(g, 'home', /home> $/);
  runUntil(g, 'work', /work> $/);
  return g;
}

function mgmt(g: Guests): ManagementApi {
  const m = g.machine.hypervisor!.management;
  if (m === undefined) throw new Error('no management');
  return m;
}

function run(g: Guests, seconds: number): void {
  g.machine.run({ maxCycles: g.machine.cycles + Math.round(seconds * HZ) });
}

/** The ManagementError `action` throws (a failure when it throws something else or nothing). */
function refusal(action: () => unknown): ManagementError | undefined {
  try {
    action();
  } catch (e) {
    if (e instanceof ManagementError) return e;
    throw e;
  }
  return undefined;
}

/** setPolicy, then run until the work guest has shown "[policy updated]" (so the next command's output is its own). */
function setPolicy(g: Guests, update: Parameters<ManagementApi['setPolicy']>[0]): void {
  mgmt(g).setPolicy(update);
  runUntil(g, 'work', /\[policy updated\]\nwork> $/);
}

const homeCycles = (g: Guests) => g.hypervisor.status().find((s) => s.name === 'home')!.cycles;

t.test('status: the managed partition in full, the other only by name and whether it runs', async (t) => {
  const g = phones();
  const m = mgmt(g);
  t.equal(m.partition, 'work');
  const s = m.status();
  t.strictSame(Object.keys(s).sort(), ['apps', 'boots', 'cycles', 'faults', 'locked', 'name', 'others', 'policy', 'share', 'state', 'storeSize', 'storeUsedBytes'].sort());
  t.match(s, { name: 'work', state: 'running', locked: false, faults: 0, boots: 1, apps: ['customers', 'mail'], storeUsedBytes: 0, storeSize: 64 * 1024 });
  t.ok(s.cycles > 0 && s.share > 0 && s.share < 1, `cycles ${s.cycles}, share ${s.share}`);
  t.strictSame(s.policy, { apps: null, sms: true, pin: null }, 'the default policy allows everything');
  t.strictSame(s.others, [{ name: 'home', running: true }]);
  t.strictSame(Object.keys(s.others[0]), ['name', 'running'], 'nothing of home but its name and whether it runs');

  t.equal(command(g, 'home', 'notes add the secret home note'), 'note 1 added\n');
  t.equal(command(g, 'work', 'notes add call the bank'), 'note 1 added\n');
  const after = m.status();
  t.equal(after.storeUsedBytes, 12 + 'call the bank'.length, 'the used store: to the last non-zero byte (the notes header, one record and its NUL)');
  const everything = JSON.stringify([after, m.policy(), m.audit()]);
  for (const secret of ['secret home note', '+15550199', 'feed', 'photos', 'home>']) t.notMatch(everything, secret, `nothing shows ${secret}`);

  g.hypervisor.typeInto('home', text('exit 3\n'));
  run(g, 0.05);
  t.strictSame(m.status().others, [{ name: 'home', running: false }], 'home exited: not running (and no status of its own)');
});

t.test('a policy blocks an app in the work guest; allowed apps still run; home is not managed', async (t) => {
  const g = phones();
  const m = mgmt(g);
  t.strictSame(m.setPolicy({ apps: ['customers', 'crm'] }), { apps: ['customers', 'crm'], sms: true, pin: null }, 'unknown app names are fine');
  t.equal(runUntil(g, 'work', /\[policy updated\]\nwork> $/), '\n[policy updated]\nwork> ', 'the guest is told');
  t.equal(command(g, 'work', 'run mail'), 'app blocked by policy: mail\n');
  t.match(command(g, 'work', 'run customers'), /^customers: 5\n/, 'an allowed app runs');
  t.equal(command(g, 'work', 'run feed'), 'no such app: feed\n', 'an app it does not have is still not there');
  t.equal(command(g, 'work', 'apps'), 'customers\nmail\n', 'apps lists what is installed');
  setPolicy(g, { apps: [] });
  t.equal(command(g, 'work', 'run customers'), 'app blocked by policy: customers\n', 'an empty list allows none');
  t.match(command(g, 'home', 'run feed'), /^feed: 4 posts\n/, 'home is not managed: its apps run');
  setPolicy(g, { apps: null });
  t.match(command(g, 'work', 'run mail'), /^inbox: 3 messages/, 'null allows every app again');
  const blocked = m.audit().filter((e) => e.action === 'runApp');
  t.strictSame(blocked.map((e) => [e.by, e.detail, e.refused]), [
    ['guest', 'app mail blocked by policy', true],
    ['guest', 'app customers blocked by policy', true],
  ], 'each refusal is in the audit log (allowed starts are not)');
});

t.test('sms blocked by policy', async (t) => {
  const g = phones();
  const m = mgmt(g);
  t.equal(command(g, 'work', 'sms +15551234 hello'), 'modem not available\n', 'allowed: the phone goes on (no modem here)');
  setPolicy(g, { sms: false });
  t.equal(command(g, 'work', 'sms +15551234 hello'), 'sms blocked by policy\n');
  t.equal(command(g, 'home', 'sms +15551234 hello'), 'modem not available\n', 'home may');
  setPolicy(g, { sms: true });
  t.equal(command(g, 'work', 'sms +15551234 hello'), 'modem not available\n');
  t.strictSame(m.audit().filter((e) => e.action === 'sendSms').map((e) => [e.detail, e.refused]), [['SMS blocked by policy', true]]);
});

t.test('lock holds console input; a wrong PIN does not unlock, the PIN does; unlock by management', async (t) => {
  const g = phones();
  const m = mgmt(g);
  m.setPolicy({ pin: '2468' });
  runUntil(g, 'work', /\[policy updated\]\nwork> $/);
  m.lock();
  t.equal(runUntil(g, 'work', /\[locked\]\nwork> $/), '\n[locked]\nwork> ', 'the guest shows it');
  t.equal(m.status().state, 'locked');
  t.equal(refusal(() => m.lock())?.message, 'lock: work is already locked');

  const before = g.out.work;
  g.hypervisor.typeInto('work', text('notes add typed while locked\n'));
  g.hypervisor.typeInto('work', text('1357\r\n'));
  run(g, 0.1);
  t.equal(g.out.work, before, 'nothing typed reaches the guest, a wrong PIN included');
  t.equal(command(g, 'home', 'apps'), 'feed\nphotos\n', 'home is not locked');
  t.equal(m.status().state, 'locked');
  t.match(m.audit().at(-1), { action: 'unlock', by: 'keyboard', detail: 'wrong PIN typed', refused: true });

  g.hypervisor.typeInto('work', text('24'));
  g.hypervisor.typeInto('work', text('68\r'));
  g.hypervisor.typeInto('work', text('\nstatus\n'));
  const shown = runUntil(g, 'work', /foreground: yes\nnotes: 0\nwork> $/);
  t.equal(shown.split('\n').slice(0, 3).join('\n'), '\n[unlocked]\nwork> status', 'the PIN unlocks (CR LF is one line end); what follows it is delivered');
  t.equal(m.status().state, 'running');
  t.match(m.audit().at(-1), { action: 'unlock', by: 'keyboard', detail: 'work unlocked with the PIN', refused: false });
  t.equal(command(g, 'work', 'notes'), 'no notes\n', 'the line typed while locked was never run, not even after the unlock');

  m.setPolicy({ pin: null });
  runUntil(g, 'work', /\[policy updated\]\nwork> $/);
  m.lock();
  runUntil(g, 'work', /\[locked\]\nwork> $/);
  g.hypervisor.typeInto('work', text('2468\n'));
  run(g, 0.05);
  t.equal(m.status().state, 'locked', 'without a PIN typing does not unlock');
  m.unlock();
  t.equal(runUntil(g, 'work', /\[unlocked\]\nwork> $/), '\n[unlocked]\nwork> ');
  t.equal(refusal(() => m.unlock())?.message, 'unlock: work is not locked');
  t.equal(command(g, 'work', 'apps'), 'customers\nmail\n', 'input flows again');
});

t.test('a locked partition is refused apps and SMS by POLICY_CHECK; a partition that is not managed always gets 0', async (t) => {
  // Each guest asks POLICY_CHECK (kind, name "mail") and EXITs; r0 values are read from the hypercall events.
  const asker = rawGuest(`
    mov r0, #1
    adr r1, name
    mov r2, #4
    hc 19
    mov r0, #2
    mov r1, #0
    mov r2, #0
    hc 19
    mov r0, #0
    hc 10
  name: .ascii "mail"
  `);
  const g = hypervisorMachine([{ config: partition('work'), image: asker }, { config: partition('home'), image: asker }], { record: ['hypercall'] });
  const m = mgmt(g);
  m.setPolicy({ apps: ['mail'], sms: false });
  m.lock();
  t.same(g.machine.run({ maxCycles: 1e8 }), { kind: 'exit', status: 0 });
  const results = (guest: string) => g.events.hypercall!.filter((e) => e.guest === guest && e.number === 19).map((e) => e.result);
  t.strictSame(results('work'), [-5, -5], 'work, locked: EPERM for an allowed app and for SMS');
  t.strictSame(results('home'), [0, 0], 'home: always allowed');
  t.strictSame(g.events.hypercall!.find((e) => e.number === 19)?.name, 'policy_check');
});

t.test('POLICY_CHECK arguments: kinds, lengths, names, pointers; the app report', async (t) => {
  const calls: [number, number, number][] = [
    [0, 0, 0], // no kind 0
    [4, 0, 0],
    [1, 0x100, 0], // kind 1: empty name
    [1, 0x100, 33], // too long
    [1, 0x100, 4], // "mail"
    [1, 0x104, 4], // "a b!" : not an app name
    [1, 0xfffffff0, 4], // outside the window
    [2, 0x100, 1], // kind 2 takes no name
    [2, 0, 0],
    [3, 0x110, 18], // "customers\nmail\ncrm"
    [3, 0x110, 19], // a trailing newline: an empty name
    [3, 0x130, 7], // "mail\nma"
    [3, 0x140, 9], // "mail\nmail": a name twice
    [3, 0, 1025], // too long
    [3, 0xffffff00, 8],
    [3, 0, 0], // no apps
  ];
  const table = calls.map(([k, p, l]) => `.word ${k}, ${p}, ${l}`).join('\n');
  const image = rawGuest(`
    ldr r4, =0x100
    adr r5, strings
    mov r6, #0x60
  copy:
    ldrb r0, [r5], #1
    strb r0, [r4], #1
    subs r6, r6, #1
    bne copy
    adr r8, table
    mov r9, #${calls.length}
  loop:
    ldmia r8!, {r0, r1, r2}
    hc 19
    subs r9, r9, #1
    bne loop
    mov r0, #0
    hc 10
  .balign 16
  strings:
    .ascii "maila b!"
  .balign 16
    .ascii "customers\\nmail\\ncrm\\n"
  .balign 16
    .ascii "mail\\nma"
  .balign 16
    .ascii "mail\\nmail"
  .balign 16
    .space 16
  .ltorg
  table:
  ${table}
  `);
  const g = hypervisorMachine([{ config: partition('work'), image }, { config: partition('home'), image: rawGuest('mov r0, #0\n hc 10') }], { record: ['hypercall'] });
  const m = mgmt(g);
  m.setPolicy({ apps: ['customers'] });
  const reports: string[][] = [];
  g.machine.on('hypercall', (e) => {
    if (e.number === 19 && e.args[0] === 3 && e.result === 0) reports.push(m.status().apps);
  });
  t.same(g.machine.run({ maxCycles: 1e8 }), { kind: 'exit', status: 0 });
  const got = g.events.hypercall!.filter((e) => e.number === 19).map((e) => e.result);
  t.strictSame(got, [-2, -2, -2, -2, -5, -2, -3, -2, 0, 0, -2, 0, -2, -2, -3, 0]);
  t.strictSame(reports, [['customers', 'mail', 'crm'], ['mail', 'ma'], []], 'each report replaces the list');
});

t.test('wipe: work\'s store emptied and work rebooted from its image, while home runs on untouched', async (t) => {
  const g = phones(['guestState']);
  const m = mgmt(g);
  command(g, 'work', 'notes add call the bank');
  command(g, 'work', 'notes add send the invoice');
  t.equal(command(g, 'home', 'notes add buy milk'), 'note 1 added\n');
  m.setPolicy({ apps: ['mail'] });
  runUntil(g, 'work', /\[policy updated\]\nwork> $/);
  const used = m.status().storeUsedBytes;
  t.ok(used > 12, `work's store is in use (${used} bytes)`);

  // Home busy (spin 1: a second of virtual time, vIRQs masked); wipe work in the middle of it.
  const spinStart = g.machine.cycles;
  g.hypervisor.typeInto('home', text('spin 1\n'));
  run(g, 0.3);
  const homeBefore = homeCycles(g);
  const workOut = g.out.work.length;
  const wipeAt = g.machine.cycles;
  m.wipe();
  t.equal(g.machine.cycles, wipeAt, 'the wipe takes no virtual time');
  const s = m.status();
  t.equal(s.storeUsedBytes, 0, 'the store is all zero at once');
  t.equal(s.boots, 2);
  t.strictSame(s.apps, [], 'the apps are reported again by the new boot');
  t.strictSame(s.policy.apps, ['mail'], 'the policy is the hypervisor\'s: it stays');
  t.match(g.events.guestState!.at(-1), { guest: 'work', state: 'ready', detail: 'wiped and rebooted by management' });
  run(g, 0.05);
  t.ok(homeCycles(g) > homeBefore, `home's cycles kept advancing through the wipe (${homeBefore} -> ${homeCycles(g)})`);
  t.equal(runUntil(g, 'work', /ready\nwork> $/, 1e8, workOut), 'handset work phone +15550100 ready\nwork> ', 'work booted again from its image');
  t.strictSame(m.status().apps, ['customers', 'mail']);
  t.equal(command(g, 'work', 'notes'), 'no notes\n', 'work\'s notes are gone');
  t.equal(command(g, 'work', 'run customers'), 'app blocked by policy: customers\n', 'and the policy still holds');

  runUntil(g, 'home', /spin done\nhome> $/, 1e9);
  const spun = g.machine.cycles - spinStart;
  t.ok(spun >= HZ && spun < 1.1 * HZ, `home's spin ended on time (${(spun / HZ).toFixed(3)} s), its clock never paused`);
  t.equal(command(g, 'home', 'notes'), '1: buy milk\n', 'home\'s notes are intact');
  t.match(command(g, 'home', 'status'), /^name: home\n/, 'home never rebooted');
  t.equal(g.hypervisor.status()[1].boots, 1);
  t.match(m.audit().find((e) => e.action === 'wipe'), { by: 'management', refused: false, detail: `store emptied (${used} bytes were in use), work rebooted from its image`, cycle: wipeAt });
});

t.test('wipe and reboot while work is on the CPU, and reboot of a work phone that exited', async (t) => {
  const g = phones();
  const m = mgmt(g);
  command(g, 'work', 'notes add keep me');
  // Stop the run while work spins: work's registers are live on the CPU.
  g.hypervisor.typeInto('work', text('spin 1\n'));
  const out = g.out.work.length;
  run(g, 0.2);
  m.reboot();
  t.equal(runUntil(g, 'work', /ready\nwork> $/, 1e8, out), 'spin 1\nhandset work phone +15550100 ready\nwork> ', 'the spin is cut short by the reboot');
  t.equal(command(g, 'work', 'notes'), '1: keep me\n', 'a reboot keeps the store');
  g.hypervisor.typeInto('work', text('exit 0\n'));
  run(g, 0.05);
  t.equal(m.status().state, 'exited');
  m.reboot();
  t.equal(m.status().state, 'running');
  t.equal(runUntil(g, 'work', /ready\nwork> $/, 1e8), 'handset work phone +15550100 ready\nwork> ', 'a reboot brings an exited phone back');
  t.equal(m.status().boots, 3);
  t.equal(command(g, 'work', 'apps'), 'customers\nmail\n');
});

t.test('a wipe or reboot from an event listener (inside the hypervisor) is refused, and changes nothing', async (t) => {
  const g = phones();
  const m = mgmt(g);
  command(g, 'work', 'notes add keep me');
  let error: ManagementError | undefined;
  const off = g.machine.on('guestConsole', (e) => {
    if (e.guest === 'home' && error === undefined) error = refusal(() => m.wipe());
  });
  command(g, 'home', 'apps');
  off();
  t.equal(error?.message, 'wipe: the hypervisor is handling a trap: call it between runs, not from an event listener');
  t.equal(command(g, 'work', 'notes'), '1: keep me\n');
  t.match(m.audit().at(-1), { action: 'wipe', refused: true });
});

t.test('bad arguments are one-line ManagementErrors that change nothing (and are logged as refused)', async (t) => {
  const g = phones();
  const m = mgmt(g);
  m.setPolicy({ apps: ['mail'], pin: '1234' });
  runUntil(g, 'work', /\[policy updated\]\nwork> $/);
  const policy = m.policy();
  const out = g.out.work;
  const cases: [unknown, string][] = [
    [{ pin: 'abcd' }, 'setPolicy: pin: expected null or a string of 4 to 8 digits'],
    [{ pin: '123' }, 'setPolicy: pin: expected null or a string of 4 to 8 digits'],
    [{ pin: 123456 }, 'setPolicy: pin: expected null or a string of 4 to 8 digits'],
    [{ colour: 'red' }, 'setPolicy: "colour" is not a policy field (expected apps, sms, pin)'],
    [{ sms: false, colour: 'red' }, 'setPolicy: "colour" is not a policy field (expected apps, sms, pin)'],
    [{ apps: 'mail' }, 'setPolicy: apps: expected null (every app) or a list of up to 32 distinct app names (1 to 32 letters, digits, ".", "_" or "-"), got "mail"'],
    [{ apps: ['mail', 'mail'] }, 'setPolicy: apps[1]: "mail" is also apps[0]'],
    [{ apps: ['mail', 'two words'] }, 'setPolicy: apps[1]: expected an app name (1 to 32 letters, digits, ".", "_" or "-"), got "two words"'],
    [{ apps: ['ok', 7] }, 'setPolicy: apps[1]: expected an app name (1 to 32 letters, digits, ".", "_" or "-"), got 7'],
    [{ sms: 'yes' }, 'setPolicy: sms: expected true or false, got "yes"'],
    [{}, 'setPolicy: nothing to change (expected some of apps, sms, pin)'],
    [null, 'setPolicy: expected an object with some of apps, sms, pin, got null'],
    [['apps'], 'setPolicy: expected an object with some of apps, sms, pin, got a list'],
    [new Date(0), 'setPolicy: expected an object with some of apps, sms, pin, got an object'],
  ];
  const auditBefore = m.audit().length;
  for (const [update, message] of cases) {
    const e = refusal(() => m.setPolicy(update as never));
    t.equal(e?.message, message, JSON.stringify(update) ?? String(update));
    t.notMatch(e?.message ?? '', /\n/, 'one line');
    t.notMatch(e?.message ?? '', /abcd|123456/, 'a bad PIN is never echoed');
  }
  t.strictSame(m.policy(), policy, 'the policy did not change');
  run(g, 0.05);
  t.equal(g.out.work, out, 'the guest was not told of anything');
  const refused = m.audit().slice(auditBefore);
  t.equal(refused.length, cases.length, 'each refusal is in the audit log');
  t.ok(refused.every((e) => e.action === 'setPolicy' && e.refused && e.by === 'management'));
  t.notMatch(JSON.stringify(m.audit()), /1234/, 'the PIN is never in the audit log');

  const returned = m.policy();
  returned.apps!.push('customers');
  t.strictSame(m.policy(), policy, 'what the API returns is a copy');
});

t.test('the audit log: every action and refusal with its virtual cycle, the last 256', async (t) => {
  const g = phones();
  const m = mgmt(g);
  const at: number[] = [];
  const act = (f: () => void) => {
    at.push(g.machine.cycles);
    try {
      f();
    } catch (e) {
      if (!(e instanceof ManagementError)) throw e;
    }
    run(g, 0.01);
  };
  act(() => m.setPolicy({ apps: ['customers'], sms: false, pin: '9876' }));
  act(() => m.lock());
  act(() => m.lock());
  act(() => m.unlock());
  act(() => m.unlock());
  act(() => m.reboot());
  act(() => m.wipe());
  act(() => m.setPolicy({ apps: null, pin: null }));
  const log = m.audit();
  t.strictSame(
    log.map((e: AuditEntry) => [e.seq, e.action, e.by, e.refused, e.detail]),
    [
      [1, 'setPolicy', 'management', false, 'apps: customers; sms: blocked; pin: set'],
      [2, 'lock', 'management', false, 'work locked (the PIN unlocks it)'],
      [3, 'lock', 'management', true, 'work is already locked'],
      [4, 'unlock', 'management', false, 'work unlocked'],
      [5, 'unlock', 'management', true, 'work is not locked'],
      [6, 'reboot', 'management', false, 'work rebooted from its image'],
      [7, 'wipe', 'management', false, 'store emptied (0 bytes were in use), work rebooted from its image'],
      [8, 'setPolicy', 'management', false, 'apps: all; pin: removed'],
    ],
  );
  t.strictSame(log.map((e) => e.cycle), at, 'each at the virtual cycle it was done');
  t.strictSame(Object.keys(log[0]).sort(), ['action', 'by', 'cycle', 'detail', 'refused', 'seq']);

  for (let k = 0; k < AUDIT_MAX + 10; k++) refusal(() => m.unlock());
  const full = m.audit();
  t.equal(full.length, AUDIT_MAX, `bounded: the last ${AUDIT_MAX}`);
  t.equal(full[0].seq, 8 + 10 + 1, 'the oldest went first');
  t.equal(full.at(-1)!.seq, 8 + AUDIT_MAX + 10);
});

t.test('a snapshot with a policy, a lock and half a PIN typed restores byte-identically and goes on the same', async (t) => {
  const build = () => phones();
  const first = build();
  const m1 = mgmt(first);
  m1.setPolicy({ apps: ['mail'], sms: false, pin: '2468' });
  m1.lock();
  runUntil(first, 'work', /\[locked\]\nwork> $/);
  first.hypervisor.typeInto('work', text('wrong\n24'));
  run(first, 0.01);
  const snapshot = first.machine.snapshot();

  const second = build();
  const m2 = mgmt(second);
  second.machine.restore(snapshot);
  t.ok(Buffer.from(second.machine.snapshot()).equals(Buffer.from(snapshot)), 'the restored machine snapshots to the same bytes');
  t.strictSame(m2.status(), m1.status(), 'the same status');
  t.strictSame(m2.audit(), m1.audit(), 'the same audit log');

  const marks = [first.out.work.length, second.out.work.length];
  for (const g of [first, second]) {
    g.hypervisor.typeInto('work', text('68\n'));
    runUntil(g, 'work', /\[unlocked\]\nwork> $/);
  }
  t.equal(second.out.work.slice(marks[1]), first.out.work.slice(marks[0]), 'the rest of the PIN unlocks both');
  t.equal(command(second, 'work', 'run customers'), 'app blocked by policy: customers\n', 'the restored policy is enforced');
  t.equal(command(first, 'work', 'run customers'), 'app blocked by policy: customers\n');
  t.ok(Buffer.from(second.machine.snapshot()).equals(Buffer.from(first.machine.snapshot())), 'and the same snapshot bytes after');
});

t.test('a bad management state in a snapshot is refused whole', async (t) => {
  const g = phones();
  const m = mgmt(g);
  const hv = g.hypervisor as unknown as { save(): Record<string, unknown>; load(s: unknown): void };
  const good = hv.save();
  t.ok(good.management !== null && typeof good.management === 'object', 'the hypervisor saves the management state');
  const with_ = (f: (s: Record<string, unknown>) => void) => {
    const s = structuredClone(good);
    f(s.management as Record<string, unknown>);
    return s;
  };
  const cases: [Record<string, unknown>, string][] = [
    [with_((s) => (s.partition = 'home')), 'partition'],
    [with_((s) => ((s.policy as Record<string, unknown>).pin = 'abcd')), 'policy'],
    [with_((s) => ((s.policy as Record<string, unknown>).extra = 1)), 'policy.extra'],
    [with_((s) => (s.apps = ['a b'])), 'apps[0]'],
    [with_((s) => (s.audit = [{ seq: 1, cycle: 0, action: 'format', by: 'management', detail: '', refused: false }])), 'audit[0].seq'],
    [with_((s) => ((s.hold as Record<string, unknown>).bytes = [300])), 'hold.bytes[0]'],
    [with_((s) => delete s.locked), 'locked'],
  ];
  m.setPolicy({ sms: false });
  const saved = JSON.stringify(hv.save());
  for (const [state, field] of cases) {
    try {
      hv.load(state);
      t.fail(`${field}: loaded`);
    } catch (e) {
      t.ok(e instanceof SnapshotError, `${field}: ${(e as Error).message}`);
      t.match((e as SnapshotError).message, /^hypervisor: management: snapshot field /);
    }
  }
  t.equal(JSON.stringify(hv.save()), saved, 'nothing changed');
  const none = structuredClone(good);
  none.management = null;
  t.throws(() => hv.load(none), /snapshot field management: missing/);
});

t.test('config: `managed` names the managed partition (default work), or null for none', async (t) => {
  const opts = { baseDir: '/x', boardRamMiB: 128, source: 'h.json' };
  const two = (extra: object, names = ['work', 'home']) =>
    parseConfig(JSON.stringify({ partitions: names.map((name, i) => ({ name, image: `${name}.elf`, number: `+1555010${i}` })), ...extra }), opts);
  t.equal(two({}).managed, undefined, 'absent: not in the parsed config');
  t.equal(managedPartition(two({})), 'work', 'the default is work');
  t.equal(managedPartition(two({}, ['alpha', 'beta'])), null, 'no partition named work: none');
  t.equal(managedPartition(two({ managed: 'home' })), 'home');
  t.equal(managedPartition(two({ managed: null })), null);
  for (const bad of ['office', 7, true]) {
    try {
      two({ managed: bad });
      t.fail('accepted');
    } catch (e) {
      t.ok(e instanceof ConfigError);
      t.equal((e as Error).message, `config h.json: managed: expected the name of a partition (one of work, home) or null for none, got ${JSON.stringify(bad)}`);
    }
  }

  const plain = hypervisorMachine([{ config: partition('alpha'), image: rawGuest('mov r0, #0\n hc 10') }, { config: partition('beta'), image: rawGuest('mov r0, #0\n hc 10') }]);
  t.equal(plain.machine.hypervisor!.management, undefined, 'no work partition: no management');
});
