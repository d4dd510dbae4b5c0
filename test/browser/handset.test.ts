// The handset page of `handset serve` in a real browser (test/browser/harness.ts: Debian's Chromium driven
// by playwright-core), against a handset served on the host's clock. One browser and one handset for the
// file; the subtests run in order on them, each going on from where the one before left the handset:
// the page loads and both phones boot, the switch button, typing on the page, an incoming call to the
// phone behind (the card, the ringtone started from the config's tone steps), the page at a phone's width
// (paused meanwhile), answering the call on the card, and no errors in the page. Every expectation is a
// wait on a condition bounded by WAIT_MS, never a sleep. The screenshot taken while the call rings goes to
// docs/screenshots/handset.png with HANDSET_UPDATE_SCREENSHOTS=1, else to a temporary directory.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ringtoneTable } from '../../src/hypervisor/config.ts';
import { launchBrowser, openPage, serveHandset, textOf, waitForSession, waitForText, waitUntil } from './harness.ts';

const served = await serveHandset(t);
const browser = await launchBrowser(t);
const { page, errors } = await openPage(t, browser, served.url);

const [first, second] = served.config.partitions.map((p) => p.name) as [string, string];
const partition = (name: string) => served.config.partitions.find((p) => p.name === name)!;
/** What a phone prints once booted (guests/lib/shell.c), then its prompt. */
const banner = (name: string) => `handset ${name} phone ${partition(name).number} ready`;
const prompt = (name: string) => `${name}> `;

t.equal(served.config.foreground, first, 'the first phone starts in front');

t.test('the page loads and connects; the phone in front boots on its screen', async (t) => {
  t.equal(await page.title(), 'handset');
  await waitUntil(page, 'the page to connect', () => document.getElementById('conn')?.dataset.state === 'open', null);
  await waitForText(page, '#sb-profile', first);
  t.equal(await textOf(page, '#sb-number'), partition(first).number, 'its number in the status bar');
  await waitForText(page, '#console', banner(first));
  await waitForText(page, '#console', prompt(first));
  t.equal(await textOf(page, '#switch-label'), `Switch to ${second}`, 'the switch button names the phone behind');
  t.notMatch(await textOf(page, '#console'), banner(second), 'the screen shows only the phone in front');
});

t.test('the switch button brings the other phone (booted too) to the front, and back', async (t) => {
  await page.click('#switch');
  await waitForText(page, '#sb-profile', second);
  await waitForText(page, '#switch-label', `Switch to ${first}`);
  t.equal(await page.getAttribute('#phone', 'data-profile'), '1', 'the phone takes the second profile colour');
  await waitForText(page, '#console', banner(second));
  await waitForText(page, '#console', prompt(second));
  t.notMatch(await textOf(page, '#console'), banner(first), `${first}'s screen is behind`);
  t.equal(served.session.status().foreground, second, 'the hypervisor switched too');

  await page.click('#switch');
  await waitForText(page, '#sb-profile', first);
  await waitForText(page, '#switch-label', `Switch to ${second}`);
  await waitForText(page, '#console', banner(first));
  t.equal(await page.getAttribute('#phone', 'data-profile'), '0');
  t.equal(served.session.status().foreground, first);
});

t.test('what is typed on the page reaches the phone in front only', async (t) => {
  // The entry, sent with Enter.
  await page.click('#entry-text');
  await page.keyboard.type(`notes add typed-on-${first}`);
  await page.keyboard.press('Enter');
  await waitForText(page, '#console', `${prompt(first)}notes add typed-on-${first}\n`);
  await waitForText(page, '#console', 'note 1 added');
  t.equal(await page.inputValue('#entry-text'), '', 'the entry is cleared');
  // A soft key.
  await page.click('.softkeys button[data-command="status"]');
  await waitForText(page, '#console', `${prompt(first)}status\n`);
  await waitForText(page, '#console', `name: ${first}\n`);
  // The keypad types into the entry; Send sends it.
  await page.click('#keypad button:text-is("4")');
  await page.click('#keypad button:text-is("2")');
  t.equal(await page.inputValue('#entry-text'), '42');
  await page.click('#entry button[type="submit"]');
  await waitForText(page, '#console', `${prompt(first)}42\n`);
  await waitForText(page, '#console', 'unknown command: 42');

  const hello = await served.hello();
  t.match(hello.screens[first], `notes add typed-on-${first}`, `${first} got the line`);
  t.notMatch(hello.screens[second], 'typed-on', `${second} did not`);
  t.notMatch(hello.screens[second], /name: |unknown command: 42/, `nor the soft key's command or the keypad's line`);

  // And the other way round, once the other phone is in front.
  await page.click('#switch');
  await waitForText(page, '#sb-profile', second);
  await page.fill('#entry-text', `notes add typed-on-${second}`);
  await page.press('#entry-text', 'Enter');
  await waitForText(page, '#console', `${prompt(second)}notes add typed-on-${second}\n`);
  await waitForText(page, '#console', 'note 1 added');
  const after = await served.hello();
  t.notMatch(after.screens[first], `typed-on-${second}`, `${first} did not get ${second}'s line`);
  t.notMatch(await textOf(page, '#console'), `typed-on-${first}`, `${second}'s screen shows none of ${first}'s`);
  await page.click('#switch');
  await waitForText(page, '#sb-profile', first);
});

const caller = '+15554242';
let screenshotBytes = 0;

