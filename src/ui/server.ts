/**
 * The HTTP and WebSocket server of `handset serve` (docs/web.md): the handset page, the JSON protocol of
 * src/ui/protocol.ts over a WebSocket at /ws (the `ws` package) and over HTTP (/api), for a HandsetSession;
 * and, given a token, the management console (/manage) and its API (/manage/api/, src/ui/manage-api.ts).
 * An adapter only: every action is a session message or a management call.
 *
 * Back-pressure: the emulation never waits for a client. Every message to a client goes through `send`,
 * which never blocks: while the client's unsent bytes (`bufferedAmount`: what the kernel would not take
 * yet) are above `highWaterBytes`, messages to it are dropped and counted, and the client is *lagging*.
 * Once it has read its backlog down to `lowWaterBytes` it gets a `resync` (how many messages it missed)
 * and a fresh `hello` (the whole state, screens included), and messages flow again. A client that stays
 * lagging for `lagLimitMs` is disconnected. So a client costs the server at most about highWaterBytes plus
 * one message, whatever it does.
 *
 * Who may connect: bound to a loopback address (the default), requests must name a loopback host (a DNS
 * rebinding page cannot reach the handset), and a browser's `Origin`, when sent, must be the page's own:
 * another site's page can neither open the WebSocket nor post to /api (which also wants
 * `Content-Type: application/json`, so a plain cross-site form cannot post).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { MAX_FRAME_BYTES, MAX_MESSAGE_BYTES, type ErrorCode, type ServerMessage } from './protocol.ts';
import { ManageApi } from './manage-api.ts';
import { readBody, sendJson } from './http.ts';
import { hostClock, type HandsetSession, type HostClock } from './session.ts';

export interface ServerOptions {
  session: HandsetSession;
  /** The address to listen on (default 127.0.0.1). */
  host?: string;
  /** The port (default 8080; 0: any free port). */
  port?: number;
  /** The built pages: index.html, app.js, app.css, manage.html, manage.js, manage.css (tools/web-build.mjs). */
  webDir: string;
  /** The management console's bearer token (/manage, src/ui/manage-api.ts); without one there is no console. */
  manageToken?: string;
  clock?: HostClock;
  /** A client's unsent bytes above which messages to it are dropped (default 1 MiB). */
  highWaterBytes?: number;
  /** Unsent bytes at or below which a lagging client is resynchronised (default 64 KiB). */
  lowWaterBytes?: number;
  /** How long a client may lag before it is disconnected (host ms, default 30 s). */
  lagLimitMs?: number;
}

export interface ClientInfo {
  id: number;
  /** Bytes the client has not taken yet. */
  buffered: number;
  lagging: boolean;
  /** Messages dropped since it began to lag. */
  dropped: number;
}

/** How often lagging clients are looked at (host ms). */
const LAG_CHECK_MS = 250;

interface Client {
  id: number;
  ws: WebSocket;
  lagging: boolean;
  laggingSince: number;
  dropped: number;
}

interface StaticFile {
  type: string;
  body: Buffer;
}

/** `console`: the management console's, served only when there is a console (a token). */
const STATIC_FILES: Record<string, { file: string; type: string; optional?: boolean; console?: boolean }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  '/app.js.map': { file: 'app.js.map', type: 'application/json; charset=utf-8', optional: true },
  '/app.css.map': { file: 'app.css.map', type: 'application/json; charset=utf-8', optional: true },
  '/manage': { file: 'manage.html', type: 'text/html; charset=utf-8', console: true },
  '/manage.js': { file: 'manage.js', type: 'text/javascript; charset=utf-8', console: true },
  '/manage.css': { file: 'manage.css', type: 'text/css; charset=utf-8', console: true },
  '/manage.js.map': { file: 'manage.js.map', type: 'application/json; charset=utf-8', optional: true, console: true },
  '/manage.css.map': { file: 'manage.css.map', type: 'application/json; charset=utf-8', optional: true, console: true },
};
const MANAGE_API = '/manage/api/';

const PAGE_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; script-src 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-cache',
};

export class HandsetServer {
  readonly host: string;
  private readonly session: HandsetSession;
  private readonly clock: HostClock;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly files = new Map<string, StaticFile>();
  private readonly clients = new Set<Client>();
  private readonly highWater: number;
  private readonly lowWater: number;
  private readonly lagLimitMs: number;
  private readonly loopbackOnly: boolean;
  private readonly manageApi: ManageApi | undefined;
  private unsubscribe: (() => void) | undefined;
  private cancelLagCheck: (() => void) | undefined;
  private nextId = 1;
  private boundPort = 0;

