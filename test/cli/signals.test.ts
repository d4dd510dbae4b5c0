// SIGINT and SIGTERM during `handset boot --trace F`: the run stops at a block boundary, the trace is
// finished (a valid, shorter trace that `trace show` reads), and handset exits 130 / 143 with one line on
// stderr; also when the signal comes while handset waits for input or for a stuck reader. And running in
// chunks (how the CLI gets back to the event loop to see signals) changes nothing the firmware does.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadImage } from '../../src/loader/image.ts';
import { bytesInput } from '../../src/machine/console-input.ts';
import { Machine, memoryLayout, type TimingMode } from '../../src/machine/machine.ts';
import { Recorder } from '../../src/trace/recorder.ts';
import { runInChunks } from '../../src/cli/run-loop.ts';
import { STACK_TRACE, bigWriter, Child, hasScript, onTerminal, readyEcho, spinner, workDir } from './stdio-child.ts';

const dir = workDir();
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
t.setTimeout(600_000); // long traced runs, on a loaded host (nothing here waits on the clock)

/** `trace show FILE --from N`: its exit status and the indexes of the instructions it lists. */
function show(trace: string, from = 0, count = 10): { status: number | null; indexes: number[]; stderr: string } {
  const r = spawnSync(process.execPath, ['dist/handset.js', 'trace', 'show', trace, '--from', String(from), '--count', String(count)], { encoding: 'latin1' });
  const indexes = r.stdout.split('\n').flatMap((l) => /^\s*(\d+)\s+\d+\s+[0-9a-f]{8}\s/.exec(l)?.[1] ?? []).map(Number);
  return { status: r.status, indexes, stderr: r.stderr };
}

for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  t.test(`${signal} during a long traced run: a valid, shorter trace and exit ${status}`, async (t) => {
    const trace = join(dir, `${signal}.trace`);
    const child = new Child(['boot', spinner(), '--trace', trace]);
    await child.printed('started\n'); // the recorder is on and the firmware runs its endless loop
    child.proc.kill(signal);
    t.same(await child.exited, { code: status, signal: null });
    t.match(child.stderr, new RegExp(`^handset: ${signal} after (\\d+) instructions at pc=0x[0-9a-f]{8} \\(the trace ends there\\)\\n$`));
    t.notMatch(child.stderr, STACK_TRACE);
    const ran = Number(/after (\d+) instructions/.exec(child.stderr)?.[1]);
    const shown = show(trace, ran - 2);
    t.equal(shown.status, 0, `trace show reads it ${shown.stderr}`);
    t.same(shown.indexes, [ran - 2, ran - 1], 'the trace holds every instruction the run executed, and ends there');
    t.same(readdirSync(dir).filter((f) => f.startsWith(`.${basename(trace)}`)), [], 'no temporary file left');
  });
}

t.test('SIGINT while handset waits for piped input that never ends', async (t) => {
  const trace = join(dir, 'stdin-wait.trace');
  const child = new Child(['boot', readyEcho(), '--trace', trace]);
  await child.said('ready\n'); // next, the firmware looks for input: the producer never writes nor closes
  child.proc.kill('SIGINT'); // before the wait began or during it: either way it ends the wait
  const exit = await child.exited;
  t.same(exit, { code: 130, signal: null });
  t.match(child.stderr, /^ready\nhandset: SIGINT after \d+ instructions at pc=0x[0-9a-f]{8} \(the trace ends there\)\n$/);
  t.equal(show(trace).status, 0);
});

t.test('Ctrl-C on a terminal while the firmware sleeps until a key is typed', { skip: hasScript ? false : 'no script(1) to give the CLI a terminal' }, async (t) => {
  const trace = join(dir, 'terminal.trace');
  const child = onTerminal(['boot', 'firmware/rx-irq.elf', '--trace', trace]);
  await child.printed('quit\r\n'); // then WFI with no timer armed: handset waits for the terminal
  child.proc.stdin!.write('\x03');
  t.same(await child.exited, { code: 130, signal: null });
  t.match(child.stdout.toString('latin1'), /\^Chandset: SIGINT after \d+ instructions at pc=0x[0-9a-f]{8} \(the trace ends there\)\r\n$/);
  t.equal(show(trace).status, 0);
});

