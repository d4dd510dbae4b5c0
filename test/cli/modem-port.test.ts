// `--modem-port PATH|pty` through the real CLI: UART1's far end is a new pseudo-terminal (an AT responder
// here opens its slave side), a Unix socket, or a FIFO (a loopback), instead of the built-in baseband; for
// `boot` (tiny firmware that talks AT on UART1, by polling and by interrupt) and `run` (the hypervisor's
// link set-up and a phone command go to the port). A port that closes during the run, bad paths, and what
// cannot go with a port. Waits are on what the child prints or what the responder reads, never on the clock.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, readlinkSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { ReadStream } from 'node:tty';
import { loadImage } from '../../src/loader/image.ts';
import { bytesInput } from '../../src/machine/console-input.ts';
import { Machine, MachineError, memoryLayout } from '../../src/machine/machine.ts';
import type { ModemPort } from '../../src/machine/modem-link.ts';
import { Child, STACK_TRACE, program, workDir } from './stdio-child.ts';

const dir = workDir();
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/**
 * An AT terminal: each line of UART0 input (stdin) goes to UART1 ending in CR LF, then what comes back on
 * UART1 is copied to UART0 (stdout) up to and including "OK\r\n"; a line starting with 'q' ends the run
 * (exit 0). It polls UART1's UARTFR for every byte.
 */
const AT_TERMINAL = program(
  'at-terminal',
  `    .global _start
_start:
    ldr     r5, =0x10009000     @ UART0
    ldr     r6, =0x1000a000     @ UART1
    ldr     r0, =0x301
    str     r0, [r5, #0x30]     @ UARTCR: UARTEN | TXE | RXE
    mov     r0, #0x70
    str     r0, [r6, #0x2c]     @ UART1 UARTLCR_H: FIFOs, 8 bits
    ldr     r0, =0x301
    str     r0, [r6, #0x30]
line:
    mov     r8, #1              @ at the start of a line
1:  ldr     r2, [r5, #0x18]     @ UART0 UARTFR: wait while RXFE
    tst     r2, #0x10
    bne     1b
    ldr     r4, [r5]
    and     r4, r4, #0xff
    cmp     r8, #1
    cmpeq   r4, #'q'
    beq     done
    mov     r8, #0
    cmp     r4, #10
    movne   r0, r4
    strne   r0, [r6]            @ to the modem
    bne     1b
    mov     r0, #13
    str     r0, [r6]
    mov     r0, #10
    str     r0, [r6]
    mov     r7, #0              @ the last four bytes from the modem
2:  ldr     r2, [r6, #0x18]     @ UART1 UARTFR: wait while RXFE
    tst     r2, #0x10
    bne     2b
    ldr     r4, [r6]
    and     r4, r4, #0xff
    str     r4, [r5]            @ to the console
    orr     r7, r4, r7, lsl #8
    ldr     r0, =0x4f4b0d0a     @ "OK\\r\\n"
    cmp     r7, r0
    bne     2b
    b       line
done:
    mov     r0, #0x18           @ SYS_EXIT, ADP_Stopped_ApplicationExit
    ldr     r1, =0x20026
    svc     0x123456
`,
);

/**
 * Interrupt-driven: sends "AT\\r" on UART1, says "sent" on stderr (semihosting), then sleeps in WFI (no
 * timer armed) while UART1's receive interrupt (GIC ID 45) copies what comes to UART0; "OK\\r\\n" ends the
 * run (exit 0).
 */