  /** Starts listening; resolves once it listens (a port in use or a bad address rejects). */
  static async start(options: ServerOptions): Promise<HandsetServer> {
    const server = new HandsetServer(options);
    await server.listen(options.port ?? 8080);
    return server;
  }

  private constructor(options: ServerOptions) {
    this.session = options.session;
    this.clock = options.clock ?? hostClock;
    this.host = options.host ?? '127.0.0.1';
    this.highWater = options.highWaterBytes ?? 1024 * 1024;
    this.lowWater = options.lowWaterBytes ?? 64 * 1024;
    this.lagLimitMs = options.lagLimitMs ?? 30_000;
    this.loopbackOnly = isLoopback(this.host);
    this.manageApi = options.manageToken === undefined ? undefined : new ManageApi(this.session, options.manageToken);
    for (const [path, f] of Object.entries(STATIC_FILES)) {
      if (f.console && this.manageApi === undefined) continue;
      const file = join(options.webDir, f.file);
      if (!existsSync(file)) {
        if (f.optional) continue;
        throw new WebPageMissing(`the handset page is not built (no ${file}): run npm run build`);
      }
      this.files.set(path, { type: f.type, body: readFileSync(file) });
    }
    this.http = createServer((req, res) => this.request(req, res));
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false, clientTracking: false });
    this.http.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
  }

  get port(): number {
    return this.boundPort;
  }

  /** The page's address. */
  get url(): string {
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}/`;
  }

  /** The management console's address (its token not in it), or undefined when there is no console. */
  get manageUrl(): string | undefined {
    return this.manageApi === undefined ? undefined : `${this.url}manage`;
  }

  /** The connected WebSocket clients and their queues (for tests and diagnostics). */
  clientInfo(): ClientInfo[] {
    return [...this.clients].map((c) => ({ id: c.id, buffered: c.ws.bufferedAmount, lagging: c.lagging, dropped: c.dropped }));
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    this.cancelLagCheck?.();
    for (const c of this.clients) c.ws.terminate();
    this.clients.clear();
    this.wss.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const failed = (e: Error) => reject(e);
      this.http.once('error', failed);
      this.http.listen(port, this.host, () => {
        this.http.off('error', failed);
        resolve();
      });
    });
    const address = this.http.address();
    this.boundPort = typeof address === 'object' && address !== null ? address.port : port;
    this.unsubscribe = this.session.subscribe((message) => {
      const text = JSON.stringify(message);
      for (const c of this.clients) this.send(c, text);
    });
    const check = () => {
      this.cancelLagCheck = this.clock.setTimer(check, LAG_CHECK_MS);
      for (const c of this.clients) if (c.lagging) this.checkLagging(c);
    };
    this.cancelLagCheck = this.clock.setTimer(check, LAG_CHECK_MS);
  }

  // ---- HTTP ----

  private request(req: IncomingMessage, res: ServerResponse): void {
    const refused = this.refuse(req);
    if (refused !== undefined) {
      plain(res, 403, refused);
      req.resume();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://handset');
    const path = url.pathname;
    if (path.startsWith(MANAGE_API) && this.manageApi !== undefined) {
      this.manageApi.handle(req, res, path.slice(MANAGE_API.length), url.searchParams);
      return;
    }
    const file = this.files.get(path === '/index.html' ? '/' : path);
    const api = path === '/api' || path === '/api/hello' || path === '/api/status';
    if (file === undefined && !api) {
      plain(res, 404, `not found: ${path}\n`);
      req.resume();
      return;
    }
    const method = path === '/api' ? 'POST' : 'GET';
    if (req.method !== method && !(method === 'GET' && req.method === 'HEAD')) {
      res.setHeader('Allow', method === 'GET' ? 'GET, HEAD' : 'POST');
      plain(res, 405, `${path}: use ${method}\n`);
      req.resume();
      return;
    }
    if (file !== undefined) {
      res.writeHead(200, { 'Content-Type': file.type, 'Content-Length': file.body.length, ...PAGE_HEADERS });
      res.end(req.method === 'HEAD' ? undefined : file.body);
      return;
    }
    if (path === '/api/hello') sendJson(res, 200, this.session.hello());
    else if (path === '/api/status') sendJson(res, 200, this.session.status());
    else this.post(req, res);
  }

  /** POST /api: one message in the body, its reply in the response. */
  private post(req: IncomingMessage, res: ServerResponse): void {
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType !== 'application/json') {
      res.setHeader('Connection', 'close');
      sendJson(res, 415, { type: 'error', error: 'bad-message', message: 'POST /api takes Content-Type: application/json' });
      req.resume();
      return;
    }
    readBody(
      req,
      MAX_MESSAGE_BYTES,
      () => {
        res.setHeader('Connection', 'close');
        sendJson(res, 413, { type: 'error', error: 'too-big', message: `a message is at most ${MAX_MESSAGE_BYTES} bytes` });
      },
      (body) => this.session.receive(body.toString('utf8'), (reply) => sendJson(res, reply.type === 'error' ? httpStatus(reply.error) : 200, reply)),
    );
  }

  // ---- WebSocket ----

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = new URL(req.url ?? '/', 'http://handset').pathname;
    const refused = path !== '/ws' ? `404 Not Found` : this.refuse(req) !== undefined ? '403 Forbidden' : undefined;
    if (refused !== undefined) {
      socket.end(`HTTP/1.1 ${refused}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ws));
  }

  private connected(ws: WebSocket): void {
    const client: Client = { id: this.nextId++, ws, lagging: false, laggingSince: 0, dropped: 0 };
    this.clients.add(client);
    ws.on('close', () => this.clients.delete(client));
    ws.on('error', () => this.clients.delete(client)); // e.g. a frame over MAX_FRAME_BYTES: ws closes with 1009
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const reply = (message: ServerMessage) => this.send(client, JSON.stringify(message));
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (isBinary) reply({ type: 'error', error: 'bad-json', message: 'a message is JSON text, not a binary frame' });
      else if (bytes.length > MAX_MESSAGE_BYTES) reply({ type: 'error', error: 'too-big', message: `a message is at most ${MAX_MESSAGE_BYTES} bytes` });
      else this.session.receive(bytes.toString('utf8'), reply);
    });
    this.send(client, JSON.stringify(this.session.hello()));
  }

  /** A message to a client, or dropped (it lags: see the file's comment); never waits. */
  private send(c: Client, text: string): void {
    if (c.ws.readyState !== WebSocket.OPEN) return;
    if (c.lagging) {
      // Recovered or not, this message is not sent: the resync's hello stands for it.
      if (!this.checkLagging(c)) c.dropped++;
      return;
    }
    if (c.ws.bufferedAmount > this.highWater) {
      c.lagging = true;
      c.laggingSince = this.clock.now();
      c.dropped = 1;
      return;
    }
    c.ws.send(text);
  }

  /**
   * A lagging client: disconnected after lagLimitMs; resynchronised (true) once it has read its backlog
   * down to lowWaterBytes: the `hello` then stands for every message it missed.
   */
  private checkLagging(c: Client): boolean {
    if (c.ws.bufferedAmount <= this.lowWater) {
      c.ws.send(JSON.stringify({ type: 'resync', dropped: c.dropped } satisfies ServerMessage));
      c.ws.send(JSON.stringify(this.session.hello()));
      c.lagging = false;
      c.dropped = 0;
      return true;
    }
    if (this.clock.now() - c.laggingSince >= this.lagLimitMs) {
      c.ws.terminate();
      this.clients.delete(c);
    }
    return false;
  }

  /** Why a request is refused (host or origin), or undefined. */
  private refuse(req: IncomingMessage): string | undefined {
    const host = req.headers.host;
    if (this.loopbackOnly) {
      const name = host === undefined ? undefined : hostName(host);
      if (name === undefined || !(isLoopback(name) || name === 'localhost')) return `handset serves ${this.host} only to loopback host names, not ${host ?? '(no Host)'}\n`;
    }
    const origin = req.headers.origin;
    if (origin !== undefined) {
      let originHost: string | undefined;
      try {
        originHost = new URL(origin).host;
      } catch {
        originHost = undefined;
      }
      if (originHost === undefined || originHost !== host) return `a page from ${origin} may not use this handset\n`;
    }
    return undefined;
  }
}

/** The page files are not there (the page was not built). */
export class WebPageMissing extends Error {
  override name = 'WebPageMissing';
}

function httpStatus(code: ErrorCode): number {
  return code === 'too-big' ? 413 : code === 'refused' ? 409 : 400;
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'X-Content-Type-Options': 'nosniff' });
  res.end(text);
}


/** The host name of a Host header (without the port; an IPv6 address without brackets). */
function hostName(host: string): string | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:]+))(?::\d+)?$/.exec(host);
  return m === null ? undefined : (m[1] ?? m[2])!.toLowerCase();
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}
