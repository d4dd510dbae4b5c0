// The ringtone renderer (src/hypervisor/audio.ts): on synthetic events, each built-in ringtone's tones in
// their steps (Goertzel), silence before, between and after, the exact sample a ring starts and stops at,
// the mix of two partitions, the loop and its restart, the WAV header, the same bytes for the same events,
// the length bound; then a hypervisor machine whose assembled guests ring and stop on their virtual timers.
import t from 'tap';
import { AudioError, PEAK, RingtoneRenderer, sampleAtCycle, SAMPLE_RATE, wavHeader } from '../../src/hypervisor/audio.ts';
import { BUILTIN_RINGTONES, type RingtoneStep } from '../../src/hypervisor/config.ts';
import { hypervisorMachine, partition, rawGuest } from './harness.ts';
import { firstSound, lastSound, readWav, toneShare } from './goertzel.ts';

const HZ = 200_000_000; // the arm926's default clock: 25 000 cycles per sample
const PER_SAMPLE = HZ / SAMPLE_RATE;
const ringtones = BUILTIN_RINGTONES;

/** Renders `events` ([guest, ringtone, playing, cycle]) up to `end` and reads the WAV back. */
function render(events: [string, string, boolean, number][], end: number, table: Record<string, readonly RingtoneStep[]> = ringtones) {
  const r = new RingtoneRenderer({ clockHz: HZ, ringtones: table });
  for (const [guest, ringtone, playing, cycle] of events) r.ringtone({ guest, ringtone, playing }, cycle);
  const bytes = r.wav(end);
  return { bytes, samples: readWav(bytes).samples };
}

/** Each step of `steps` from sample `start` on, up to sample `end`: [from, to, hz]. */
function stepWindows(steps: readonly RingtoneStep[], start: number, end: number): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let at = start, k = 0; at < end; k = (k + 1) % steps.length) {
    const length = steps[k]!.ms * 8;
    out.push([at, Math.min(at + length, end), steps[k]!.hz]);
    at += length;
  }
  return out;
}

const ALL_TONES = [...new Set(Object.values(ringtones).flatMap((s) => s.map((x) => x.hz)).filter((hz) => hz !== 0))];

t.test('the built-in ringtones: distinct tones, well below the 4000 Hz Nyquist limit', async (t) => {
  t.strictSame(Object.keys(ringtones), ['classic', 'office', 'melody']);
  t.strictSame(ALL_TONES.sort((a, b) => a - b), [440, 480, 1000, 1400, 1568, 1976, 2349, 2637]);
  for (const [name, steps] of Object.entries(ringtones)) {
    t.ok(steps.every((s) => s.hz === 0 || (s.hz >= 50 && s.hz <= 3900)), `${name}: tones in range`);
    t.ok(steps.every((s) => Number.isInteger(s.ms) && s.ms >= 10 && s.ms <= 5000), `${name}: steps in range`);
    t.equal(steps.at(-1)!.hz, 0, `${name} ends in silence`);
  }
});

