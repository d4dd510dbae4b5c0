// The served handset's pacing and determinism (src/ui/session.ts), on a manual host clock: virtual time is
// never ahead of host time × speed and catches up with it when the host lets it; pause stops it, resume
// and a new speed go on from where it was; a backlog the host could not run is forgiven past maxLagMs; and
// the same inputs at the same host (so virtual) times give the same output, however the runs are chunked.
import t from 'tap';
import type { ServerMessage } from '../../src/ui/protocol.ts';
import { HandsetSession } from '../../src/ui/session.ts';
import { bootHandset, ManualClock } from './harness.ts';

const HZ = 200_000_000;
/** What a cycle limit can overshoot by: the rest of one translated block (plus the hypervisor's entry costs). */
const SLACK = 2_000;

function session(options: { speed?: number; chunkInstructions?: number } = {}) {
  const { machine, config } = bootHandset();
  const clock = new ManualClock();
  const s = new HandsetSession({ machine, config, clock, ...options });
  const heard: ServerMessage[] = [];
  s.subscribe((m) => heard.push(m));
  const reply: ServerMessage[] = [];
  const send = (m: object) => s.receive(JSON.stringify(m), (r) => reply.push(r));
  const advance = async (ms: number) => {
    clock.advance(ms);
    await s.settled();
  };
  s.start();
  return { machine, clock, session: s, heard, reply, send, advance, close: () => (s.close(), machine.close()) };
}

t.test('virtual time follows host time × speed, never ahead of it', async (t) => {
  const h = session();
  t.teardown(h.close);
  const start = h.machine.cycles;
  let host = 0;
  for (const ms of [10, 40, 100, 250, 100]) {
    await h.advance(ms);
    host += ms;
    const allowed = start + (host / 1000) * HZ;
    t.ok(h.machine.cycles <= allowed + SLACK, `at ${host} ms: ${h.machine.cycles} <= ${allowed} (+ one block)`);
    t.ok(h.machine.cycles >= Math.floor(allowed), `at ${host} ms: caught up`);
  }

  t.same(h.reply, []);
  h.send({ type: 'speed', value: 4 });
  t.match(h.reply.pop(), { type: 'ok', of: 'speed' });
  let base = h.machine.cycles;
  await h.advance(100);
  t.ok(h.machine.cycles >= base + 0.4 * HZ && h.machine.cycles <= base + 0.4 * HZ + SLACK, 'at speed 4, 100 ms of host time is 0.4 s of virtual time');

  h.send({ type: 'pause' });
  base = h.machine.cycles;
  await h.advance(2000);
  t.equal(h.machine.cycles, base, 'paused: nothing runs');
  t.match(h.session.status(), { run: 'paused' });
  h.send({ type: 'resume' });
  await h.advance(50);
  t.ok(h.machine.cycles >= base + 0.2 * HZ && h.machine.cycles <= base + 0.2 * HZ + SLACK, 'resumed where it stopped: no race to catch up on the pause');

  base = h.machine.cycles;
  await h.advance(5000);
  t.ok(h.machine.cycles >= base + 4 * HZ && h.machine.cycles <= base + 4 * HZ + SLACK, 'a backlog of 5 s is cut to maxLagMs (1 s of host time, 4 s of virtual time at speed 4)');
});

t.test('the same inputs at the same times give the same output, however the runs are chunked', async (t) => {
  const play = async (chunkInstructions: number) => {
    const h = session({ chunkInstructions });
    const script: [number, object | undefined][] = [
      [300, { type: 'type', text: 'status\n' }],
      [200, { type: 'call', from: '+15557777', to: 'home' }],
      [300, { type: 'type', guest: 'home', text: 'answer\n' }],
      [400, { type: 'button' }],
      [100, { type: 'sms', from: '+15553333', to: 'work', text: 'see you' }],
      [200, { type: 'farEnd', action: 'hangUp', line: 'home' }],
      [300, { type: 'snapshot', name: 'a' }],
      [200, { type: 'type', guest: 'work', text: 'notes add x\n' }],
      [300, { type: 'restore', name: 'a' }],
      [300, undefined],
    ];
    for (const [ms, message] of script) {
      await h.advance(ms);
      if (message !== undefined) h.send(message);
    }
    const events = h.heard.filter((m) => m.type !== 'console');
    const screens = ['work', 'home'].map((g) => h.heard.map((m) => (m.type === 'console' && m.guest === g ? m.text : '')).join(''));
    const result = { cycles: h.machine.cycles, events, screens, replies: h.reply };
    h.close();
    return result;
  };
  const a = await play(2_000_000);
  t.match(a.screens[1], /incoming call from \+15557777/);
  t.match(a.screens[0], /sms from \+15553333: see you/);
  t.ok(a.events.some((m) => m.type === 'ringtone' && m.guest === 'home' && m.playing));
  t.ok(a.events.some((m) => m.type === 'restored'));
  t.notOk(a.replies.some((m) => m.type === 'error'), 'every input was taken');
  const b = await play(2_000_000);
  t.same(b, a, 'twice: the same');
  const c = await play(50_000);
  t.same(c, a, 'in smaller chunks: the same');
});
