/**
 * Turns a QEMU 7.2 log of `qemu-system-arm ... -singlestep -d exec,cpu,nochain` (tools/qemu-trace) into
 * instruction records, so QEMU runs can be diffed against ours (docs/trace-format.md, "QEMU imports").
 *
 * Each instruction appears as a block printed *before* it runs:
 *   Trace 0: 0x7fb1fc000100 [00000400/00000000/00000020/ff000201] symbol    (cs_base/PC/flags/cflags)
 *   R00=00000000 R01=00000000 R02=00000000 R03=00000000                     (four lines, R00 to R15;
 *   ...                                                                       R15 is this instruction's PC)
 *   PSR=400001d3 -Z-- A svc32                                               (CPSR; T or A; [S |NS ]mode)
 * so record i takes its PC, mode and ISA state from block i and its register changes from the difference
 * between blocks i and i+1. "Stopped execution of TB chain before 0x... [PC]" means the block just
 * printed did not run (an interrupt was taken first): that block is dropped. So does
 * "cpu_io_recompile: rewound execution of TB to PC" (under -icount, QEMU retranslates an instruction that
 * touches a device and runs it again; it is printed again when it really runs).
 *
 * QEMU does not print encodings: they are read from the image. Known limits, all documented:
 *   - the last instruction's after-state is unknown: its record has no register changes;
 *   - r15 is never a change (the next record's pc is it) and there is no spsr;
 *   - a PC outside the image's loaded bytes (code copied or remapped at run time) gets encoding 0;
 *   - cycles are instruction counts (QEMU has no cycle model: the header says timing 'fast').
 *
 * The log must be a regular file (checked before anything is read: a FIFO or a device is refused), and a
 * line longer than MAX_LINE_BYTES is refused with its number, so any input costs bounded memory.
 */
import { closeSync, readSync } from 'node:fs';
import { checkRegularFile, openRegularFile } from './files.ts';
import type { Segment } from '../loader/types.ts';
import { TraceFileError } from './format.ts';
import { REG_NAMES, type InsnRecord } from './records.ts';

const TRACE_LINE = /^Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+\/([0-9a-f]{8})\/[0-9a-f]+\/[0-9a-f]+\]/;
/** The four register lines: "R00=%08x R01=%08x R02=%08x R03=%08x" to R15; values at fixed columns. */
const REGISTER_LINES = [0, 4, 8, 12].map(
  (first) => new RegExp(`^${[0, 1, 2, 3].map((k) => `R${String(first + k).padStart(2, '0')}=[0-9a-f]{8}`).join(' ')}$`),
);
const REGISTER_COLUMNS = [4, 17, 30, 43];
const PSR_LINE = /^PSR=([0-9a-f]{8}) [-N][-Z][-C][-V] [AT] (?:N?S )?[a-z?]{3}(?:32|26)$/;
const STOPPED_LINE = /^Stopped execution of TB chain before 0x[0-9a-f]+ \[([0-9a-f]{8})\]/;
const REWOUND_LINE = /^cpu_io_recompile: rewound execution of TB to ([0-9a-f]{8})$/;
const PSR_THUMB = 0x20;
const PSR_MODE = 0x1f;
/** r0–r14 and cpsr: what a QEMU block gives as register changes (REG_NAMES indices). */
const CHANGE_INDICES = [...Array.from({ length: 15 }, (_, k) => k), REG_NAMES.indexOf('cpsr')];

/** The CPU state QEMU printed before one instruction: r0–r15 then the PSR. */
interface Block {
  pc: number;
  values: Uint32Array; // r0..r15, cpsr at 16
}

/** The longest log line accepted (QEMU's are under 100 bytes; a Trace line ends with a symbol name). */
export const MAX_LINE_BYTES = 64 * 1024;

/**
 * The records of the log, one per instruction that ran. The log is checked to be a regular file now;
 * reading it, as the records are taken, throws TraceFileErrors naming the log and the line.
 */
export function importQemuLog(logPath: string, segments: readonly Segment[]): Generator<InsnRecord> {
  checkRegularFile(logPath, (problem) => {
    throw new TraceFileError(logPath, problem);
  });
  return readLog(logPath, segments);
}

function* readLog(logPath: string, segments: readonly Segment[]): Generator<InsnRecord> {
  const lines = new LineReader(logPath);
  const encodingAt = encodingReader(segments);
  let pending: Block | undefined;
  let index = 0;
  const record = (before: Block, after: Block | undefined): InsnRecord => {
    const thumb = (before.values[16]! & PSR_THUMB) !== 0;
    const regs: InsnRecord['regs'] = {};
    for (const k of CHANGE_INDICES) {
      if (after !== undefined && (index === 0 || after.values[k] !== before.values[k])) regs[REG_NAMES[k]!] = after.values[k]!;
    }
    const i = index++;
    return { kind: 'insn', i, cycle: i, pc: before.pc, insn: encodingAt(before.pc, thumb), thumb, mode: before.values[16]! & PSR_MODE, regs };
  };
  try {
    for (let line = lines.next(); line !== undefined; line = lines.next()) {
      const trace = TRACE_LINE.exec(line);
      if (trace) {
        const block = readBlock(lines, parseInt(trace[1]!, 16));
        if (pending !== undefined) yield record(pending, block);
        pending = block;
        continue;
      }
      const stopped = STOPPED_LINE.exec(line);
      if (stopped) {
        if (pending === undefined || pending.pc !== parseInt(stopped[1]!, 16)) lines.fail('"Stopped execution" names an instruction that was not just traced');
        pending = undefined;
        continue;
      }
      const rewound = REWOUND_LINE.exec(line);
      if (rewound) {
        if (pending === undefined || pending.pc !== parseInt(rewound[1]!, 16)) lines.fail('"rewound execution" names an instruction that was not just traced');
        pending = undefined;
        continue;
      }
      if (line !== '') lines.fail('not a QEMU "-d exec,cpu" trace line');
    }
    if (pending !== undefined) yield record(pending, undefined);
    if (index === 0) lines.fail('no instructions in the log (not a QEMU "-singlestep -d exec,cpu,nochain" log?)');
  } finally {
    lines.close();
  }
}

