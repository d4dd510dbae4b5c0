// `handset serve`'s server (src/ui/server.ts, src/ui/session.ts) without a browser: the HTTP routes, every
// kind of message over a WebSocket (the `ws` package) and over POST /api, every class of bad message (an
// error, and nothing changed: the state before and after is the same), and clients that do not read (the
// emulation and the other clients go on; the slow one's queue stays bounded, it is resynchronised when it
// reads again and disconnected when it never does). The handset runs on a manual host clock: virtual time
// moves only when the test moves it, so nothing here depends on the host's speed.
import t from 'tap';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { BUILTIN_RINGTONES } from '../../src/hypervisor/config.ts';
import { MAX_MESSAGE_BYTES, type HelloMessage, type ServerMessage, type StatusMessage } from '../../src/ui/protocol.ts';
import { Client, http, runUntil, serve, type HttpResult, type Served } from './harness.ts';

function post(served: Served, message: unknown): Promise<HttpResult> {
  return http(served, '/api', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: typeof message === 'string' ? message : JSON.stringify(message) });
}

/** Both phones have booted and show their prompts. */
async function booted(served: Served, c: Client): Promise<void> {
  await runUntil(served, c, () => c.screen('work').includes('work> ') && c.screen('home').includes('home> '));
}

function has(c: Client, test: (m: ServerMessage) => boolean): boolean {
  return c.messages.some(test);
}

