/**
 * The `handset` command line (yargs). An adapter only: it parses options, builds a Machine, connects the
 * terminal and turns outcomes into exit statuses:
 *   the firmware's semihosting exit status; 124 when a --max-* limit stops the run (like timeout(1));
 *   2 for usage and input errors; 1 when emulation fails (CPU fault the board cannot continue from);
 *   130 / 143 when SIGINT / SIGTERM stopped the run (src/cli/signals.ts); 141, quietly, for any command
 *   whose stdout or stderr reader went away (src/cli/stdio.ts, which does all terminal and pipe I/O).
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { statSync } from 'node:fs';
import { LoadError } from '../loader/errors.ts';
import { loadImage } from '../loader/image.ts';
import { CPU_MODEL_NAMES, CPU_MODELS, CpuError, EngineUnavailableError, Machine, MachineError, memoryLayout, type RunLimits, type RunOutcome, type TimingMode, type CpuModelName } from '../machine/machine.ts';
import { SnapshotFileError, snapshotConfig } from '../machine/snapshot.ts';
import { OutputFileError, refuseOutputOverInput, writeFileAtomically } from './output-file.ts';
import { readRegularFile } from '../trace/files.ts';
import { Recorder } from '../trace/recorder.ts';
import { TraceFileError } from '../trace/format.ts';
import { registerTraceCommands } from './trace-commands.ts';
import type { Logger } from '../soc/device.ts';
import {
  checkArguments,
  type OptionTable,
  parseAddress,
  parseClockMhz,
  parseCount,
  parseLogClasses,
  parseRamSize,
  traceOptions,
  HANDSET_OPTIONS,
  TRACE_OPTIONS,
  UsageError,
} from './options.ts';
import { EXIT_OUTPUT_CLOSED, HostIoError, OutputClosed, stderr, stdinInput, stdout, whichAreTerminals } from './stdio.ts';
import { terminalColumns } from './host-wait.ts';
import { drainOutputs, runInChunks, type RunEnd } from './run-loop.ts';
import { SIGNAL_EXIT_STATUS, SignalWatch } from './signals.ts';
import { runHandset, type RunArgs } from './run-command.ts';
import { serveHandset, type ServeArgs } from '../ui/serve-command.ts';
import { attachModemPort, MODEM_PORT_OPTION, refuseSnapshotsWithPort } from './modem-port.ts';
import { ConfigError } from '../hypervisor/config.ts';
import { HypervisorError } from '../hypervisor/kernel.ts';
import { StoreError } from '../hypervisor/storage.ts';
import { ScenarioError } from '../machine/scenario.ts';

const EXIT_LIMIT = 124;
const EXIT_USAGE = 2;
const EXIT_EMULATION = 1;

interface BootArgs {
  image?: string;
  cpu?: string;
  ram?: string;
  clock?: string;
  'load-addr'?: string;
  entry?: string;
  'max-insns'?: string;
  'max-cycles'?: string;
  stats: boolean;
  log?: string;
  timing?: string;
  trace?: string;
  'save-at'?: string;
  save?: string;
  restore?: string;
  'semihosting-root'?: string;
  'modem-port'?: string;
  'trace-mem': boolean;
  'trace-from'?: string;
  'trace-to'?: string;
  'trace-range'?: string;
}

/** What the machine is built from: the options, or a snapshot's configuration (options must then agree). */
function machineSettings(args: BootArgs, snapshot: Uint8Array | undefined) {
  if (snapshot === undefined) {
    const cpu = (args.cpu ?? 'arm926') as CpuModelName;
    return {
      cpu,
      ramSize: parseRamSize(args.ram ?? '128M'),
      clockHz: args.clock !== undefined ? parseClockMhz(args.clock) : CPU_MODELS[cpu].defaultMhz * 1_000_000,
      timing: (args.timing ?? 'fast') as TimingMode,
    };
  }
  const saved = snapshotConfig(snapshot);
  const given = {
    cpu: args.cpu,
    ramSize: args.ram !== undefined ? parseRamSize(args.ram) : undefined,
    clockHz: args.clock !== undefined ? parseClockMhz(args.clock) : undefined,
    timing: args.timing,
  };
  for (const [key, value] of Object.entries(given)) {
    const want = saved[key as keyof typeof given];
    if (value !== undefined && value !== want) {
      throw new UsageError(`--restore: the snapshot was taken with ${key} ${want}, not ${value} (leave the option out)`);
    }
  }
  return { cpu: saved.cpu, ramSize: saved.ramSize, clockHz: saved.clockHz, timing: saved.timing };
}

