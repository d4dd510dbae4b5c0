/**
 * The handset page of `handset serve` (docs/web.md): a phone whose screen is the foreground profile's
 * console, with its apps, a keypad and text entry for it, the switch button (with a badge for what the
 * other profile printed or rang meanwhile), an incoming-call card for whichever profile a call is for,
 * the ringtones played with Web Audio, and panels for the network side, run control, snapshots and
 * per-guest status. It speaks only the JSON protocol of src/ui/protocol.ts over the WebSocket at /ws:
 * every button here is a message a script can send too.
 *
 * Plain DOM code, no UI library: the page is one screen of a few dozen elements, updated from one stream
 * of messages; a library would add a build step and a dependency for no gain at this size.
 */
import type { CallView, ClientMessage, HelloMessage, RadioView, RunState, ServerMessage, SnapshotInfo, StatusMessage } from '../protocol.ts';
import { RingtonePlayer } from './ringtone-player.ts';

/** Characters of each screen the page keeps. */
const SCREEN_CHARS = 32 * 1024;
const RECONNECT_MAX_MS = 10_000;
const LOG_ENTRIES = 100;

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`the page has no #${id}`);
  return el as T;
}

interface State {
  hello: HelloMessage | undefined;
  foreground: string;
  screens: Map<string, string>;
  /** What each profile printed or rang since it was last in front. */
  unseen: Map<string, number>;
  calls: CallView[];
  radio: RadioView | null;
  status: StatusMessage | undefined;
  snapshots: SnapshotInfo[];
  /** A call dismissed from the card (answered or rejected) stays hidden while it rings on. */
  handled: Set<number>;
}

const state: State = {
  hello: undefined,
  foreground: '',
  screens: new Map(),
  unseen: new Map(),
  calls: [],
  radio: null,
  status: undefined,
  snapshots: [],
  handled: new Set(),
};

const player = new RingtonePlayer();
let socket: WebSocket | undefined;
let reconnectDelay = 500;
let nextRequest = 1;
let renderQueued = false;

// ---- the connection ----

function connect(): void {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  const ws = new WebSocket(url);
  socket = ws;
  setConnection('connecting', 'connecting…');
  ws.onopen = () => {
    reconnectDelay = 500;
    setConnection('open', 'connected');
  };
  ws.onmessage = (e) => {
    let message: ServerMessage;
    try {
      message = JSON.parse(String(e.data)) as ServerMessage;
    } catch {
      return;
    }
    receive(message);
  };
  ws.onclose = () => {
    if (socket !== ws) return;
    socket = undefined;
    player.stopAll();
    setConnection('closed', `disconnected; retrying in ${Math.round(reconnectDelay / 1000)} s`);
    window.setTimeout(connect, reconnectDelay);
    reconnectDelay = Math.min(RECONNECT_MAX_MS, reconnectDelay * 2);
  };
}

function setConnection(kind: string, text: string): void {
  const el = $('conn');
  el.dataset.state = kind;
  el.textContent = text;
}

/** Sends a message; its reply (ok or error) goes to the log. */
function send(message: ClientMessage): void {
  if (socket === undefined || socket.readyState !== WebSocket.OPEN) {
    notice('not connected to the handset');
    return;
  }
  socket.send(JSON.stringify({ ...message, id: nextRequest++ }));
}

function typeInto(guest: string, text: string): void {
  send({ type: 'type', guest, text });
}

// ---- messages from the server ----

