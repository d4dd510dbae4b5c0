/** Audio checks for the ringtone tests: a WAV reader and the Goertzel filter. */

export interface Wav {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  samples: Int16Array;
}

/** Reads a canonical 44-byte-header PCM WAV file, checking every header field it relies on. */
export function readWav(bytes: Uint8Array): Wav {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ascii = (at: number, n: number) => String.fromCharCode(...bytes.subarray(at, at + n));
  if (ascii(0, 4) !== 'RIFF' || ascii(8, 4) !== 'WAVE' || ascii(12, 4) !== 'fmt ' || ascii(36, 4) !== 'data') throw new Error('not a canonical WAV file');
  if (view.getUint32(4, true) !== bytes.length - 8) throw new Error(`RIFF size ${view.getUint32(4, true)}, file ${bytes.length}`);
  if (view.getUint32(16, true) !== 16 || view.getUint16(20, true) !== 1) throw new Error('not PCM');
  const dataBytes = view.getUint32(40, true);
  if (dataBytes !== bytes.length - 44) throw new Error(`data size ${dataBytes}, file ${bytes.length}`);
  const samples = new Int16Array(dataBytes / 2);
  for (let k = 0; k < samples.length; k++) samples[k] = view.getInt16(44 + 2 * k, true);
  return { sampleRate: view.getUint32(24, true), channels: view.getUint16(22, true), bitsPerSample: view.getUint16(34, true), samples };
}

/**
 * The share of the energy of `x[from, to)` that is at `hz` (Goertzel): about 1 for a pure tone of `hz`
 * over the window, about 0 for a tone far from it (or silence).
 */
export function toneShare(x: ArrayLike<number>, from: number, to: number, hz: number, sampleRate = 8000): number {
  const coefficient = 2 * Math.cos((2 * Math.PI * hz) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (let n = from; n < to; n++) {
    const s = x[n]! + coefficient * s1 - s2;
    s2 = s1;
    s1 = s;
    energy += x[n]! * x[n]!;
  }
  if (energy === 0) return 0;
  const power = s1 * s1 + s2 * s2 - coefficient * s1 * s2;
  return power / (((to - from) / 2) * energy);
}

/** The index of the first non-zero sample in [from, to), or -1. */
export function firstSound(x: ArrayLike<number>, from = 0, to = x.length): number {
  for (let n = from; n < Math.min(to, x.length); n++) if (x[n] !== 0) return n;
  return -1;
}

/** The index of the last non-zero sample in [from, to), or -1. */
export function lastSound(x: ArrayLike<number>, from = 0, to = x.length): number {
  for (let n = Math.min(to, x.length) - 1; n >= from; n--) if (x[n] !== 0) return n;
  return -1;
}
