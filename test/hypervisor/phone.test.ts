// The work and home phones (guests/*.elf) on the shared modem: each talks AT to its own virtual modem
// (MODEM_WRITE / MODEM_READ, VIRQ_MODEM), rings with its own ringtone for calls to its own line, and dials,
// answers, hangs up, texts and lists its calls without seeing or touching the other phone's.
import t, { type Test as Tap } from 'tap';
import { loadImage } from '../../src/loader/image.ts';
import type { MachineEvents } from '../../src/machine/events.ts';
import { command, hypervisorMachine, partition, runUntil, type Guests } from './harness.ts';

const RAM_MIB = 16;
const HZ = 200e6; // the arm926's default clock: cycles per second of virtual time
const image = (name: string) => loadImage(`guests/${name}.elf`, {}, { ramBase: 0, ramMiB: RAM_MIB, ramSize: RAM_MIB << 20, mmio: [] } as never);
const guest = (name: 'work' | 'home') => ({ config: partition(name, { ramMiB: RAM_MIB, ringtone: name === 'work' ? 'office' : 'melody' }), image: image(name) });

/** Both phones with the modem, booted to their prompts, and the link and both channels set up (0.1 s). */
function phones(t: Tap, record: (keyof MachineEvents)[] = ['ringtone']): Guests {
  const g = hypervisorMachine([guest('work'), guest('home')], { modem: true, record });
  runUntil(g, 'home', /home> $/);
  run(g, 0.1);
  t.equal(g.out.work, 'handset work phone +15550100 ready\nwork> ', 'work boots as without a modem: the set-up prints nothing');
  t.equal(g.out.home, 'handset home phone +15550199 ready\nhome> ');
  return g;
}

function run(g: Guests, seconds: number): void {
  g.machine.run({ maxCycles: g.machine.cycles + Math.round(seconds * HZ) });
}

/** What the phone printed on its own (news at its prompt), up to its prompt again. */
function news(g: Guests, name: string, pattern: RegExp, seconds = 1.5): string {
  return runUntil(g, name, new RegExp(`${pattern.source}\\n${name}> $`), seconds * HZ);
}

const ring = (guest: string, playing: boolean) => ({ guest, ringtone: guest === 'work' ? 'office' : 'melody', playing });

t.test('an incoming call to work while home is in front: work rings, home runs on; answer, the far end hangs up', async (t) => {
  const g = phones(t, ['ringtone', 'modem']);
  const net = g.machine.network!;
  g.hypervisor.pressButton();
  runUntil(g, 'home', /\[foreground\]\nhome> $/);
  runUntil(g, 'work', /\[background\]\nwork> $/);

  t.same(net.incomingCall('+15557777', 1), { accepted: true, id: 1 });
  t.equal(news(g, 'work', /incoming call from \+15557777/), '\nincoming call from +15557777\nwork> ');
  t.same(g.events.ringtone, [ring('work', true)], 'work plays its own ringtone, in the background');
  t.equal(command(g, 'home', 'apps'), 'feed\nphotos\n', 'home answers while work rings');
  t.match(command(g, 'work', 'status'), /\nforeground: no\nnotes: 0\ncall: ringing\n$/);
  t.match(command(g, 'home', 'status'), /\nforeground: yes\nnotes: 0\ncall: none\n$/);
  t.equal(command(g, 'work', 'calls'), 'call 1: incoming from +15557777 (ringing)\n');
  t.equal(command(g, 'home', 'calls'), 'no calls\n', 'home does not see work\'s call');

  const printed = g.out.work.length;
  g.events.modem!.length = 0;
  run(g, 5.5);
  const wire = String.fromCharCode(...g.events.modem!.filter((e) => e.direction === 'out').map((e) => e.byte));
  t.match(wire, /\+CRING: VOICE/, 'the modem rang again');
  t.equal(g.out.work.slice(printed), '', 'a further RING of the same call prints nothing');
  t.same(g.events.ringtone, [ring('work', true)], 'and does not restart the ringtone');

  t.equal(command(g, 'home', 'answer'), 'no call to answer (modem error 3)\n', 'home cannot answer work\'s call');
  t.same(net.calls().map((c) => c.state), ['incoming'], 'the call still rings');
  t.equal(command(g, 'work', 'answer'), 'call connected\n');
  t.same(g.events.ringtone, [ring('work', true), ring('work', false)], 'answering stops the ringtone');
  t.same(net.calls().map((c) => [c.line, c.state]), [[1, 'active']]);
  t.match(command(g, 'work', 'status'), /\ncall: active\n$/);
  t.equal(command(g, 'work', 'calls'), 'call 1: incoming from +15557777 (active)\n');
  t.equal(command(g, 'home', 'hangup'), 'modem error 3\n', 'home cannot end work\'s call');
  t.same(net.calls().map((c) => c.state), ['active']);

  net.hangUp();
  t.equal(news(g, 'work', /call ended/), '\ncall ended\nwork> ', 'the far end hung up');
  t.same(net.calls(), []);
  t.match(command(g, 'work', 'status'), /\ncall: none\n$/);
  t.equal(command(g, 'work', 'calls'), 'no calls\n');
  t.notMatch(g.out.home, /incoming|call connected|call ended/, 'home heard nothing of it');
  t.same(g.events.ringtone, [ring('work', true), ring('work', false)]);
});