function receive(m: ServerMessage): void {
  switch (m.type) {
    case 'hello':
      hello(m);
      break;
    case 'status':
      state.status = m;
      if (m.foreground !== state.foreground) setForeground(m.foreground);
      player.setSpeed(m.speed);
      player.setPaused(m.run !== 'running' && m.run !== 'waiting');
      queueRender();
      break;
    case 'console':
      addScreen(m.guest, m.text);
      if (m.guest !== state.foreground) bump(m.guest, (m.text.match(/\n/g) ?? []).length || 1);
      queueRender();
      break;
    case 'button':
      setForeground(m.foreground);
      break;
    case 'ringtone':
      ring(m.guest, m.playing ? m.ringtone : null);
      if (m.playing && m.guest !== state.foreground) bump(m.guest, 1);
      queueRender();
      break;
    case 'guestState':
      log(`${m.guest} ${m.state}: ${m.detail}`);
      if (m.guest !== state.foreground) bump(m.guest, 1);
      break;
    case 'calls':
      state.calls = m.calls;
      for (const id of [...state.handled]) if (!m.calls.some((c) => c.id === id)) state.handled.delete(id);
      queueRender();
      break;
    case 'radio':
      state.radio = m.radio;
      queueRender();
      break;
    case 'snapshots':
      state.snapshots = m.snapshots;
      renderSnapshots();
      break;
    case 'restored':
      for (const [guest, text] of Object.entries(m.screens)) state.screens.set(guest, text);
      player.stopAll();
      for (const [guest, ringtone] of Object.entries(m.ringing)) ring(guest, ringtone);
      setForeground(m.foreground);
      log(`restored ${m.name} (cycle ${m.cycle})`);
      queueRender();
      break;
    case 'snapshot':
      log(`snapshot ${m.name} taken at cycle ${m.cycle} (${Math.round(m.bytes / 1024)} KiB)`);
      break;
    case 'ok':
      if (m.result !== undefined && m.of !== 'button') log(`${m.of}: ${m.result}`);
      break;
    case 'error':
      notice(m.message);
      log(`error (${m.error}): ${m.message}`);
      break;
    case 'resync':
      log(`this page fell behind and missed ${m.dropped} messages: resynchronised`);
      break;
  }
}

function hello(m: HelloMessage): void {
  state.hello = m;
  state.screens = new Map(Object.entries(m.screens));
  // What a page that just connected has not seen: a background phone that rings.
  state.unseen = new Map(m.partitions.map((p) => [p.name, p.name !== m.status.foreground && m.ringing[p.name] !== null ? 1 : 0]));
  state.calls = m.calls;
  state.radio = m.radio;
  state.status = m.status;
  state.snapshots = m.snapshots;
  state.foreground = m.status.foreground;
  player.stopAll();
  player.setSpeed(m.status.speed);
  player.setPaused(m.status.run !== 'running' && m.status.run !== 'waiting');
  for (const [guest, ringtone] of Object.entries(m.ringing)) ring(guest, ringtone);
  fillLineSelects(m);
  renderSnapshots();
  queueRender();
}

function ring(guest: string, ringtone: string | null): void {
  const steps = ringtone === null ? undefined : state.hello?.ringtones[ringtone];
  if (steps === undefined || ringtone === null) player.stop(guest);
  else player.play(guest, steps, ringtone);
}

/**
 * The header's ringing indicator: who rings and with which ringtone, "sound off" while the page plays
 * nothing; each entry carries the tone steps the player started (data-started, "HZ:MS ..."), its title
 * lists them.
 */
function renderRinging(): void {
  const box = $('ringing');
  const voices = player.voiceViews;
  box.hidden = voices.length === 0;
  box.replaceChildren(
    ...voices.map((v) => {
      const el = document.createElement('span');
      el.className = 'ring';
      el.dataset.guest = v.guest;
      el.dataset.ringtone = v.ringtone;
      el.dataset.started = v.started.map((s) => `${s.hz}:${s.ms}`).join(' ');
      el.textContent = `♪ ${v.guest} rings (${v.ringtone})${player.enabled ? '' : ' · sound off'}`;
      el.title = v.started.length === 0 ? 'nothing played yet' : `played: ${v.started.map((s) => (s.hz === 0 ? `silence ${s.ms} ms` : `${s.hz} Hz ${s.ms} ms`)).join(', ')}`;
      return el;
    }),
  );
}

function addScreen(guest: string, text: string): void {
  let screen = (state.screens.get(guest) ?? '') + text;
  if (screen.length > SCREEN_CHARS) screen = screen.slice(screen.length - SCREEN_CHARS);
  state.screens.set(guest, screen);
}