t.test('an incoming call to the phone behind: the card, and its ringtone from the config', async (t) => {
  // Sound on (a click is the user gesture browsers want before audio).
  await page.click('#sound');
  t.equal(await page.getAttribute('#sound', 'aria-pressed'), 'true');
  t.equal(await textOf(page, '#sound'), 'Sound on');

  // The network panel places the call to the phone behind.
  await page.fill('#net-call input[name="from"]', caller);
  await page.selectOption('#net-call select[name="to"]', second);
  await page.click('#net-call button[type="submit"]');

  await waitUntil(page, 'the incoming-call card', () => !document.getElementById('call-card')!.hidden, null);
  await waitForText(page, '#call-title', `${second} · incoming call (in the background)`);
  t.equal(await textOf(page, '#call-number'), caller, "the caller's number");
  t.equal(await page.getAttribute('#call-card', 'data-profile'), '1', `coloured as ${second}`);
  t.equal(await textOf(page, '#sb-profile'), first, 'the phone in front stays in front');

  // The ringtone: the page starts the tone steps of the phone's ringtone in the config, one whole round.
  const ringtone = partition(second).ringtone;
  const steps = ringtoneTable(served.config)[ringtone]!;
  t.ok(steps.length > 0, `${second} rings "${ringtone}"`);
  const speed = served.session.status().speed;
  const started = await waitUntil(
    page,
    `one round of ${second}'s ringtone started`,
    ({ guest, n }) => {
      const el = document.querySelector<HTMLElement>(`#ringing .ring[data-guest="${guest}"]`);
      const started = el?.dataset.started ?? '';
      return started.split(' ').filter((s) => s !== '').length >= n ? started : '';
    },
    { guest: second, n: steps.length },
  );
  t.equal(started, steps.map((s) => `${s.hz}:${s.ms / speed}`).join(' '), `${second}'s ringtone, step by step (Hz:ms)`);
  t.equal(await page.getAttribute(`#ringing .ring[data-guest="${second}"]`, 'data-ringtone'), ringtone);
  t.equal(await textOf(page, '#ringing'), `♪ ${second} rings (${ringtone})`, 'the indicator a user sees');
  t.equal(await page.locator(`#ringing .ring[data-guest="${first}"]`).count(), 0, `${first} does not ring`);
  const hello = await served.hello();
  t.equal(hello.ringing[second], ringtone, 'the server says the same');
  t.same(
    hello.calls.map((c) => [c.guest, c.direction, c.state, c.number]),
    [[second, 'incoming', 'incoming', caller]],
    'the network has the call',
  );

  // The screenshot: the desktop page with the card up.
  const update = process.env.HANDSET_UPDATE_SCREENSHOTS === '1';
  const dir = update ? undefined : mkdtempSync(join(tmpdir(), 'handset-screenshot-'));
  if (dir !== undefined) t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = dir === undefined ? fileURLToPath(new URL('../../docs/screenshots/handset.png', import.meta.url)) : join(dir, 'handset.png');
  await page.screenshot({ path: file, fullPage: true });
  const png = readFileSync(file);
  t.same([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `a PNG (${update ? file : 'in a temporary directory'})`);
  screenshotBytes = png.length;

  // Pause: the call is not taken for 30 s of virtual time at most (docs/modem.md), and virtual time follows
  // the host's; with it stopped, what comes next takes as long as it takes.
  await page.click('#pause');
  await waitForText(page, '#sb-run', 'paused');
  await waitForText(page, '#pause', 'Resume');
  t.equal(served.session.runState(), 'paused');
});

t.test('at a phone width the page fits: no horizontal scrolling, the handset and the card in view', async (t) => {
  const narrow = await openPage(t, browser, served.url, { viewport: { width: 390, height: 844 } });
  const p = narrow.page;
  await waitUntil(p, 'the card on the narrow page', () => !document.getElementById('call-card')!.hidden, null);
  await waitUntil(p, `${second} ringing on the narrow page`, (g) => document.querySelector(`#ringing .ring[data-guest="${g}"]`) !== null, second);
  await waitForText(p, '#console', prompt(first));
  const fit = await p.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    innerWidth: window.innerWidth,
  }));
  t.equal(fit.clientWidth, 390);
  t.ok(fit.scrollWidth <= fit.clientWidth, `nothing wider than the screen (scrollWidth ${fit.scrollWidth})`);
  for (const selector of ['#phone', '#call-card', '#console', '#switch', '.top']) {
    const box = await p.locator(selector).boundingBox();
    t.ok(box !== null && box.width > 0 && box.height > 0, `${selector} is shown`);
    t.ok(box !== null && box.x >= 0 && box.x + box.width <= fit.innerWidth, `${selector} is within the width (${box?.x}..${box && box.x + box.width})`);
  }
  t.ok(await p.locator('#phone').isVisible());
  t.same(narrow.errors, [], 'no errors in the narrow page');
});

t.test('answering on the card connects the call on the phone behind', async (t) => {
  await page.click('#pause');
  await waitForText(page, '#pause', 'Pause');
  t.not(served.session.runState(), 'paused', 'resumed');
  await page.click('#call-answer');
  await waitUntil(page, 'the card to go', () => document.getElementById('call-card')!.hidden, null);
  await waitForSession(served, `${second}'s call active`, () => served.session.hello().calls.some((c) => c.guest === second && c.state === 'active'));
  await waitForSession(served, `${second} to print that the call connected`, () => (served.session.hello().screens[second] ?? '').includes('call connected'));
  await waitForText(page, '#calls', `${second} incoming from ${caller} (active)`);
  await waitUntil(page, 'the ringing to stop', () => document.getElementById('ringing')!.hidden, null);
  t.equal(await textOf(page, '#sb-profile'), first, `${first} still in front`);
  t.match((await served.hello()).screens[second], `${prompt(second)}answer\n`, `the card typed answer into ${second}`);
});

t.test('no errors in the page', async (t) => {
  t.ok(screenshotBytes > 10_000, `the screenshot has content (${screenshotBytes} bytes)`);
  t.same(errors, []);
});
