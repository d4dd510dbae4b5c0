// The served handset for tests: the default work and home phones, a HandsetSession on a manual host clock
// (virtual time moves only when a test advances it: nothing depends on the host's speed), a HandsetServer
// on 127.0.0.1 port 0, the page built once into a directory of its own, and WebSocket clients (the `ws`
// package) that wait for messages without sleeping.
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { buildWeb } from '../../tools/web-build.mjs';
import { buildHandset, handsetPlan, partitionImages, partitionStores } from '../../src/cli/handset-machine.ts';
import type { Machine } from '../../src/machine/machine.ts';
import type { ClientMessage, ServerMessage } from '../../src/ui/protocol.ts';
import { HandsetServer, type ServerOptions } from '../../src/ui/server.ts';
import { HandsetSession, type HostClock, type SessionOptions } from '../../src/ui/session.ts';

/** Host time that moves only when `advance` moves it; timers fire then, in due order. */
export class ManualClock implements HostClock {
  private time = 0;
  private timers: { due: number; seq: number; fn: () => void }[] = [];
  private seq = 0;

  now(): number {
    return this.time;
  }

  setTimer(fn: () => void, ms: number): () => void {
    const timer = { due: this.time + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Moves time on by `ms`, firing each timer that falls due, at its due time. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.due <= end).sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = Math.max(this.time, due.due);
      due.fn();
    }
    this.time = end;
  }
}

let webDir: Promise<string> | undefined;

/** The page, built once per test process. */
export function builtPage(): Promise<string> {
  webDir ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'handset-web-'));
    await buildWeb(dir);
    return dir;
  })();
  return webDir;
}

/** A booted default handset (work and home from guests/). */
export function bootHandset(): { machine: Machine; config: ReturnType<typeof handsetPlan>['config'] } {
  const plan = handsetPlan({});
  const { machine } = buildHandset(plan, partitionImages(plan.config), partitionStores(plan.config, undefined));
  machine.boot();
  return { machine, config: plan.config };
}

export interface Served {
  machine: Machine;
  session: HandsetSession;
  server: HandsetServer;
  clock: ManualClock;
  url: string;
  wsUrl: string;
  close(): Promise<void>;
}

/** The handset served on 127.0.0.1, a free port, on a manual clock; the loop started. */
export async function serve(options: { session?: Partial<SessionOptions>; server?: Partial<ServerOptions> } = {}): Promise<Served> {
  const { machine, config } = bootHandset();
  const clock = new ManualClock();
  const session = new HandsetSession({ machine, config, clock, ...options.session });
  const server = await HandsetServer.start({ session, host: '127.0.0.1', port: 0, webDir: await builtPage(), clock, ...options.server });
  session.start();
  return {
    machine,
    session,
    server,
    clock,
    url: server.url,
    wsUrl: `ws://127.0.0.1:${server.port}/ws`,
    close: async () => {
      session.close();
      await server.close();
      machine.close();
    },
  };
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request to the served handset. */
export function http(served: Served, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: served.server.port, path, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Host milliseconds a test waits for an answer from its own server before it fails (a bound, not a sleep). */
const ANSWER_MS = 20_000;

/** A WebSocket client that keeps every message it gets. */
export class Client {
  readonly messages: ServerMessage[] = [];
  private readonly waiters: { test: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];
  private nextId = 1;
  closed: Promise<{ code: number }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as ServerMessage;
      this.messages.push(m);
      for (const w of [...this.waiters]) {
        if (w.test(m)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve({ code })));
  }

  static async open(url: string, options?: WebSocket.ClientOptions): Promise<Client> {
    const ws = new WebSocket(url, options);
    const client = new Client(ws);
    const hello = client.next((m) => m.type === 'hello');
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await hello;
    return client;
  }

  /** The next message (from now on) that passes `test`. */
  next(test: (m: ServerMessage) => boolean): Promise<ServerMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no such message from the server')), ANSWER_MS);
      this.waiters.push({
        test,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  /** Sends a message (with an id) and resolves with its reply. */
  request(message: ClientMessage | Record<string, unknown>): Promise<ServerMessage> {
    const id = `r${this.nextId++}`;
    const reply = this.next((m) => 'id' in m && m.id === id);
    this.ws.send(JSON.stringify({ ...message, id }));
    return reply;
  }

  /** Sends raw text; resolves with the next error or reply to it (for bad messages, which may carry no id). */
  raw(text: string | Buffer, binary = false): Promise<ServerMessage> {
    const reply = this.next((m) => m.type === 'error' || m.type === 'ok');
    this.ws.send(text, { binary });
    return reply;
  }

  /** Every message the server sent before now has arrived (a status request's reply comes after them). */
  async sync(): Promise<void> {
    await this.request({ type: 'status' });
  }

  /** Console text of `guest` received so far. */
  screen(guest: string): string {
    return this.messages.map((m) => (m.type === 'console' && m.guest === guest ? m.text : '')).join('');
  }

  close(): void {
    this.ws.close();
  }
}

/**
 * Runs the handset on the manual clock, `stepMs` of host time at a time, until `done()` (looked at after
 * every message the client has got by then), or fails after `budgetMs` of host (so virtual) time.
 */
export async function runUntil(served: Served, client: Client, done: () => boolean, budgetMs = 5000, stepMs = 50): Promise<void> {
  for (let spent = 0; ; spent += stepMs) {
    await client.sync();
    if (done()) return;
    if (spent >= budgetMs) throw new Error(`not done within ${budgetMs} ms of host time on the manual clock`);
    served.clock.advance(stepMs);
    await served.session.settled();
  }
}