t.test('a ringing call: the caller giving up stops the ringtone; hangup rejects it', async (t) => {
  const g = phones(t);
  const net = g.machine.network!;
  net.incomingCall('+15556666', 2);
  t.equal(news(g, 'home', /incoming call from \+15556666/), '\nincoming call from +15556666\nhome> ');
  t.same(g.events.ringtone, [ring('home', true)], 'home rings with its own ringtone, in the background');
  net.hangUp();
  t.equal(news(g, 'home', /call ended/), '\ncall ended\nhome> ', 'the caller gave up');
  t.same(g.events.ringtone, [ring('home', true), ring('home', false)]);
  t.match(command(g, 'home', 'status'), /\ncall: none\n$/);

  net.incomingCall('+15556666', 2);
  news(g, 'home', /incoming call from \+15556666/);
  t.equal(command(g, 'home', 'hangup'), 'call ended\n');
  t.same(net.calls(), [], 'the call is rejected');
  t.same(g.events.ringtone, [ring('home', true), ring('home', false), ring('home', true), ring('home', false)]);
  t.equal(command(g, 'home', 'hangup'), 'no call\n', 'nothing left to end');
  t.equal(command(g, 'home', 'answer'), 'no call to answer\n');
  t.equal(g.out.work, 'handset work phone +15550100 ready\nwork> ', 'work printed nothing');
});