t.test('each step of each built-in ringtone holds its tone and no other; silence before and after', async (t) => {
  for (const [name, steps] of Object.entries(ringtones)) {
    const c0 = 1_000_007; // sample 40.0003: the ring starts at sample 41
    const c1 = 5 * HZ + 12_345; // 5 s (several loops), stops at sample 40 001
    const { samples } = render([['work', name, true, c0], ['work', name, false, c1]], 6 * HZ);
    const s0 = Math.ceil(c0 / PER_SAMPLE);
    const s1 = Math.ceil(c1 / PER_SAMPLE);
    t.equal(samples.length, 6 * SAMPLE_RATE, `${name}: 6 s of samples`);
    t.equal(firstSound(samples), s0, `${name}: the first sound is the first sample at or after the start`);
    t.equal(lastSound(samples, 0, s0), -1, `${name}: silence before`);
    t.equal(firstSound(samples, s1), -1, `${name}: silence after`);
    let bad = 0;
    for (const [from, to, hz] of stepWindows(steps, s0, s1)) {
      if (to - from < 200) continue; // the cut-off last step
      if (hz === 0) {
        if (firstSound(samples, from, to) !== -1) bad++, t.fail(`${name}: sound in the silent step at ${from}`);
        continue;
      }
      if (toneShare(samples, from, to, hz) < 0.95) bad++, t.fail(`${name}: ${hz} Hz at ${from}..${to}: share ${toneShare(samples, from, to, hz)}`);
      for (const other of ALL_TONES.filter((f) => f !== hz)) {
        if (toneShare(samples, from, to, other) > 0.02) bad++, t.fail(`${name}: ${other} Hz in the ${hz} Hz step at ${from}: ${toneShare(samples, from, to, other)}`);
      }
      // The samples catch the sine near its crest, not on it (at 1000 Hz, sin(3π/8) = 0.92 is the highest).
      const peak = Math.max(...samples.subarray(from, to).map(Math.abs));
      if (peak < 0.9 * PEAK || peak > PEAK) bad++, t.fail(`${name}: peak ${peak} at ${from}`);
    }
    t.equal(bad, 0, `${name}: every step's tone alone, at a peak of ${PEAK}`);
  }
});

t.test('the samples are the documented sine: sin(2π f (q + ½) / 8000), faded over 8 samples at each step edge', async (t) => {
  const { samples } = render([['work', 'office', true, 0]], HZ / 2);
  for (const q of [0, 1, 3, 7, 8, 100, 800, 1591, 1592, 1599]) {
    const fade = Math.min(1, (q + 0.5) / 8, (1600 - q - 0.5) / 8);
    const want = Math.round(PEAK * fade * Math.sin((2 * Math.PI * 1000 * (2 * q + 1)) / 16000));
    t.ok(Math.abs(samples[q]! - want) <= 1, `sample ${q}: ${samples[q]} ~ ${want}`);
  }
  t.not(samples[0], 0, 'a tone\'s first sample is not 0');
  t.equal(toneShare(samples, 1600, 3200, 1400) > 0.95, true, 'then 1400 Hz');
});

t.test('the ringtone loops from its first step, and starts again from it after a stop', async (t) => {
  const period = 1600 * 8; // office: 1.6 s
  const { samples } = render([['work', 'office', true, 0], ['work', 'office', false, 4 * HZ], ['work', 'office', true, 4 * HZ + 1000 * PER_SAMPLE]], 7 * HZ);
  let diff = 0;
  for (let j = 0; j < period; j++) if (samples[period + j] !== samples[j]) diff++;
  for (let j = 0; j < 32000 - 2 * period; j++) if (samples[2 * period + j] !== samples[j]) diff++;
  t.equal(diff, 0, 'the second loop is the first, and so is the third until the stop (sample 32000)');
  const again = 32000 + 1000;
  t.equal(firstSound(samples, 32000), again, 'silence from the stop to the restart');
  let restart = 0;
  for (let j = 0; j < 2 * period && again + j < samples.length; j++) if (samples[again + j] !== samples[j]) restart++;
  t.equal(restart, 0, 'the restart plays from the first step');
});

