/**
 * Disassembly of ARM and Thumb instructions with capstone (@alexaltea/capstone-js, an emscripten build).
 *
 * Capstone's module only initialises asynchronously, while `trace show` and `trace diff` run inside a
 * synchronous command handler. So capstone lives in a worker thread, started on first use, and each
 * call hands it one instruction through a SharedArrayBuffer and blocks (Atomics.wait) for the text: the
 * callers stay synchronous. Results are cached per address, so a loop costs one round trip per
 * instruction of its body.
 *
 * Capstone has no ARMv5 or v6 mode: its ARM mode decodes the whole architecture, so an encoding an
 * ARM926 treats as undefined may still print as a later instruction (movw, for one).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const UNDEFINED_TEXT = '<undefined>';

const STARTING = 0;
const REQUEST = 1;
const IDLE = 2;
const FAILED = 3;
const DATA_OFFSET = 16;
const DATA_SIZE = 1024;
const ANSWER_TIMEOUT_MS = 60_000;

// Runs in the worker (CommonJS): ctl = [state, length, address, thumb]; data holds bytes in, text out.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const ctl = new Int32Array(workerData.shared, 0, 4);
const data = new Uint8Array(workerData.shared, ${DATA_OFFSET}, ${DATA_SIZE});
const encoder = new TextEncoder();
function answer(state, text) {
  ctl[1] = encoder.encodeInto(text, data).written;
  Atomics.store(ctl, 0, state);
  Atomics.notify(ctl, 0);
}
require(workerData.capstonePath)().then((cs) => {
  const arm = new cs.Capstone(cs.ARCH_ARM, cs.MODE_ARM);
  const thumb = new cs.Capstone(cs.ARCH_ARM, cs.MODE_THUMB);
  answer(${IDLE}, '');
  for (;;) {
    Atomics.wait(ctl, 0, ${IDLE});
    let text;
    try {
      const found = (ctl[3] ? thumb : arm).disasm(Array.from(data.subarray(0, ctl[1])), ctl[2] >>> 0, 1);
      text = found.length === 1 ? (found[0].mnemonic + ' ' + found[0].op_str).trim() : '';
    } catch {
      text = ''; // capstone throws when it decodes nothing
    }
    answer(${IDLE}, text);
  }
}, (error) => answer(${FAILED}, String(error && error.message || error)));
`;

export interface Disassembler {
  /** The instruction as text ("ldr sp, [pc, #0x20]"), or "<undefined>" when capstone decodes nothing. */
  disassemble(pc: number, insn: number, thumb: boolean): string;
}

let shared: CapstoneWorker | undefined;

/** The process-wide disassembler; capstone starts on the first call. */
export function disassembler(): Disassembler {
  shared ??= new CapstoneWorker();
  return shared;
}

class CapstoneWorker implements Disassembler {
  private readonly control: Int32Array;
  private readonly data: Uint8Array;
  private readonly cache = new Map<number, { insn: number; text: string }>();
  private readonly decoder = new TextDecoder();

  constructor() {
    const memory = new SharedArrayBuffer(DATA_OFFSET + DATA_SIZE);
    this.control = new Int32Array(memory, 0, 4);
    this.data = new Uint8Array(memory, DATA_OFFSET, DATA_SIZE);
    const capstonePath = createRequire(import.meta.url).resolve('@alexaltea/capstone-js');
    new Worker(WORKER_SOURCE, { eval: true, workerData: { shared: memory, capstonePath } }).unref();
    this.await(STARTING);
  }

  disassemble(pc: number, insn: number, thumb: boolean): string {
    const key = pc * 2 + (thumb ? 1 : 0);
    const cached = this.cache.get(key);
    if (cached?.insn === insn) return cached.text;
    const text = this.ask(pc, insn, thumb) || UNDEFINED_TEXT;
    this.cache.set(key, { insn, text });
    return text;
  }

  private ask(pc: number, insn: number, thumb: boolean): string {
    const d = this.data;
    const c = this.control;
    if (thumb && insn <= 0xffff) {
      d[0] = insn;
      d[1] = insn >>> 8;
      c[1] = 2;
    } else if (thumb) {
      // A BL/BLX pair: the first halfword comes first in memory.
      d[0] = insn >>> 16;
      d[1] = insn >>> 24;
      d[2] = insn;
      d[3] = insn >>> 8;
      c[1] = 4;
    } else {
      d[0] = insn;
      d[1] = insn >>> 8;
      d[2] = insn >>> 16;
      d[3] = insn >>> 24;
      c[1] = 4;
    }
    c[2] = pc | 0;
    c[3] = thumb ? 1 : 0;
    Atomics.store(c, 0, REQUEST);
    Atomics.notify(c, 0);
    this.await(REQUEST);
    return this.decoder.decode(d.slice(0, c[1]));
  }

  /** Blocks while the worker is in `state`; fails if capstone could not start or stops answering. */
  private await(state: number): void {
    if (Atomics.wait(this.control, 0, state, ANSWER_TIMEOUT_MS) === 'timed-out') {
      throw new Error('capstone disassembler worker did not answer');
    }
    if (Atomics.load(this.control, 0) === FAILED) {
      throw new Error(`capstone disassembler failed to start: ${this.decoder.decode(this.data.slice(0, this.control[1]))}`);
    }
  }
}