t.test('HTTP: the page, its bundle, the API; unknown routes 404', async (t) => {
  const served = await serve();
  t.teardown(served.close);
  const page = await http(served, '/');
  t.equal(page.status, 200);
  t.match(page.headers['content-type'], /^text\/html/);
  t.match(page.body, /<script type="module" src="app\.js"><\/script>/);
  t.match(page.body, /<link rel="stylesheet" href="app\.css">/);
  t.notMatch(page.body, /https?:\/\//, 'nothing from another site: the page works offline');
  t.match(page.headers['content-security-policy'], /default-src 'self'/);
  t.equal((await http(served, '/index.html')).body, page.body);
  const js = await http(served, '/app.js');
  t.equal(js.status, 200);
  t.match(js.headers['content-type'], /^text\/javascript/);
  t.match(js.body, /new WebSocket\(/, 'the bundle speaks the protocol');
  t.notMatch(js.body, /^import .* from ["'](?!\.)/m, 'the bundle imports nothing');
  const css = await http(served, '/app.css');
  t.equal(css.status, 200);
  t.match(css.headers['content-type'], /^text\/css/);
  t.match(css.body, /@media \(min-width/, 'phone and desktop widths');
  const head = await http(served, '/app.js', { method: 'HEAD' });
  t.equal(head.status, 200);
  t.equal(head.body, '');

  for (const path of ['/nope', '/manage', '/api/nope', '/app.ts', '/../package.json', '/ws']) {
    const r = await http(served, path);
    t.equal(r.status, 404, `${path}: 404`);
  }
  t.equal((await http(served, '/', { method: 'POST' })).status, 405);
  t.equal((await http(served, '/api')).status, 405, 'GET /api: POST it');
  t.equal((await http(served, '/api')).headers.allow, 'POST');

  const status = await http(served, '/api/status');
  t.equal(status.status, 200);
  t.match(JSON.parse(status.body), { type: 'status', run: 'running', foreground: 'work', speed: 1 });
  const hello = JSON.parse((await http(served, '/api/hello')).body) as HelloMessage;
  t.equal(hello.type, 'hello');
  t.same(hello.partitions.map((p) => p.name), ['work', 'home']);
});

t.test('HTTP: POST /api takes one message and answers it', async (t) => {
  const served = await serve();
  t.teardown(served.close);
  const c = await Client.open(served.wsUrl);
  t.teardown(() => c.close());
  await booted(served, c);
  const ok = await post(served, { type: 'type', text: 'notes add over http\n', id: 'h1' });
  t.equal(ok.status, 200);
  t.match(JSON.parse(ok.body), { type: 'ok', id: 'h1', of: 'type' });
  await runUntil(served, c, () => c.screen('work').includes('note 1 added'));
  t.pass('the phone in front got the line');

  const cases: [string, number, string][] = [
    ['nope', 400, 'bad-json'],
    ['{"type":"nope"}', 400, 'unknown-type'],
    ['{"type":"speed","value":-1}', 400, 'bad-field'],
    ['{"type":"restore","name":"never"}', 409, 'refused'],
    [JSON.stringify({ type: 'type', text: 'x'.repeat(MAX_MESSAGE_BYTES) }), 413, 'too-big'],
  ];
  for (const [body, status, error] of cases) {
    const r = await post(served, body);
    t.equal(r.status, status, `${body.slice(0, 40)}: ${status}`);
    t.match(JSON.parse(r.body), { type: 'error', error });
  }
  const text = await http(served, '/api', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{"type":"button"}' });
  t.equal(text.status, 415, 'a plain form cannot post');
  t.equal(JSON.parse((await http(served, '/api/status')).body).foreground, 'work', 'no button was pressed');
});

t.test('who may connect: loopback host names; a page only from the handset itself', async (t) => {
  const served = await serve();
  t.teardown(served.close);
  const port = served.server.port;
  t.equal((await http(served, '/', { headers: { Host: `localhost:${port}` } })).status, 200);
  t.equal((await http(served, '/', { headers: { Host: `[::1]:${port}` } })).status, 200);
  t.equal((await http(served, '/', { headers: { Host: `evil.example:${port}` } })).status, 403, 'DNS rebinding: another name is refused');
  t.equal((await http(served, '/api/status', { headers: { Origin: `http://127.0.0.1:${port}` } })).status, 200, 'the page itself');
  t.equal((await post(served, '{"type":"button"}').then(() => http(served, '/api', { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: 'http://evil.example' }, body: '{"type":"button"}' }))).status, 403, 'another site');
  const good = await Client.open(served.wsUrl, { origin: `http://127.0.0.1:${port}` });
  good.close();
  const ws = new (await import('ws')).default(served.wsUrl, { origin: 'http://evil.example' });
  const [, res] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode: number }];
  t.equal(res.statusCode, 403, 'no WebSocket for another site');
  ws.on('error', () => {});
  ws.terminate();
});

t.test('WebSocket: every kind of message', async (t) => {
  const served = await serve();
  t.teardown(served.close);
  const c = await Client.open(served.wsUrl);
  t.teardown(() => c.close());
  const hello = c.messages[0] as HelloMessage;
  t.match(hello, { type: 'hello', protocol: 1, clockHz: 200_000_000, status: { run: 'running', foreground: 'work' } });
  t.ok(hello.status.cycle < 10_000, 'nothing has run yet but the boot');
  t.same(hello.partitions, [
    { name: 'work', line: 1, number: '+15550100', ringtone: 'office' },
    { name: 'home', line: 2, number: '+15550199', ringtone: 'melody' },
  ]);
  t.same(hello.ringtones.office, BUILTIN_RINGTONES.office, 'the ringtone steps --audio-out renders');
  t.same(hello.ringtones.melody, BUILTIN_RINGTONES.melody);
  t.same(hello.ringing, { work: null, home: null });
  t.same(hello.calls, []);
  t.match(hello.radio, { registration: 1 });
  await booted(served, c);

  t.match(await c.request({ type: 'type', text: 'status\n' }), { type: 'ok', of: 'type' }, 'type: to the phone in front');
  await runUntil(served, c, () => /work> status\nname: work\n/.test(c.screen('work')));
  t.match(await c.request({ type: 'type', guest: 'home', text: 'notes add milk\n' }), { type: 'ok' }, 'type: to a named phone');
  await runUntil(served, c, () => c.screen('home').includes('note 1 added'));
  t.notMatch(c.screen('work'), /note 1 added/);

  t.match(await c.request({ type: 'button' }), { type: 'ok', of: 'button', result: 'home' });
  await runUntil(served, c, () => has(c, (m) => m.type === 'button' && m.foreground === 'home') && c.screen('home').includes('[foreground]'));
  t.match(await c.request({ type: 'status' }), { type: 'status', foreground: 'home' });

  t.match(await c.request({ type: 'call', from: '+15557777', to: 'work' }), { type: 'ok', of: 'call', result: 'call 1' }, 'a call to the phone in the background');
  await runUntil(served, c, () => c.screen('work').includes('incoming call from +15557777') && has(c, (m) => m.type === 'ringtone' && m.guest === 'work' && m.playing));
  t.ok(has(c, (m) => m.type === 'calls' && m.calls.some((k) => k.guest === 'work' && k.direction === 'incoming' && k.number === '+15557777' && k.state === 'incoming')), 'the card\'s call');
  t.ok(has(c, (m) => m.type === 'ringtone' && m.guest === 'work' && m.ringtone === 'office' && m.playing), 'work rings with its own ringtone');
  t.same((await c.request({ type: 'hello' }) as HelloMessage).ringing, { work: 'office', home: null });

  await c.request({ type: 'type', guest: 'work', text: 'answer\n' });
  await runUntil(served, c, () => c.screen('work').includes('call connected'));
  await runUntil(served, c, () => has(c, (m) => m.type === 'calls' && m.calls.length === 1 && m.calls[0]!.state === 'active'));
  t.ok(has(c, (m) => m.type === 'ringtone' && m.guest === 'work' && !m.playing), 'answered: it stops ringing');

  t.match(await c.request({ type: 'farEnd', action: 'hangUp', line: 'work' }), { type: 'ok', of: 'farEnd' });
  await runUntil(served, c, () => c.screen('work').includes('call ended'));
  await runUntil(served, c, () => (c.messages.filter((m) => m.type === 'calls').at(-1) as { calls: unknown[] }).calls.length === 0);

  t.match(await c.request({ type: 'sms', from: '+15553333', to: 'home', text: 'dinner at 8?' }), { type: 'ok', of: 'sms' });
  await runUntil(served, c, () => c.screen('home').includes('sms from +15553333: dinner at 8?'));
  t.match(await c.request({ type: 'registration', stat: 5 }), { type: 'ok' });
  await runUntil(served, c, () => has(c, (m) => m.type === 'radio' && m.radio.registration === 5));
  t.match(await c.request({ type: 'signal', rssi: 7 }), { type: 'ok' });
  await runUntil(served, c, () => has(c, (m) => m.type === 'radio' && m.radio.rssi === 7));

  t.match(await c.request({ type: 'speed', value: 2 }), { type: 'ok', of: 'speed' });
  t.match(await c.request({ type: 'status' }), { speed: 2 });
  t.ok(has(c, (m) => m.type === 'status' && m.id === undefined && m.speed === 2), 'every client is told');
  t.match(await c.request({ type: 'pause' }), { type: 'ok', of: 'pause' });
  const paused = (await c.request({ type: 'status' })) as StatusMessage;
  t.equal(paused.run, 'paused');
  served.clock.advance(1000);
  await served.session.settled();
  t.equal(((await c.request({ type: 'status' })) as StatusMessage).cycle, paused.cycle, 'paused: virtual time stands still');
  t.match(await c.request({ type: 'resume' }), { type: 'ok', of: 'resume' });
  served.clock.advance(100);
  await served.session.settled();
  const resumed = (await c.request({ type: 'status' })) as StatusMessage;
  t.equal(resumed.run, 'running');
  t.ok(resumed.cycle > paused.cycle, 'resumed');
  t.ok(resumed.cycle <= paused.cycle + 0.1 * 2 * 200e6 + 10_000, 'from where it stopped, at speed 2: no catching up on the pause');

  const snap = await c.request({ type: 'snapshot', name: 'before-note' });
  t.match(snap, { type: 'snapshot', name: 'before-note' });
  t.ok((snap as { bytes: number }).bytes > 0);
  await c.sync();
  t.ok(has(c, (m) => m.type === 'snapshots' && m.snapshots.some((s) => s.name === 'before-note')), 'every client sees the list');
  await c.request({ type: 'type', guest: 'work', text: 'notes add later\n' });
  await runUntil(served, c, () => c.screen('work').includes('note 1 added'));
  t.match(await c.request({ type: 'restore', name: 'before-note' }), { type: 'ok', of: 'restore' });
  await c.sync();
  const restored = c.messages.find((m) => m.type === 'restored');
  t.match(restored, { type: 'restored', name: 'before-note', foreground: 'home' });
  t.notMatch((restored as { screens: Record<string, string> }).screens.work, /note 1 added/, 'the screens as they were');
  const before = c.screen('work').length;
  await c.request({ type: 'type', guest: 'work', text: 'notes\n' });
  await runUntil(served, c, () => c.screen('work').slice(before).includes('no notes'));
  t.pass('the note taken after the snapshot is gone');

  const again = (await c.request({ type: 'hello' })) as HelloMessage;
  t.match(again, { type: 'hello', snapshots: [{ name: 'before-note' }] });
  t.ok(has(c, (m) => m.type === 'status' && m.id === undefined && m.partitions.length === 2), 'status is broadcast');
});

t.test('bad messages get an error and change nothing', async (t) => {
  const served = await serve();
  t.teardown(served.close);
  const c = await Client.open(served.wsUrl);
  t.teardown(() => c.close());
  await booted(served, c);
  await c.request({ type: 'snapshot', name: 'one' });
  const state = async () => {
    const h = (await c.request({ type: 'hello' })) as Partial<HelloMessage>;
    delete h.id;
    return h;
  };
  const before = await state();
  const cases: [string | Buffer, string, boolean?][] = [
    ['not json', 'bad-json'],
    [Buffer.from([1, 2, 3]), 'bad-json', true],
    [JSON.stringify({ type: 'type', text: 'x'.repeat(MAX_MESSAGE_BYTES) }), 'too-big'],
    ['"button"', 'bad-message'],
    ['{"type":"format-flash"}', 'unknown-type'],
    ['{"type":"button","force":true}', 'bad-field'],
    ['{"type":"type","text":"status\\n","guest":"nobody"}', 'bad-field'],
    ['{"type":"type","text":"\\u0003"}', 'bad-field'],
    ['{"type":"call","from":"+1555","to":"nobody"}', 'bad-field'],
    ['{"type":"call","from":"not a number","to":"home"}', 'bad-field'],
    ['{"type":"sms","from":"+1555","to":"work","text":"\\n"}', 'bad-field'],
    ['{"type":"registration","stat":-1}', 'bad-field'],
    ['{"type":"signal","rssi":40}', 'bad-field'],
    ['{"type":"speed","value":"fast"}', 'bad-field'],
    ['{"type":"restore","name":"two"}', 'refused'],
    ['{"type":"farEnd","action":"answer"}', 'refused'],
    ['{"type":"farEnd","action":"hangUp","line":"home"}', 'refused'],
  ];
  for (const [text, error, binary] of cases) {
    const reply = await c.raw(text, binary);
    t.match(reply, { type: 'error', error }, `${String(text).slice(0, 50)}: ${error}`);
    t.same(await state(), before, 'nothing changed');
  }
  t.match(await c.raw('{"type":"nope","id":"x9"}'), { type: 'error', error: 'unknown-type', id: 'x9' }, 'the id comes back when there is one');
  t.match(await c.raw('{"type":"speed","value":0,"id":4}'), { type: 'error', error: 'bad-field', field: 'value', of: 'speed', id: 4 });

  const other = await Client.open(served.wsUrl);
  t.teardown(() => other.close());
  other.ws.send(Buffer.alloc(1024 * 1024 + 1, 0x20));
  t.equal((await other.closed).code, 1009, 'past 1 MiB a message is not read: the connection is closed');
  t.same(await state(), before, 'and nothing changed');
});

/** A WebSocket client on a bare socket that never reads what the server sends. */
async function deafClient(served: Served): Promise<{ socket: Socket; send(text: string): void }> {
  const socket = connect(served.server.port, '127.0.0.1');
  await once(socket, 'connect');
  socket.pause();
  socket.write(
    `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${served.server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  const send = (text: string) => {
    const payload = Buffer.from(text);
    if (payload.length >= 126) throw new Error('short frames only');
    const mask = Buffer.from([1, 2, 3, 4]);
    socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, payload.map((b, i) => b ^ mask[i % 4]!)]));
  };
  return { socket, send };
}

t.test('a client that does not read never blocks the emulation or the other clients', async (t) => {
  const highWater = 256 * 1024;
  const served = await serve({ server: { highWaterBytes: highWater, lowWaterBytes: 16 * 1024, lagLimitMs: 3000 } });
  t.teardown(served.close);
  const c = await Client.open(served.wsUrl);
  t.teardown(() => c.close());
  await booted(served, c);
  const helloBytes = JSON.stringify(await c.request({ type: 'hello' })).length;

  // Enough requests that their answers are far more than the kernel's socket buffers take.
  const flood = async (deaf: { send(text: string): void }) => {
    for (let k = 0; k < Math.ceil((24 << 20) / helloBytes); k++) deaf.send('{"type":"hello"}');
    for (let k = 0; k < 2000 && !served.server.clientInfo().some((i) => i.lagging); k++) await c.sync();
  };
  const slow = await deafClient(served);
  t.teardown(() => slow.socket.destroy());
  await flood(slow);
  const lagging = served.server.clientInfo().filter((i) => i.lagging);
  t.equal(lagging.length, 1, 'the deaf client lags');
  t.ok(lagging[0]!.dropped > 0, 'messages to it are dropped');
  t.ok(lagging[0]!.buffered <= highWater + 2 * helloBytes, `its queue is bounded (${lagging[0]!.buffered} bytes)`);

  const cycle = served.machine.cycles;
  await c.request({ type: 'type', text: 'notes add still here\n' });
  await runUntil(served, c, () => c.screen('work').includes('note 1 added'));
  t.ok(served.machine.cycles > cycle, 'the emulation went on');
  t.notOk(served.server.clientInfo().find((i) => i.id !== lagging[0]!.id)?.lagging, 'the other client got every event');

  // It reads again: it is told how much it missed and gets the whole state afresh.
  let heard = '';
  slow.socket.on('data', (d: Buffer) => (heard += d.toString('latin1')));
  slow.socket.resume();
  for (let k = 0; k < 400 && !heard.includes('{"type":"resync"'); k++) {
    served.clock.advance(50);
    await served.session.settled();
    await c.sync();
  }
  t.match(heard, /\{"type":"resync","dropped":\d+\}/, 'a resync');
  t.ok(heard.indexOf('{"type":"hello"', heard.indexOf('{"type":"resync"')) > 0, 'then a hello');
  t.notOk(served.server.clientInfo().some((i) => i.lagging), 'no one lags now');

  // One that never reads again is disconnected after the lag limit.
  const deaf = await deafClient(served);
  t.teardown(() => deaf.socket.destroy());
  await flood(deaf);
  t.equal(served.server.clientInfo().filter((i) => i.lagging).length, 1);
  t.equal(served.server.clientInfo().length, 3);
  for (let k = 0; k < 80 && served.server.clientInfo().length > 2; k++) {
    served.clock.advance(50);
    await served.session.settled();
    await c.sync();
  }
  t.equal(served.server.clientInfo().length, 2, 'the deaf client is gone after the lag limit');
  await c.request({ type: 'type', text: 'notes\n' });
  await runUntil(served, c, () => c.screen('work').includes('1: still here'));
});
