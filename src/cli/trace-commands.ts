/**
 * The `handset trace` commands (yargs): show, diff and import-qemu. Adapters only: they open files, call
 * src/trace and print. Exit statuses: show and import-qemu 0; diff 0 same, 1 different. Bad input throws
 * UsageError, LoadError or TraceFileError (all exit 2 in the CLI). Output goes through the CLI's console
 * writer (src/cli/stdio.ts): a reader that goes away (`| head -1`) ends the command quietly with 141.
 */
import type { Argv } from 'yargs';
import { CPU_MODEL_NAMES, CPU_MODELS, type CpuModelName } from '../machine/machine.ts';
import { loadImage } from '../loader/image.ts';
import { memoryLayout } from '../machine/machine.ts';
import { diffTraces, divergenceText } from '../trace/diff.ts';
import { disassembler } from '../trace/disasm.ts';
import { partitionView } from '../trace/partitions.ts';
import { importQemuLog } from '../trace/qemu-import.ts';
import { openTrace, type TraceFile } from '../trace/reader.ts';
import { assemblyOf, recordJson, recordText } from '../trace/show.ts';
import { TraceWriter } from '../trace/writer.ts';
import { parseCount, parseIndex, parseRamSize, UsageError } from './options.ts';
import { refuseOutputOverInput } from './output-file.ts';
import { stdout } from './stdio.ts';

const EXIT_OK = 0;
/** `trace diff` when the traces differ (0 when they are the same). */
const EXIT_DIFFERENT = 1;

/** Where command output goes: the default writes to stdout. */
export type WriteText = (text: string) => void;

interface ShowArgs {
  file: string;
  from?: string;
  count?: string;
  json: boolean;
  vm?: string;
}

interface DiffArgs {
  a: string;
  b: string;
  context: string;
  'arch-only': boolean;
  vm?: string;
}

interface ImportArgs {
  log: string;
  image: string;
  output: string;
  cpu: string;
  ram: string;
}

export function registerTraceCommands<T>(y: Argv<T>, setStatus: (status: number) => void, write: WriteText = (text) => stdout.writeText(text)): Argv<T> {
  return y.command('trace', 'Show, compare and import instruction traces (docs/trace-format.md)', (trace) =>
    trace
      .command(
        'show <file>',
        'Print a trace: one line per instruction (disassembly, register changes) and per event',
        (c) =>
          c
            .positional('file', { type: 'string', demandOption: true, describe: 'trace file' })
            .option('from', { type: 'string', describe: 'first instruction index to show (default: the first)' })
            .option('count', { type: 'string', describe: 'number of instructions to show (default: all)' })
            .option('json', { type: 'boolean', default: false, describe: 'JSON Lines instead of text' })
            .option('vm', { type: 'string', describe: 'a hypervisor trace: only this partition\'s instructions and events (and the world switches into and out of it)' })
            .example('$0 trace show run.trace --from 1000 --count 20', 'twenty instructions from index 1000')
            .example('$0 trace show handset.trace --vm home', 'what the home partition ran'),
        (args) => setStatus(show(args as unknown as ShowArgs, write)),
      )
      .command(
        'diff <a> <b>',
        'Find the first divergence between two traces (exit 0 same, 1 different)',
        (c) =>
          c
            .positional('a', { type: 'string', demandOption: true, describe: 'trace file' })
            .positional('b', { type: 'string', demandOption: true, describe: 'trace file' })
            .option('context', { type: 'string', default: '5', describe: 'instructions to show before the divergence' })
            .option('arch-only', {
              type: 'boolean',
              default: false,
              describe: 'compare PC and registers only (not cycles, encodings or events): fast vs cycle vs QEMU',
            })
            .option('vm', { type: 'string', describe: 'hypervisor traces: compare only this partition\'s instructions and events' })
            .example('$0 trace diff golden.trace run.trace --arch-only', '')
            .example('$0 trace diff a.trace b.trace --vm work', 'did the work partition do the same?'),
        (args) => setStatus(diff(args as unknown as DiffArgs, write)),
      )
      .command(
        'import-qemu <log>',
        'Convert a QEMU log (tools/qemu-trace) into a trace file',
        (c) =>
          c
            .positional('log', { type: 'string', demandOption: true, describe: 'qemu-system-arm -singlestep -d exec,cpu,nochain log' })
            .option('image', { type: 'string', demandOption: true, describe: 'the ELF image QEMU ran (encodings are read from it)' })
            .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'trace file to write' })
            .option('cpu', { type: 'string', choices: CPU_MODEL_NAMES, default: 'arm926', describe: 'the -cpu QEMU ran (for the header)' })
            .option('ram', { type: 'string', default: '128M', describe: 'the -m QEMU ran' })
            .example('tools/qemu-trace firmware/hello.elf hello.log && $0 trace import-qemu hello.log --image firmware/hello.elf -o hello.trace', ''),
        (args) => setStatus(importQemu(args as unknown as ImportArgs)),
      )
      .demandCommand(1, 'name a trace command: show, diff or import-qemu'),
  );
}