/** A snapshot file: a regular file only (a FIFO or a device would block or never end). */
function readSnapshot(path: string): Uint8Array {
  return readRegularFile(path, (problem) => {
    throw new UsageError(`cannot read snapshot ${path}: ${problem}`);
  });
}

/** --semihosting-root: an existing directory, else a usage error. */
function semihostingRoot(dir: string | undefined): string | undefined {
  if (dir === undefined) return undefined;
  let isDirectory = false;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch {
    // reported below
  }
  if (!isDirectory) throw new UsageError(`--semihosting-root ${dir}: not a directory`);
  return dir;
}

async function boot(args: BootArgs): Promise<number> {
  if (args.restore !== undefined && args.image !== undefined) throw new UsageError('give an image or --restore FILE, not both');
  if (args.restore === undefined && args.image === undefined) throw new UsageError('boot needs an image (or --restore FILE)');
  if ((args['save-at'] === undefined) !== (args.save === undefined)) throw new UsageError('--save-at CYCLES and --save FILE go together');
  for (const option of ['load-addr', 'entry'] as const) {
    if (args.restore !== undefined && args[option] !== undefined) throw new UsageError(`--${option} is for an image, not --restore (the snapshot holds the machine)`);
  }
  refuseSnapshotsWithPort(args['modem-port'], { '--save': args.save, '--restore': args.restore });
  // --restore S --save S is fine: the snapshot is read whole before any is written.
  refuseOutputOverInput(
    [{ what: '--trace', path: args.trace }, { what: '--save', path: args.save }],
    [{ what: 'the image', path: args.image }],
  );
  const saveAt = args['save-at'] !== undefined ? parseCount('--save-at', args['save-at']) : undefined;
  const snapshot = args.restore !== undefined ? readSnapshot(args.restore) : undefined;
  const { cpu, ramSize, clockHz, timing } = machineSettings(args, snapshot);
  const limits: RunLimits = {
    maxInsns: args['max-insns'] !== undefined ? parseCount('--max-insns', args['max-insns']) : undefined,
    maxCycles: args['max-cycles'] !== undefined ? parseCount('--max-cycles', args['max-cycles']) : undefined,
  };
  const logClasses = parseLogClasses(args.log ?? '');
  const window = traceOptions(args);
  const filesRoot = semihostingRoot(args['semihosting-root']);
  const image =
    args.image === undefined
      ? undefined
      : loadImage(
          args.image,
          {
            loadAddr: args['load-addr'] !== undefined ? parseAddress('--load-addr', args['load-addr']) : undefined,
            entry: args.entry !== undefined ? parseAddress('--entry', args.entry) : undefined,
          },
          memoryLayout(ramSize),
        );
  const logger: Logger = {
    enabled: (cls) => logClasses.has(cls),
    log: (_cls, message) => {
      stdout.flush();
      stderr.write(Buffer.from(`handset: ${message}\n`));
    },
  };
  const input = stdinInput();
  // Last before the machine, once every option is known to be good: a pseudo-terminal's path is printed.
  const modemPort = attachModemPort(args['modem-port'], clockHz, whichAreTerminals().stdin ? [0] : []);
  const machine = new Machine({
    cpu,
    ramSize,
    clockHz,
    timing,
    logger,
    input,
    cmdline: args.image ?? '',
    terminals: whichAreTerminals(),
    semihostingRoot: filesRoot,
    modem: modemPort?.options,
  });
  machine.on('console', ({ source, stream, bytes }) => {
    if (source === 'uart0' || (source === 'semihosting' && stream === 'stdout')) {
      stdout.write(bytes);
    } else if (source === 'semihosting') {
      stdout.flush();
      stderr.write(bytes);
    }
  });
  // SIGINT and SIGTERM from here on stop the run at a block boundary, and the trace is finished.
  const signals = await SignalWatch.start();
  let recorder: Recorder | undefined;
  try {
    if (snapshot !== undefined) machine.restore(snapshot);
    if (image !== undefined) machine.load(image);
    if (args.trace !== undefined) {
      recorder = new Recorder(machine, {
        path: args.trace,
        ...window,
        header: { cpu, clockHz, ramSize, timing, imageSha256: image?.sha256 ?? '' },
      });
    }
    // Host time is read only here, for the --stats report; the emulation never sees it.
    const started = process.hrtime.bigint();
    let end: RunEnd | { kind: 'cpu-error'; error: CpuError | MachineError };
    try {
      // With --save-at, the run stops at that cycle (a block boundary) to write a snapshot, then goes on.
      end = await runInChunks(machine, {
        limits,
        saveAt,
        save: () => writeFileAtomically(args.save!, machine.snapshot()),
        saveMissed: () => {
          stdout.flush();
          stderr.writeText(`handset: the run ended at cycle ${machine.cycles}, before --save-at ${saveAt}: no snapshot written\n`);
        },
        outputs: [stdout, stderr],
        input,
        signals,
        pacer: modemPort?.pacer,
      });
    } catch (error) {
      if (!(error instanceof CpuError || error instanceof MachineError)) throw error;
      end = { kind: 'cpu-error', error }; // the emulated CPU cannot go on: its line, then --stats
    } finally {
      try {
        recorder?.finish(); // a failed trace throws here: the console still gets all the run printed
      } finally {
        await drainOutputs([stdout, stderr], signals);
      }
    }
    const hostMs = Number(process.hrtime.bigint() - started) / 1e6;
    // The reader of stdout or stderr went away (exit 141, quietly), a full device, stdin too large (exit 2).
    if (end.kind === 'failure') throw end.error;
    const lost = stdout.failure ?? stderr.failure;
    if (lost !== undefined) throw lost;
    if (end.kind !== 'signal' && signals.received !== undefined) end = { kind: 'signal', signal: signals.received }; // during the last flush
    // The last lines: written as the run's output was (a signal ends a wait for a stuck reader), then drained.
    const quiet = { failed: () => {}, interrupted: () => {} };
    stdout.attach(quiet);
    stderr.attach(quiet);
    let status: number;
    // After a signal, a line goes out only if stderr's reader takes it at once.
    const say = (text: string) => (end.kind === 'signal' ? stderr.writeTextWithoutWaiting(text) : stderr.writeText(text));
    if (end.kind === 'signal') {
      say(`handset: ${end.signal} after ${machine.instructions} instructions at pc=0x${hex(machine.pc)}${recorder ? ' (the trace ends there)' : ''}\n`);
      status = SIGNAL_EXIT_STATUS[end.signal];
    } else if (end.kind === 'cpu-error') {
      stderr.writeText(`handset: ${end.error.message}\n`);
      status = EXIT_EMULATION;
    } else {
      status = exitStatus(machine, end.outcome, limits);
    }
    if (args.stats) {
      const mips = hostMs > 0 ? machine.instructions / hostMs / 1000 : 0;
      const cpi = timing === 'cycle' && machine.instructions > 0 ? ` cpi=${(machine.cycles / machine.instructions).toFixed(3)}` : '';
      say(`instructions=${machine.instructions} cycles=${machine.cycles}${cpi} host_ms=${Math.round(hostMs)} mips=${mips.toFixed(1)}\n`);
    }
    await drainOutputs([stdout, stderr], signals);
    const failed = stdout.failure ?? stderr.failure;
    if (failed !== undefined) throw failed;
    return status;
  } finally {
    // The signal handlers stay until the process ends: a repeated SIGINT while handset finishes the trace
    // and exits is ignored (a wait for a stuck reader gives up on it instead).
    machine.close();
    modemPort?.port.close();
  }
}

