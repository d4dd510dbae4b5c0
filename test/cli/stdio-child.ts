/**
 * For the console and signal tests: the real CLI (dist/handset.js, which `npm test`'s set-up builds) as a
 * child process on real pipes, sockets and FIFOs, and small firmware built at test time. Waits are on what
 * the child prints (or has read), never on the clock.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What a JavaScript stack trace looks like on stderr: never allowed. */
export const STACK_TRACE = /at .*\(.*:\d+:\d+\)|node:internal/;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class Child {
  readonly proc: ChildProcess;
  readonly exited: Promise<Exit>;
  private out: Buffer[] = [];
  private err: Buffer[] = [];
  private watchers: (() => void)[] = [];
  private done = false;

  constructor(args: string[], stdio: StdioOptions = ['pipe', 'pipe', 'pipe'], terminal = false) {
    this.proc = terminal
      ? // script(1) runs the command on a new pseudo-terminal (stdin, stdout and stderr), its controlling
        // terminal: what we write is typed there (^C included), and stdout gets what the terminal shows.
        spawn('script', ['-qec', [process.execPath, 'dist/handset.js', ...args].map(shellQuote).join(' '), '/dev/null'], { stdio })
      : spawn(process.execPath, ['dist/handset.js', ...args], { stdio });
    this.proc.stdout?.on('data', (b: Buffer) => this.received(this.out, b));
    this.proc.stderr?.on('data', (b: Buffer) => this.received(this.err, b));
    this.proc.stdin?.on('error', () => {}); // the child may end before reading all we give it
    this.exited = new Promise((resolve) => {
      this.proc.on('close', (code, signal) => {
        this.done = true;
        this.notify();
        resolve({ code, signal });
      });
    });
  }

  get stdout(): Buffer {
    return Buffer.concat(this.out);
  }

  get stderr(): string {
    return Buffer.concat(this.err).toString('latin1');
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** Resolves once `ready()` holds (checked whenever the child prints); rejects if it ends first. */
  until(what: string, ready: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (ready()) return resolve(), true;
        if (this.done) return reject(new Error(`the child ended before ${what}; stderr: ${this.stderr}`)), true;
        return false;
      };
      if (check()) return;
      const watcher = () => {
        if (check()) this.watchers = this.watchers.filter((w) => w !== watcher);
      };
      this.watchers.push(watcher);
    });
  }

  /** Resolves once stdout holds `text`. */
  printed(text: string): Promise<void> {
    return this.until(`it printed ${JSON.stringify(text)}`, () => this.stdout.includes(text));
  }

  /** Resolves once stderr holds `text`. */
  said(text: string): Promise<void> {
    return this.until(`it said ${JSON.stringify(text)} on stderr`, () => this.stderr.includes(text));
  }

  private received(into: Buffer[], bytes: Buffer): void {
    into.push(bytes);
    this.notify();
  }

  private notify(): void {
    for (const w of [...this.watchers]) w();
  }
}

/** The CLI on a terminal of its own (see Child); needs script(1) (`hasScript`). */
export function onTerminal(args: string[]): Child {
  return new Child(args, ['pipe', 'pipe', 'pipe'], true);
}

/** Whether script(1) is there (util-linux) to give the CLI a terminal; else the terminal tests are skipped. */
export const hasScript = spawnSync('script', ['--version']).status === 0;

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/** Bytes the process has read so far (/proc/PID/io rchar), or undefined where that is not readable. */
export function bytesRead(pid: number): number | undefined {
  try {
    const m = /^rchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'latin1'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Lets the event loop turn `n` times (no clock involved). */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

const work = mkdtempSync(join(tmpdir(), 'handset-stdio-'));

/** A temporary directory for the test file (removed by the caller's teardown). */
export function workDir(): string {
  return work;
}

/** Assembles a bare-metal program (ARM, at 0x8000) into an ELF in the work directory. */
export function program(name: string, source: string): string {
  const elf = join(work, `${name}.elf`);
  if (existsSync(elf)) return elf;
  const src = join(work, `${name}.S`);
  writeFileSync(src, source);
  execFileSync('arm-none-eabi-gcc', ['-march=armv5te', '-nostdlib', '-Wl,-Ttext=0x8000', '-Wl,--build-id=none', '-o', elf, src]);
  return elf;
}

/** Writes `lines` lines of 63 'x' and a newline (64 bytes each) on stdout with semihosting SYS_WRITE, exits 0. */
export function bigWriter(lines: number): string {
  return program(
    `big-${lines}`,
    `    .global _start
_start:
    ldr     r0, =buf
    ldr     r1, =65536
    mov     r2, #0
1:  and     r3, r2, #63
    cmp     r3, #63
    moveq   r4, #10
    movne   r4, #'x'
    strb    r4, [r0, r2]
    add     r2, r2, #1
    cmp     r2, r1
    bne     1b
    mov     r0, #0x01           @ SYS_OPEN ":tt" for writing: stdout
    ldr     r1, =open_args
    svc     0x123456
    ldr     r1, =write_args
    str     r0, [r1]
    ldr     r6, =${lines}
2:  mov     r0, #0x05           @ SYS_WRITE one line
    ldr     r1, =write_args
    svc     0x123456
    subs    r6, r6, #1
    bne     2b
    mov     r0, #0x18           @ SYS_EXIT, ADP_Stopped_ApplicationExit
    ldr     r1, =0x20026
    svc     0x123456
    .data
open_args:  .word tt, 4, 3
write_args: .word 0, buf, 64
tt:         .asciz ":tt"
    .bss
    .align 4
buf:        .space 65536
`,
  );
}

/** Prints "started" on UART0, then counts in a loop forever. */
export function spinner(): string {
  return program(
    'spin',
    `    .global _start
_start:
    ldr     r1, =0x10009000
    ldr     r2, =0x301
    str     r2, [r1, #0x30]     @ UARTCR: UARTEN | TXE | RXE
    adr     r4, text
1:  ldrb    r0, [r4], #1
    cmp     r0, #0
    strneb  r0, [r1]
    bne     1b
    mov     r3, #0
2:  add     r3, r3, #1
    b       2b
text: .asciz "started\\n"
`,
  );
}

/**
 * Says "ready" on stderr (semihosting SYS_WRITE0: at once, unlike the UART, which transmits in virtual
 * time), then echoes UART0 input upper-cased as firmware/echo.elf does, until a line starting with 'q'.
 */
export function readyEcho(): string {
  return program(
    'ready-echo',
    `    .global _start
_start:
    ldr     r5, =0x10009000
    ldr     r0, =0x301
    str     r0, [r5, #0x30]     @ UARTCR: UARTEN | TXE | RXE
    mov     r0, #0x04           @ SYS_WRITE0
    adr     r1, ready
    svc     0x123456
    mov     r6, #1              @ at the start of a line
1:  ldr     r2, [r5, #0x18]     @ UARTFR: wait while RXFE
    tst     r2, #0x10
    bne     1b
    ldr     r4, [r5]
    and     r4, r4, #0xff
    cmp     r6, #1
    cmpeq   r4, #'q'
    beq     3f
    mov     r6, #0
    cmp     r4, #10
    moveq   r6, #1
    sub     r0, r4, #'a'
    cmp     r0, #25
    subls   r4, r4, #32
2:  ldr     r2, [r5, #0x18]     @ wait while TXFF
    tst     r2, #0x20
    bne     2b
    strb    r4, [r5]
    b       1b
3:  mov     r0, #0x18           @ SYS_EXIT, ADP_Stopped_ApplicationExit
    ldr     r1, =0x20026
    svc     0x123456
ready: .asciz "ready\\n"
`,
  );
}
