// The remote management console's HTTP API (/manage/api/, src/ui/manage-api.ts) and its page, without a
// browser: the token (missing, wrong, malformed: 401 and nothing changed, not even the audit log), every
// call, every class of bad request, the policy enforced in the work guest, lock, wipe and reboot, and that
// nothing it answers shows anything of home but its name and whether it runs. On a manual host clock.
import t, { type Test } from 'tap';
import { Client, http, runUntil, serve, type HttpResult, type Served } from './harness.ts';
import type { ConsoleStatus } from '../../src/ui/manage-api.ts';
import type { AuditEntry } from '../../src/hypervisor/management.ts';
import type { StatusMessage } from '../../src/ui/protocol.ts';

const TOKEN = 'test-token-0123456789abcdef';

function api(served: Served, method: string, name: string, options: { token?: string | null; body?: string; headers?: Record<string, string> } = {}): Promise<HttpResult> {
  const token = options.token === undefined ? TOKEN : options.token;
  const headers: Record<string, string> = { ...(token !== null ? { Authorization: `Bearer ${token}` } : {}), ...options.headers };
  if (options.body !== undefined && headers['Content-Type'] === undefined) headers['Content-Type'] = 'application/json';
  return http(served, `/manage/api/${name}`, { method, headers, ...(options.body !== undefined ? { body: options.body } : {}) });
}

async function status(served: Served): Promise<ConsoleStatus> {
  const r = await api(served, 'GET', 'status');
  if (r.status !== 200) throw new Error(`status: ${r.status} ${r.body}`);
  return JSON.parse(r.body) as ConsoleStatus;
}

async function audit(served: Served): Promise<AuditEntry[]> {
  return (JSON.parse((await api(served, 'GET', 'audit')).body) as { entries: AuditEntry[] }).entries;
}

async function booted(served: Served, c: Client): Promise<void> {
  await runUntil(served, c, () => c.screen('work').includes('work> ') && c.screen('home').includes('home> '));
}

async function managed(t: Test): Promise<{ served: Served; c: Client }> {
  const served = await serve({ server: { manageToken: TOKEN } });
  t.teardown(served.close);
  const c = await Client.open(served.wsUrl);
  t.teardown(() => c.close());
  await booted(served, c);
  return { served, c };
}

/** Types a line into a phone and runs until its screen shows `expect` after what it showed before. */
async function typeLine(served: Served, c: Client, guest: string, line: string, expect: string | RegExp): Promise<string> {
  const before = c.screen(guest).length;
  const reply = await c.request({ type: 'type', guest, text: `${line}\n` });
  if (reply.type !== 'ok') throw new Error(`type ${line}: ${JSON.stringify(reply)}`);
  const seen = () => c.screen(guest).slice(before);
  await runUntil(served, c, () => (typeof expect === 'string' ? seen().includes(expect) : expect.test(seen())));
  return seen();
}

