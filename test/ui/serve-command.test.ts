// `handset serve` through the real CLI (dist/handset.js): it prints its address once it listens, serves the
// page and the protocol, and ends on SIGINT (130) or SIGTERM (143); bad options and a port in use are one
// line on stderr, exit 2.
import t from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Starts `handset serve ARGS`; resolves with the process, the address it printed and all it printed by then. */
async function start(args: string[]): Promise<{ child: ChildProcess; url: string; out: () => string }> {
  const child = spawn(process.execPath, ['dist/handset.js', 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      // The console's line, when there is one, is written with the address's.
      const m = /^handset: serving the two-phone handset at (http:\/\/\S+\/) \(Ctrl-C stops it\)\n/m.exec(out);
      if (m !== null) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`handset serve exited (${code}) before it listened: ${out}`)));
  });
  return { child, url, out: () => out };
}

async function stop(child: ChildProcess): Promise<void> {
  const ended = once(child, 'exit');
  child.kill('SIGTERM');
  await ended;
}

/** A config of the two default phones (absolute image paths) with `extra` at the top level, in a file. */
function config(extra: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'handset-serve-'));
  const file = join(dir, 'phones.json');
  const partitions = ['work', 'home'].map((name, i) => ({ name, image: resolve(`guests/${name}.elf`), number: `555010${i}` }));
  writeFileSync(file, JSON.stringify({ partitions, ...extra }));
  return file;
}

t.test('handset serve: prints its address, serves, ends on a signal', async (t) => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const { child, url } = await start(['--port', '0', '--speed', '2']);
    t.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(url);
    t.equal(page.status, 200);
    t.match(await page.text(), /<title>handset<\/title>/);
    t.equal((await fetch(`${url}app.js`)).status, 200);
    const status = (await (await fetch(`${url}api/status`)).json()) as { run: string; speed: number; partitions: { name: string }[] };
    t.match(status, { type: 'status', run: 'running', speed: 2 });
    t.same(status.partitions.map((p) => p.name), ['work', 'home']);
    const ended = once(child, 'exit');
    child.kill(signal);
    const [code] = (await ended) as [number];
    t.equal(code, signal === 'SIGINT' ? 130 : 143, `${signal}: ${code}`);
  }
});

t.test('handset serve: the management console, its token printed once or taken from the config', async (t) => {
  const random = await start(['--port', '0']);
  t.teardown(() => stop(random.child));
  const line = new RegExp(`^handset: management console at ${random.url}manage \\(token ([A-Za-z0-9_-]{24}), or open ${random.url}manage#token=\\1\\)$`, 'm');
  const token = line.exec(random.out())?.[1];
  t.ok(token !== undefined, `the console's address and a random token: ${random.out()}`);
  const authorized = await fetch(`${random.url}manage/api/status`, { headers: { Authorization: `Bearer ${token}` } });
  t.equal(authorized.status, 200);
  t.match(await authorized.json(), { name: 'work', others: [{ name: 'home', running: Boolean }] });
  t.equal((await fetch(`${random.url}manage/api/status`, { headers: { Authorization: 'Bearer not-the-token-0123456789' } })).status, 401);
  const again = await start(['--port', '0']);
  t.teardown(() => stop(again.child));
  t.notMatch(again.out(), token!, 'a new token at every start');

  const secret = 'configured-token-0123456789';
  const configured = await start(['--port', '0', '--config', config({ managementToken: secret })]);
  t.teardown(() => stop(configured.child));
  t.match(configured.out(), `handset: management console at ${configured.url}manage (the managementToken of the config)\n`);
  t.notMatch(configured.out(), secret, "the config's token is not printed");
  t.equal((await fetch(`${configured.url}manage/api/status`, { headers: { Authorization: `Bearer ${secret}` } })).status, 200);

  const unmanaged = await start(['--port', '0', '--config', config({ managed: null })]);
  t.teardown(() => stop(unmanaged.child));
  t.notMatch(unmanaged.out(), /management console/, 'nothing managed: no console');
  t.equal((await fetch(`${unmanaged.url}manage`)).status, 404);

  const bad = spawnSync(process.execPath, ['dist/handset.js', 'serve', '--config', config({ managementToken: 'short' })], { encoding: 'utf8', timeout: 60_000 });
  t.equal(bad.status, 2);
  t.match(bad.stderr, /managementToken: expected 16 to 256 characters/);
});

t.test('handset serve: bad options and a port in use are one line, exit 2', async (t) => {
  const serve = (args: string[]) => spawnSync(process.execPath, ['dist/handset.js', 'serve', ...args], { encoding: 'utf8', timeout: 60_000 });
  const cases: [string[], RegExp][] = [
    [['--port', '65536'], /^handset: --port 65536: expected a port number 0-65535/],
    [['--port', 'http'], /^handset: --port http: expected a port number/],
    [['--speed', '0'], /^handset: --speed 0: expected virtual seconds per host second, 0\.01 to 1000/],
    [['--speed', 'fast'], /^handset: --speed fast:/],
    [['--config', '/nonexistent.json'], /^handset: cannot read config \/nonexistent\.json/],
    [['--port', '0', '--port', '1'], /^handset: --port given twice/],
  ];
  for (const [args, message] of cases) {
    const r = serve(args);
    t.equal(r.status, 2, args.join(' '));
    t.match(r.stderr, message);
    t.equal(r.stderr.split('\n').length, 2, 'one line');
  }
  const busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  t.teardown(() => busy.close());
  const port = (busy.address() as { port: number }).port;
  const r = serve(['--port', String(port)]);
  t.equal(r.status, 2);
  t.equal(r.stderr, `handset: cannot listen on 127.0.0.1 port ${port}: the address is in use (another server? try another --port, or --port 0 for any free one)\n`);
});