t.test('two partitions ringing are mixed, each at half the peak; alone again, at the full peak', async (t) => {
  // work: office from 0; home: melody from 0.5 s to 2 s.
  const { samples } = render([['work', 'office', true, 0], ['home', 'melody', true, HZ / 2], ['home', 'melody', false, 2 * HZ]], 3 * HZ);
  const work = render([['work', 'office', true, 0]], 3 * HZ).samples;
  const home = render([['home', 'melody', true, HZ / 2], ['home', 'melody', false, 2 * HZ]], 3 * HZ).samples;
  let off = 0;
  for (let n = 0; n < samples.length; n++) {
    const both = n >= 4000 && n < 16000;
    const want = both ? (work[n]! + home[n]!) / 2 : work[n]!;
    if (Math.abs(samples[n]! - want) > 1) off++;
  }
  t.equal(off, 0, 'while both ring, each alone at half its level (within rounding); else work alone at its own');
  const h0 = 4000;
  // 4000..5200: office's 1000 Hz (its third step, 3200..4800) then 1400 Hz; melody's 1568 Hz (4000..5200).
  t.ok(toneShare(samples, h0, h0 + 800, 1000) > 0.4 && toneShare(samples, h0, h0 + 800, 1000) < 0.6, 'half the energy at 1000 Hz');
  t.ok(toneShare(samples, h0, h0 + 800, 1568) > 0.4 && toneShare(samples, h0, h0 + 800, 1568) < 0.6, 'half at 1568 Hz');
  const peak = (from: number, to: number) => Math.max(...samples.subarray(from, to).map(Math.abs));
  t.ok(peak(h0 + 16, h0 + 784) <= PEAK, 'the mix never clips');
  t.ok(peak(0, 4000) >= 0.9 * PEAK, 'work alone: full peak');
  // After home stops (sample 16000): office alone again at its full peak (its second loop from 12800: 1000 Hz at 16000..17600).
  t.ok(toneShare(samples, 16000, 17600, 1000) > 0.95 && peak(16016, 17584) >= 0.9 * PEAK, 'work alone again after home stops');
  t.ok(toneShare(samples, 16000, 17600, 1568) < 0.01 && toneShare(samples, 16000, 17600, 2637) < 0.01, 'no melody after its stop');
});

t.test('the WAV header: RIFF, PCM, mono, 16-bit, 8000 Hz, sizes', async (t) => {
  const { bytes } = render([], HZ / 4); // 0.25 s: 2000 samples of silence
  const wav = readWav(bytes);
  t.strictSame({ rate: wav.sampleRate, channels: wav.channels, bits: wav.bitsPerSample, samples: wav.samples.length }, { rate: 8000, channels: 1, bits: 16, samples: 2000 });
  t.equal(bytes.length, 44 + 4000);
  t.strictSame(
    [...wavHeader(2000)],
    [
      ...Buffer.from('RIFF'), 0xc4, 0x0f, 0, 0, ...Buffer.from('WAVEfmt '), 16, 0, 0, 0, 1, 0, 1, 0, 0x40, 0x1f, 0, 0, 0x80, 0x3e, 0, 0, 2, 0, 16, 0,
      ...Buffer.from('data'), 0xa0, 0x0f, 0, 0,
    ],
    'every byte: RIFF size 4036, fmt 16, PCM 1, 1 channel, 8000 Hz, 16000 B/s, align 2, 16 bits, data 4000',
  );
  t.equal(wav.samples.every((s) => s === 0), true, 'silence is zeros');
  t.equal(render([], 0).bytes.length, 44, 'a run of 0 cycles: a header and no samples');
});

t.test('the same events give the same bytes; the renderer\'s own pieces are the file', async (t) => {
  const events: [string, string, boolean, number][] = [['home', 'classic', true, 123_456], ['work', 'melody', true, 9_876_543], ['home', 'classic', false, 300_000_001], ['work', 'melody', false, 400_000_000]];
  const a = render(events, 500_000_000).bytes;
  const b = render(events, 500_000_000).bytes;
  t.ok(Buffer.from(a).equals(Buffer.from(b)), 'identical');
  const r = new RingtoneRenderer({ clockHz: HZ, ringtones });
  for (const [guest, ringtone, playing, cycle] of events) r.ringtone({ guest, ringtone, playing }, cycle);
  t.ok(Buffer.concat(r.wavChunks(500_000_000)).equals(Buffer.from(a)), 'wavChunks in order are wav');
  const moved = (cycle: number) => render([[...events[0]!.slice(0, 3), cycle] as [string, string, boolean, number], ...events.slice(1)], 500_000_000).bytes;
  t.ok(Buffer.from(moved(123_456 + 1_543)).equals(Buffer.from(a)), 'a start later in the same sample (123 456 and 124 999 are both in sample 5): the same file');
  t.notOk(Buffer.from(moved(125_001)).equals(Buffer.from(a)), 'a start in the next sample: another file');
});