t.test('calls from both phones: one set-up at a time, each phone sees only its own calls', async (t) => {
  const g = phones(t);
  const net = g.machine.network!;
  t.equal(command(g, 'work', 'dial +15558888'), 'calling +15558888\n');
  run(g, 1.5);
  t.same(net.calls().map((c) => [c.line, c.direction, c.state, c.number]), [[1, 'outgoing', 'alerting', '+15558888']]);
  t.equal(command(g, 'work', 'calls'), 'call 1: outgoing to +15558888 (alerting)\n');
  t.match(command(g, 'work', 'status'), /\ncall: alerting\n$/);
  t.equal(command(g, 'home', 'dial +15559999'), 'modem error 3\n', 'home cannot dial while work\'s call is being set up');
  t.equal(command(g, 'home', 'calls'), 'no calls\n');
  t.same(net.calls().map((c) => c.state), ['alerting'], 'work\'s call goes on');

  net.answer();
  t.equal(news(g, 'work', /call connected/), '\ncall connected\nwork> ', 'the far end answered (seen by the next AT+CLCC poll)');
  t.match(command(g, 'work', 'status'), /\ncall: active\n$/);

  // A call to home while work talks waits (+CCWA): home is told and rings.
  t.same(net.incomingCall('+15556666', 2), { accepted: true, id: 2 });
  t.equal(news(g, 'home', /incoming call from \+15556666/), '\nincoming call from +15556666\nhome> ');
  t.same(g.events.ringtone, [ring('home', true)]);
  t.equal(command(g, 'work', 'calls'), 'call 1: outgoing to +15558888 (active)\n');
  t.equal(command(g, 'home', 'calls'), 'call 2: incoming from +15556666 (waiting)\n');
  t.match(command(g, 'home', 'status'), /\ncall: waiting\n$/);
  t.equal(command(g, 'home', 'answer'), 'no call to answer (modem error 3)\n', 'taking it would hold work\'s call: refused');
  t.equal(command(g, 'work', 'hangup'), 'call ended\n');
  run(g, 0.1);
  t.equal(command(g, 'home', 'calls'), 'call 2: incoming from +15556666 (ringing)\n', 'home\'s call now rings alone');
  t.equal(command(g, 'home', 'answer'), 'call connected\n');
  t.same(g.events.ringtone, [ring('home', true), ring('home', false)]);
  net.hangUp();
  t.equal(news(g, 'home', /call ended/), '\ncall ended\nhome> ');
  t.notMatch(g.out.work, /6666/, 'work never saw home\'s call');
  t.notMatch(g.out.home, /8888/, 'home never saw work\'s call');

  t.equal(command(g, 'work', 'dial +15558888'), 'calling +15558888\n');
  net.busy();
  t.equal(news(g, 'work', /busy/), '\nbusy\nwork> ');
  t.equal(command(g, 'home', 'dial 5551234'), 'calling 5551234\n');
  run(g, 1.5);
  net.noAnswer();
  t.equal(news(g, 'home', /no answer/), '\nno answer\nhome> ');
  t.same(net.calls(), []);
  t.equal(command(g, 'work', 'dial 555-1234'), 'bad phone number: 555-1234\n');
  t.same(g.events.ringtone, [ring('home', true), ring('home', false)], 'outgoing calls do not ring');
});

t.test('a phone that reboots finds its calls again', async (t) => {
  const g = phones(t);
  const net = g.machine.network!;
  net.incomingCall('+15557777', 1);
  news(g, 'work', /incoming call from \+15557777/);
  const from = g.out.work.length;
  g.hypervisor.typeInto('work', new TextEncoder().encode('reboot\n'));
  t.equal(
    runUntil(g, 'work', /incoming call from \+15557777\nwork> $/, 0.5 * HZ, from),
    'reboot\nrebooting\nhandset work phone +15550100 ready\nwork> \nincoming call from +15557777\nwork> ',
    'the call still rings after the reboot (its set-up lists the calls)',
  );
  t.same(g.events.ringtone, [ring('work', true), ring('work', false), ring('work', true)], 'the reboot silenced the ringtone; the phone starts it again');
  t.equal(command(g, 'work', 'answer'), 'call connected\n');
  t.same(g.events.ringtone!.at(-1), ring('work', false));
  t.equal(command(g, 'work', 'hangup'), 'call ended\n');
  t.same(net.calls(), []);
});

t.test('a phone command holds the prompt and the next input line until its result', async (t) => {
  const g = phones(t);
  const from = g.out.work.length;
  g.hypervisor.typeInto('work', new TextEncoder().encode('dial +15558888\nstatus\n'));
  const text = runUntil(g, 'work', /call: \w+\nwork> $/, 0.5 * HZ, from);
  t.match(text, /^dial \+15558888\ncalling \+15558888\nwork> status\nname: work\n[^]*\ncall: dialling\nwork> $/);
});

