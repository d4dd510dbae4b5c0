/**
 * The remote management console's HTTP API under /manage/api/ (docs/web.md, "The management console"):
 * what IT may see of and do to the managed partition, through the session's management service
 * (src/hypervisor/management.ts) and nothing else. Nothing here can reach another partition's console,
 * memory or store: the service shows the others only by name and whether they run.
 *
 * Every request needs `Authorization: Bearer TOKEN`. A missing or wrong token is 401 and changes nothing,
 * not even the audit log (an unauthenticated client must not be able to push real entries out of the
 * bounded log); the token is compared in constant time. Browsers cannot send that header across sites
 * without a CORS preflight, which this server never grants, so another site's page cannot act here.
 *
 * The PIN is never sent back: a policy shows only whether one is set.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ManagementError, type AuditEntry, type ManagementApi, type ManagementPolicy, type ManagementStatus } from '../hypervisor/management.ts';
import { readBody, sendJson } from './http.ts';
import type { HandsetSession } from './session.ts';

/** The largest request body (a policy with the largest allow-list fits easily). */
export const MAX_MANAGE_BODY_BYTES = 16 * 1024;

/** A policy as the console sees it: the PIN only as set or not. */
export interface ConsolePolicy {
  apps: string[] | null;
  sms: boolean;
  pinSet: boolean;
}

export interface ConsoleStatus extends Omit<ManagementStatus, 'policy'> {
  /** The virtual cycle of this status, and cycles per virtual second (for audit entries' `cycle`). */
  cycle: number;
  clockHz: number;
  policy: ConsolePolicy;
}

export type ManageErrorCode = 'unauthorized' | 'not-found' | 'method' | 'bad-json' | 'bad-request' | 'too-big' | 'unsupported-type' | 'refused' | 'no-management';

/** A call's answer for each method it takes; the body is a POST's (parsed JSON, an object), `{}` for a GET. */
type Route = Partial<Record<'GET' | 'POST', (body: Record<string, unknown>, query: URLSearchParams) => unknown>>;

export class ManageApi {
  private readonly tokenDigest: Buffer;
  private readonly routes: Record<string, Route>;

  constructor(
    private readonly session: HandsetSession,
    token: string,
  ) {
    this.tokenDigest = digest(token);
    this.routes = {
      status: { GET: () => this.status() },
      policy: {
        GET: () => consolePolicy(this.management.policy()),
        POST: (body) => ({ ok: true, policy: consolePolicy(this.session.manage((m) => m.setPolicy(body))) }),
      },
      audit: { GET: (_, query) => ({ entries: this.audit(query) }) },
      lock: { POST: (body) => this.action(body, 'lock', (m) => m.lock()) },
      unlock: { POST: (body) => this.action(body, 'unlock', (m) => m.unlock()) },
      wipe: { POST: (body) => this.action(body, 'wipe', (m) => m.wipe()) },
      reboot: { POST: (body) => this.action(body, 'reboot', (m) => m.reboot()) },
    };
  }

  /** Answers one request to /manage/api/NAME (`name` is the rest of the path). */
  handle(req: IncomingMessage, res: ServerResponse, name: string, query: URLSearchParams): void {
    if (!this.authorized(req.headers.authorization)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="handset management"');
      fail(req, res, 401, 'unauthorized', 'the management API wants Authorization: Bearer TOKEN with the token handset serve printed (or the config\'s managementToken)');
      return;
    }
    const route = Object.hasOwn(this.routes, name) ? this.routes[name]! : undefined;
    if (route === undefined) {
      fail(req, res, 404, 'not-found', `no such management call: /manage/api/${name} (expected one of ${Object.keys(this.routes).join(', ')})`);
      return;
    }
    if (this.session.management === undefined) {
      fail(req, res, 404, 'no-management', 'this handset manages no partition (config `managed`)');
      return;
    }
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const run = method === 'GET' || method === 'POST' ? route[method] : undefined;
    if (run === undefined) {
      const allowed = Object.keys(route).join(', ');
      res.setHeader('Allow', allowed.replace('GET', 'GET, HEAD'));
      fail(req, res, 405, 'method', `/manage/api/${name}: use ${allowed}`);
      return;
    }
    if (method === 'GET') respond(req, res, () => run({}, query));
    else readJsonObject(req, res, (body) => respond(req, res, () => run(body, query)));
  }

