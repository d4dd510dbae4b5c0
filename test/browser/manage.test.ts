// The remote management console (/manage) in a real browser (test/browser/harness.ts), against a handset
// served on the host's clock with a known token, beside the handset page: a wrong token is refused (and
// changes nothing), the right one signs in, the console shows work and of home only its name; a policy
// pushed from the form is enforced in the work guest; Lock locks the work phone while home runs on;
// Wipe empties work's store and reboots it while home's screen keeps advancing on the handset page. Every
// expectation is a wait on a condition bounded by WAIT_MS, never a sleep. The screenshot goes to
// docs/screenshots/manage.png with HANDSET_UPDATE_SCREENSHOTS=1, else to a temporary directory.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, openPage, serveHandset, textOf, waitForSession, waitForText, waitUntil } from './harness.ts';

const TOKEN = 'browser-test-token-0123456789';
const served = await serveHandset(t, { server: { manageToken: TOKEN } });
const management = served.session.management!;
const browser = await launchBrowser(t);
const consoleUrl = new URL('/manage', served.url).href;
const { page, errors } = await openPage(t, browser, consoleUrl);

/** A phone's screen as the server keeps it for clients. */
const screen = (guest: string) => served.session.hello().screens[guest] ?? '';
/** Types a line into a phone through the session (as the handset page's entry does). */
function type(guest: string, line: string): void {
  served.session.receive(JSON.stringify({ type: 'type', guest, text: `${line}\n` }), (reply) => {
    if (reply.type !== 'ok') throw new Error(`type ${line}: ${JSON.stringify(reply)}`);
  });
}
/** Waits until `guest`'s screen, after its first `from` characters, includes `text`. */
function waitForScreen(guest: string, text: string, from = 0): Promise<void> {
  return waitForSession(served, `${guest} to show ${JSON.stringify(text)}`, () => screen(guest).slice(from).includes(text));
}

await waitForSession(served, 'both phones to boot', () => {
  const h = served.session.hello();
  return (h.screens.work ?? '').includes('work> ') && (h.screens.home ?? '').includes('home> ');
});

t.test('a wrong token is refused and changes nothing; the right one signs in', async (t) => {
  t.equal(await page.title(), 'handset – management console');
  t.equal(await page.isVisible('#signin'), true, 'the page asks for the token');
  t.equal(await page.isVisible('#device'), false);
  await page.fill('#token', 'not-the-token-0123456789');
  await page.click('#signin button[type="submit"]');
  await waitForText(page, '#signin-error', 'That token is not accepted.');
  t.equal(await page.isVisible('#device'), false, 'nothing shown');
  t.same(management.audit(), [], 'nothing logged');
  t.equal(management.status().locked, false);

  await page.fill('#token', TOKEN);
  await page.click('#signin button[type="submit"]');
  await waitUntil(page, 'the console to sign in', () => !document.getElementById('device')!.hidden, null);
  t.equal(await textOf(page, '#conn'), 'signed in');
  await waitForText(page, '#f-name', 'work');
  await waitForText(page, '#f-state', 'running');
  await waitForText(page, '#f-apps', 'customers, mail');
  t.equal(await textOf(page, '#f-others'), 'home (running)', 'home: its name and that it runs');
  const text = await page.evaluate(() => document.body.innerText);
  t.notMatch(text, /home>|handset home phone|\+1555/, "nothing of home's screen or number");
});

