/**
 * The `handset` command line (yargs). An adapter only: it parses options, builds a Machine, connects the
 * terminal and turns outcomes into exit statuses:
 *   the firmware's semihosting exit status; 124 when a --max-* limit stops the run (like timeout(1));
 *   2 for usage and input errors; 1 when emulation fails (CPU fault the board cannot continue from).
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EngineUnavailableError } from '../cpu/unicorn-ffi.ts';
import { CPU_MODEL_NAMES, CPU_MODELS, type CpuModelName } from '../cpu/models.ts';
import { CpuError } from '../cpu/errors.ts';
import { LoadError } from '../loader/errors.ts';
import { loadImage } from '../loader/image.ts';
import { Machine, MachineError, memoryLayout, type TimingMode } from '../machine/machine.ts';
import { Recorder } from '../trace/recorder.ts';
import { TraceFileError } from '../trace/format.ts';
import { registerTraceCommands } from './trace-commands.ts';
import type { Logger } from '../soc/device.ts';
import {
  parseAddress,
  parseAddressRange,
  parseClockMhz,
  parseCount,
  parseLogClasses,
  parseRamSize,
  parseTracePoint,
  UsageError,
} from './options.ts';
import { BufferedWriter, stdinInput } from './stdio.ts';

const EXIT_LIMIT = 124;
const EXIT_USAGE = 2;
const EXIT_EMULATION = 1;

interface BootArgs {
  image: string;
  cpu: string;
  ram: string;
  clock?: string;
  'load-addr'?: string;
  entry?: string;
  'max-insns'?: string;
  'max-cycles'?: string;
  stats: boolean;
  log?: string;
  timing: string;
  trace?: string;
  'trace-mem': boolean;
  'trace-from'?: string;
  'trace-to'?: string;
  'trace-range'?: string;
}

/** --trace options into recorder options (windows by instruction index or cycle, an address range). */
function traceOptions(args: BootArgs) {
  const from = args['trace-from'] !== undefined ? parseTracePoint('--trace-from', args['trace-from']) : {};
  const to = args['trace-to'] !== undefined ? parseTracePoint('--trace-to', args['trace-to']) : {};
  if (args.trace === undefined && (args['trace-from'] ?? args['trace-to'] ?? args['trace-range']) !== undefined) {
    throw new UsageError('--trace-from, --trace-to and --trace-range need --trace FILE');
  }
  return {
    fromIndex: from.index,
    fromCycle: from.cycle,
    toIndex: to.index,
    toCycle: to.cycle,
    addressRange: args['trace-range'] !== undefined ? parseAddressRange('--trace-range', args['trace-range']) : undefined,
    memory: args['trace-mem'],
  };
}

