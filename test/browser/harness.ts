// Real-browser tests of `handset serve`'s pages: Debian's Chromium (/usr/bin/chromium, which tools/setup
// installs) driven by the npm package playwright-core, which never downloads a browser of its own. A test
// file launches one browser (launchBrowser), serves a handset (serveHandset: the default work and home
// phones on the REAL host clock, so the page sees them live), opens pages on it (openPage) and waits for
// conditions (waitUntil in the page, waitForSession in the server), each bounded by WAIT_MS: never a sleep,
// and nothing depends on how fast the host is. Everything is closed in t.teardown.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Test } from 'tap';
import type { HypervisorConfig } from '../../src/hypervisor/config.ts';
import type { Machine } from '../../src/machine/machine.ts';
import type { HelloMessage } from '../../src/ui/protocol.ts';
import { HandsetServer, type ServerOptions } from '../../src/ui/server.ts';
import { HandsetSession, type SessionOptions } from '../../src/ui/session.ts';
import { bootHandset, builtPage } from '../ui/harness.ts';

/** The browser: Debian's package `chromium`. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Host milliseconds any one wait may take before the test fails: a bound for a slow, busy host, not a
 * delay (every wait ends as soon as its condition holds).
 */
export const WAIT_MS = 60_000;

/**
 * Chromium's flags: headless, no sandbox (tests may run as root), no GPU, and nothing that talks to the
 * network on its own (without the background-networking flags it tries to reach Google's servers).
 * Playwright adds its own (among them `--mute-audio`: Web Audio runs, nothing is heard) and a fresh
 * temporary `--user-data-dir`, which it deletes when the browser closes (it refuses one in `args`).
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches Chromium (closed at the end of `t`); fails, rather than skips, when it is not installed. */
export async function launchBrowser(t: Test, options: { args?: readonly string[] } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `the browser tests need Chromium at ${CHROMIUM} and it is missing: run tools/setup as root, or: sudo apt-get install --no-install-recommends chromium fonts-dejavu-core`,
    );
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, ...(options.args ?? [])], timeout: WAIT_MS });
  t.teardown(() => browser.close());
  return browser;
}

export interface OpenedPage {
  page: Page;
  context: BrowserContext;
  /** Uncaught exceptions in the page and messages it logged as errors, in order. */
  errors: string[];
}

/**
 * Opens `url` in a browser context of its own (no cookies or storage shared with other pages), at
 * `viewport` (default 1280 x 900); closed at the end of `t`. Every Playwright wait of the page is bounded
 * by WAIT_MS.
 */
export async function openPage(t: Test, browser: Browser, url: string, options: { viewport?: { width: number; height: number } } = {}): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 900 } });
  t.teardown(() => context.close());
  context.setDefaultTimeout(WAIT_MS);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}${m.location().url === '' ? '' : ` (${m.location().url})`}`);
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, context, errors };
}

/**
 * Waits until `test(arg)`, run in the page, returns something truthy (looked at on every animation frame),
 * and resolves with it; fails after WAIT_MS with `what` in the message.
 */
export async function waitUntil<A, R>(page: Page, what: string, test: (arg: A) => R, arg: A): Promise<R> {
  try {
    // `arg` is plain JSON here, which Playwright passes as it is (its `Unboxed<A>` is then A).
    const handle = await page.waitForFunction(test as (arg: unknown) => R, arg as unknown, { timeout: WAIT_MS });
    return (await handle.jsonValue()) as R;
  } catch (e) {
    throw new Error(`waiting for ${what}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
}

/** Waits until the text of the first element matching `selector` includes `text` (or matches it). */
export function waitForText(page: Page, selector: string, text: string | RegExp): Promise<unknown> {
  const pattern = typeof text === 'string' ? { source: text, flags: null } : { source: text.source, flags: text.flags };
  return waitUntil(
    page,
    `${selector} to show ${String(text)}`,
    ({ selector, pattern }) => {
      const content = document.querySelector(selector)?.textContent ?? '';
      return pattern.flags === null ? content.includes(pattern.source) : new RegExp(pattern.source, pattern.flags).test(content);
    },
    { selector, pattern },
  );
}

/** The text of the first element matching `selector` ('' when there is none). */
export function textOf(page: Page, selector: string): Promise<string> {
  return page.evaluate((selector) => document.querySelector(selector)?.textContent ?? '', selector);
}

export interface ServedHandset {
  machine: Machine;
  config: HypervisorConfig;
  session: HandsetSession;
  server: HandsetServer;
  /** The page: http://127.0.0.1:PORT/ */
  url: string;
  /** GET /api/hello: the state as any client sees it (screens, calls, ringing). */
  hello(): Promise<HelloMessage>;
}

/**
 * The default handset (work and home from guests/) served on 127.0.0.1, a free port, with the built pages,
 * on the host's clock (real time × speed); its loop started. Closed at the end of `t`.
 */
export async function serveHandset(
  t: Test,
  options: { session?: Partial<Omit<SessionOptions, 'machine' | 'config' | 'clock'>>; server?: Partial<Omit<ServerOptions, 'session' | 'clock'>> } = {},
): Promise<ServedHandset> {
  const { machine, config } = bootHandset();
  const session = new HandsetSession({ machine, config, ...options.session });
  const server = await HandsetServer.start({ session, host: '127.0.0.1', port: 0, webDir: await builtPage(), ...options.server });
  t.teardown(async () => {
    session.close();
    await server.close();
    machine.close();
  });
  session.start();
  const url = server.url;
  return {
    machine,
    config,
    session,
    server,
    url,
    hello: async () => {
      const r = await fetch(new URL('/api/hello', url));
      if (!r.ok) throw new Error(`GET /api/hello: ${r.status}`);
      return (await r.json()) as HelloMessage;
    },
  };
}

/**
 * Waits until `test()` holds in the server: looked at now and after every message the session sends its
 * clients (as the handset runs, and on every input); fails after WAIT_MS with `what` in the message.
 */
export function waitForSession(served: ServedHandset, what: string, test: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    if (test()) return resolve();
    const done = (error?: Error) => {
      clearTimeout(timer);
      unsubscribe();
      if (error === undefined) resolve();
      else reject(error);
    };
    const timer = setTimeout(() => done(new Error(`waiting for ${what}: not within ${WAIT_MS / 1000} s`)), WAIT_MS);
    const unsubscribe = served.session.subscribe(() => {
      try {
        if (test()) done();
      } catch (e) {
        done(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
}