function bump(guest: string, n: number): void {
  state.unseen.set(guest, (state.unseen.get(guest) ?? 0) + n);
  queueRender();
}

function setForeground(guest: string): void {
  state.foreground = guest;
  state.unseen.set(guest, 0);
  queueRender();
}

// ---- rendering ----

function queueRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

function render(): void {
  const hello = state.hello;
  if (hello === undefined) return;
  const fg = state.foreground;
  const info = hello.partitions.find((p) => p.name === fg);
  const phone = $('phone');
  phone.dataset.profile = String(Math.max(0, hello.partitions.findIndex((p) => p.name === fg)));
  $('sb-profile').textContent = fg;
  $('sb-number').textContent = info?.number ?? '';
  $('sb-ring').hidden = !player.ringing.includes(fg);
  $('sb-signal').textContent = signalText(state.radio);
  const run = state.status?.run ?? 'running';
  $('sb-run').textContent = run === 'running' ? '' : run;
  $('time').textContent = state.status === undefined ? '–' : `${state.status.seconds.toFixed(1)} s · ${state.status.speed}×`;

  const screen = $('console');
  const text = state.screens.get(fg) ?? '';
  if (screen.textContent !== text) {
    const atBottom = screen.scrollTop + screen.clientHeight >= screen.scrollHeight - 8;
    screen.textContent = text;
    if (atBottom) screen.scrollTop = screen.scrollHeight;
  }
  renderApps(fg, text);
  renderCallCard();
  renderSwitch(hello);
  renderRun(run);
  renderCalls();
  renderStatus();
}

function signalText(radio: RadioView | null): string {
  if (radio === null) return 'no modem';
  const service = radio.registration === 1 ? '' : radio.registration === 5 ? 'R ' : 'no service ';
  if (radio.rssi === 99) return `${service}▯▯▯▯`;
  const bars = Math.min(4, Math.ceil(radio.rssi / 8));
  return `${service}${'▮'.repeat(bars)}${'▯'.repeat(4 - bars)}`;
}

/** The apps the profile listed the last time `apps` was typed into it (its screen says which). */
function appsOf(guest: string, screen: string): string[] {
  const echo = `${guest}> apps\n`;
  const at = screen.lastIndexOf(echo);
  if (at < 0) return [];
  const apps: string[] = [];
  for (const line of screen.slice(at + echo.length).split('\n')) {
    if (line.startsWith(`${guest}> `) || line === `${guest}>`) break;
    if (/^[a-z0-9-]{1,15}$/.test(line)) apps.push(line);
  }
  return apps;
}

let shownApps = '';
function renderApps(guest: string, screen: string): void {
  const apps = appsOf(guest, screen);
  const key = `${guest}:${apps.join(',')}`;
  if (key === shownApps) return;
  shownApps = key;
  const box = $('apps');
  box.replaceChildren();
  if (apps.length === 0) {
    const hint = document.createElement('span');
    hint.className = 'hint';
    hint.textContent = 'Apps lists this phone’s apps';
    box.append(hint);
    return;
  }
  for (const app of apps) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'app';
    b.textContent = app;
    b.addEventListener('click', () => typeInto(guest, `run ${app}\n`));
    box.append(b);
  }
}

function ringingCall(): CallView | undefined {
  return state.calls.find((c) => c.direction === 'incoming' && (c.state === 'incoming' || c.state === 'waiting') && c.guest !== null && !state.handled.has(c.id));
}

function renderCallCard(): void {
  const call = ringingCall();
  const card = $('call-card');
  card.hidden = call === undefined;
  if (call === undefined) return;
  card.dataset.profile = String(Math.max(0, state.hello!.partitions.findIndex((p) => p.name === call.guest)));
  $('call-title').textContent = `${call.guest} · ${call.state === 'waiting' ? 'call waiting' : 'incoming call'}${call.guest === state.foreground ? '' : ' (in the background)'}`;
  $('call-number').textContent = call.number;
  card.dataset.call = String(call.id);
}

