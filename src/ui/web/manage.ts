/**
 * The remote management console (/manage, docs/web.md "The management console"): IT's view of the managed
 * partition through the management API (/manage/api/, src/ui/manage-api.ts) and nothing else. It signs in
 * with the bearer token (typed, or from the address's `#token=` fragment, which browsers never send to the
 * server), keeps it in this tab's sessionStorage only, and polls the status and the audit log once a
 * second (host time: this is a view, the emulation has its own clock).
 */
import type { AuditEntry } from '../../hypervisor/management.ts';
import type { ConsolePolicy, ConsoleStatus } from '../manage-api.ts';

const POLL_MS = 1000;
const TOKEN_KEY = 'handset-manage-token';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`manage.html has no #${id}`);
  return el as T;
};

class Unauthorized extends Error {}

let token: string | null = null;
let polling: number | undefined;
let lastSeq = 0;
let clockHz = 1;
let shownPolicy = '';

async function call<T>(method: 'GET' | 'POST', name: string, body?: unknown): Promise<T> {
  const response = await fetch(`/manage/api/${name}`, {
    method,
    headers: { Authorization: `Bearer ${token ?? ''}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  const value = (await response.json().catch(() => ({ message: `${response.status} ${response.statusText}` }))) as T & { message?: string };
  if (response.status === 401) throw new Unauthorized(value.message ?? 'unauthorized');
  if (!response.ok) throw new Error(value.message ?? `${response.status} ${response.statusText}`);
  return value;
}

function signedIn(on: boolean, error = ''): void {
  $('signin').hidden = on;
  for (const id of ['device', 'policy', 'audit']) $(id).hidden = !on;
  const conn = $('conn');
  conn.dataset.state = on ? 'open' : 'signed-out';
  conn.textContent = on ? 'signed in' : 'signed out';
  $('signin-error').textContent = error;
  if (!on) {
    token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    if (polling !== undefined) clearTimeout(polling);
    polling = undefined;
    $('who').textContent = '–';
    $('audit-rows').replaceChildren();
    lastSeq = 0;
    shownPolicy = '';
  }
}

async function signIn(candidate: string): Promise<void> {
  token = candidate;
  try {
    await refresh();
  } catch (e) {
    signedIn(false, e instanceof Unauthorized ? 'That token is not accepted.' : `Cannot reach the handset: ${(e as Error).message}`);
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, candidate);
  signedIn(true);
  schedule();
}

function schedule(): void {
  polling = window.setTimeout(async () => {
    polling = undefined;
    try {
      await refresh();
      $('conn').dataset.state = 'open';
      $('conn').textContent = 'signed in';
    } catch (e) {
      if (e instanceof Unauthorized) {
        signedIn(false, 'The token is no longer accepted.');
        return;
      }
      $('conn').dataset.state = 'closed';
      $('conn').textContent = 'handset unreachable';
    }
    if (token !== null) schedule();
  }, POLL_MS);
}

async function refresh(): Promise<void> {
  const status = await call<ConsoleStatus>('GET', 'status');
  const audit = await call<{ entries: AuditEntry[] }>('GET', `audit?after=${lastSeq}`);
  showStatus(status);
  showAudit(audit.entries);
}

function showStatus(s: ConsoleStatus): void {
  clockHz = s.clockHz;
  $('who').textContent = s.name;
  $('f-name').textContent = s.name;
  const state = $('f-state');
  state.textContent = s.state;
  state.dataset.state = s.state;
  $('f-cycles').textContent = `${s.cycles.toLocaleString('en')} (${seconds(s.cycles)})`;
  $('f-share').textContent = `${(s.share * 100).toFixed(1)} %`;
  $('f-faults').textContent = String(s.faults);
  $('f-boots').textContent = String(s.boots);
  $('f-store').textContent = `${s.storeUsedBytes.toLocaleString('en')} of ${s.storeSize.toLocaleString('en')} bytes used`;
  $('f-apps').textContent = s.apps.length === 0 ? 'none reported yet' : s.apps.join(', ');
  $('f-others').textContent = s.others.length === 0 ? 'none' : s.others.map((o) => `${o.name} (${o.running ? 'running' : 'stopped'})`).join(', ');
  $<HTMLButtonElement>('lock').disabled = s.locked;
  $<HTMLButtonElement>('unlock').disabled = !s.locked;
  $('wipe-name').textContent = s.name;
  showPolicy(s.policy, s.apps);
}

/** The policy in force, and the form set to it when the policy (or the apps known) changed. */
function showPolicy(p: ConsolePolicy, installed: string[]): void {
  $('policy-now').textContent = `In force: ${p.apps === null ? 'every app' : p.apps.length === 0 ? 'no apps' : `only ${p.apps.join(', ')}`}; SMS ${p.sms ? 'allowed' : 'blocked'}; PIN ${p.pinSet ? 'set' : 'not set'}.`;
  const key = JSON.stringify([p, installed]);
  if (key === shownPolicy) return;
  shownPolicy = key;
  $<HTMLInputElement>(p.apps === null ? 'apps-all' : 'apps-list').checked = true;
  const allowed = new Set(p.apps ?? installed);
  const choices = $('app-choices');
  choices.replaceChildren(
    ...installed.map((app) => {
      const label = document.createElement('label');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.value = app;
      box.checked = allowed.has(app);
      label.append(box, ` ${app}`);
      return label;
    }),
  );
  $<HTMLInputElement>('apps-extra').value = (p.apps ?? []).filter((a) => !installed.includes(a)).join(', ');
  $<HTMLInputElement>('sms').checked = p.sms;
}

function showAudit(entries: AuditEntry[]): void {
  const rows = $('audit-rows');
  for (const e of entries) {
    lastSeq = Math.max(lastSeq, e.seq);
    const tr = document.createElement('tr');
    if (e.refused) tr.className = 'refused';
    for (const text of [String(e.seq), seconds(e.cycle), e.action, e.by, `${e.refused ? 'refused: ' : ''}${e.detail}`]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    rows.prepend(tr);
  }
}

/** Virtual time: seconds with milliseconds, or milliseconds with microseconds below a second. */
function seconds(cycles: number): string {
  const s = cycles / clockHz;
  return s >= 1 ? `${s.toFixed(3)} s` : `${(s * 1000).toFixed(3)} ms`;
}

/** Runs a management call from a button or form; its result (or refusal) under the actions, then a refresh. */
async function act(what: string, name: string, body: unknown = {}): Promise<void> {
  const result = $('result');
  try {
    await call('POST', name, body);
    result.dataset.kind = 'ok';
    result.textContent = `${what}: done.`;
  } catch (e) {
    if (e instanceof Unauthorized) {
      signedIn(false, 'The token is no longer accepted.');
      return;
    }
    result.dataset.kind = 'error';
    result.textContent = `${what}: ${(e as Error).message}`;
  }
  await refresh().catch(() => undefined);
}

function policyFromForm(): { apps: string[] | null; sms: boolean; pin?: string | null } {
  const listed = $<HTMLInputElement>('apps-list').checked;
  const checked = [...$('app-choices').querySelectorAll<HTMLInputElement>('input:checked')].map((b) => b.value);
  const extra = $<HTMLInputElement>('apps-extra')
    .value.split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  const policy: { apps: string[] | null; sms: boolean; pin?: string | null } = {
    apps: listed ? [...new Set([...checked, ...extra])] : null,
    sms: $<HTMLInputElement>('sms').checked,
  };
  if ($<HTMLInputElement>('pin-set').checked) policy.pin = $<HTMLInputElement>('pin').value;
  else if ($<HTMLInputElement>('pin-remove').checked) policy.pin = null;
  return policy;
}

/** A `#token=` value as typed (a malformed %-escape: as it is; the server then refuses it). */
function decodeFragment(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function main(): void {
  $('signin').addEventListener('submit', (e) => {
    e.preventDefault();
    void signIn($<HTMLInputElement>('token').value.trim());
  });
  $('lock').addEventListener('click', () => void act('Lock', 'lock'));
  $('unlock').addEventListener('click', () => void act('Unlock', 'unlock'));
  $('reboot').addEventListener('click', () => void act('Reboot', 'reboot'));
  const confirmWipe = $<HTMLDialogElement>('confirm-wipe');
  $('wipe').addEventListener('click', () => confirmWipe.showModal());
  confirmWipe.addEventListener('close', () => {
    if (confirmWipe.returnValue === 'wipe') void act('Wipe', 'wipe');
  });
  $('policy').addEventListener('submit', (e) => {
    e.preventDefault();
    void act('Policy', 'policy', policyFromForm()).then(() => {
      $<HTMLInputElement>('pin').value = '';
      $<HTMLInputElement>('pin-keep').checked = true;
    });
  });
  // A token in the fragment (the address serve prints) signs in and leaves the address bar.
  const fromFragment = /(?:^#|&)token=([^&]+)/.exec(location.hash)?.[1];
  if (fromFragment !== undefined) history.replaceState(null, '', location.pathname + location.search);
  const saved = fromFragment !== undefined ? decodeFragment(fromFragment) : sessionStorage.getItem(TOKEN_KEY);
  if (saved !== null && saved !== '') void signIn(saved);
  else signedIn(false);
}

main();