const AT_WFI = program(
  'at-wfi',
  `    .global _start
_start:
    mov     r0, #0x18           @ IRQ vector: ldr pc, [pc, #24], the handler's address at 0x38
    ldr     r1, =0xe59ff018
    str     r1, [r0]
    mov     r0, #0x38
    ldr     r1, =irq
    str     r1, [r0]
    msr     cpsr_c, #0xd2
    ldr     sp, =irq_stack
    msr     cpsr_c, #0xd3
    ldr     sp, =svc_stack
    ldr     r5, =0x10009000     @ UART0
    ldr     r6, =0x1000a000     @ UART1
    ldr     r0, =0x301
    str     r0, [r5, #0x30]
    mov     r0, #0x70
    str     r0, [r6, #0x2c]
    ldr     r0, =0x301
    str     r0, [r6, #0x30]
    mov     r0, #0x10
    str     r0, [r6, #0x38]     @ UART1 UARTIMSC: RXIM
    ldr     r1, =0x10041000     @ GICD
    mov     r0, #(1 << 13)
    str     r0, [r1, #0x104]    @ GICD_ISENABLER1: ID 45
    mov     r0, #1
    str     r0, [r1]
    ldr     r1, =0x10040000     @ GICC
    mov     r0, #0xf0
    str     r0, [r1, #0x04]     @ GICC_PMR
    mov     r0, #1
    str     r0, [r1]
    mov     r0, #'A'
    str     r0, [r6]
    mov     r0, #'T'
    str     r0, [r6]
    mov     r0, #13
    str     r0, [r6]
    mov     r0, #0x04           @ SYS_WRITE0
    adr     r1, sent
    svc     0x123456
sleep:
    ldr     r0, =done
    ldr     r0, [r0]
    cmp     r0, #0
    bne     finish
    mov     r0, #0
    mcr     p15, 0, r0, c7, c0, 4   @ WFI
    msr     cpsr_c, #0x53       @ IRQs on: the handler runs here
    msr     cpsr_c, #0xd3
    b       sleep
finish:
    mov     r0, #0x18
    ldr     r1, =0x20026
    svc     0x123456
irq:
    sub     lr, lr, #4
    stmfd   sp!, {r0-r4, r7, lr}
    ldr     r4, =0x10040000
    ldr     r7, [r4, #0x0c]     @ GICC_IAR
1:  ldr     r2, [r6, #0x18]
    tst     r2, #0x10
    bne     2f
    ldr     r0, [r6]
    and     r0, r0, #0xff
    str     r0, [r5]
    ldr     r3, =last
    ldr     r1, [r3]
    orr     r1, r0, r1, lsl #8
    str     r1, [r3]
    ldr     r2, =0x4f4b0d0a
    cmp     r1, r2
    ldreq   r2, =done
    streq   r1, [r2]
    b       1b
2:  str     r7, [r4, #0x10]     @ GICC_EOIR
    ldmfd   sp!, {r0-r4, r7, pc}^
sent: .asciz "sent\\n"
    .data
done: .word 0
last: .word 0
    .bss
    .align 3
    .space 1024
irq_stack:
    .space 1024
svc_stack:
`,
);

/** The far end of a modem port: reads command lines (ending at CR; LF ignored), answers each with `answer(line)`. */
class Responder {
  /** Every byte received. */
  received = '';
  readonly lines: string[] = [];
  private partial = '';
  private readonly watchers: (() => boolean)[] = [];
  private ended = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly answer: (line: string, responder: Responder) => string | undefined,
  ) {}

  feed(bytes: Buffer): void {
    const text = bytes.toString('latin1');
    this.received += text;
    this.partial += text;
    let cr: number;
    while ((cr = this.partial.indexOf('\r')) >= 0) {
      const line = this.partial.slice(0, cr).replaceAll('\n', '');
      this.partial = this.partial.slice(cr + 1);
      this.lines.push(line);
      const reply = this.answer(line, this);
      if (reply !== undefined) this.write(reply);
    }
    this.notify();
  }

  end(): void {
    this.ended = true;
    this.notify();
  }

  /** Resolves once `ready()` holds (checked whenever bytes come); rejects if the port ends first. */
  until(what: string, ready: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (ready()) return resolve(), true;
        if (this.ended) return reject(new Error(`the port ended before ${what}; received ${JSON.stringify(this.received)}`)), true;
        return false;
      };
      if (check()) return;
      this.watchers.push(check);
    });
  }

  private notify(): void {
    for (const w of [...this.watchers]) if (w()) this.watchers.splice(this.watchers.indexOf(w), 1);
  }
}

