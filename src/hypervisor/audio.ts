/**
 * The handset's loudspeaker on the virtual clock: renders the ringtones the partitions play (the AUDIO
 * hypercall, seen as the machine's `ringtone` events) into a WAV file, so a ringtone can be heard and
 * measured (`handset run --audio-out FILE.wav`, docs/config.md "Ringtones and audio").
 *
 * The audio is mono 16-bit PCM at 8000 Hz. Sample n is the sound at virtual time n / 8000 s, that is at
 * cycle n × clockHz / 8000; a ringtone that starts at cycle c0 and stops at cycle c1 sounds in samples
 * sampleAtCycle(c0) to sampleAtCycle(c1) - 1 (the first sample at or after each), and the file holds
 * sampleAtCycle(end of run) samples. While a partition rings, its ringtone's steps play in a loop from the
 * first one: each tone a sine whose phase starts anew with the step (sample q of a step of f Hz is
 * sin(2π f (q + ½) / 8000): never 0 at a step's first sample), faded in and out over 1 ms at the step's
 * edges against clicks. One partition ringing plays at a peak of PEAK (half of full scale); while k
 * partitions ring each plays at PEAK / k, summed, so the mix never clips. Nothing else is ever heard.
 *
 * Deterministic: the sine comes from a table indexed by an exact integer phase, the mix is summed in a
 * fixed order and rounded once, so the same events give the same bytes on every run. Time is the event's
 * cycle, never the host's.
 *
 * Memory: a block of samples is kept only once something sounds in it (silence costs nothing); at most
 * MAX_AUDIO_SECONDS of audio (57.6 MB) can be rendered: a longer run is an AudioError when the file is
 * asked for.
 */
import type { RingtoneStep } from './config.ts';

export const SAMPLE_RATE = 8000;
/** The peak of one partition's tone: half of the 16-bit full scale. */
export const PEAK = 16384;
/** The longest audio a renderer holds: one hour of virtual time. */
export const MAX_AUDIO_SECONDS = 3600;
/** Bytes of the WAV header before the samples. */
export const WAV_HEADER_SIZE = 44;

/** Samples of the fade at each edge of a tone (1 ms). */
const FADE = 8;
/** The sine table: SINE[k] = sin(2π k / PHASES); the phase of sample q of a tone of f Hz is f (2q + 1) mod PHASES. */
const PHASES = 2 * SAMPLE_RATE;
const SINE = Float64Array.from({ length: PHASES }, (_, k) => Math.sin((2 * Math.PI * k) / PHASES));
/** Samples per block (1.024 s); a block of silence is not allocated. */
const BLOCK = 8192;
const BLOCK_BYTES = 2 * BLOCK;
const SILENT_BLOCK = new Uint8Array(BLOCK_BYTES);

/** An audio file that cannot be made (the run was too long): one line. */
export class AudioError extends Error {
  override name = 'AudioError';
}

/** A partition started (`playing`) or stopped its ringtone: the machine's `ringtone` event. */
export interface RingtoneEvent {
  guest: string;
  ringtone: string;
  playing: boolean;
}

/** What the renderer listens to (a Machine): its `ringtone` events and the cycle each happens at. */
export interface AudioSource {
  readonly cycles: number;
  on(name: 'ringtone', listener: (e: RingtoneEvent) => void): () => void;
}

export interface RingtoneRendererOptions {
  /** The machine's core clock in Hz (a whole number): cycles convert to samples with it. */
  clockHz: number;
  /** The ringtones by name (src/hypervisor/config.ts ringtoneTable). */
  ringtones: Readonly<Record<string, readonly RingtoneStep[]>>;
  /** The longest audio it holds, in seconds (default MAX_AUDIO_SECONDS). */
  maxSeconds?: number;
}

/** A ringing partition: its ringtone's steps in samples, from the sample it started at. */
interface Voice {
  start: number;
  hz: number[];
  /** Each step's length in samples. */
  lengths: number[];
  period: number;
}

/** The first sample at or after cycle `cycle` of a `clockHz` clock: ceil(cycle × 8000 / clockHz), exact. */
export function sampleAtCycle(cycle: number, clockHz: number): number {
  return Number((BigInt(cycle) * BigInt(SAMPLE_RATE) + BigInt(clockHz) - 1n) / BigInt(clockHz));
}

export class RingtoneRenderer {
  private readonly clockHz: number;
  private readonly ringtones: Readonly<Record<string, readonly RingtoneStep[]>>;
  private readonly maxSamples: number;
  /** A slot per partition, in the order they first rang (the order the mix sums them in). */
  private readonly slots = new Map<string, number>();
  private readonly voices: (Voice | undefined)[] = [];
  /** Samples before this one are final. */
  private rendered = 0;
  private lastCycle = 0;
  /** Little-endian 16-bit samples, BLOCK per block; undefined: silence. */
  private readonly blocks: (Uint8Array | undefined)[] = [];
  private readonly mix = new Float64Array(BLOCK);

  constructor(options: RingtoneRendererOptions) {
    if (!Number.isSafeInteger(options.clockHz) || options.clockHz <= 0) throw new RangeError(`clockHz ${options.clockHz}: expected a positive whole number`);
    this.clockHz = options.clockHz;
    this.ringtones = options.ringtones;
    this.maxSamples = (options.maxSeconds ?? MAX_AUDIO_SECONDS) * SAMPLE_RATE;
  }

  /** Listens to `source`'s ringtone events, each at the source's cycle count when it happens; returns the remover. */
  listen(source: AudioSource): () => void {
    return source.on('ringtone', (e) => this.ringtone(e, source.cycles));
  }