t.test('SIGTERM while handset waits for a reader that stopped reading', async (t) => {
  const trace = join(dir, 'stuck-reader.trace');
  const child = new Child(['boot', bigWriter(20_000), '--trace', trace]);
  await child.until('its first output', () => child.stdout.length > 0);
  child.proc.stdout!.pause(); // and never resumed: the child fills the socket and waits
  child.proc.kill('SIGTERM');
  const exit = await child.exited;
  t.same(exit, { code: 143, signal: null });
  t.match(child.stderr, /^handset: SIGTERM after \d+ instructions/);
  t.notMatch(child.stderr, STACK_TRACE);
  t.equal(show(trace).status, 0);
});

t.test('running in chunks changes nothing the firmware does (output, counts; trace bytes)', async (t) => {
  const RAM = 128 * 1024 * 1024;
  // image, timing, stdin, chunk sizes (1: every block is a chunk)
  const runs: [string, TimingMode, string, number[]][] = [
    ['timer-irq', 'cycle', '', [997, 65_536]],
    ['irq-sources', 'cycle', readFileSync('firmware/expected/irq-sources.in', 'latin1'), [1, 97]],
    ['wfi', 'fast', '', [1, 7]],
    ['rx-irq', 'fast', readFileSync('firmware/expected/rx-irq.in', 'latin1'), [1, 13]],
    ['echo', 'cycle', readFileSync('firmware/expected/echo.in', 'latin1'), [1, 13]],
    ['exceptions', 'fast', '', [1, 1000]],
  ];
  for (const [name, timing, input, chunks] of runs) {
    const once = async (chunk: number | undefined, traced: boolean) => {
      const machine = new Machine({ cpu: 'arm1176', ramSize: RAM, timing, input: bytesInput(input) });
      const out: number[] = [];
      machine.on('console', (e) => out.push(...e.bytes));
      const image = loadImage(`firmware/${name}.elf`, {}, memoryLayout(RAM));
      machine.load(image);
      const path = join(dir, `${name}-${chunk ?? 'whole'}.trace`);
      const header = { cpu: 'arm1176' as const, clockHz: machine.config.clockHz, ramSize: RAM, timing, imageSha256: image.sha256 ?? '' };
      const recorder = traced ? new Recorder(machine, { path, header }) : undefined;
      let outcome: unknown;
      if (chunk === undefined) outcome = machine.run();
      else {
        const end = await runInChunks(machine, { limits: {}, chunkInstructions: chunk });
        outcome = end.kind === 'outcome' ? end.outcome : end;
      }
      recorder?.finish();
      const result = { outcome, out, instructions: machine.instructions, cycles: machine.cycles };
      machine.close();
      return { ...result, trace: traced ? readFileSync(path) : undefined };
    };
    const whole = await once(undefined, false);
    const wholeTraced = await once(undefined, true);
    // A traced run stops at block boundaries too (deadlines): it must resume at the refused block, not
    // repeat the instruction before it (Unicorn leaves the PC there when a CODE hook is installed).
    t.equal(wholeTraced.instructions, whole.instructions, `${name}: traced, the same instructions`);
    t.same(wholeTraced.out, whole.out, `${name}: traced, the same output`);
    for (const chunk of chunks) {
      const chunked = await once(chunk, false);
      const what = `${name}, chunks of ${chunk}`;
      t.same(chunked.outcome, whole.outcome, `${what}: same outcome`);
      t.same(chunked.out, whole.out, `${what}: same output`);
      t.equal(chunked.instructions, whole.instructions, `${what}: same instructions`);
      t.equal(chunked.cycles, whole.cycles, `${what}: same cycles`);
      const traced = await once(chunk, true);
      t.equal(traced.instructions, whole.instructions, `${what}, traced: same instructions`);
      t.ok(traced.trace!.equals(wholeTraced.trace!), `${what}: the same trace file`);
    }
  }
});