const OK = '\r\nOK\r\n';
const okToAll = (line: string) => (line === 'ATI' ? '\r\nHB test modem\r\n' + OK : OK);

/** Opens a pseudo-terminal's slave side as the far end; `close()` hangs up. */
function onPty(path: string, answer: (line: string, r: Responder) => string | undefined): Responder & { close(): void } {
  const fd = openSync(path, constants.O_RDWR | constants.O_NOCTTY);
  const stream = new ReadStream(fd); // libuv reads it without blocking a thread
  const responder = new Responder((text) => writeSync(fd, text, null, 'latin1'), answer) as Responder & { close(): void };
  stream.on('data', (b: Buffer) => responder.feed(b));
  stream.on('error', () => responder.end()); // EIO: handset closed the master
  stream.on('end', () => responder.end());
  stream.on('close', () => {
    // Node's tty stream leaves the descriptor open: close it, or the other side never sees a hang-up.
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) closeSync(fd);
    } catch {
      // closed already
    }
  });
  responder.close = () => {
    stream.destroy();
    responder.end();
  };
  return responder;
}

/** The pseudo-terminal's path from the child's first line on stderr. */
async function ptyPath(child: Child): Promise<string> {
  await child.until('it said the modem port', () => /^handset: modem port: \S+\n/.test(child.stderr));
  return /^handset: modem port: (\S+)\n/.exec(child.stderr)![1];
}

function boot(args: string[], input: string): Child {
  const child = new Child(['boot', ...args]);
  child.proc.stdin!.end(input);
  return child;
}

t.test('the Machine with an external modem (MachineOptions.modem { external }): bytes both ways, no network, no snapshots', async (t) => {
  const RAM = 128 << 20;
  const sent: number[] = [];
  let waiting: number[] = [];
  const port: ModemPort = {
    send(byte) {
      sent.push(byte);
      if (byte === 13) waiting.push(...Buffer.from('\r\nOK\r\n'));
    },
    poll(max) {
      const bytes = Uint8Array.from(waiting.slice(0, max));
      waiting = waiting.slice(max);
      return bytes;
    },
  };
  const machine = new Machine({ cpu: 'arm926', ramSize: RAM, input: bytesInput(Buffer.from('AT\nATI\nq\n')), modem: { external: port } });
  t.teardown(() => machine.close());
  const out: number[] = [];
  const wire: string[] = [];
  machine.on('console', (e) => e.source === 'uart0' && out.push(...e.bytes));
  machine.on('modem', (e) => wire.push(`${e.direction}:${e.byte}`));
  machine.load(loadImage(AT_TERMINAL, {}, memoryLayout(RAM)));
  t.same(machine.run({ maxInsns: 1e7 }), { kind: 'exit', status: 0 });
  t.equal(Buffer.from(out).toString('latin1'), OK + OK, 'the answers reached the firmware');
  t.equal(Buffer.from(sent).toString('latin1'), 'AT\r\nATI\r\n', 'its bytes reached the port');
  t.equal(wire.filter((w) => w.startsWith('in:')).length, sent.length, 'a modem event for each byte out...');
  t.equal(wire.filter((w) => w.startsWith('out:')).length, 2 * OK.length, '... and in');
  t.equal(machine.modemKind, 'external');
  t.equal(machine.network, undefined, 'no network side');
  let refused: unknown;
  try {
    machine.snapshot();
  } catch (e) {
    refused = e;
  }
  t.ok(refused instanceof MachineError, 'snapshot() refuses');
  t.equal((refused as Error).message, "snapshot: the modem is an external port, whose state a snapshot cannot hold");
  const plain = new Machine({ cpu: 'arm926', ramSize: RAM });
  t.equal(plain.modemKind, 'baseband');
  plain.close();
});