  /** A partition starts (its ringtone from its first step) or stops ringing at `cycle` (never before the last event's). */
  ringtone(e: RingtoneEvent, cycle: number): void {
    if (!Number.isSafeInteger(cycle) || cycle < this.lastCycle) throw new RangeError(`ringtone event at cycle ${cycle}: expected a whole number from ${this.lastCycle} (the last event's)`);
    this.lastCycle = cycle;
    const at = sampleAtCycle(cycle, this.clockHz);
    this.renderTo(at);
    let slot = this.slots.get(e.guest);
    if (!e.playing) {
      if (slot !== undefined) this.voices[slot] = undefined;
      return;
    }
    if (!Object.hasOwn(this.ringtones, e.ringtone)) throw new RangeError(`${e.guest} plays ringtone "${e.ringtone}", which is not one of ${Object.keys(this.ringtones).join(', ')}`);
    const steps = this.ringtones[e.ringtone]!;
    if (steps.length === 0) throw new RangeError(`ringtone "${e.ringtone}" has no steps`);
    if (slot === undefined) {
      slot = this.slots.size;
      this.slots.set(e.guest, slot);
    }
    const lengths = steps.map((s) => (s.ms * SAMPLE_RATE) / 1000);
    this.voices[slot] = { start: at, hz: steps.map((s) => s.hz), lengths, period: lengths.reduce((a, b) => a + b, 0) };
  }

  /** Samples from cycle 0 to `endCycle` (the end of the run): sampleAtCycle(endCycle). */
  sampleCount(endCycle: number): number {
    return sampleAtCycle(endCycle, this.clockHz);
  }

  /**
   * The WAV file of the audio from cycle 0 to `endCycle` (not before the last event), as the header and
   * then the sample data in pieces (write them in order). AudioError when it is longer than the limit.
   */
  wavChunks(endCycle: number): Uint8Array[] {
    if (!Number.isSafeInteger(endCycle) || endCycle < this.lastCycle) throw new RangeError(`end cycle ${endCycle}: expected a whole number from ${this.lastCycle} (the last event's)`);
    const count = this.sampleCount(endCycle);
    if (count > this.maxSamples) {
      const seconds = (n: number) => `${Math.round((n / SAMPLE_RATE) * 10) / 10} s`;
      throw new AudioError(`the run lasted ${seconds(count)} of virtual time: the audio holds at most ${seconds(this.maxSamples)}`);
    }
    this.renderTo(count);
    const chunks = [wavHeader(count)];
    for (let first = 0; first < count; first += BLOCK) {
      const block = this.blocks[first / BLOCK] ?? SILENT_BLOCK;
      chunks.push(block.subarray(0, 2 * Math.min(BLOCK, count - first)));
    }
    return chunks;
  }

  /** The WAV file in one piece (see wavChunks). */
  wav(endCycle: number): Uint8Array {
    const chunks = this.wavChunks(endCycle);
    const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.length;
    }
    return bytes;
  }

  /** Makes every sample before `end` final (only the first maxSamples are kept). */
  private renderTo(end: number): void {
    const target = Math.min(end, this.maxSamples);
    const active = this.voices.filter((v): v is Voice => v !== undefined);
    while (this.rendered < target) {
      const blockIndex = Math.floor(this.rendered / BLOCK);
      const offset = this.rendered - blockIndex * BLOCK;
      const length = Math.min(BLOCK - offset, target - this.rendered);
      if (active.length > 0) {
        const mix = this.mix;
        mix.fill(0, 0, length);
        for (const v of active) addVoice(mix, length, this.rendered, v, PEAK / active.length);
        const block = (this.blocks[blockIndex] ??= new Uint8Array(BLOCK_BYTES));
        const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
        for (let j = 0; j < length; j++) view.setInt16(2 * (offset + j), Math.round(mix[j]!), true);
      }
      this.rendered += length;
    }
  }
}

/** Adds `length` samples of voice `v` from sample `from` on to `out`, at peak `gain`. */
function addVoice(out: Float64Array, length: number, from: number, v: Voice, gain: number): void {
  let pos = (from - v.start) % v.period;
  let k = 0;
  while (pos >= v.lengths[k]!) pos -= v.lengths[k++]!;
  let q = pos;
  for (let j = 0; j < length; j++) {
    const hz = v.hz[k]!;
    const n = v.lengths[k]!;
    if (hz !== 0) {
      const fade = Math.min(1, (q + 0.5) / FADE, (n - q - 0.5) / FADE);
      out[j] += gain * fade * SINE[(hz * (2 * q + 1)) % PHASES]!;
    }
    if (++q === n) {
      q = 0;
      k = k + 1 === v.hz.length ? 0 : k + 1;
    }
  }
}

/** The 44-byte header of a mono 16-bit PCM WAV file at SAMPLE_RATE with `samples` samples. */
export function wavHeader(samples: number): Uint8Array {
  const dataBytes = 2 * samples;
  if (dataBytes + WAV_HEADER_SIZE - 8 > 0xffff_ffff) throw new RangeError(`${samples} samples do not fit in a WAV file`);
  const bytes = new Uint8Array(WAV_HEADER_SIZE);
  const view = new DataView(bytes.buffer);
  const ascii = (at: number, text: string) => [...text].forEach((c, k) => (bytes[at + k] = c.charCodeAt(0)));
  ascii(0, 'RIFF');
  view.setUint32(4, WAV_HEADER_SIZE - 8 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, SAMPLE_RATE, true);
  view.setUint32(28, SAMPLE_RATE * 2, true); // bytes per second
  view.setUint16(32, 2, true); // bytes per sample frame
  view.setUint16(34, 16, true); // bits per sample
  ascii(36, 'data');
  view.setUint32(40, dataBytes, true);
  return bytes;
}