function renderSwitch(hello: HelloMessage): void {
  const names = hello.partitions.map((p) => p.name);
  const next = names[(names.indexOf(state.foreground) + 1) % names.length];
  $('switch-label').textContent = `Switch to ${next}`;
  const unseen = names.filter((n) => n !== state.foreground).reduce((sum, n) => sum + (state.unseen.get(n) ?? 0), 0);
  const badge = $('badge');
  badge.hidden = unseen === 0;
  badge.textContent = unseen > 99 ? '99+' : String(unseen);
  badge.title = `${unseen} new on ${names.filter((n) => n !== state.foreground).join(', ')}`;
}

function renderRun(run: RunState): void {
  const pause = $<HTMLButtonElement>('pause');
  pause.textContent = run === 'paused' ? 'Resume' : 'Pause';
  pause.disabled = run === 'ended' || run === 'failed';
  const speed = $<HTMLSelectElement>('speed');
  const value = String(state.status?.speed ?? 1);
  if (![...speed.options].some((o) => o.value === value)) speed.add(new Option(`${value}×`, value));
  if (document.activeElement !== speed) speed.value = value;
  if ((run === 'ended' || run === 'failed') && state.status?.detail !== undefined) notice(`the handset ${run}: ${state.status.detail}`, true);
}

function renderCalls(): void {
  const list = $('calls');
  list.replaceChildren(
    ...state.calls.map((c) => {
      const li = document.createElement('li');
      li.textContent = `call ${c.id}: ${c.guest ?? `line ${c.line}`} ${c.direction} ${c.direction === 'incoming' ? 'from' : 'to'} ${c.number} (${c.state})`;
      return li;
    }),
  );
  if (state.calls.length === 0) {
    const li = document.createElement('li');
    li.className = 'hint';
    li.textContent = 'no calls';
    list.append(li);
  }
}

function renderStatus(): void {
  const body = $('status');
  const rows = (state.status?.partitions ?? []).map((p) => {
    const tr = document.createElement('tr');
    const cells = [
      `${p.name}${p.foreground ? ' ★' : ''}`,
      p.state,
      p.cycles.toLocaleString('en'),
      `${(p.share * 100).toFixed(1)}%`,
      String(p.hypercalls),
      String(p.virqs),
      String(p.faults),
      String(p.switches),
      String(p.boots),
    ];
    for (const text of cells) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    if (p.report !== '') tr.title = p.report;
    return tr;
  });
  body.replaceChildren(...rows);
}

function renderSnapshots(): void {
  const select = $<HTMLSelectElement>('snapshots');
  const chosen = select.value;
  select.replaceChildren(...state.snapshots.map((s) => new Option(`${s.name} (${(s.cycle / (state.hello?.clockHz ?? 1)).toFixed(1)} s)`, s.name)));
  if (state.snapshots.length === 0) select.add(new Option('no snapshots yet', ''));
  if (state.snapshots.some((s) => s.name === chosen)) select.value = chosen;
  else if (state.snapshots.length > 0) select.value = state.snapshots[state.snapshots.length - 1]!.name;
  $<HTMLButtonElement>('restore').disabled = state.snapshots.length === 0;
}

function fillLineSelects(hello: HelloMessage): void {
  const lines = hello.partitions.filter((p) => p.line !== null);
  for (const select of document.querySelectorAll<HTMLSelectElement>('select.line-select')) {
    const options = lines.map((p) => new Option(`${p.name} (${p.number})`, p.name));
    if (select.dataset.any === 'true') options.unshift(new Option('the only call', ''));
    select.replaceChildren(...options);
  }
}

let noticeTimer: number | undefined;
function notice(text: string, sticky = false): void {
  const el = $('notice');
  el.textContent = text;
  el.hidden = false;
  if (noticeTimer !== undefined) window.clearTimeout(noticeTimer);
  noticeTimer = sticky ? undefined : window.setTimeout(() => (el.hidden = true), 5000);
}