function show(args: ShowArgs, write: WriteText): number {
  const from = args.from === undefined ? undefined : parseIndex('--from', args.from);
  const count = args.count === undefined ? undefined : parseCount('--count', args.count);
  const trace = openTrace(args.file);
  const vm = args.vm;
  if (vm !== undefined) checkPartition(trace, vm);
  const asm = assemblyOf(trace.header, disassembler());
  const out = new TextBuffer(write);
  // With --vm, --count counts that partition's instructions.
  const records = vm === undefined ? trace.records(from, count) : partitionView(trace.records(from), vm, count);
  for (const rec of records) out.line(args.json ? recordJson(rec, asm) : recordText(rec, asm, vm));
  out.flush();
  return EXIT_OK;
}

function diff(args: DiffArgs, write: WriteText): number {
  const context = parseIndex('--context', args.context);
  const a = openTrace(args.a);
  const b = openTrace(args.b);
  const vm = args.vm;
  if (vm !== undefined) {
    checkPartition(a, vm);
    checkPartition(b, vm);
  }
  const records = (trace: TraceFile) => (vm === undefined ? trace.records() : partitionView(trace.records(), vm));
  const result = diffTraces(records(a), records(b), { context, archOnly: args['arch-only'] });
  if (result.same) {
    write(`same: ${result.instructions} instructions${vm === undefined ? '' : ` of ${vm}`}${args['arch-only'] ? ' (PC and registers)' : ''}\n`);
    return EXIT_OK;
  }
  const asm = { a: assemblyOf(a.header, disassembler()), b: assemblyOf(b.header, disassembler()) };
  write(divergenceText(result, { a: args.a, b: args.b }, asm, vm).join('\n') + '\n');
  return EXIT_DIFFERENT;
}

/** --vm NAME: a partition of this (hypervisor) trace, else a usage error naming the ones it has. */
function checkPartition(trace: TraceFile, vm: string): void {
  const partitions = trace.header.hypervisor?.partitions.map((p) => p.name);
  if (partitions === undefined) throw new UsageError(`--vm ${vm}: ${trace.path} is a bare-metal trace (it has no partitions)`);
  if (!partitions.includes(vm)) throw new UsageError(`--vm ${vm}: not a partition of ${trace.path} (its partitions: ${partitions.join(', ')})`);
}

/**
 * Writes the trace to a temporary file beside -o and renames it over -o only when complete: a failed
 * import leaves -o as it was. The inputs are checked first (regular files, and not -o).
 */
function importQemu(args: ImportArgs): number {
  const cpu = args.cpu as CpuModelName;
  const ramSize = parseRamSize(args.ram);
  refuseOutputOverInput([{ what: '-o', path: args.output }], [{ what: 'the log', path: args.log }, { what: '--image', path: args.image }]);
  const image = loadImage(args.image, {}, memoryLayout(ramSize));
  const records = importQemuLog(args.log, image.segments);
  const writer = new TraceWriter(args.output, {
    source: 'qemu',
    cpu,
    clockHz: CPU_MODELS[cpu].defaultMhz * 1_000_000,
    ramSize,
    timing: 'fast',
    imageSha256: image.sha256 ?? '',
  });
  try {
    for (const rec of records) writer.writeInsn(rec);
    writer.close();
  } catch (error) {
    writer.abort();
    throw error;
  }
  return EXIT_OK;
}

/** Collects lines and hands them to `write` in large pieces. */
class TextBuffer {
  private pending: string[] = [];
  private size = 0;

  constructor(private readonly write: WriteText) {}

  line(text: string): void {
    this.pending.push(text);
    this.size += text.length + 1;
    if (this.size >= 1 << 16) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    this.write(this.pending.join('\n') + '\n');
    this.pending = [];
    this.size = 0;
  }
}