t.test('a policy pushed from the form is enforced in the work guest', async (t) => {
  await page.check('#apps-list');
  await page.uncheck('#app-choices input[value="customers"]');
  await page.check('#app-choices input[value="mail"]');
  await page.uncheck('#sms');
  await page.check('#pin-set');
  await page.fill('#pin', '8642');
  await page.click('#policy button[type="submit"]');
  await waitForText(page, '#result', 'Policy: done.');
  await waitForText(page, '#policy-now', 'In force: only mail; SMS blocked; PIN set.');
  await waitForText(page, '#audit-rows', 'apps: mail; sms: blocked; pin: set');
  t.same(management.policy(), { apps: ['mail'], sms: false, pin: '8642' }, 'the hypervisor has the policy');
  t.notMatch(await page.evaluate(() => document.body.innerText), '8642', 'the PIN is not shown');

  const from = screen('work').length;
  type('work', 'run customers');
  await waitForScreen('work', 'app blocked by policy: customers', from);
  type('work', 'sms +15557777 hi');
  await waitForScreen('work', 'sms blocked by policy', from);
  await waitForText(page, '#audit-rows', 'refused');
  t.pass('the guest was refused, and the console logged it');
});

t.test('Lock locks the work phone; home runs on', async (t) => {
  await page.click('#lock');
  await waitForText(page, '#f-state', 'locked');
  t.equal(await page.isDisabled('#lock'), true);
  await waitForScreen('work', '[locked]');
  const from = screen('home').length;
  type('home', 'notes add while work is locked');
  await waitForScreen('home', 'note 1 added', from);
  t.pass("home's console advanced while work was locked");
  await page.click('#unlock');
  await waitForText(page, '#f-state', 'running');
  await waitForText(page, '#audit-rows', 'work unlocked');
});

t.test("Wipe empties work's store and reboots it; home's screen keeps advancing on the handset page", async (t) => {
  const handset = await openPage(t, browser, served.url);
  await waitForText(handset.page, '#sb-profile', 'work');
  await handset.page.click('#switch');
  await waitForText(handset.page, '#sb-profile', 'home');

  const from = screen('work').length;
  type('work', 'notes add work secret');
  await waitForScreen('work', 'added', from);
  await waitUntil(page, 'the store to be used', () => !/^0 of/.test(document.getElementById('f-store')!.textContent ?? ''), null);
  const beforeWipe = screen('work').length;
  await page.click('#wipe');
  t.equal(await page.isVisible('#confirm-wipe'), true, 'a wipe asks first');
  await page.click('#confirm-wipe button[value="wipe"]');
  await waitForText(page, '#result', 'Wipe: done.');
  await waitForText(page, '#f-store', /^0 of [\d,]+ bytes used$/);
  await waitForText(page, '#f-boots', '2');
  await waitForText(page, '#audit-rows', 'store emptied');

  const banner = 'handset work phone';
  await waitForScreen('work', banner, beforeWipe);
  const after = screen('work').indexOf(banner, beforeWipe);
  await waitForScreen('work', 'work> ', after);
  type('work', 'notes');
  await waitForScreen('work', 'no notes', after);
  t.notMatch(screen('work').slice(after), 'work secret', "work's notes are gone");

  await handset.page.click('#entry-text');
  await handset.page.keyboard.type('notes');
  await handset.page.keyboard.press('Enter');
  await waitForText(handset.page, '#console', 'while work is locked');
  t.pass("home's store was not touched, and its screen went on on the handset page");
  t.equal(served.session.status().partitions.find((p) => p.name === 'home')!.boots, 1, 'home never rebooted');

  const screenshots = process.env.HANDSET_UPDATE_SCREENSHOTS === '1' ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url)) : mkdtempSync(join(tmpdir(), 'handset-shots-'));
  if (process.env.HANDSET_UPDATE_SCREENSHOTS !== '1') t.teardown(() => rmSync(screenshots, { recursive: true, force: true }));
  const file = join(screenshots, 'manage.png');
  await page.screenshot({ path: file, fullPage: true });
  t.equal(readFileSync(file).subarray(1, 4).toString(), 'PNG', `a screenshot of the console: ${file}`);
  t.same(handset.errors, [], 'no errors in the handset page');
});

t.test('no errors in the console page', async (t) => {
  t.same(errors.filter((e) => !/401 \(Unauthorized\)/.test(e)), [], 'none but the refused sign-in the browser logs');
});
