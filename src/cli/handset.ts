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
import { Machine, MachineError, memoryLayout } from '../machine/machine.ts';
import type { Logger } from '../soc/device.ts';
import { parseAddress, parseClockMhz, parseCount, parseLogClasses, parseRamSize, UsageError } from './options.ts';
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
    logger,
    onConsole: (bytes) => stdout.write(bytes),
    onStderr: (bytes) => {
      stdout.flush();
      stderr.write(bytes);
    },
    input: stdinInput(),
    cmdline: args.image,
  });
  try {
    machine.load(image);
    // Host time is read only here, for the --stats report; the emulation never sees it.
    const started = process.hrtime.bigint();
    let outcome;
    try {
      outcome = machine.run(limits);
    } finally {
      stdout.flush();
      stderr.flush();
    }
    const hostMs = Number(process.hrtime.bigint() - started) / 1e6;
    let status: number;
    if (outcome.kind === 'limit') {
      const n = outcome.limit === 'instructions' ? limits.maxInsns : limits.maxCycles;
      process.stderr.write(`handset: stopped at the ${outcome.limit} limit (${n}) at pc=0x${hex(machine.cpu.pc)}\n`);
      status = EXIT_LIMIT;
    } else {
      status = outcome.status;
    }
    if (args.stats) {
      const mips = hostMs > 0 ? machine.instructions / hostMs / 1000 : 0;
      process.stderr.write(
        `instructions=${machine.instructions} cycles=${machine.cycles} host_ms=${Math.round(hostMs)} mips=${mips.toFixed(1)}\n`,
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
  if (e instanceof UsageError || e instanceof LoadError || e instanceof EngineUnavailableError) {
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
  yargs(argv)
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
          .example('$0 boot firmware/hello.elf', 'print a greeting on UART0 and exit 0')
          .example('$0 boot fw.bin --load-addr 0x8000 --cpu arm1176 --ram 256M --stats', 'a raw image on an ARMv6 handset'),
      (args) => {
        status = boot(args as unknown as BootArgs);
      },
    )
    .demandCommand(1, 'name a command: handset boot IMAGE (see --help)')
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