t.test('boot --modem-port pty: the path on stderr; the firmware gets the answers, the far end the bytes it sent', async (t) => {
  const child = boot([AT_TERMINAL, '--modem-port', 'pty'], 'AT\nATI\nq\n');
  const path = await ptyPath(child);
  t.match(path, /^\/dev\/pts\/\d+$/);
  const far = onPty(path, okToAll);
  t.same(await child.exited, { code: 0, signal: null }, child.stderr);
  t.equal(child.stdout.toString('latin1'), `${OK}\r\nHB test modem\r\n${OK}`, 'the answers, byte for byte');
  await far.until('the end', () => far.received === 'AT\r\nATI\r\n');
  t.equal(far.received, 'AT\r\nATI\r\n', 'raw: CR stays CR, LF stays LF, no echo');
  t.equal(child.stderr, `handset: modem port: ${path}\n`, 'one line, nothing else');
  far.close();
});

t.test('boot --modem-port pty: a core asleep in WFI is woken by the modem\'s answer (UART1 receive interrupt)', async (t) => {
  const child = new Child(['boot', AT_WFI, '--modem-port', 'pty'], ['ignore', 'pipe', 'pipe']);
  const path = await ptyPath(child);
  await child.said('sent\n'); // AT is on its way; the core sleeps, no timer armed
  const far = onPty(path, () => OK);
  t.same(await child.exited, { code: 0, signal: null }, child.stderr);
  t.equal(child.stdout.toString('latin1'), OK);
  t.equal(far.received, 'AT\r');
  far.close();
});

t.test('a port that closes during the run: one line, and the run goes on without a modem', async (t) => {
  const child = new Child(['boot', AT_WFI, '--modem-port', 'pty'], ['ignore', 'pipe', 'pipe']);
  const path = await ptyPath(child);
  const far = onPty(path, (line, r) => void (line === 'AT' && setImmediate(() => (r as Responder & { close(): void }).close())));
  t.same(await child.exited, { code: 1, signal: null }, 'nothing can wake the core any more: as without a modem');
  t.equal(far.received, 'AT\r');
  t.match(
    child.stderr,
    new RegExp(
      `^handset: modem port: ${path}\\nsent\\n` +
        `handset: modem port ${path} closed \\(the other side hung up\\): the run goes on without a modem \\(UART1's bytes are dropped\\)\\n` +
        `handset: the CPU waits for an interrupt \\(WFI before 0x[0-9a-f]{8}\\) but none can come: no timer is armed and there is no input\\n$`,
    ),
  );
  t.notMatch(child.stderr, STACK_TRACE);
});