t.test('cycles to samples: the first sample at or after the cycle, exact at any clock', async (t) => {
  t.equal(sampleAtCycle(0, HZ), 0);
  t.equal(sampleAtCycle(1, HZ), 1);
  t.equal(sampleAtCycle(25_000, HZ), 1);
  t.equal(sampleAtCycle(25_001, HZ), 2);
  t.equal(sampleAtCycle(412_500_000, 412_500_000), 8000, '1 s at 412.5 MHz');
  t.equal(sampleAtCycle(412_500_000 - 1, 412_500_000), 8000);
  t.equal(sampleAtCycle(2 ** 53 - 1, 1_000_000), Math.ceil(((2 ** 53 - 1) / 1_000_000) * 8000) - 0, 'large counts exact (BigInt)');
  t.equal(sampleAtCycle(2 ** 53 - 1, 1_000_000), Number(((2n ** 53n - 1n) * 8000n + 999_999n) / 1_000_000n));
});

t.test('the length bound, and events out of order', async (t) => {
  const within = new RingtoneRenderer({ clockHz: HZ, ringtones, maxSeconds: 2 });
  within.ringtone({ guest: 'work', ringtone: 'office', playing: true }, 0);
  t.equal(readWav(within.wav(2 * HZ)).samples.length, 16000, 'up to the bound');
  t.throws(() => within.wav(2 * HZ + 1), AudioError, 'a sample more');
  const r = new RingtoneRenderer({ clockHz: HZ, ringtones, maxSeconds: 2 });
  r.ringtone({ guest: 'work', ringtone: 'office', playing: true }, 0);
  r.ringtone({ guest: 'work', ringtone: 'office', playing: false }, 3 * HZ); // past the bound: nothing is kept past it
  const e = (() => {
    try {
      r.wav(10 * HZ);
    } catch (err) {
      return err as Error;
    }
  })();
  t.equal(e?.message, 'the run lasted 10 s of virtual time: the audio holds at most 2 s');
  t.throws(() => r.ringtone({ guest: 'work', ringtone: 'office', playing: true }, 5), RangeError, 'an event before the last one');
  t.throws(() => new RingtoneRenderer({ clockHz: HZ, ringtones }).ringtone({ guest: 'w', ringtone: 'jazz', playing: true }, 0), /"jazz", which is not one of classic, office, melody/);
  t.throws(() => new RingtoneRenderer({ clockHz: HZ, ringtones }).ringtone({ guest: 'w', ringtone: 'constructor', playing: true }, 0), RangeError, 'only own names');
});

t.test('a configured ringtone plays as defined; a stop of a partition that does not ring is nothing', async (t) => {
  const table = { ...ringtones, beep: [{ hz: 700, ms: 100 }, { hz: 0, ms: 100 }] };
  const { samples } = render([['work', 'beep', false, 0], ['work', 'beep', true, 0]], HZ, table);
  for (let k = 0; k < 5; k++) {
    t.ok(toneShare(samples, 1600 * k, 1600 * k + 800, 700) > 0.95, `beep ${k}`);
    t.equal(firstSound(samples, 1600 * k + 800, 1600 * (k + 1)), -1, `pause ${k}`);
  }
});

// ---- a hypervisor machine: guests ring on their virtual timers ----

/** A guest that waits `before` µs (if any), rings for `ring` µs, then exits (or exits while ringing). */
function ringer(before: number, ring: number, stopFirst = true) {
  const wait = (us: number) => `
    ldr r0, =${us}
    mov r1, #0
    hc 7                    @ TIMER_SET
    hc 3                    @ WAIT`;
  return rawGuest(`
    ${before > 0 ? wait(before) : ''}
    mov r0, #1
    hc 16                   @ AUDIO(1)
    ${wait(ring)}
    ${stopFirst ? 'mov r0, #0\n    hc 16                   @ AUDIO(0)' : ''}
    mov r0, #0
    hc 10                   @ EXIT 0
    .ltorg
  `);
}

