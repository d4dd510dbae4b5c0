// Issue 9's ringtone test end to end: the real phones under the hypervisor with the modem; a call to each
// line rings that phone with its own ringtone, whichever phone is in front, and the WAV holds exactly that.
import t from 'tap';
import { loadImage } from '../../src/loader/image.ts';
import { BUILTIN_RINGTONES } from '../../src/hypervisor/config.ts';
import { RingtoneRenderer, SAMPLE_RATE, sampleAtCycle } from '../../src/hypervisor/audio.ts';
import { hypervisorMachine, partition, runUntil } from './harness.ts';
import { readWav, toneShare } from './goertzel.ts';

const RAM_MIB = 16;
const HZ = 200e6;
const image = (name: string) => loadImage(`guests/${name}.elf`, {}, { ramBase: 0, ramSize: RAM_MIB << 20, mmio: [] });

t.test('a call to each line rings that phone\'s own ringtone (Goertzel), and nothing rings between calls', async (t) => {
  const g = hypervisorMachine(
    [
      { config: partition('work', { ramMiB: RAM_MIB, ringtone: 'office' }), image: image('work') },
      { config: partition('home', { ramMiB: RAM_MIB, ringtone: 'melody' }), image: image('home') },
    ],
    { modem: true, record: ['ringtone'] },
  );
  const audio = new RingtoneRenderer({ clockHz: HZ, ringtones: BUILTIN_RINGTONES });
  audio.listen(g.machine);
  const rings: { guest: string; playing: boolean; cycle: number }[] = [];
  g.machine.on('ringtone', (e) => rings.push({ guest: e.guest, playing: e.playing, cycle: g.machine.cycles }));
  runUntil(g, 'home', /home> $/);
  g.machine.run({ maxCycles: g.machine.cycles + 0.2 * HZ });
  g.hypervisor.pressButton(); // home in front: the call to work must ring work anyway
  const network = g.machine.network!;
  for (const [line, guest] of [[1, 'work'], [2, 'home']] as const) {
    network.incomingCall('+15557777', line);
    runUntil(g, guest, /incoming call from \+15557777/, 1e9);
    g.machine.run({ maxCycles: g.machine.cycles + 2 * HZ });
    network.hangUp();
    runUntil(g, guest, /call ended/, 1e9);
    g.machine.run({ maxCycles: g.machine.cycles + 1 * HZ });
  }
  t.same(rings.map((r) => [r.guest, r.playing]), [['work', true], ['work', false], ['home', true], ['home', false]], 'each phone rang once, for its own call');
  const wav = readWav(audio.wav(g.machine.cycles));
  t.equal(wav.sampleRate, SAMPLE_RATE);
  const window = (k: number) => [sampleAtCycle(rings[k].cycle, HZ), sampleAtCycle(rings[k + 1].cycle, HZ)] as const;
  const office = [1000, 1400];
  const melody = [1568, 1976, 2349, 2637];
  const [w0, w1] = window(0);
  const [h0, h1] = window(2);
  // Each step of a ringtone is one tone: Goertzel over the step (its own frequency against the others').
  const steps = (start: number, tones: [number, number][], others: number[]) => {
    let at = start;
    for (const [hz, ms] of tones) {
      const n = (ms / 1000) * SAMPLE_RATE;
      const own = toneShare(wav.samples, at + 16, at + n - 16, hz);
      const theirs = Math.max(...others.map((o) => toneShare(wav.samples, at + 16, at + n - 16, o)));
      t.ok(own > 0.8 && theirs < 0.05, `${hz} Hz for ${ms} ms at sample ${at}: ${own.toFixed(3)} (others at most ${theirs.toFixed(3)})`);
      at += n;
    }
  };
  steps(w0, [[1000, 200], [1400, 200], [1000, 200], [1400, 200]], melody);
  steps(h0, [[1568, 150], [1976, 150], [2349, 150], [2637, 150]], office);
  const silent = (from: number, to: number) => wav.samples.subarray(from, to).every((s) => s === 0);
  t.ok(silent(0, w0), 'silence before the first call');
  t.ok(silent(w1, h0), 'silence between the calls');
  t.ok(silent(h1, wav.samples.length), 'silence after');
});