t.test('boot --modem-port SOCKET: a Unix socket is connected to', async (t) => {
  const path = join(dir, 'modem.sock');
  let far: Responder | undefined;
  const server = createServer((socket: Socket) => {
    far = new Responder((text) => socket.write(text, 'latin1'), okToAll);
    socket.on('data', (b) => far!.feed(b));
    socket.on('end', () => far!.end());
    socket.on('error', () => far!.end());
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const child = boot([AT_TERMINAL, '--modem-port', path], 'AT\nAT+CSQ\nq\n');
  t.same(await child.exited, { code: 0, signal: null }, child.stderr);
  t.equal(child.stdout.toString('latin1'), OK + OK);
  t.equal(child.stderr, '', 'no line for a path');
  await far!.until('the end', () => far!.received === 'AT\r\nAT+CSQ\r\n');
  await new Promise((resolve) => server.close(resolve));
});

t.test('boot --modem-port FIFO: one pipe, a loopback (what UART1 sends comes back)', async (t) => {
  const fifo = join(dir, 'loop.fifo');
  execFileSync('mkfifo', [fifo]);
  const r = spawnSync(process.execPath, ['dist/handset.js', 'boot', AT_TERMINAL, '--modem-port', fifo], { input: 'OK\nq\n', encoding: 'latin1' });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'OK\r\n', 'its own line came back');
  t.equal(r.stderr, '');
});

t.test('run --modem-port pty: both phones boot; the link set-up and a phone command go to the port', async (t) => {
  const child = new Child(['run', '--modem-port', 'pty']);
  child.proc.stdin!.end('calls\n');
  const path = await ptyPath(child);
  const far = onPty(path, (line) => (line === 'AT+CNUM' ? '\r\n+CNUM: "Line 1","+15550100",145\r\n' + OK : OK));
  await child.printed('[work] no calls\n'); // AT+CLCC went to the port, and the port's OK came back
  await far.until('the link set-up', () => far.lines.includes('AT^HCLCC'));
  child.proc.kill('SIGTERM');
  const exit = await child.exited;
  t.same(exit, { code: 143, signal: null });
  const out = child.stdout.toString('utf8');
  t.match(out, /^\[work\] handset work phone \+15550100 ready\n/m);
  t.match(out, /^\[home\] handset home phone \+15550199 ready\n/m);
  t.same(far.lines.slice(0, 13), ['ATE0', 'ATV1', 'AT+CMEE=1', 'AT+CLIP=1', 'AT+CDIP=1', 'AT+CRC=1', 'AT+CCWA=1', 'AT+CMGF=1', 'AT+CNMI=2,1', 'AT+CREG=1', 'AT+CLCC=1', 'AT^SALS=1,1', 'AT^HCLCC'], "the splitter's link set-up, first");
  t.ok(far.lines.includes('AT+CLCC'), 'the phone\'s command');
  t.match(child.stderr, new RegExp(`^handset: modem port: ${path}\\nhandset: SIGTERM at cycle \\d+\\n$`));
  far.close();
});

t.test('run --modem-port with a scenario: a network step fails, saying why', async (t) => {
  const script = join(dir, 'call.json');
  writeFileSync(script, JSON.stringify({ steps: [{ call: { from: '+15557777', to: 'work' } }] }));
  const r = spawnSync(process.execPath, ['dist/handset.js', 'run', '--modem-port', 'pty', '--script', script], { encoding: 'utf8' });
  t.equal(r.status, 1);
  t.match(r.stderr, /^handset: modem port: \/dev\/pts\/\d+\nhandset: scenario .*call\.json: step 1 \(call .*\) failed: the modem is an external port: its network side is not the handset's to drive\n$/);
});

t.test('bad ports: one line, exit 2, before the run', async (t) => {
  const file = join(dir, 'plain.txt');
  writeFileSync(file, 'not a modem');
  const directory = join(dir, 'a-directory');
  mkdirSync(directory);
  // A socket nobody listens on: its listener was killed before it could remove it.
  const stale = join(dir, 'stale.sock');
  spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`]);
  const cases: [string[], string][] = [
    [['boot', AT_TERMINAL, '--modem-port', join(dir, 'missing')], `--modem-port ${join(dir, 'missing')}: no such file or directory`],
    [['boot', AT_TERMINAL, '--modem-port', directory], `--modem-port ${directory}: is a directory`],
    [['boot', AT_TERMINAL, '--modem-port', file], `--modem-port ${file}: not a serial device, FIFO or socket (a regular file)`],
    [['boot', AT_TERMINAL, '--modem-port', stale], `--modem-port ${stale}: cannot connect to it: connection refused`],
    [['run', '--modem-port', directory], `--modem-port ${directory}: is a directory`],
    [['boot', AT_TERMINAL, '--modem-port', 'pty', '--save-at', '100', '--save', join(dir, 'x.snap')], `--modem-port pty: --save cannot be used with it (a snapshot cannot hold a host port's state)`],
    [['boot', '--restore', join(dir, 'x.snap'), '--modem-port', 'pty'], `--modem-port pty: --restore cannot be used with it (a snapshot cannot hold a host port's state)`],
    [['boot', AT_TERMINAL, '--modem-port='], '--modem-port needs a value'],
  ];
  for (const [args, message] of cases) {
    const r = spawnSync(process.execPath, ['dist/handset.js', ...args], { encoding: 'utf8', input: '' });
    t.equal(r.status, 2, args.join(' '));
    t.equal(r.stdout, '', 'nothing ran');
    t.match(r.stderr, /^handset: [^\n]*\n$/, 'one line');
    t.match(r.stderr, message);
  }
});