t.test('end to end: a call to each line rings with that line\'s ringtone, exactly while the guest plays it', async (t) => {
  const g = hypervisorMachine([
    { config: partition('work', { ringtone: 'office' }), image: ringer(0, 700_000) },
    { config: partition('home', { ringtone: 'melody' }), image: ringer(1_000_000, 1_300_000) },
  ]);
  const audio = new RingtoneRenderer({ clockHz: g.machine.config.clockHz, ringtones });
  audio.listen(g.machine);
  const seen: [string, string, boolean, number][] = [];
  g.machine.on('ringtone', (e) => seen.push([e.guest, e.ringtone, e.playing, g.machine.cycles]));
  t.same(g.machine.run({ maxCycles: 4 * HZ }), { kind: 'exit', status: 0 });
  t.strictSame(seen.map(([guest, ringtone, playing]) => [guest, ringtone, playing]), [['work', 'office', true], ['work', 'office', false], ['home', 'melody', true], ['home', 'melody', false]]);
  // The guests' timers say when: work 0..0.7 s, home 1..2.3 s (plus the few cycles of the hypercalls).
  const expect = [0, 0.7, 1, 2.3].map((s) => Math.round(s * HZ));
  seen.forEach(([, , , cycle], k) => t.ok(cycle >= expect[k]! && cycle < expect[k]! + 20_000, `event ${k} at cycle ${cycle}, about ${expect[k]}`));

  const wav = readWav(audio.wav(g.machine.cycles));
  const x = wav.samples;
  t.equal(x.length, sampleAtCycle(g.machine.cycles, HZ), 'the file covers the run, from cycle 0 to its end');
  const [w0, w1, h0, h1] = seen.map(([, , , cycle]) => Math.ceil(cycle / PER_SAMPLE));
  t.equal(firstSound(x), w0, 'work\'s ring starts at the sample of its AUDIO(1) cycle');
  t.equal(lastSound(x, 0, h0), w1! - 1, 'and stops at the sample of its AUDIO(0) cycle');
  t.equal(firstSound(x, w1, x.length), h0, 'nothing while no call rings; home starts at its cycle\'s sample');
  t.equal(lastSound(x), h1! - 1, 'home stops at its cycle\'s sample; nothing after');
  for (const [from, to, hz] of stepWindows(ringtones.office, w0!, w1!)) {
    if (hz !== 0 && to - from >= 400) t.ok(toneShare(x, from, to, hz) > 0.95 && toneShare(x, from, to, 2349) < 0.01, `work: office's ${hz} Hz at ${from}`);
  }
  for (const [from, to, hz] of stepWindows(ringtones.melody, h0!, h1!)) {
    if (hz !== 0 && to - from >= 400) t.ok(toneShare(x, from, to, hz) > 0.95 && toneShare(x, from, to, 1000) < 0.01 && toneShare(x, from, to, 1400) < 0.01, `home: melody's ${hz} Hz at ${from}`);
  }
  g.machine.close();
});

t.test('end to end: a partition that exits while ringing stops ringing', async (t) => {
  const g = hypervisorMachine([{ config: partition('work', { ringtone: 'classic' }), image: ringer(0, 300_000, false) }], { record: ['ringtone', 'guestState'] });
  const audio = new RingtoneRenderer({ clockHz: HZ, ringtones });
  audio.listen(g.machine);
  let stopCycle = 0;
  g.machine.on('ringtone', (e) => e.playing || (stopCycle = g.machine.cycles));
  g.machine.run({ maxCycles: 2 * HZ });
  t.strictSame(g.events.ringtone, [{ guest: 'work', ringtone: 'classic', playing: true }, { guest: 'work', ringtone: 'classic', playing: false }]);
  const x = readWav(audio.wav(2 * HZ)).samples;
  t.ok(stopCycle >= 0.3 * HZ, 'stopped at the exit');
  t.equal(lastSound(x), Math.ceil(stopCycle / PER_SAMPLE) - 1, 'silence from the exit on');
  t.equal(x.length, 16000, 'the file goes on to the end asked for, silent');
  g.machine.close();
});
