/**
 * Compresses trace chunks on a second thread, so deflate runs beside the emulation instead of inside it
 * (it was a fifth of a traced run). Everything stays synchronous for the writer: chunks go to a worker
 * with postMessage, finished ones come back through receiveMessageOnPort, and when too many are in flight
 * (or at the end) the writer blocks on an Atomics counter the worker bumps. Chunks come back in the order
 * they went in, so the file is the same bytes as with in-thread compression.
 *
 * A chunk the worker cannot compress comes back as an error message, and a worker that ends (it should
 * not) says so in the shared counter: either way the writer gets a CompressionError instead of waiting.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { deflateRawSync, crc32 } = require('node:zlib');
const { port, done, level } = workerData;
const counter = new Int32Array(done);
port.on('message', (data) => {
  try {
    const stored = deflateRawSync(data, { level });
    port.postMessage({ stored, crc: crc32(data) }, [stored.buffer]);
  } catch (error) {
    port.postMessage({ error: String(error && error.message || error).split('\\n')[0] });
  }
  Atomics.add(counter, 0, 1);
  Atomics.notify(counter, 0);
});
process.on('exit', () => {
  Atomics.store(counter, 1, 1);
  Atomics.add(counter, 0, 1);
  Atomics.notify(counter, 0);
});
parentPort.once('message', () => port.close());
`;

/** The worker could not compress a chunk, or is gone: one line saying why. */
export class CompressionError extends Error {}

/** Chunks in flight before the writer waits: bounds memory if compression falls behind. */
const MAX_IN_FLIGHT = 8;

export interface CompressedChunk {
  stored: Uint8Array;
  crc: number;
}

export class ChunkCompressor {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  /** [0]: chunks the worker has finished (bumped once more when it ends); [1]: 1 once it has ended. */
  private readonly done = new Int32Array(new SharedArrayBuffer(8));
  private submitted = 0;
  private closed = false;
  private received = 0;

  constructor(level: number) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { port: port2, done: this.done.buffer, level }, transferList: [port2] });
    this.worker.unref();
  }

  /** Queues a copy of `data`; returns the chunks finished so far, oldest first. */
  submit(data: Uint8Array): CompressedChunk[] {
    const copy = data.slice();
    this.port.postMessage(copy, [copy.buffer]);
    this.submitted++;
    if (this.submitted - this.received > MAX_IN_FLIGHT) return this.collect(this.submitted - MAX_IN_FLIGHT);
    return this.collect(this.received);
  }

  /** Waits for every queued chunk and returns those not yet returned. */
  finish(): CompressedChunk[] {
    return this.collect(this.submitted);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.worker.postMessage('close');
    this.port.close();
    void this.worker.terminate();
  }

  /** Returns finished chunks, waiting until at least `atLeast` have been received in all. */
  private collect(atLeast: number): CompressedChunk[] {
    const out: CompressedChunk[] = [];
    let lastLook = false;
    for (;;) {
      const message = receiveMessageOnPort(this.port);
      if (message !== undefined) {
        const m = message.message as { stored: Uint8Array; crc: number } | { error: string };
        if ('error' in m) throw new CompressionError(m.error);
        out.push({ stored: new Uint8Array(m.stored.buffer, m.stored.byteOffset, m.stored.byteLength), crc: m.crc });
        this.received++;
        continue;
      }
      if (this.received >= atLeast) return out;
      if (Atomics.load(this.done, 1) !== 0) {
        // The worker ended: what it sent before that is already in the port, so one more look settles it.
        if (lastLook) throw new CompressionError('the compression thread ended');
        lastLook = true;
        continue;
      }
      // The next chunk is still being compressed: sleep until the worker finishes one.
      const finished = Atomics.load(this.done, 0);
      if (finished <= this.received) Atomics.wait(this.done, 0, finished, 1000);
    }
  }
}