function log(text: string): void {
  const list = $('log');
  const li = document.createElement('li');
  li.textContent = text;
  list.prepend(li);
  while (list.children.length > LOG_ENTRIES) list.lastElementChild!.remove();
}

// ---- the controls ----

function setUp(): void {
  const entry = $<HTMLInputElement>('entry-text');
  $('entry').addEventListener('submit', (e) => {
    e.preventDefault();
    typeInto(state.foreground, `${entry.value}\n`);
    entry.value = '';
  });
  for (const b of document.querySelectorAll<HTMLButtonElement>('[data-command]')) {
    b.addEventListener('click', () => typeInto(state.foreground, `${b.dataset.command}\n`));
  }
  const keypad = $('keypad');
  for (const key of ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#']) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = key;
    b.addEventListener('click', () => {
      entry.value += key;
    });
    keypad.append(b);
  }
  $('key-del').addEventListener('click', () => {
    entry.value = entry.value.slice(0, -1);
  });
  $('key-dial').addEventListener('click', () => {
    const number = entry.value.trim();
    if (number === '') return notice('type a number to dial');
    typeInto(state.foreground, `dial ${number}\n`);
    entry.value = '';
  });
  $('key-end').addEventListener('click', () => typeInto(state.foreground, 'hangup\n'));
  $('switch').addEventListener('click', () => send({ type: 'button' }));

  const answer = (command: string) => {
    const call = ringingCall();
    if (call === undefined || call.guest === null) return;
    state.handled.add(call.id);
    typeInto(call.guest, command);
    queueRender();
  };
  $('call-answer').addEventListener('click', () => answer('answer\n'));
  $('call-reject').addEventListener('click', () => answer('hangup\n'));

  $('pause').addEventListener('click', () => send({ type: state.status?.run === 'paused' ? 'resume' : 'pause' }));
  $<HTMLSelectElement>('speed').addEventListener('change', (e) => send({ type: 'speed', value: Number((e.target as HTMLSelectElement).value) }));
  const sound = $<HTMLButtonElement>('sound');
  sound.addEventListener('click', () => {
    if (player.enabled) player.disable();
    else player.enable();
    sound.textContent = player.enabled ? 'Sound on' : 'Sound off';
    sound.setAttribute('aria-pressed', String(player.enabled));
  });
  $('snapshot').addEventListener('click', () => {
    const name = $<HTMLInputElement>('snapshot-name').value.trim();
    send(name === '' ? { type: 'snapshot' } : { type: 'snapshot', name });
  });
  $('restore').addEventListener('click', () => {
    const name = $<HTMLSelectElement>('snapshots').value;
    if (name !== '') send({ type: 'restore', name });
  });

  form('net-call', (f) => send({ type: 'call', from: f.get('from')!.trim(), to: f.get('to')! }));
  form('net-far', (f) => {
    const line = f.get('line')!;
    send(line === '' ? { type: 'farEnd', action: f.get('action') as 'answer' } : { type: 'farEnd', action: f.get('action') as 'answer', line });
  });
  form('net-sms', (f) => send({ type: 'sms', from: f.get('from')!.trim(), to: f.get('to')!, text: f.get('text')! }));
  form('net-reg', (f) => send({ type: 'registration', stat: Number(f.get('stat')) }));
  form('net-signal', (f) => send({ type: 'signal', rssi: Number(f.get('rssi')) }));
  const signal = $<HTMLFormElement>('net-signal');
  signal.addEventListener('input', () => {
    (signal.elements.namedItem('shown') as HTMLOutputElement).value = (signal.elements.namedItem('rssi') as HTMLInputElement).value;
  });
}

function form(id: string, submit: (fields: { get(name: string): string | undefined }) => void): void {
  const f = $<HTMLFormElement>(id);
  f.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(f);
    submit({ get: (name) => (data.has(name) ? String(data.get(name)) : undefined) });
  });
}

player.onChange = renderRinging;
setUp();
connect();
