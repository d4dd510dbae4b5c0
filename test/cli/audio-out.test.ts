// `handset run --audio-out FILE.wav`, as a user runs it: two small guest ELFs (built here with
// arm-none-eabi-gcc) that ring on their virtual timers, work with the built-in office ringtone and home
// with one of the config's own. The terminal shows each ring; the WAV holds each line's ringtone while it
// rings and nothing else, covers the run to its last cycle, and two runs give the same bytes; a trace of
// the run has the ringtone records; bad output paths, outputs over inputs and runs too long for the
// audio are one-line errors that leave no file.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstSound, lastSound, readWav, toneShare } from '../hypervisor/goertzel.ts';

const dir = mkdtempSync(join(tmpdir(), 'handset-audio-out-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function handset(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/handset.js', ...args], { encoding: 'latin1', input: '', maxBuffer: 1 << 30 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const HYPERCALLS = `
.macro hc n
    mov r7, #\\n
    svc #0
.endm
.macro sleep us
    ldr r0, =\\us
    mov r1, #0
    hc 7                    @ TIMER_SET
    hc 3                    @ WAIT
.endm
.global _start
_start:
`;
// work rings from the start for 0.6 s; home waits 0.8 s, then rings for 0.5 s.
const WORK = `${HYPERCALLS}
    mov r0, #1
    hc 16                   @ AUDIO(1)
    sleep 600000
    mov r0, #0
    hc 16                   @ AUDIO(0)
    mov r0, #0
    hc 10                   @ EXIT
    .ltorg
`;
const HOME = `${HYPERCALLS}
    sleep 800000
    mov r0, #1
    hc 16
    sleep 500000
    mov r0, #0
    hc 16
    mov r0, #0
    hc 10
    .ltorg
`;
// 61 minutes of virtual time, waiting (idle time costs no host time).
const SLEEPER = `${HYPERCALLS}
    mov r4, #61
1:  sleep 60000000
    subs r4, r4, #1
    bne 1b
    mov r0, #0
    hc 10
    .ltorg
`;

function build(name: string, source: string): void {
  writeFileSync(join(dir, `${name}.S`), source);
  execFileSync('arm-none-eabi-gcc', ['-march=armv5te', '-nostdlib', '-Wl,-Ttext=0x8000', '-Wl,--build-id=none', '-o', join(dir, `${name}.elf`), join(dir, `${name}.S`)]);
}
build('work', WORK);
build('home', HOME);
build('sleeper', SLEEPER);

const config = join(dir, 'phones.json');
writeFileSync(
  config,
  JSON.stringify({
    partitions: [
      { name: 'work', image: 'work.elf', ramMiB: 4, number: '+15550100', ringtone: 'office' },
      { name: 'home', image: 'home.elf', ramMiB: 4, number: '+15550199', ringtone: 'beep' },
    ],
    ringtones: { beep: [{ hz: 700, ms: 100 }, { hz: 0, ms: 100 }] },
  }),
);
const HZ = 200_000_000; // arm926

t.test('each line rings with its own ringtone, on the terminal and in the WAV; two runs give the same file', async (t) => {
  const wav = join(dir, 'calls.wav');
  const run = handset('run', '--config', config, '--audio-out', wav, '--stats');
  t.equal(run.status, 0, run.stderr);
  t.strictSame(
    run.stdout.split('\n').filter((l) => l.startsWith('[hypervisor]')),
    [
      '[hypervisor] work rings (office)',
      '[hypervisor] work stops ringing (office)',
      '[hypervisor] work exited with status 0',
      '[hypervisor] home rings (beep)',
      '[hypervisor] home stops ringing (beep)',
      '[hypervisor] home exited with status 0',
    ],
  );
  const bytes = readFileSync(wav);
  const audio = readWav(bytes);
  t.strictSame([audio.sampleRate, audio.channels, audio.bitsPerSample], [8000, 1, 16], 'mono 16-bit at 8000 Hz');
  const cycles = Number(/instructions=\d+ cycles=(\d+)/.exec(run.stderr)![1]);
  t.equal(audio.samples.length, Math.ceil((cycles * 8000) / HZ), 'from cycle 0 to the last cycle of the run');
  const x = audio.samples;
  const at = (s: number) => Math.round(s * 8000);
  t.ok(Math.abs(lastSound(x, 0, at(0.7)) - at(0.6)) <= 2, 'work rings until 0.6 s');
  t.ok(Math.abs(firstSound(x, at(0.7)) - at(0.8)) <= 2, 'silence, then home from 0.8 s');
  t.ok(Math.abs(lastSound(x) + 1 - at(1.3)) <= 2, 'until 1.3 s; silence after');
  t.ok(toneShare(x, 10, 1590, 1000) > 0.95 && toneShare(x, 1610, 3190, 1400) > 0.95, 'work: office (1000 Hz, then 1400 Hz)');
  t.ok(toneShare(x, 10, 1590, 700) < 0.01, 'no beep while only work rings');
  for (let k = 0; k < 3; k++) {
    // beep: 100 ms (800 samples) of 700 Hz, 100 ms of silence; 0.5 s of it is two and a half loops.
    const from = at(0.8) + 1600 * k;
    t.ok(toneShare(x, from + 10, from + 790, 700) > 0.95, `home: beep ${k} at 700 Hz`);
    if (k < 2) t.equal(firstSound(x, from + 805, from + 1595), -1, `home: the pause after beep ${k}`);
  }
  const again = join(dir, 'again.wav');
  t.equal(handset('run', '--config', config, '--audio-out', again).status, 0);
  t.ok(readFileSync(again).equals(bytes), 'the same bytes');
});

t.test('a traced run has the ringtone records: trace show, --vm, --json', async (t) => {
  const trace = join(dir, 'calls.trace');
  t.equal(handset('run', '--config', config, '--trace', trace, '--audio-out', join(dir, 'traced.wav')).status, 0);
  t.ok(readFileSync(join(dir, 'traced.wav')).equals(readFileSync(join(dir, 'calls.wav'))), 'tracing changes nothing of the audio');
  const rings = (out: string) => out.split('\n').filter((l) => l.includes('* ring ')).map((l) => l.replace(/^\s+\d+\s+\* /, ''));
  t.strictSame(rings(handset('trace', 'show', trace).stdout), ['ring start work (office)', 'ring stop work (office)', 'ring start home (beep)', 'ring stop home (beep)']);
  t.strictSame(rings(handset('trace', 'show', trace, '--vm', 'home').stdout), ['ring start home (beep)', 'ring stop home (beep)']);
  const json = handset('trace', 'show', trace, '--json').stdout.split('\n').filter((l) => l.includes('"ringtone"')).map((l) => JSON.parse(l) as Record<string, unknown>);
  t.strictSame(json.map((e) => [e.guest, e.ringtone, e.playing]), [['work', 'office', true], ['work', 'office', false], ['home', 'beep', true], ['home', 'beep', false]]);
  t.ok(json.every((e) => Object.keys(e).join() === 'event,i,cycle,guest,ringtone,playing'));
});

t.test('bad --audio-out paths and outputs over inputs: one line, exit 2, no file written', async (t) => {
  const trace = join(dir, 'x.trace');
  const kept = join(dir, 'kept.wav');
  writeFileSync(kept, 'precious');
  const cases: [string[], string][] = [
    [['--audio-out', join(dir, 'no', 'such', 'dir.wav')], `handset: ${join(dir, 'no', 'such', 'dir.wav')}: cannot write (ENOENT: no such file or directory)\n`],
    [['--audio-out', dir], `handset: ${dir}: cannot write (a directory)\n`],
    [['--audio-out', config], `handset: --audio-out ${config}: the same file as --config ${config} (an input); choose another output file\n`],
    [['--audio-out', join(dir, 'home.elf')], `handset: --audio-out ${join(dir, 'home.elf')}: the same file as partition home's image ${join(dir, 'home.elf')} (an input); choose another output file\n`],
    [['--trace', trace, '--audio-out', trace], `handset: --audio-out ${trace}: the same file as --trace ${trace} (another output); choose another output file\n`],
    [['--audio-out', kept, '--max-cycles', '1e13'], `handset: --audio-out ${kept}: --max-cycles 1e13 is more than the 3600 s of virtual time an audio file holds at 200 MHz\n`],
    [['--audio-out', kept, '--max-cycles', '721e9', '--clock', '200'], `handset: --audio-out ${kept}: --max-cycles 721e9 is more than the 3600 s of virtual time an audio file holds at 200 MHz\n`],
    [['--audio-out', kept, '--audio-out', kept], 'handset: --audio-out given twice: give each option once\n'],
    [['--audio-out='], 'handset: --audio-out needs a value\n'],
  ];
  for (const [args, message] of cases) {
    const r = handset('run', '--config', config, ...args);
    t.equal(r.stderr, message, args.join(' '));
    t.equal(r.status, 2, `${args.join(' ')}: exit 2`);
    t.equal(r.stdout, '', `${args.join(' ')}: nothing ran`);
  }
  t.equal(readFileSync(kept, 'utf8'), 'precious', 'a refused output is left as it was');
  t.notOk(existsSync(trace), 'and no other output was written');
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"partitions": []}');
  t.equal(handset('run', '--config', bad, '--audio-out', kept).status, 2);
  t.equal(readFileSync(kept, 'utf8'), 'precious', 'a run that never started writes nothing');
  t.strictSame(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary files left');
  t.equal(handset('run', '--config', config, '--audio-out', kept, '--max-cycles', '720e9').status, 0, 'an hour at 200 MHz is fine (the run ends sooner)');
  t.not(readFileSync(kept, 'utf8'), 'precious', 'and is written');
});

t.test('a run longer than an hour of audio: one line at the end, exit 2, and no file', async (t) => {
  const long = join(dir, 'long.json');
  writeFileSync(long, JSON.stringify({ partitions: [{ name: 'work', image: 'sleeper.elf', ramMiB: 4, number: '+15550100' }] }));
  const wav = join(dir, 'long.wav');
  const r = handset('run', '--config', long, '--audio-out', wav, '--stats');
  t.equal(r.status, 2);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  t.match(lines.at(-1), /^handset: --audio-out .*long\.wav: the run lasted 3660 s of virtual time: the audio holds at most 3600 s \(bound the run with --max-cycles\)$/);
  t.match(r.stdout, /\[hypervisor\] work exited with status 0\n$/, 'the run itself went to its end');
  t.notOk(existsSync(wav), 'no file');
  t.strictSame(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');
});