t.test('SMS: each line\'s messages land in its own phone; each phone sends from its own line', async (t) => {
  const g = phones(t);
  const net = g.machine.network!;
  t.same(net.incomingSms('+15551111', 1, 'meeting at 10'), { accepted: true, index: 1 });
  t.equal(news(g, 'work', /sms from .*/), '\nsms from +15551111: meeting at 10\nwork> ');
  t.equal(net.incomingSms('+15552222', 2, 'dinner at 8, OK?').accepted, true);
  t.equal(news(g, 'home', /sms from .*/), '\nsms from +15552222: dinner at 8, OK?\nhome> ');
  run(g, 0.1);
  t.same(net.messages(), [], 'each read message is deleted');
  t.notMatch(g.out.work, /dinner/);
  t.notMatch(g.out.home, /meeting/);

  t.equal(command(g, 'work', 'sms +15553333 on my way'), 'sms sent\n');
  t.same(net.sent().at(-1), { mr: 0, line: 1, to: '+15553333', text: 'on my way' });
  t.equal(command(g, 'work', 'sms +15550199 hello home'), 'sms sent\n');
  t.equal(news(g, 'home', /sms from .*/), '\nsms from +15550100: hello home\nhome> ', 'work texted home');
  t.equal(command(g, 'home', 'sms +15553333 see you'), 'sms sent\n');
  t.same(net.sent().at(-1), { mr: 2, line: 2, to: '+15553333', text: 'see you' }, 'home\'s message goes out on home\'s line');
  t.equal(command(g, 'work', 'sms 12\"3 hi'), 'bad phone number: 12"3\n');
});

t.test('splitter rules found broken by the phones (SMS line, one radio, message text as data, calls before the link set-up)', async (t) => {
  t.test('dialling from home may not hold work\'s active call', async (t) => {
    const g = phones(t);
    const net = g.machine.network!;
    net.incomingCall('+15557777', 1);
    news(g, 'work', /incoming call from \+15557777/);
    t.equal(command(g, 'work', 'answer'), 'call connected\n');
    const home = command(g, 'home', 'dial 5551234');
    t.same(net.calls().find((c) => c.line === 1)?.state, 'active', 'work\'s call stays active');
    t.equal(home, 'modem error 3\n', 'home cannot dial beside work\'s call');
  });

  t.test('an SMS whose text is "^SALS: 2" is read as text, and both modems go on', async (t) => {
    const g = phones(t);
    g.machine.network!.incomingSms('+15557777', 1, '^SALS: 2');
    t.equal(news(g, 'work', /sms from .*/, 8), '\nsms from +15557777: ^SALS: 2\nwork> ', 'work reads it');
    t.equal(command(g, 'home', 'calls', 8 * HZ), 'no calls\n', 'home\'s modem still answers');
  });

  t.test('an SMS whose text is "OK" is read whole', async (t) => {
    const g = phones(t);
    g.machine.network!.incomingSms('+15557777', 1, 'OK');
    t.equal(news(g, 'work', /sms from .*/, 3), '\nsms from +15557777: OK\nwork> ', 'work reads it');
  });

  t.test('an SMS whose text starts with "> " is read as text', async (t) => {
    const g = phones(t);
    g.machine.network!.incomingSms('+15557777', 1, '> quoted');
    t.equal(news(g, 'work', /sms from .*/, 3), '\nsms from +15557777: > quoted\nwork> ', 'work reads it');
  });

  t.test('a call that arrives while the splitter sets the link up belongs to its line', async (t) => {
    const g = hypervisorMachine([guest('work'), guest('home')], { modem: true });
    runUntil(g, 'home', /home> $/); // about 10 ms: the link set-up (12 commands, 1 ms each) is still running
    g.machine.network!.incomingCall('+15557777', 1);
    const home = command(g, 'home', 'answer');
    t.equal(home, 'no call to answer (modem error 3)\n', 'home cannot answer work\'s call');
  });
});
