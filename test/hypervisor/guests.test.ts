// The work and home guests (guests/*.elf) under the hypervisor: banners, the shell, the store, faults
// and busy loops contained, and isolation attacks (peek/poke and the attack image) refused.
import t from 'tap';
import { loadImage } from '../../src/loader/image.ts';
import { command, hypervisorMachine, partition, runUntil, type Guests } from './harness.ts';

const RAM_MIB = 16;
const image = (name: string) => loadImage(`guests/${name}.elf`, {}, { ramBase: 0, ramMiB: RAM_MIB, ramSize: RAM_MIB << 20, mmio: [] } as never);
const guest = (name: 'work' | 'home' | 'attack', overrides = {}) => ({ config: partition(name, { ramMiB: RAM_MIB, number: { work: '+15550100', home: '+15550199', attack: '+15550666' }[name], ...overrides }), image: image(name) });

function phones(record: NonNullable<Parameters<typeof hypervisorMachine>[1]>['record'] = []): Guests {
  const g = hypervisorMachine([guest('work'), guest('home')], { record });
  t.match(runUntil(g, 'home', /home> $/), /^handset home phone \+15550199 ready\nhome> $/, 'home boots to its prompt');
  t.match(g.out.work, /^handset work phone \+15550100 ready\nwork> $/, 'work boots to its prompt');
  return g;
}

t.test('both phones boot to their banners and prompts', async (t) => {
  const g = phones();
  t.ok(g.machine.cycles < 2e6, `quickly: ${g.machine.cycles} cycles`);
  g.machine.run({ maxCycles: g.machine.cycles + 1e6 });
  t.same(g.hypervisor.status().map((s) => s.state), ['waiting', 'waiting'], 'then both wait');
});

t.test('the shell: help, apps, run, status, unknown commands', async (t) => {
  const g = phones();
  const help = command(g, 'work', 'help');
  for (const c of ['help', 'apps', 'run APP', 'status', 'notes', 'crash', 'spin', 'peek ADDR', 'poke ADDR VAL', 'dial NUMBER', 'answer', 'hangup', 'sms NUMBER TEXT', 'calls', 'reboot', 'exit']) {
    t.match(help, new RegExp(`^${c.replace(/[[\]|]/g, '\\$&')}\\b`, 'm'), `help lists ${c}`);
  }
  t.equal(command(g, 'work', 'apps'), 'customers\nmail\n');
  t.equal(command(g, 'home', 'apps'), 'feed\nphotos\n');
  t.match(command(g, 'work', 'run customers'), /^customers: 5\n(\d{4} .+\n){5}total balance: [\d.]+\nchecksum: 0x[0-9a-f]{8}\n$/);
  t.match(command(g, 'home', 'run feed'), /^feed: 4 posts\n(@\w+: .+\n){4}total likes: \d+\nchecksum: 0x[0-9a-f]{8}\n$/);
  t.equal(command(g, 'work', 'run feed'), 'no such app: feed\n', 'work has no home apps');
  t.equal(command(g, 'home', 'frobnicate'), 'unknown command: frobnicate (try help)\n');
  t.match(command(g, 'work', 'status'), /^name: work\nnumber: \+15550100\nuptime: \d+ s\nheartbeats: \d+\nforeground: yes\nnotes: 0\n$/);
  t.match(command(g, 'home', 'status'), /foreground: no\n/);
  t.equal(command(g, 'work', 'dial 5551234'), 'modem not available\n', 'the modem comes with a later issue');
});

t.test('the heartbeat runs on the virtual timer', async (t) => {
  const g = phones();
  g.machine.run({ maxCycles: g.machine.cycles + 3.5 * 200e6 });
  t.match(command(g, 'work', 'status'), /uptime: 3 s\nheartbeats: 3\n/);
});