t.test('the console page is served with a token, and only then', async (t) => {
  const { served } = await managed(t);
  const page = await http(served, '/manage');
  t.equal(page.status, 200);
  t.match(page.headers['content-type'], /^text\/html/);
  t.match(page.body, /<script type="module" src="manage\.js"><\/script>/);
  t.notMatch(page.body, /https?:\/\//, 'nothing from another site');
  t.match(page.headers['content-security-policy'], /default-src 'self'/);
  const js = await http(served, '/manage.js');
  t.equal(js.status, 200);
  t.match(js.body, /\/manage\/api\//, 'the console speaks the management API');
  t.notMatch(js.body, /new WebSocket\(/, 'and not the handset protocol (which would show home)');
  t.equal((await http(served, '/manage.css')).status, 200);
  t.equal(served.server.manageUrl, `${served.url}manage`);

  const plain = await serve();
  t.teardown(plain.close);
  t.equal(plain.server.manageUrl, undefined);
  for (const path of ['/manage', '/manage.js', '/manage/api/status']) t.equal((await http(plain, path)).status, 404, `no token: ${path} 404`);
});

t.test('a missing, wrong or malformed token is 401 and changes nothing, not even the audit log', async (t) => {
  const { served, c } = await managed(t);
  await typeLine(served, c, 'work', 'notes add keep me', 'note 1 added');
  const before = await status(served);
  const auditBefore = await audit(served);
  const attempts: [string, Record<string, string>][] = [
    ['no header', {}],
    ['a wrong token', { Authorization: 'Bearer wrong-token-0123456789abcdef' }],
    ['the token with one character more', { Authorization: `Bearer ${TOKEN}x` }],
    ['a prefix of the token', { Authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
    ['an empty bearer', { Authorization: 'Bearer ' }],
    ['Basic auth with the token', { Authorization: `Basic ${Buffer.from(`it:${TOKEN}`).toString('base64')}` }],
    ['the token without a scheme', { Authorization: TOKEN }],
  ];
  const calls: [string, string, string?][] = [
    ['GET', 'status'],
    ['GET', 'audit'],
    ['GET', 'policy'],
    ['POST', 'policy', '{"sms":false,"pin":"1234"}'],
    ['POST', 'lock', '{}'],
    ['POST', 'unlock', '{}'],
    ['POST', 'wipe', '{}'],
    ['POST', 'reboot', '{}'],
    ['GET', 'nope'],
  ];
  for (const [what, headers] of attempts) {
    for (const [method, name, body] of calls) {
      const r = await api(served, method, name, { token: null, headers, ...(body !== undefined ? { body } : {}) });
      t.equal(r.status, 401, `${what}: ${method} ${name} is 401`);
      t.equal(r.headers['www-authenticate'], 'Bearer realm="handset management"');
      t.equal(JSON.parse(r.body).error, 'unauthorized');
      t.notMatch(r.body, /work|home|notes/, 'and tells nothing');
    }
  }
  const query = await http(served, `/manage/api/status?token=${TOKEN}`);
  t.equal(query.status, 401, 'a token in the address is not taken (addresses end up in logs)');
  await runUntil(served, c, () => true);
  const after = await status(served);
  t.same({ ...after, cycle: 0, cycles: 0, share: 0 }, { ...before, cycle: 0, cycles: 0, share: 0 }, 'nothing changed');
  t.equal(after.storeUsedBytes > 0, true, 'the store was not wiped');
  t.same(await audit(served), auditBefore, 'nothing was logged');
  t.notMatch(c.screen('work'), /\[locked\]|\[policy updated\]/, 'the guest heard of nothing');
});

t.test('status: the work partition in full, home only by name and whether it runs', async (t) => {
  const { served, c } = await managed(t);
  await typeLine(served, c, 'home', 'notes add a home secret', 'note 1 added');
  await typeLine(served, c, 'work', 'apps', 'mail');
  const s = await status(served);
  t.match(s, { name: 'work', state: 'running', locked: false, faults: 0, boots: 1, storeSize: Number, policy: { apps: null, sms: true, pinSet: false } });
  t.same(s.apps, ['customers', 'mail'], 'the apps work reported');
  t.ok(s.cycles > 0 && s.share > 0 && s.share < 1);
  t.ok(s.cycle >= s.cycles && s.clockHz > 0);
  t.same(s.others, [{ name: 'home', running: true }], 'home: its name and that it runs, nothing more');
  const every = [await api(served, 'GET', 'status'), await api(served, 'GET', 'policy'), await api(served, 'GET', 'audit')].map((r) => r.body).join('\n');
  t.notMatch(every, /secret|home>|handset home phone/, "nothing of home's console or store");
  const head = await api(served, 'HEAD', 'status');
  t.equal(head.status, 200);
  t.equal(head.body, '');
});

t.test('a policy is enforced in the guest, the PIN never shown, every action audited', async (t) => {
  const { served, c } = await managed(t);
  const pushed = await api(served, 'POST', 'policy', { body: JSON.stringify({ apps: ['mail'], sms: false, pin: '4321' }) });
  t.equal(pushed.status, 200);
  t.same(JSON.parse(pushed.body), { ok: true, policy: { apps: ['mail'], sms: false, pinSet: true } });
  await runUntil(served, c, () => c.screen('work').includes('[policy updated]'));
  t.match(await typeLine(served, c, 'work', 'run customers', 'work> '), /app blocked by policy: customers/, 'a blocked app does not run');
  t.notMatch(await typeLine(served, c, 'work', 'run mail', 'work> '), /blocked/, 'an allowed one does');
  t.match(await typeLine(served, c, 'work', 'sms 5550100 hello', 'work> '), /sms blocked by policy/);
  t.notMatch(await typeLine(served, c, 'home', 'run photos', 'home> '), /blocked/, 'home is not managed');

  const entries = await audit(served);
  t.match(entries, [
    { seq: 1, action: 'setPolicy', by: 'management', refused: false, detail: 'apps: mail; sms: blocked; pin: set' },
    { action: 'runApp', by: 'guest', refused: true, detail: /customers/ },
    { action: 'sendSms', by: 'guest', refused: true },
  ]);
  t.ok(entries.every((e, i) => i === 0 || e.seq > entries[i - 1]!.seq && e.cycle >= entries[i - 1]!.cycle), 'in order');
  const since = JSON.parse((await api(served, 'GET', 'audit?after=1')).body) as { entries: AuditEntry[] };
  t.same(since.entries, entries.slice(1), '?after=SEQ: the entries after it');
  const all = [await api(served, 'GET', 'status'), await api(served, 'GET', 'policy'), await api(served, 'GET', 'audit')].map((r) => r.body).join('\n');
  t.notMatch(all, /4321/, 'the PIN is never sent back');
  t.same(JSON.parse((await api(served, 'GET', 'policy')).body), { apps: ['mail'], sms: false, pinSet: true });

  const partial = await api(served, 'POST', 'policy', { body: '{"apps":null}' });
  t.same(JSON.parse(partial.body).policy, { apps: null, sms: false, pinSet: true }, 'the fields not named keep their values');
  t.notMatch(await typeLine(served, c, 'work', 'run customers', 'work> '), /blocked/);
});

t.test('lock and unlock: the work phone is locked, home runs on; the PIN unlocks', async (t) => {
  const { served, c } = await managed(t);
  t.equal((await api(served, 'POST', 'policy', { body: '{"pin":"2468"}' })).status, 200);
  const locked = await api(served, 'POST', 'lock');
  t.equal(locked.status, 200, 'a POST with no body');
  t.match(JSON.parse(locked.body), { ok: true, status: { state: 'locked', locked: true } });
  await runUntil(served, c, () => c.screen('work').includes('[locked]'));
  const twice = await api(served, 'POST', 'lock', { body: '{}' });
  t.equal(twice.status, 409);
  t.same(JSON.parse(twice.body), { error: 'refused', message: 'lock: work is already locked' });

  const before = c.screen('work').length;
  await c.request({ type: 'type', guest: 'work', text: 'notes add typed while locked\n' });
  t.match(await typeLine(served, c, 'home', 'notes add home goes on', 'note 1 added'), /note 1 added/, 'home runs and takes input');
  t.notMatch(c.screen('work').slice(before), /note \d added/, 'the locked phone did not get the line');
  await typeLine(served, c, 'work', '2468', '[unlocked]');
  t.match((await status(served)), { state: 'running', locked: false });
  const unlockAgain = await api(served, 'POST', 'unlock');
  t.equal(unlockAgain.status, 409, 'unlock when not locked: refused');

  t.equal((await api(served, 'POST', 'lock')).status, 200);
  await runUntil(served, c, () => (c.screen('work').match(/\[locked\]/g) ?? []).length === 2);
  t.equal((await api(served, 'POST', 'unlock', { body: '{}' })).status, 200);
  await runUntil(served, c, () => (c.screen('work').match(/\[unlocked\]/g) ?? []).length === 2);
  const log = await audit(served);
  t.match(log.map((e) => [e.action, e.by, e.refused]), [
    ['setPolicy', 'management', false],
    ['lock', 'management', false],
    ['lock', 'management', true],
    ['unlock', 'keyboard', true], // the line typed while locked: a wrong PIN
    ['unlock', 'keyboard', false],
    ['unlock', 'management', true],
    ['lock', 'management', false],
    ['unlock', 'management', false],
  ]);
  t.notMatch(JSON.stringify(log), /2468|typed while locked/, 'neither the PIN nor what was typed is logged');
});

t.test("wipe empties work's store and reboots it while home runs on; reboot keeps the store", async (t) => {
  const { served, c } = await managed(t);
  await typeLine(served, c, 'work', 'notes add work data', 'note 1 added');
  await typeLine(served, c, 'home', 'notes add home data', 'note 1 added');
  const before = await status(served);
  t.ok(before.storeUsedBytes > 0);
  const homeBefore = (await c.request({ type: 'status' })) as StatusMessage;

  const rebooted = await api(served, 'POST', 'reboot');
  t.match(JSON.parse(rebooted.body), { ok: true, status: { boots: 2, storeUsedBytes: before.storeUsedBytes } });
  await runUntil(served, c, () => (c.screen('work').match(/handset work phone/g) ?? []).length === 2);
  t.match(await typeLine(served, c, 'work', 'notes', 'work> '), /work data/, 'a reboot keeps the store');

  const wiped = await api(served, 'POST', 'wipe');
  t.equal(wiped.status, 200);
  t.match(JSON.parse(wiped.body), { ok: true, status: { boots: 3, storeUsedBytes: 0, state: 'running' } });
  await runUntil(served, c, () => (c.screen('work').match(/handset work phone/g) ?? []).length === 3);
  t.notMatch(await typeLine(served, c, 'work', 'notes', 'work> '), /work data/, 'the wiped phone has no notes');
  t.match(await typeLine(served, c, 'home', 'notes', 'home> '), /home data/, "home's store is untouched");
  const homeAfter = (await c.request({ type: 'status' })) as StatusMessage;
  const home = (s: StatusMessage) => s.partitions.find((p) => p.name === 'home')!;
  t.ok(home(homeAfter).cycles > home(homeBefore).cycles, 'home ran on');
  t.equal(home(homeAfter).boots, 1, 'home never rebooted');
  t.match((await audit(served)).map((e) => e.action), ['reboot', 'wipe']);
  t.match((await audit(served))[1]!.detail, /store emptied \(\d+ bytes were in use\)/);

  const extra = await api(served, 'POST', 'wipe', { body: '{"partition":"home"}' });
  t.equal(extra.status, 400, 'wipe takes no fields: no way to name home');
  t.equal(JSON.parse(extra.body).error, 'bad-request');
  t.equal((await audit(served)).length, 2, 'a bad request is not an action');
});

t.test('bad requests get an error and change nothing', async (t) => {
  const { served } = await managed(t);
  const before = await status(served);
  const cases: [string, string, { body?: string; headers?: Record<string, string> }, number, string][] = [
    ['GET', 'nope', {}, 404, 'not-found'],
    ['GET', '', {}, 404, 'not-found'],
    ['GET', '__proto__', {}, 404, 'not-found'],
    ['GET', 'status/extra', {}, 404, 'not-found'],
    ['POST', 'status', { body: '{}' }, 405, 'method'],
    ['GET', 'lock', {}, 405, 'method'],
    ['DELETE', 'policy', {}, 405, 'method'],
    ['POST', 'policy', { body: 'sms=false', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }, 415, 'unsupported-type'],
    ['POST', 'lock', { body: '{}', headers: { 'Content-Type': 'text/plain' } }, 415, 'unsupported-type'],
    ['POST', 'policy', { body: '{"sms":' }, 400, 'bad-json'],
    ['POST', 'policy', { body: '[1]' }, 400, 'bad-request'],
    ['POST', 'policy', { body: 'null' }, 400, 'bad-request'],
    ['POST', 'lock', { body: '"lock"' }, 400, 'bad-request'],
    ['POST', 'policy', { body: JSON.stringify({ apps: ['x'.repeat(20_000)] }) }, 413, 'too-big'],
    ['POST', 'policy', { body: '{}' }, 409, 'refused'],
    ['POST', 'policy', { body: '{"sms":"no"}' }, 409, 'refused'],
    ['POST', 'policy', { body: '{"pin":"12"}' }, 409, 'refused'],
    ['POST', 'policy', { body: '{"apps":["../etc"]}' }, 409, 'refused'],
    ['POST', 'policy', { body: '{"sms":false,"colour":"red"}' }, 409, 'refused'],
    ['POST', 'policy', { body: '{"__proto__":{"sms":false}}' }, 409, 'refused'],
    ['GET', 'audit?after=-1', {}, 400, 'bad-request'],
    ['GET', 'audit?after=x', {}, 400, 'bad-request'],
  ];
  for (const [method, name, options, code, error] of cases) {
    const r = await api(served, method, name, options);
    t.equal(r.status, code, `${method} ${name} ${options.body?.slice(0, 30) ?? ''}: ${code}`);
    t.equal(JSON.parse(r.body).error, error);
  }
  const cross = await api(served, 'POST', 'lock', { headers: { Origin: 'http://evil.example' }, body: '{}' });
  t.equal(cross.status, 403, "another site's page may not call the API, even with the token");
  const after = await status(served);
  t.same({ ...after, cycle: 0, cycles: 0, share: 0 }, { ...before, cycle: 0, cycles: 0, share: 0 }, 'nothing changed');
  t.match((await audit(served)).map((e) => [e.action, e.refused]), Array(6).fill(['setPolicy', true]), 'the policies management refused are logged as refused');
});

t.test('looking changes nothing; a reboot brings back a handset whose phones all ended', async (t) => {
  const { served, c } = await managed(t);
  await c.request({ type: 'type', guest: 'home', text: 'exit 3\n' });
  await c.request({ type: 'type', guest: 'work', text: 'exit 4\n' });
  await runUntil(served, c, () => served.session.runState() === 'ended');
  t.match(await status(served), { state: 'exited', others: [{ name: 'home', running: false }] });
  const seen = c.messages.length;
  for (const call of ['status', 'policy', 'audit', 'status']) t.equal((await api(served, 'GET', call)).status, 200);
  await c.sync();
  t.same(c.messages.slice(seen).map((m) => m.type), ['status'], 'only the reply to sync: polling the console sends the handset nothing');
  t.equal(served.session.runState(), 'ended', 'and wakes nothing');

  const rebooted = await api(served, 'POST', 'reboot');
  t.match(JSON.parse(rebooted.body), { ok: true, status: { state: 'running', boots: 2, others: [{ name: 'home', running: false }] } });
  await runUntil(served, c, () => (c.screen('work').match(/work> /g) ?? []).length >= 2);
  t.equal(served.session.runState(), 'running', 'the handset runs again, work alone');
});