/** The four register lines and the PSR line after a Trace line. */
function readBlock(lines: LineReader, pc: number): Block {
  const values = new Uint32Array(17);
  for (let row = 0; row < 4; row++) {
    const line = lines.next() ?? lines.fail(`the log ends inside an instruction's register dump`);
    if (!REGISTER_LINES[row]!.test(line)) lines.fail(`expected the R${String(row * 4).padStart(2, '0')}= register line`);
    for (let col = 0; col < 4; col++) values[row * 4 + col] = hexAt(line, REGISTER_COLUMNS[col]!);
  }
  const psrLine = lines.next() ?? lines.fail(`the log ends inside an instruction's register dump`);
  const psr = PSR_LINE.exec(psrLine) ?? lines.fail('expected a PSR= line');
  values[16] = parseInt(psr[1]!, 16);
  if (values[15] !== pc) lines.fail(`R15 ${values[15]!.toString(16)} is not the traced PC ${pc.toString(16)}`);
  return { pc, values };
}

/** The 8 lower-case hex digits at `offset` (already checked by a pattern). */
function hexAt(line: string, offset: number): number {
  let v = 0;
  for (let k = offset; k < offset + 8; k++) {
    const c = line.charCodeAt(k);
    v = v * 16 + (c <= 0x39 ? c - 0x30 : c - 0x57);
  }
  return v;
}

/**
 * The encoding at `pc` in the image, or 0 when those bytes are not in it. A Thumb BL/BLX prefix
 * followed by its suffix is one instruction, (first << 16) | second, as QEMU and Unicorn run it.
 */
function encodingReader(segments: readonly Segment[]): (pc: number, thumb: boolean) => number {
  const halfword = (address: number): number | undefined => {
    for (const s of segments) {
      const offset = address - s.addr;
      if (offset >= 0 && offset + 2 <= s.data.length) return s.data[offset]! | (s.data[offset + 1]! << 8);
    }
    return undefined;
  };
  return (pc, thumb) => {
    const first = halfword(pc);
    if (first === undefined) return 0;
    const second = halfword(pc + 2);
    if (!thumb) return second === undefined ? 0 : ((second << 16) | first) >>> 0;
    const isPair = first >>> 11 === 0b11110 && second !== undefined && (second >>> 11 === 0b11111 || second >>> 11 === 0b11101);
    return isPair ? ((first << 16) | second) >>> 0 : first;
  };
}

/** Reads a text file line by line without holding it all (QEMU logs run to gigabytes). */
class LineReader {
  private readonly fd: number;
  private readonly buffer = Buffer.alloc(1 << 20);
  private text = '';
  private start = 0;
  private eof = false;
  private lineNumber = 0;

  constructor(private readonly path: string) {
    this.fd = openRegularFile(path, (problem) => {
      throw new TraceFileError(path, problem);
    });
  }

  next(): string | undefined {
    for (let searched = this.start; ; ) {
      const end = this.text.indexOf('\n', searched);
      if (end >= 0 || (this.eof && this.start < this.text.length)) {
        const stop = end >= 0 ? end : this.text.length;
        if (stop - this.start > MAX_LINE_BYTES) this.tooLong();
        const line = this.text.slice(this.start, stop);
        this.start = stop + 1;
        this.lineNumber++;
        return line.endsWith('\r') ? line.slice(0, -1) : line;
      }
      if (this.eof) return undefined;
      if (this.text.length - this.start > MAX_LINE_BYTES) this.tooLong();
      searched = this.text.length - this.start; // where the unsearched bytes start after fill()
      this.fill();
    }
  }

  private tooLong(): never {
    throw new TraceFileError(this.path, `line ${this.lineNumber + 1}: longer than ${MAX_LINE_BYTES} bytes (not a QEMU log?)`);
  }

  /** Throws a TraceFileError about the line just read. */
  fail(problem: string): never {
    throw new TraceFileError(this.path, `line ${this.lineNumber}: ${problem}`);
  }

  close(): void {
    closeSync(this.fd);
  }

  private fill(): void {
    let n: number;
    try {
      n = readSync(this.fd, this.buffer, 0, this.buffer.length, null);
    } catch (error) {
      throw new TraceFileError(this.path, `cannot read file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    this.text = this.text.slice(this.start) + this.buffer.toString('latin1', 0, n);
    this.start = 0;
    this.eof = n === 0;
  }
}