t.test('notes live in each phone\'s own store and survive a reboot', async (t) => {
  const g = phones();
  t.equal(command(g, 'work', 'notes add call the bank'), 'note 1 added\n');
  t.equal(command(g, 'work', 'notes add send the invoice'), 'note 2 added\n');
  t.equal(command(g, 'home', 'notes'), 'no notes\n', 'home does not see work\'s notes');
  t.equal(command(g, 'home', 'notes add buy milk'), 'note 1 added\n');
  g.hypervisor.typeInto('work', new TextEncoder().encode('reboot\n'));
  t.match(runUntil(g, 'work', /ready\nwork> $/), /rebooting\n.*handset work phone \+15550100 ready\nwork> $/s);
  t.equal(g.hypervisor.status()[0].boots, 2);
  t.equal(command(g, 'work', 'notes'), '1: call the bank\n2: send the invoice\n', 'work\'s notes after its reboot');
  t.equal(command(g, 'home', 'notes'), '1: buy milk\n');
  t.equal(command(g, 'work', 'notes clear'), 'notes cleared\n');
  t.equal(command(g, 'work', 'notes'), 'no notes\n');
});

t.test('the button switches the foreground; both phones are told and keep running', async (t) => {
  const g = phones(['button']);
  g.hypervisor.pressButton();
  runUntil(g, 'home', /\[foreground\]\nhome> $/);
  runUntil(g, 'work', /\[background\]\nwork> $/);
  t.match(g.out.home, /\n\[foreground\]\nhome> $/);
  t.match(g.out.work, /\n\[background\]\nwork> $/);
  t.match(command(g, 'home', 'status'), /foreground: yes/);
  t.match(command(g, 'work', 'status'), /foreground: no/, 'the background phone still answers');
  g.hypervisor.pressButton();
  runUntil(g, 'work', /\[foreground\]\nwork> $/);
  t.same(g.events.button, [{ foreground: 'home' }, { foreground: 'work' }]);
});

t.test('crash in one phone: its fault handler reports and the shell goes on; the other is untouched', async (t) => {
  const g = phones();
  t.match(command(g, 'work', 'crash'), /^fault: data abort at 0x40000000 \(pc 0x[0-9a-f]{8}\)\n$/);
  t.equal(command(g, 'work', 'apps'), 'customers\nmail\n', 'work goes on');
  t.equal(command(g, 'home', 'apps'), 'feed\nphotos\n', 'home goes on');
  g.machine.run({ maxCycles: g.machine.cycles + 1e6 });
  t.same(g.hypervisor.status().map((s) => [s.state, s.faults]), [['waiting', 1], ['waiting', 0]]);
});

t.test('spin in one phone (a busy loop with vIRQs masked) leaves the other running on time', async (t) => {
  const g = phones(['virq']);
  const start = g.machine.cycles;
  g.hypervisor.typeInto('work', new TextEncoder().encode('spin 1\n'));
  t.equal(command(g, 'home', 'run photos').split('\n')[0], 'albums: 3', 'home answers while work spins');
  const answeredAt = g.machine.cycles;
  t.ok(answeredAt - start < 20e6, `home answered within 0.1 s of virtual time (${answeredAt - start} cycles)`);
  runUntil(g, 'work', /spin done\nwork> $/, 1e9);
  t.ok(g.machine.cycles - start >= 200e6, 'work spun for its second');
  const homeTicks = g.events.virq!.filter((e) => e.guest === 'home' && (e.bits & 1) !== 0).length;
  t.ok(homeTicks >= 1, `home's heartbeat ticked during the spin (${homeTicks})`);
  const [work, home] = g.hypervisor.status();
  t.ok(work.share > 0.9, `work used most of the CPU (${(work.share * 100).toFixed(1)}%) while home used what it needed`);
  t.equal(home.state, 'waiting');
});

