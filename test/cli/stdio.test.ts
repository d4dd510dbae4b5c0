// The console as a user's pipes, files and devices see it, through the real CLI as a child process: input
// from a slow producer arrives whole; output reaches a slow reader whole; a closed reader ends the command
// quietly with status 141; a full device is one line and exit 2; stdin beyond its limit is one line and
// exit 2. Never a JavaScript stack trace. No test waits on the clock: only on what the child printed or read.
import t from 'tap';
import type { Test } from 'tap';
import { closeSync, constants, openSync, rmSync, truncateSync, writeSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { STACK_TRACE, bigWriter, bytesRead, Child, hasScript, onTerminal, readyEcho, spinner, turns, workDir } from './stdio-child.ts';

const dir = workDir();
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
// Children write megabytes through pipes: generous on a loaded host (nothing here waits on the clock).
t.setTimeout(600_000);
/** Lines of 64 bytes: more than 1 MiB, more than any pipe or socket buffer holds. */
const LINES = 20_000;

const PROMPT = 'echo: type lines, q to quit\n';
const LINE = 'x'.repeat(63) + '\n';

let fifos = 0;
function fifo(): string {
  const path = join(dir, `fifo-${fifos++}`);
  execFileSync('mkfifo', [path]);
  return path;
}

/** A FIFO with both ends open and non-blocking (O_NONBLOCK is then set for whoever inherits an end). */
function nonBlockingFifo(): { read: number; write: number } {
  const path = fifo();
  const read = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const write = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  return { read, write };
}

/** Reads a descriptor to its end, with pause()/resume() for a reader that stops for a while. */
function reader(fd: number): { socket: Socket; bytes: () => Buffer; ended: Promise<void> } {
  const socket = new Socket({ fd, readable: true, writable: false });
  const chunks: Buffer[] = [];
  socket.on('data', (b: Buffer) => chunks.push(b));
  const ended = new Promise<void>((resolve) => socket.on('end', resolve));
  return { socket, bytes: () => Buffer.concat(chunks), ended };
}

function noStackTrace(t: Test, stderr: string): void {
  t.notMatch(stderr, STACK_TRACE, 'no JavaScript stack trace');
}

/** Waits until the child has read `count` more bytes than `before` (where /proc tells; else goes on). */
async function readAtLeast(pid: number, before: number | undefined, count: number): Promise<void> {
  if (before === undefined) return;
  while ((bytesRead(pid) ?? Infinity) < before + count) await new Promise((resolve) => setTimeout(resolve, 5));
}

t.test('a slow producer on a socket: the second part, written once the child has taken the first, arrives', async (t) => {
  const child = new Child(['boot', readyEcho()]);
  // "ready" comes before the firmware first looks for input (the UART's own output would come after).
  await child.said('ready\n');
  const before = bytesRead(child.pid);
  child.proc.stdin!.write('hello\n');
  // The child has taken "hello\n" and is now waiting for more (where the bug took the wait for the end).
  await readAtLeast(child.pid, before, 6);
  child.proc.stdin!.end('q\n');
  const exit = await child.exited;
  t.equal(child.stdout.toString('latin1'), 'HELLO\n', 'both parts: read whole before the firmware saw any');
  t.same(exit, { code: 0, signal: null });
  t.equal(child.stderr, 'ready\n');
});

t.test('a slow producer on a non-blocking FIFO (EAGAIN between the parts is a wait, not the end)', async (t) => {
  const { read, write } = nonBlockingFifo();
  const child = new Child(['boot', readyEcho()], [read, 'pipe', 'pipe']);
  closeSync(read);
  await child.said('ready\n');
  const before = bytesRead(child.pid);
  writeSync(write, 'hello\nabc\n');
  await readAtLeast(child.pid, before, 10);
  writeSync(write, 'q\n');
  closeSync(write);
  const exit = await child.exited;
  t.equal(child.stdout.toString('latin1'), 'HELLO\nABC\n');
  t.same(exit, { code: 0, signal: null });
  t.equal(child.stderr, 'ready\n');
});

t.test('from a terminal, input arrives as it is typed (a dialogue: type, wait for the echo, type again)', { skip: hasScript ? false : 'no script(1) to give the CLI a terminal' }, async (t) => {
  const child = onTerminal(['boot', 'firmware/echo.elf']);
  await child.printed('quit\r\n');
  child.proc.stdin!.write('hello\r');
  await child.printed('HELLO');
  child.proc.stdin!.write('q\r');
  t.same(await child.exited, { code: 0, signal: null });
  // the terminal shows the prompt, what was typed (its echo) and the firmware's answers
  t.equal(child.stdout.toString('latin1'), 'echo: type lines, q to quit\r\nhello\r\nHELLO\r\nq\r\nlines: 1\r\n');
});

t.test('the same bytes from a file arrive the same way', async (t) => {
  const input = join(dir, 'echo.in');
  const fd = openSync(input, 'w');
  writeSync(fd, 'hello\nq\n');
  closeSync(fd);
  const r = spawnSync(process.execPath, ['dist/handset.js', 'boot', 'firmware/echo.elf'], { stdio: [openSync(input, 'r'), 'pipe', 'pipe'], encoding: 'latin1' });
  t.equal(r.stdout, `${PROMPT}HELLO\nlines: 1\n`);
  t.equal(r.status, 0);
});

t.test('a slow reader gets every byte (socket, paused while the child writes)', async (t) => {
  const lines = LINES;
  const child = new Child(['boot', bigWriter(lines)]);
  await child.until('its first 64 KiB', () => child.stdout.length >= 65536);
  child.proc.stdout!.pause();
  await turns(5000); // the child fills the socket and waits, for as long as this takes
  child.proc.stdout!.resume();
  const exit = await child.exited;
  t.same(exit, { code: 0, signal: null });
  t.equal(child.stdout.length, lines * 64, 'all of it');
  t.ok(child.stdout.equals(Buffer.from(LINE.repeat(lines), 'latin1')), 'in order');
  t.equal(child.stderr, '');
});

t.test('a slow reader on a non-blocking FIFO gets every byte (boot, and trace show)', async (t) => {
  const lines = LINES;
  const { read, write } = nonBlockingFifo();
  const child = new Child(['boot', bigWriter(lines)], ['ignore', write, 'pipe']);
  closeSync(write);
  const out = reader(read);
  await new Promise((resolve) => out.socket.once('data', resolve));
  out.socket.pause();
  await turns(5000);
  out.socket.resume();
  const [exit] = await Promise.all([child.exited, out.ended]);
  t.same(exit, { code: 0, signal: null });
  t.equal(out.bytes().length, lines * 64);
  t.ok(out.bytes().equals(Buffer.from(LINE.repeat(lines), 'latin1')));
  noStackTrace(t, child.stderr);

  const trace = join(dir, 'spin.trace');
  const rec = spawnSync(process.execPath, ['dist/handset.js', 'boot', spinner(), '--max-insns', '30000', '--trace', trace], { encoding: 'latin1' });
  t.equal(rec.status, 124, rec.stderr);
  const whole = spawnSync(process.execPath, ['dist/handset.js', 'trace', 'show', trace], { maxBuffer: 1 << 30 }).stdout;
  t.ok(whole.length > 1 << 20, `trace show prints more than 1 MiB (${whole.length} bytes)`);
  const slow = nonBlockingFifo();
  const show = new Child(['trace', 'show', trace], ['ignore', slow.write, 'pipe']);
  closeSync(slow.write);
  const shown = reader(slow.read);
  await new Promise((resolve) => shown.socket.once('data', resolve));
  shown.socket.pause();
  await turns(5000);
  shown.socket.resume();
  const [showExit] = await Promise.all([show.exited, shown.ended]);
  t.same(showExit, { code: 0, signal: null });
  t.ok(shown.bytes().equals(whole), 'trace show: every byte');
  noStackTrace(t, show.stderr);
});

t.test('a reader that goes away ends the command quietly with status 141', async (t) => {
  // `| head -1`: the reader closes after the first line
  const child = new Child(['boot', bigWriter(LINES)]);
  await child.until('its first line', () => child.stdout.includes('\n'));
  child.proc.stdout!.destroy();
  t.same(await child.exited, { code: 141, signal: null });
  t.equal(child.stderr, '', 'nothing on stderr');

  // `| true`: the reader is gone before anything is written, for every command that prints
  const trace = join(dir, 'closed.trace');
  const other = join(dir, 'closed-other.trace');
  t.equal(spawnSync(process.execPath, ['dist/handset.js', 'boot', spinner(), '--max-insns', '3000', '--trace', trace]).status, 124);
  t.equal(spawnSync(process.execPath, ['dist/handset.js', 'boot', spinner(), '--max-insns', '4000', '--trace', other]).status, 124);
  for (const args of [
    ['boot', 'firmware/hello.elf'],
    ['boot', bigWriter(LINES), '--trace', join(dir, 'while-closed.trace')],
    ['trace', 'show', trace],
    ['trace', 'diff', trace, other],
    ['--help'],
  ]) {
    const { read, write } = nonBlockingFifo();
    closeSync(read);
    const c = new Child(args, ['ignore', write, 'pipe']);
    closeSync(write);
    t.same(await c.exited, { code: 141, signal: null }, `${args.join(' ')}: 141`);
    t.equal(c.stderr, '', `${args.join(' ')}: nothing on stderr`);
  }
  const shown = spawnSync(process.execPath, ['dist/handset.js', 'trace', 'show', join(dir, 'while-closed.trace')], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.equal(shown.status, 0, 'the trace of a run cut short by its reader is whole');

  // and through a shell, as a user types it
  const shell = spawnSync('bash', ['-c', `node dist/handset.js boot ${bigWriter(LINES)} | head -1; echo "status \${PIPESTATUS[0]}" >&2`], { encoding: 'latin1' });
  t.equal(shell.stdout, LINE);
  t.equal(shell.stderr, 'status 141\n');
});

t.test('a full device: one line naming the stream and the reason, exit 2', async (t) => {
  const trace = join(dir, 'full.trace');
  t.equal(spawnSync(process.execPath, ['dist/handset.js', 'boot', spinner(), '--max-insns', '3000', '--trace', trace]).status, 124);
  for (const args of [['boot', 'firmware/hello.elf'], ['boot', 'firmware/newlib-demo.elf'], ['trace', 'show', trace]]) {
    const full = openSync('/dev/full', 'w');
    const r = spawnSync(process.execPath, ['dist/handset.js', ...args], { stdio: ['ignore', full, 'pipe'], encoding: 'latin1' });
    closeSync(full);
    t.equal(r.stderr, 'handset: cannot write to stdout: no space left on device\n', args.join(' '));
    t.equal(r.status, 2);
  }
});

t.test('stdin beyond 64 MiB is refused with one line, exit 2 (file and pipe)', async (t) => {
  const big = join(dir, 'big.in');
  closeSync(openSync(big, 'w'));
  truncateSync(big, 64 * 1024 * 1024 + 1);
  const r = spawnSync(process.execPath, ['dist/handset.js', 'boot', 'firmware/echo.elf'], { stdio: [openSync(big, 'r'), 'pipe', 'pipe'], encoding: 'latin1' });
  t.equal(r.status, 2);
  t.match(r.stderr, /^handset: stdin is larger than 64 MiB[^\n]*\n$/);

  const child = new Child(['boot', 'firmware/echo.elf']);
  const chunk = Buffer.alloc(1 << 20, 0x61);
  const feed = async () => {
    for (let i = 0; i < 65; i++) {
      const taken = await new Promise((resolve) => child.proc.stdin!.write(chunk, (error) => resolve(!error)));
      if (!taken) return; // the child refused the rest
    }
    child.proc.stdin!.end();
  };
  await Promise.all([feed(), child.exited]);
  t.same(await child.exited, { code: 2, signal: null });
  t.match(child.stderr, /^handset: stdin is larger than 64 MiB[^\n]*\n$/);
});
