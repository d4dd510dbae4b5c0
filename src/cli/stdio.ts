/**
 * Host adapters for the console: buffered stdout/stderr writers and stdin as a ConsoleInput.
 *
 * Input from a terminal is read as it is typed (a non-blocking descriptor on /dev/tty for polls, a
 * blocking read when the firmware waits). Input from a pipe or file is read to its end the first time the
 * firmware asks for input, so the firmware sees the same bytes at the same points on every run.
 */
import { constants, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import type { ConsoleInput } from '../machine/console-input.ts';

export class BufferedWriter {
  private chunks: Uint8Array[] = [];
  private size = 0;
  constructor(private readonly fd: number) {}

  write(bytes: Uint8Array): void {
    this.chunks.push(bytes.slice());
    this.size += bytes.length;
    if (this.size >= 4096 || bytes.includes(0x0a)) this.flush();
  }

  flush(): void {
    if (this.size === 0) return;
    const all = Buffer.concat(this.chunks);
    this.chunks = [];
    this.size = 0;
    let done = 0;
    while (done < all.length) done += writeSync(this.fd, all, done);
  }
}

export function stdinInput(): ConsoleInput {
  return process.stdin.isTTY ? new TerminalInput() : new BatchInput();
}

class BatchInput implements ConsoleInput {
  private data: Uint8Array | undefined;

  read(max: number): Uint8Array {
    this.data ??= readAll();
    const out = this.data.subarray(0, max);
    this.data = this.data.subarray(out.length);
    return out;
  }
}

function readAll(): Uint8Array {
  try {
    return readFileSync(0);
  } catch {
    return new Uint8Array(0); // stdin closed
  }
}

class TerminalInput implements ConsoleInput {
  private pollFd: number | undefined;

  read(max: number, block: boolean): Uint8Array {
    const buf = Buffer.alloc(max);
    try {
      if (block) return buf.subarray(0, readSync(0, buf, 0, max, null));
      this.pollFd ??= openSync('/dev/tty', constants.O_RDONLY | constants.O_NONBLOCK);
      return buf.subarray(0, readSync(this.pollFd, buf, 0, max, null));
    } catch {
      return new Uint8Array(0); // nothing typed yet (EAGAIN) or no terminal
    }
  }
}