function exitStatus(machine: Machine, outcome: RunOutcome, limits: RunLimits): number {
  switch (outcome.kind) {
    case 'exit':
      return outcome.status;
    case 'limit': {
      const n = outcome.limit === 'instructions' ? limits.maxInsns : limits.maxCycles;
      // Limits are checked at block boundaries: say how far the run actually got.
      const reached = outcome.limit === 'instructions' ? `${machine.instructions} instructions` : `${machine.cycles} cycles`;
      stderr.writeText(`handset: stopped at the ${outcome.limit} limit (${n}) after ${reached} at pc=0x${hex(machine.pc)}\n`);
      return EXIT_LIMIT;
    }
    case 'waiting':
      stderr.writeText(
        `handset: the CPU waits for an interrupt (WFI before 0x${hex(outcome.pc)}) but none can come: no timer is armed and there is no input\n`,
      );
      return EXIT_EMULATION;
    case 'stopped':
      stderr.writeText(`handset: stopped after ${machine.instructions} instructions at pc=0x${hex(machine.pc)}\n`);
      return EXIT_EMULATION;
  }
}

function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/**
 * One line on stderr for every error the user can cause; anything else is a bug and keeps its stack.
 * A reader of stdout or stderr that went away (`| head -1`) ends any command quietly with status 141.
 */
