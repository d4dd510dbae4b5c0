// QEMU log import on real logs captured here with tools/qemu-trace (qemu-system-arm is a project
// dependency), checked against the firmware's disassembly worked out by hand; and bad logs.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadImage } from '../../src/loader/image.ts';
import type { Segment } from '../../src/loader/types.ts';
import { TraceFileError } from '../../src/trace/format.ts';
import { importQemuLog } from '../../src/trace/qemu-import.ts';
import type { InsnRecord } from '../../src/trace/records.ts';

const dir = mkdtempSync(join(tmpdir(), 'handset-qemu-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function segmentsOf(image: string): Segment[] {
  return loadImage(image, {}, { ramBase: 0, ramSize: 128 * 1024 * 1024, mmio: [] }).segments;
}

function qemuLog(image: string): string {
  const log = join(dir, `${image.replaceAll('/', '_')}.log`);
  const run = spawnSync('tools/qemu-trace', [image, log], { encoding: 'latin1', timeout: 120_000 });
  if (run.status !== 0) throw new Error(`tools/qemu-trace ${image}: status ${run.status}: ${run.stderr}`);
  return log;
}

const arm = (i: number, pc: number, insn: number, regs: InsnRecord['regs']): InsnRecord => ({ kind: 'insn', i, cycle: i, pc, insn, thumb: false, mode: 0x13, regs });

t.test('hello.elf: the first instructions, as its disassembly says they run', async (t) => {
  const log = qemuLog('firmware/hello.elf');
  const records = [...importQemuLog(log, segmentsOf('firmware/hello.elf'))];
  const allZero = Object.fromEntries(Array.from({ length: 15 }, (_, k) => [`r${k}`, 0]));
  t.strictSame(records.slice(0, 12), [
    // _start: ldr sp, =0x80000 (the literal at 0x28); the first record carries r0-r14 and cpsr.
    arm(0, 0x00, 0xe59fd020, { ...allZero, r13: 0x80000, cpsr: 0x400001d3 }),
    arm(1, 0x04, 0xeb000008, { r14: 0x08 }), // bl uart_init
    arm(2, 0x2c, 0xe59f011c, { r0: 0x10009000 }), // ldr r0, =UART0 (literal at 0x150)
    arm(3, 0x30, 0xe59f111c, { r1: 0x301 }), // ldr r1, =0x301 (UARTEN | TXE | RXE, literal at 0x154)
    arm(4, 0x34, 0xe5801030, {}), // str r1, [r0, #0x30] (UARTCR)
    arm(5, 0x38, 0xe12fff1e, {}), // bx lr
    arm(6, 0x08, 0xe28f0004, { r0: 0x14 }), // add r0, pc, #4: the message at 0x14
    arm(7, 0x0c, 0xeb000010, { r14: 0x10 }), // bl puts
    arm(8, 0x54, 0xe92d4010, { r13: 0x7fff8 }), // push {r4, lr}
    arm(9, 0x58, 0xe1a04000, { r4: 0x14 }), // mov r4, r0
    arm(10, 0x5c, 0xe4d40001, { r0: 0x48, r4: 0x15 }), // ldrb r0, [r4], #1: 'H'
    arm(11, 0x60, 0xe3500000, { cpsr: 0x200001d3 }), // cmp r0, #0: Z clear, C set
  ]);
  const tracedPcs = readFileSync(log, 'latin1').split('\n').filter((l) => l.startsWith('Trace ')).map((l) => parseInt(l.split('/')[1]!, 16));
  t.strictSame(records.map((r) => r.pc), tracedPcs, 'one record per traced instruction, in order');
  t.strictSame(records.at(-1), arm(records.length - 1, 0x100, 0xef123456, {}), 'the exit SVC: its after-state is unknown');
});

t.test('thumb.elf: Thumb state, 16-bit encodings and a BL/BLX pair as one instruction', async (t) => {
  const records = [...importQemuLog(qemuLog('firmware/thumb.elf'), segmentsOf('firmware/thumb.elf'))];
  const movs = records.find((r) => r.pc === 0xcc)!;
  t.strictSame([movs.insn, movs.thumb, movs.regs], [0x2100, true, { r1: 0 }], 't_sumsq: movs r1, #0');
  const pairAt = records.findIndex((r) => r.pc === 0xe8);
  const pair = records[pairAt]!;
  t.strictSame([pair.insn, pair.thumb], [0xf7ffefec, true], 't_fib: blx a_add');
  t.equal(pair.regs.r14, 0xed, 'lr = the next Thumb instruction, bit 0 set');
  t.equal(pair.regs.cpsr! & 0x20, 0, 'T cleared: a_add is ARM');
  t.strictSame([records[pairAt + 1]!.pc, records[pairAt + 1]!.thumb], [0xc4, false]);
});

const BLOCKS = `Trace 0: 0x7fb1fc000100 [00000400/00000000/00000020/ff000201] 
R00=00000000 R01=00000000 R02=00000000 R03=00000000
R04=00000000 R05=00000000 R06=00000000 R07=00000000
R08=00000000 R09=00000000 R10=00000000 R11=00000000
R12=00000000 R13=00000000 R14=00000000 R15=00000000
PSR=400001d3 -Z-- A svc32
Trace 0: 0x7fb1fc000280 [00000400/00000004/00000020/ff000201] 
R00=00000000 R01=00000000 R02=00000000 R03=00000000
R04=00000000 R05=00000000 R06=00000000 R07=00000000
R08=00000000 R09=00000000 R10=00000000 R11=00000000
R12=00000000 R13=00080000 R14=00000000 R15=00000004
PSR=400001d3 -Z-- A svc32
Trace 0: 0x7fb1fc0003c0 [00000400/0000002c/00000020/ff000201] 
R00=00000000 R01=00000000 R02=00000000 R03=00000000
R04=00000000 R05=00000000 R06=00000000 R07=00000000
R08=00000000 R09=00000000 R10=00000000 R11=00000000
R12=00000000 R13=00080000 R14=00000008 R15=0000002c
PSR=400001d3 -Z-- A svc32
`;
const IRQ_BLOCK = `Trace 0: 0x7f3218003140 [00000400/00000018/00000020/ff000201] 
R00=00000000 R01=00000000 R02=00000000 R03=00000000
R04=00000000 R05=00000000 R06=00000000 R07=00000000
R08=00000000 R09=00000000 R10=00000000 R11=00000000
R12=00000000 R13=00078000 R14=00000030 R15=00000018
PSR=600001d2 -ZC- A irq32
`;

function importText(name: string, text: string, segments: Segment[] = []): InsnRecord[] {
  const path = join(dir, name);
  writeFileSync(path, text);
  return [...importQemuLog(path, segments)];
}

t.test('"Stopped execution of TB chain" drops the block that did not run', async (t) => {
  const records = importText('stopped.log', `${BLOCKS}Stopped execution of TB chain before 0x7fb1fc0003c0 [0000002c] \n${IRQ_BLOCK}`);
  t.strictSame(records.map((r) => r.pc), [0x00, 0x04, 0x18]);
  t.strictSame(records[1]!.regs, { r14: 0x08 }, 'the instruction before it still gets its after-state');
  t.strictSame([records[2]!.mode, records[2]!.regs], [0x12, {}], 'the IRQ vector, in IRQ mode');
});

t.test('"cpu_io_recompile: rewound execution" (QEMU -icount) drops the block, which is printed again when it runs', async (t) => {
  const again = BLOCKS.slice(BLOCKS.lastIndexOf('Trace 0:'));
  const records = importText('rewound.log', `${BLOCKS}cpu_io_recompile: rewound execution of TB to 0000002c\n${again.replace('ff000201', 'ff008201')}`);
  t.strictSame(records.map((r) => r.pc), [0x00, 0x04, 0x2c]);
  t.strictSame(records[1]!.regs, { r14: 0x08 }, 'the instruction before it still gets its after-state');
});

t.test('PCs outside the image get encoding 0', async (t) => {
  const records = importText('outside.log', BLOCKS);
  t.strictSame(records.map((r) => r.insn), [0, 0, 0]);
  t.strictSame(importText('inside.log', BLOCKS, segmentsOf('firmware/hello.elf')).map((r) => r.insn), [0xe59fd020, 0xeb000008, 0xe59f011c]);
});

t.test('bad logs: one line naming the log and the line', async (t) => {
  const expectError = (name: string, text: string | Uint8Array, problem: RegExp) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    t.throws(() => [...importQemuLog(path, [])], TraceFileError, name);
    try {
      [...importQemuLog(path, [])];
    } catch (e) {
      t.match((e as Error).message, problem, name);
      t.ok((e as Error).message.startsWith(`${path}: `), `${name}: names the log`);
      t.notMatch((e as Error).message, /\n/, `${name}: one line`);
    }
  };
  const garbage = new Uint8Array(4096).map((_, k) => (k * 131 + 7) & 0xff);
  expectError('garbage.log', garbage, /line 1: not a QEMU "-d exec,cpu" trace line/);
  expectError('empty.log', '', /no instructions in the log/);
  expectError('truncated.log', BLOCKS.split('\n').slice(0, 9).join('\n'), /line 9: the log ends inside an instruction's register dump/);
  expectError('cut-line.log', BLOCKS.slice(0, BLOCKS.indexOf('R08') + 10), /line 4: expected the R08= register line/);
  expectError('no-psr.log', BLOCKS.replace('PSR=400001d3 -Z-- A svc32', 'PSR=4000'), /line 6: expected a PSR= line/);
  expectError('wrong-stop.log', `${BLOCKS}Stopped execution of TB chain before 0x7fb1fc0003c0 [00000099] \n`, /line 19: "Stopped execution" names an instruction that was not just traced/);
  expectError('wrong-rewind.log', `${BLOCKS}cpu_io_recompile: rewound execution of TB to 00000004\n`, /line 19: "rewound execution" names an instruction that was not just traced/);
  t.throws(() => [...importQemuLog(join(dir, 'missing.log'), [])], { message: `${join(dir, 'missing.log')}: no such file` });
});
