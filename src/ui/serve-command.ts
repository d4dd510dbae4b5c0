/**
 * `handset serve`: the two-phone handset in this process, paced to host time at --speed, served as a web
 * page and a JSON protocol (docs/web.md) on --host:--port until SIGINT or SIGTERM (exit 130 / 143), with
 * the remote management console at /manage when a partition is managed.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { buildHandset, handsetPlan, packageDirectory, partitionImages, partitionStores, type HandsetArgs } from '../cli/handset-machine.ts';
import { UsageError } from '../cli/options.ts';
import { managedPartition } from '../hypervisor/config.ts';
import { SIGNAL_EXIT_STATUS, type ExitSignal } from '../cli/signals.ts';
import { stdout } from '../cli/stdio.ts';
import { MAX_SPEED, MIN_SPEED } from './protocol.ts';
import { HandsetServer } from './server.ts';
import { HandsetSession } from './session.ts';

export interface ServeArgs extends HandsetArgs {
  host?: string;
  port?: string;
  speed?: string;
}

/** The built page: dist/web/ of the handset package (tools/web-build.mjs). */
export function webDirectory(): string {
  return join(packageDirectory('cannot find the handset package (its dist/web/ page)'), 'dist', 'web');
}

export function parsePort(text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new UsageError(`--port ${text}: expected a port number 0-65535 (0: any free port)`);
  return port;
}

export function parseSpeed(text: string): number {
  const speed = /^(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(text) ? Number(text) : NaN;
  if (!(speed >= MIN_SPEED && speed <= MAX_SPEED)) throw new UsageError(`--speed ${text}: expected virtual seconds per host second, ${MIN_SPEED} to ${MAX_SPEED}`);
  return speed;
}

export async function serveHandset(args: ServeArgs): Promise<number> {
  const host = args.host ?? '127.0.0.1';
  if (host === '') throw new UsageError('--host: expected an address to listen on');
  const port = parsePort(args.port ?? '8080');
  const speed = parseSpeed(args.speed ?? '1');
  const webDir = webDirectory();
  if (!existsSync(join(webDir, 'index.html'))) throw new UsageError(`the handset page is not built (no ${join(webDir, 'index.html')}): run npm run build`);
  const plan = handsetPlan(args);
  const images = partitionImages(plan.config);
  const stores = partitionStores(plan.config, args.state);
  const { machine } = buildHandset(plan, images, stores);
  // The console's token: the config's, else a random one (host randomness, never the emulation's).
  const token = managedPartition(plan.config) === null ? undefined : (plan.config.managementToken ?? randomBytes(18).toString('base64url'));
  let session: HandsetSession | undefined;
  let server: HandsetServer | undefined;
  try {
    machine.boot();
    session = new HandsetSession({ machine, config: plan.config, speed });
    try {
      server = await HandsetServer.start({ session, host, port, webDir, ...(token !== undefined ? { manageToken: token } : {}) });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== undefined) throw new UsageError(`cannot listen on ${host} port ${port}: ${listenProblem(code)}`);
      throw e;
    }
    session.start();
    let banner = `handset: serving the two-phone handset at ${server.url} (Ctrl-C stops it)\n`;
    if (server.manageUrl !== undefined) {
      // A token of the config is the admin's secret already: not printed. A random one must be, once.
      const signIn = plan.config.managementToken === undefined ? `token ${token}, or open ${server.manageUrl}#token=${token}` : 'the managementToken of the config';
      banner += `handset: management console at ${server.manageUrl} (${signIn})\n`;
    }
    stdout.writeText(banner);
    const signal = await new Promise<ExitSignal>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    return SIGNAL_EXIT_STATUS[signal];
  } finally {
    session?.close();
    await server?.close();
    machine.close();
  }
}

function listenProblem(code: string): string {
  switch (code) {
    case 'EADDRINUSE':
      return 'the address is in use (another server? try another --port, or --port 0 for any free one)';
    case 'EADDRNOTAVAIL':
      return 'no such address on this host';
    case 'EACCES':
      return 'permission denied (a port below 1024?)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'no such host name';
    default:
      return code;
  }
}