function boot(args: BootArgs): number {
  const stdout = new BufferedWriter(1);
  const stderr = new BufferedWriter(2);
  const cpu = args.cpu as CpuModelName;
  const ramSize = parseRamSize(args.ram);
  const clockHz = args.clock !== undefined ? parseClockMhz(args.clock) : CPU_MODELS[cpu].defaultMhz * 1_000_000;
  const limits = {
    maxInsns: args['max-insns'] !== undefined ? parseCount('--max-insns', args['max-insns']) : undefined,
    maxCycles: args['max-cycles'] !== undefined ? parseCount('--max-cycles', args['max-cycles']) : undefined,
  };
  const logClasses = parseLogClasses(args.log ?? '');
  const timing = args.timing as TimingMode;
  const window = traceOptions(args);
  const image = loadImage(
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
  const machine = new Machine({
    cpu,
    ramSize,
    clockHz,
    timing,
    logger,
    onConsole: (bytes) => stdout.write(bytes),
    onStderr: (bytes) => {
      stdout.flush();
      stderr.write(bytes);
    },
    input: stdinInput(),
    cmdline: args.image,
    terminals: { stdin: process.stdin.isTTY === true, stdout: process.stdout.isTTY === true, stderr: process.stderr.isTTY === true },
  });
  let recorder: Recorder | undefined;
  try {
    machine.load(image);
    if (args.trace !== undefined) {
      recorder = new Recorder(machine, {
        path: args.trace,
        ...window,
        header: { cpu, clockHz, ramSize, timing, imageSha256: image.sha256 ?? '', commandLine: process.argv.slice(2) },
      });
    }
    // Host time is read only here, for the --stats report; the emulation never sees it.
    const started = process.hrtime.bigint();
    let outcome;
    try {
      outcome = machine.run(limits);
    } finally {
      recorder?.finish();
      stdout.flush();
      stderr.flush();
    }
    const hostMs = Number(process.hrtime.bigint() - started) / 1e6;
    let status: number;
    if (outcome.kind === 'limit') {
      const n = outcome.limit === 'instructions' ? limits.maxInsns : limits.maxCycles;
      // Limits are checked at block boundaries: say how far the run actually got.
      const reached = outcome.limit === 'instructions' ? `${machine.instructions} instructions` : `${machine.cycles} cycles`;
      process.stderr.write(`handset: stopped at the ${outcome.limit} limit (${n}) after ${reached} at pc=0x${hex(machine.cpu.pc)}\n`);
      status = EXIT_LIMIT;
    } else {
      status = outcome.status;
    }
    if (args.stats) {
      const mips = hostMs > 0 ? machine.instructions / hostMs / 1000 : 0;
      const cpi = timing === 'cycle' && machine.instructions > 0 ? ` cpi=${(machine.cycles / machine.instructions).toFixed(3)}` : '';
      process.stderr.write(
        `instructions=${machine.instructions} cycles=${machine.cycles}${cpi} host_ms=${Math.round(hostMs)} mips=${mips.toFixed(1)}\n`,
      );
    }
    return status;
  } finally {
    machine.close();
  }
}

function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/** One line on stderr for every error the user can cause; anything else is a bug and keeps its stack. */
function report(e: unknown): number {
  if (e instanceof UsageError || e instanceof LoadError || e instanceof EngineUnavailableError || e instanceof TraceFileError) {
    process.stderr.write(`handset: ${e.message}\n`);
    return EXIT_USAGE;
  }
  if (e instanceof CpuError || e instanceof MachineError) {
    process.stderr.write(`handset: ${e.message}\n`);
    return EXIT_EMULATION;
  }
  throw e;
}

export function main(argv: string[]): void {
  let status = 0;
  const withBoot = yargs(argv)
    .scriptName('handset')
    .usage('$0 <command> [options]\n\nA cycle-level ARM handset SoC emulator (QEMU realview-eb memory map).')
    .command(
      'boot <image>',
      'Boot a bare-metal firmware image (ELF, or raw with --load-addr) on the handset SoC',
      (y) =>
        y
          .positional('image', { type: 'string', demandOption: true, describe: 'ELF32 ARM executable or raw binary' })
          .option('cpu', { choices: CPU_MODEL_NAMES, default: 'arm926', describe: 'CPU core model' })
          .option('ram', { type: 'string', default: '128M', describe: 'RAM size: 128M, 192M or 256M' })
          .option('clock', {
            type: 'string',
            describe: `core clock in MHz (default per CPU: ${CPU_MODEL_NAMES.map((n) => `${n} ${CPU_MODELS[n].defaultMhz}`).join(', ')})`,
          })
          .option('load-addr', { type: 'string', describe: 'load address of a raw image (decimal or 0x hex)' })
          .option('entry', { type: 'string', describe: 'entry point (default: ELF entry or raw load address; bit 0 = Thumb)' })
          .option('max-insns', { type: 'string', describe: 'stop after N instructions (exit 124)' })
          .option('max-cycles', { type: 'string', describe: 'stop after N cycles of virtual time (exit 124)' })
          .option('stats', { type: 'boolean', default: false, describe: 'print instructions, cycles and speed on stderr at the end' })
          .option('log', { type: 'string', describe: 'comma-separated log classes: guest-errors, unimp' })
          .option('timing', { choices: ['fast', 'cycle'], default: 'fast', describe: 'fast: 1 cycle per instruction; cycle: per-core cost tables (docs/timing.md)' })
          .option('trace', { type: 'string', describe: 'record an instruction trace to FILE (docs/trace-format.md)' })
          .option('trace-mem', { type: 'boolean', default: false, describe: 'with --trace: also record data memory accesses' })
          .option('trace-from', { type: 'string', describe: 'with --trace: start at instruction index N, or at cycle Nc' })
          .option('trace-to', { type: 'string', describe: 'with --trace: stop before instruction index N, or cycle Nc' })
          .option('trace-range', { type: 'string', describe: 'with --trace: only instructions at BEGIN <= pc < END (BEGIN-END)' })
          .example('$0 boot firmware/hello.elf', 'print a greeting on UART0 and exit 0')
          .example('$0 boot fw.bin --load-addr 0x8000 --cpu arm1176 --ram 256M --stats', 'a raw image on an ARMv6 handset'),
      (args) => {
        status = boot(args as unknown as BootArgs);
      },
    );
  registerTraceCommands(withBoot, (s) => {
    status = s;
  })
    .demandCommand(1, 'name a command: handset boot IMAGE, or handset trace show|diff|import-qemu (see --help)')
    .strict()
    .fail((msg, err) => {
      if (err) throw err;
      throw new UsageError(`${msg.replace(/:?\s*\n\s*/g, ': ')} (see handset --help)`);
    })
    .help()
    .version(false)
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .parseSync();
  process.exitCode = status;
}

try {
  main(hideBin(process.argv));
} catch (e) {
  process.exitCode = report(e);
}