function report(e: unknown): number {
  if (e instanceof OutputClosed) return EXIT_OUTPUT_CLOSED;
  if (
    e instanceof UsageError ||
    e instanceof LoadError ||
    e instanceof EngineUnavailableError ||
    e instanceof TraceFileError ||
    e instanceof SnapshotFileError ||
    e instanceof OutputFileError ||
    e instanceof HostIoError ||
    e instanceof ConfigError ||
    e instanceof ScenarioError ||
    e instanceof StoreError ||
    e instanceof HypervisorError
  ) {
    stdout.flushQuietly();
    stderr.say(`handset: ${e.message}\n`);
    return EXIT_USAGE;
  }
  if (e instanceof CpuError || e instanceof MachineError) {
    stderr.say(`handset: ${e.message}\n`);
    return EXIT_EMULATION;
  }
  throw e;
}

export async function main(argv: string[]): Promise<number> {
  let status = 0;
  const withBoot = yargs(argv)
    .scriptName('handset')
    .usage('$0 <command> [options]\n\nA cycle-level ARM handset SoC emulator (QEMU realview-eb memory map).')
    .command(
      'boot [image]',
      'Boot a bare-metal firmware image (ELF, or raw with --load-addr) on the handset SoC',
      (y) =>
        y
          .positional('image', { type: 'string', describe: 'ELF32 ARM executable or raw binary' })
          .option('cpu', { type: 'string', choices: CPU_MODEL_NAMES, describe: 'CPU core model [default: arm926]' })
          .option('ram', { type: 'string', describe: 'RAM size: 128M, 192M or 256M [default: 128M]' })
          .option('clock', {
            type: 'string',
            describe: `core clock in MHz (default per CPU: ${CPU_MODEL_NAMES.map((n) => `${n} ${CPU_MODELS[n].defaultMhz}`).join(', ')})`,
          })
          .option('load-addr', { type: 'string', describe: 'load address of a raw image (decimal or 0x hex; 4-byte aligned, 2 for a Thumb entry)' })
          .option('entry', { type: 'string', describe: 'entry point (default: ELF entry or raw load address; bit 0 = Thumb)' })
          .option('max-insns', { type: 'string', describe: 'stop after N instructions (exit 124); N as 1000000, 1_000_000 or 1e6' })
          .option('max-cycles', { type: 'string', describe: 'stop after N cycles of virtual time (exit 124)' })
          .option('stats', { type: 'boolean', default: false, describe: 'print instructions, cycles and speed on stderr at the end' })
          .option('log', { type: 'string', describe: 'comma-separated log classes: guest-errors, unimp' })
          .option('timing', { type: 'string', choices: ['fast', 'cycle'], describe: 'fast: 1 cycle per instruction; cycle: per-core cost tables (docs/timing.md) [default: fast]' })
          .options(TRACE_OPTIONS)
          .option('save-at', { type: 'string', describe: 'with --save: write a snapshot when the clock reaches cycle N, then go on' })
          .option('save', { type: 'string', describe: 'with --save-at: the snapshot file (docs/snapshot-format.md)' })
          .option('restore', { type: 'string', describe: 'continue from a snapshot file instead of booting an image' })
          .option('semihosting-root', { type: 'string', describe: 'semihosting files are those in host directory DIR (the guest\'s "/") [default: a private in-memory directory]' })
          .option('modem-port', MODEM_PORT_OPTION)
          .example('$0 boot firmware/hello.elf', 'print a greeting on UART0 and exit 0')
          .example('$0 boot firmware/newlib-demo.elf --save-at 100000 --save demo.snap', 'snapshot at cycle 100000')
          .example('$0 boot --restore demo.snap --stats', 'continue that run from the snapshot')
          .example('$0 boot fw.bin --load-addr 0x8000 --cpu arm1176 --ram 256M --stats', 'a raw image on an ARMv6 handset'),
      async (args) => {
        status = await boot(args as unknown as BootArgs);
      },
    );
  const withRun = withBoot.command(
    'run',
    'Run the two-phone handset: the hypervisor with the work and home guests (or the partitions of --config)',
    (y) =>
      y
        .options(HANDSET_OPTIONS)
        .option('script', { type: 'string', describe: 'play a scenario file (docs/scenarios.md); exit 0 when every step passed, 1 naming the step that failed' })
        .option('max-cycles', { type: 'string', describe: 'stop after N cycles of virtual time (exit 124)' })
        .option('stats', { type: 'boolean', default: false, describe: 'print per-guest cycles, share, hypercalls, vIRQs and faults on stderr at the end' })
        .option('audio-out', { type: 'string', describe: 'render the ringtones played, on the virtual clock, into a WAV file (mono, 16-bit, 8000 Hz)' })
        .option('modem-port', MODEM_PORT_OPTION)
        .options(TRACE_OPTIONS)
        .example('$0 run', 'boot work and home; type into the foreground phone')
        .example('$0 run --script demo.json', 'play a scenario on the virtual clock')
        .example('$0 run --script demo.json --trace demo.trace', 'and record every instruction of both guests, with hypercalls, vIRQs and world switches')
        .example('printf "status\\n" | $0 run --max-cycles 1e9', 'a line of input for the work phone, then stop'),
    async (args) => {
      status = await runHandset(args as unknown as RunArgs);
    },
  );
  const withServe = withRun.command(
    'serve',
    'Run the two-phone handset paced to host time and serve it: a web page and a JSON protocol over WebSocket and HTTP (docs/web.md)',
    (y) =>
      y
        .options(HANDSET_OPTIONS)
        .option('host', { type: 'string', describe: 'the address to listen on [default: 127.0.0.1]' })
        .option('port', { type: 'string', describe: 'the port to listen on, 0 for any free one [default: 8080]' })
        .option('speed', { type: 'string', describe: 'virtual seconds per host second, 0.01 to 1000 [default: 1]' })
        .example('$0 serve', 'open http://127.0.0.1:8080/ in a browser')
        .example('$0 serve --port 0 --speed 2', 'any free port, virtual time twice as fast as the host\'s'),
    async (args) => {
      status = await serveHandset(args as unknown as ServeArgs);
    },
  );
  await registerTraceCommands(
    withServe,
    (s) => {
      status = s;
    },
    (text) => stdout.writeText(text),
  )
    .demandCommand(1, 'name a command: handset boot IMAGE, handset run, handset serve, or handset trace show|diff|import-qemu')
    .epilogue('Each option is given at most once; a value that starts with "-" is written --option=VALUE.')
    // Before yargs validates and before any handler: one rule for repeated, valueless and empty options.
    .middleware(((parsed: Record<string, unknown>, y: { getOptions(): OptionTable }) => checkArguments(argv, parsed, y.getOptions())) as never, true)
    .strict()
    .fail((msg, err) => {
      if (err) throw err;
      throw new UsageError(`${msg.replace(/:?\s*\n\s*/g, ': ')} (see handset --help)`);
    })
    .help()
    .version(false)
    .wrap(Math.min(110, terminalColumns(1) ?? 110))
    // With a callback, yargs hands over what it would print (--help) instead of printing it and exiting.
    .parseAsync(argv, {}, (_err, _argv, output) => {
      if (output) stdout.writeText(`${output}\n`);
    });
  return status;
}

/**
 * Ends the process with `status` once what is buffered for stdout and stderr is written. process.exit, not
 * a natural end: that would first take down boot's signal handlers, and a signal repeated in that moment
 * would kill handset instead of being ignored.
 */
function finish(status: number): never {
  try {
    stdout.flush();
    stderr.flush();
  } catch (e) {
    status = report(e);
  }
  process.exit(status);
}

main(hideBin(process.argv)).then(finish, (e: unknown) => finish(report(e)));