  /** For the calls that only look: the session's manage() is for actions (it wakes the handset). */
  private get management(): ManagementApi {
    return this.session.management!; // handle() answered no-management when there is none
  }

  private authorized(header: string | undefined): boolean {
    const m = header === undefined ? null : /^Bearer +(\S+) *$/i.exec(header);
    // Digests of equal length, so the comparison takes the same time whatever was sent.
    return m !== null && timingSafeEqual(digest(m[1]!), this.tokenDigest);
  }

  private status(): ConsoleStatus {
    const status = this.management.status();
    return { cycle: this.session.cycle, clockHz: this.session.clockHz, ...status, policy: consolePolicy(status.policy) };
  }

  /** The audit log, oldest first; `?after=SEQ`: only the entries after that one. */
  private audit(query: URLSearchParams): AuditEntry[] {
    const after = query.get('after');
    const entries = this.management.audit();
    if (after === null) return entries;
    if (!/^\d{1,15}$/.test(after)) throw new BadRequest(`?after=${after.slice(0, 32)}: expected an audit entry's seq (a whole number)`);
    return entries.filter((e) => e.seq > Number(after));
  }

  /** A POST with nothing to say: its body must be `{}` (or empty). */
  private action(body: Record<string, unknown>, name: string, act: Parameters<HandsetSession['manage']>[0]): unknown {
    const extra = Object.keys(body);
    if (extra.length > 0) throw new BadRequest(`${name} takes no fields, got ${extra.slice(0, 4).join(', ')}`);
    this.session.manage(act);
    return { ok: true, status: this.status() };
  }
}

/** A request the API cannot take as it is (400). */
class BadRequest extends Error {}

function consolePolicy(policy: ManagementPolicy): ConsolePolicy {
  return { apps: policy.apps, sms: policy.sms, pinSet: policy.pin !== null };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The body of a POST: JSON, an object (an empty body is `{}`), at most MAX_MANAGE_BODY_BYTES. */
function readJsonObject(req: IncomingMessage, res: ServerResponse, then: (body: Record<string, unknown>) => void): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const length = Number(req.headers['content-length'] ?? '0');
  if (type !== 'application/json' && !(type === '' && length === 0 && req.headers['transfer-encoding'] === undefined)) {
    fail(req, res, 415, 'unsupported-type', 'a management call takes Content-Type: application/json');
    return;
  }
  readBody(
    req,
    MAX_MANAGE_BODY_BYTES,
    () => fail(req, res, 413, 'too-big', `a management request is at most ${MAX_MANAGE_BODY_BYTES} bytes`),
    (bytes) => {
      const text = bytes.toString('utf8');
      let body: unknown = {};
      if (text.trim() !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          fail(req, res, 400, 'bad-json', 'the body is not JSON');
          return;
        }
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) fail(req, res, 400, 'bad-request', 'the body must be a JSON object');
      else then(body as Record<string, unknown>);
    },
  );
}

/** The answer of `run`: 200, or 400 for a BadRequest, 409 for what management refuses. */
function respond(req: IncomingMessage, res: ServerResponse, run: () => unknown): void {
  let value: unknown;
  try {
    value = run();
  } catch (e) {
    if (e instanceof BadRequest) fail(req, res, 400, 'bad-request', e.message);
    else if (e instanceof ManagementError) fail(req, res, 409, 'refused', e.message);
    else throw e;
    return;
  }
  sendJson(res, 200, value);
}

function fail(req: IncomingMessage, res: ServerResponse, status: number, error: ManageErrorCode, message: string): void {
  if (!req.complete) {
    // What the client still sends is not read: close rather than keep the connection.
    res.setHeader('Connection', 'close');
    req.resume();
  }
  sendJson(res, status, { error, message });
}

