// `trace show` lines, text and JSON, for a few records whose output was worked out by hand.
import t from 'tap';
import { disassembler } from '../../src/trace/disasm.ts';
import type { EventRecord, InsnRecord, TraceHeader } from '../../src/trace/records.ts';
import { assemblyOf, recordJson, recordText } from '../../src/trace/show.ts';
import { HEADER } from './synthetic.ts';

const handset: TraceHeader = { version: 1, ...HEADER };
const qemu: TraceHeader = { ...handset, source: 'qemu', timing: 'fast' };
const asm = assemblyOf(handset, disassembler());

const ldr: InsnRecord = { kind: 'insn', i: 0, cycle: 0, pc: 0, insn: 0xe59fd020, thumb: false, mode: 0x13, regs: { cpsr: 0x400001d3, r13: 0x80000 } };
const movs: InsnRecord = { kind: 'insn', i: 12345678, cycle: 9876543210, pc: 0xcc, insn: 0x2100, thumb: true, mode: 0x13, regs: { r1: 0 } };
const blx: InsnRecord = { kind: 'insn', i: 2189, cycle: 2189, pc: 0xe8, insn: 0xf7ffefec, thumb: true, mode: 0x13, regs: { r14: 0xed, cpsr: 0x200001d3 } };
const undefinedInsn: InsnRecord = { kind: 'insn', i: 5, cycle: 7, pc: 0x100, insn: 0xffffffff, thumb: false, mode: 0x1b, regs: {} };
const outsideImage: InsnRecord = { kind: 'insn', i: 40, cycle: 40, pc: 0x80000440, insn: 0, thumb: false, mode: 0x1f, regs: { r0: 1 } };

t.test('instruction lines: index, cycle, pc, encoding, disassembly, changed registers in order', async (t) => {
  t.equal(
    recordText(ldr, asm),
    '       0          0  00000000  e59fd020   ldr sp, [pc, #0x20]             r13=00080000 cpsr=400001d3',
  );
  t.equal(
    recordText(movs, asm),
    '12345678 9876543210  000000cc  2100       movs r1, #0                     r1=00000000',
  );
  t.equal(
    recordText(blx, asm),
    '    2189       2189  000000e8  f7ff efec  blx #0xc4                       r14=000000ed cpsr=200001d3',
  );
  t.equal(recordText(undefinedInsn, asm), '       5          7  00000100  ffffffff   <undefined>');
});

t.test('a QEMU import: encoding 0 is unknown', async (t) => {
  const qemuAsm = assemblyOf(qemu, disassembler());
  t.equal(
    recordText(outsideImage, qemuAsm),
    '      40         40  80000440  ????????   <encoding unknown>              r0=00000001',
  );
  t.equal(
    recordJson(outsideImage, qemuAsm),
    '{"i":40,"cycle":40,"pc":2147484736,"insn":0,"thumb":false,"mode":31,"asm":null,"regs":{"r0":1}}',
  );
  t.equal(recordText(outsideImage, asm), '      40         40  80000440  00000000   andeq r0, r0, r0                r0=00000001', 'not in our own traces');
});

t.test('event lines', async (t) => {
  const events: [EventRecord, string][] = [
    [{ kind: 'uart', port: 'uart0', direction: 'tx', byte: 0x48, i: 10, cycle: 12 }, "                 12  * uart uart0 tx 0x48 'H'"],
    [{ kind: 'uart', port: 'uart1', direction: 'rx', byte: 0x0a, i: 10, cycle: 12 }, '                 12  * uart uart1 rx 0x0a'],
    [
      { kind: 'exception', exception: 'swi', vector: 8, returnAddress: 0x104, i: 3, cycle: 5 },
      '                  5  * exception swi: vector 00000008, return address 00000104',
    ],
    [
      { kind: 'mmio', device: 'uart0', register: 'UARTFR', offset: 0x18, size: 4, write: false, value: 0x90, i: 3, cycle: 5 },
      '                  5  * mmio read uart0 UARTFR (+0x018, 4 bytes) = 00000090',
    ],
    [
      { kind: 'semihosting', op: 0x18, param: 0x20026, result: 0, exit: true, i: 225, cycle: 225 },
      '                225  * semihosting op 0x18 param 00020026 result 00000000 (exit)',
    ],
    [
      { kind: 'mem', address: 0x7fff8, size: 4, write: true, value: 0x10, i: 8, cycle: 8 },
      '                  8  * mem write 4 bytes [0007fff8] = 00000010',
    ],
  ];
  for (const [ev, line] of events) t.equal(recordText(ev, asm), line, ev.kind);
});

t.test('JSON Lines: fixed fields, numbers, changed registers only', async (t) => {
  t.equal(
    recordJson(ldr, asm),
    '{"i":0,"cycle":0,"pc":0,"insn":3852455968,"thumb":false,"mode":19,"asm":"ldr sp, [pc, #0x20]","regs":{"r13":524288,"cpsr":1073742291}}',
  );
  t.equal(
    recordJson(blx, asm),
    '{"i":2189,"cycle":2189,"pc":232,"insn":4160745452,"thumb":true,"mode":19,"asm":"blx #0xc4","regs":{"r14":237,"cpsr":536871379}}',
  );
  t.equal(
    recordJson({ kind: 'uart', port: 'uart0', direction: 'tx', byte: 0x48, i: 10, cycle: 12 }, asm),
    '{"event":"uart","i":10,"cycle":12,"port":"uart0","direction":"tx","byte":72}',
  );
  t.equal(
    recordJson({ value: 0x90, write: false, size: 4, offset: 0x18, register: 'UARTFR', device: 'uart0', cycle: 5, i: 3, kind: 'mmio' }, asm),
    '{"event":"mmio","i":3,"cycle":5,"device":"uart0","register":"UARTFR","offset":24,"size":4,"write":false,"value":144}',
    'field order does not depend on the record object',
  );
  t.equal(
    recordJson({ kind: 'semihosting', op: 5, param: 0x7ff00, result: -1, exit: false, i: 9, cycle: 11 }, asm),
    '{"event":"semihosting","i":9,"cycle":11,"op":5,"param":524032,"result":-1,"exit":false}',
  );
});