t.test('peek and poke outside the window are refused as contained faults', async (t) => {
  const g = phones(['device']);
  const window = RAM_MIB << 20;
  for (const address of [window, 0x0010_0000 + window, 0x1000_9000, 0x1000_a000, 0x1004_0000, 0x1004_1000, 0x1001_1000, 0x1001_2000, 0xc000_1000, 0x4000_0000]) {
    const hex = `0x${address.toString(16).padStart(8, '0')}`;
    t.match(command(g, 'work', `peek ${hex}`), new RegExp(`^fault: data abort at ${hex} `), `peek ${hex}`);
    t.match(command(g, 'work', `poke ${hex} 0x41`), new RegExp(`^fault: data abort at ${hex} `), `poke ${hex}`);
  }
  t.notOk(g.events.device?.some((a) => a.initiator === 'cpu'), 'no device register was reached');
  t.match(command(g, 'work', 'peek 0xc0000000'), /^0xc0000000: 0x55504356\n$/, 'its own vCPU page is readable');
  t.equal(command(g, 'work', 'poke 0x00300000 7'), 'ok\n');
  t.equal(command(g, 'work', 'peek 0x00300000'), '0x00300000: 0x00000007\n', 'its own RAM works');
  t.equal(command(g, 'home', 'peek 0x00300000'), '0x00300000: 0x00000000\n', 'home\'s RAM at the same address is its own');
});

t.test('the attack image: every attack is refused, and home\'s output is what it is without the attacker', async (t) => {
  const homeCommands = ['run feed', 'notes add pictures', 'notes', 'run photos', 'apps'];
  const homeRun = (partner: 'work' | 'attack') => {
    const g = hypervisorMachine([guest('home'), guest(partner)]);
    runUntil(g, partner, partner === 'attack' ? /attack done \d+ allowed\n/ : /work> $/, 1e9);
    for (const c of homeCommands) command(g, 'home', c);
    return g;
  };
  const attacked = homeRun('attack');
  const attack = attacked.out.attack;
  t.match(attack, /^handset attack ready\n/);
  t.match(attack, /attack done 0 allowed\n$/, 'nothing allowed');
  t.notMatch(attack, /ALLOWED/);
  const lines = attack.split('\n').filter((l) => l.startsWith('attack ') && !l.startsWith('attack done'));
  t.ok(lines.length >= 60, `${lines.length} attacks`);
  t.ok(lines.every((l) => /: (faulted \w|error -[1-4]$|ignored)/.test(l)), 'each one faulted, got an error code, or was ignored (MSR in USR mode)');
  t.match(attacked.hypervisor.status()[1].state, /^(ready|waiting)$/, 'the attacker is still alive (its faults were its own)');
  const quiet = homeRun('work');
  t.equal(attacked.out.home, quiet.out.home, 'home printed exactly the same with the attacker beside it');
  t.match(attacked.out.home, /1: pictures\n/);
});

t.test('both phones make progress under load: busy in both, CPU shares follow the weights (1:3) over 10^8 cycles', async (t) => {
  const g = hypervisorMachine([guest('work', { weight: 1 }), guest('home', { weight: 3 })]);
  runUntil(g, 'home', /home> $/);
  g.hypervisor.typeInto('work', new TextEncoder().encode('spin 5\n'));
  g.hypervisor.typeInto('home', new TextEncoder().encode('spin 5\n'));
  const before = g.hypervisor.status().map((s) => s.cycles);
  g.machine.run({ maxCycles: g.machine.cycles + 1e8 });
  const used = g.hypervisor.status().map((s, i) => s.cycles - before[i]);
  const total = used[0] + used[1];
  t.ok(total > 0.99e8, 'the phones had the CPU');
  const shares = used.map((u) => u / total);
  t.ok(Math.abs(shares[0] - 0.25) <= 0.025, `work ${(shares[0] * 100).toFixed(2)}% (weight 1 of 4)`);
  t.ok(Math.abs(shares[1] - 0.75) <= 0.075, `home ${(shares[1] * 100).toFixed(2)}% (weight 3 of 4)`);
  t.notMatch(g.out.work + g.out.home, /spin done/, 'both still busy');
});
