import t from 'tap';
import { Clock } from '../../../src/soc/clock.ts';
import type { LogClass, Logger } from '../../../src/soc/device.ts';
import { SysRegs } from '../../../src/soc/devices/sysregs.ts';

const SYS_ID = 0x00;
const SYS_SW = 0x04;
const SYS_LED = 0x08;
const SYS_OSC0 = 0x0c;
const SYS_LOCK = 0x20;
const SYS_100HZ = 0x24;
const SYS_FLAGS = 0x30;
const SYS_FLAGSCLR = 0x34;
const SYS_NVFLAGS = 0x38;
const SYS_NVFLAGSCLR = 0x3c;
const SYS_RESETCTL = 0x40;
const SYS_PCICTL = 0x44;
const SYS_MCI = 0x48;
const SYS_CLCD = 0x50;
const SYS_24MHZ = 0x5c;
const SYS_PROCID0 = 0x84;
const SYS_PROCID1 = 0x88;
const SYS_CFGDATA = 0xa0;

function setup(procId?: number) {
  const clock = new Clock(100_000_000);
  const logs: [LogClass, string][] = [];
  const logger: Logger = { enabled: () => true, log: (cls, message) => logs.push([cls, message]) };
  const regs = new SysRegs({ name: 'sysregs', time: clock, logger, procId });
  return { clock, regs, logs, rd: (o: number) => regs.read(o, 4), wr: (o: number, v: number) => regs.write(o, 4, v) };
}

t.test('identification and fixed values for realview-eb', async (t) => {
  const { rd } = setup();
  t.equal(rd(SYS_ID), 0xc140_0400, 'EB board ID 0x140');
  t.equal(rd(SYS_PROCID0), 0x0200_0000, 'ARMv5 (arm926) by default');
  t.equal(rd(SYS_PROCID1), 0xff00_0000);
  t.equal(rd(SYS_PCICTL), 1);
  t.equal(rd(SYS_CLCD), 0x1f00, 'CLCDID 0x1F: VGA');
  t.equal(rd(SYS_SW), 0);
  t.equal(rd(SYS_MCI), 0);
  t.equal(rd(SYS_100HZ), 0, 'QEMU does not implement the 100 Hz counter');
  t.equal(setup(0x0600_0000).rd(SYS_PROCID0), 0x0600_0000, 'ARMv6K');
});

t.test('SYS_24MHZ counts 24 MHz ticks of virtual time, truncated to 32 bits', async (t) => {
  const { clock, rd } = setup();
  t.equal(rd(SYS_24MHZ), 0);
  // At 100 MHz one cycle is 0.24 ticks of 24 MHz.
  clock.advanceTo(1000);
  t.equal(rd(SYS_24MHZ), 240);
  clock.advanceTo(1004);
  t.equal(rd(SYS_24MHZ), 240, '240.96 rounds down');
  clock.advanceTo(1005);
  t.equal(rd(SYS_24MHZ), 241, '241.2');
  // 2^32 + 5 ticks = 4294967301 ticks, reached at cycle ceil(4294967301 / 0.24) = 17895697088.
  clock.advanceTo(17_895_697_087);
  t.equal(rd(SYS_24MHZ), 4, '4294967300.88 ticks, modulo 2^32');
  clock.advanceTo(17_895_697_088);
  t.equal(rd(SYS_24MHZ), 5);
});

t.test('SYS_LOCK keeps 0xA05F or the low 15 bits of what is written', async (t) => {
  const { rd, wr } = setup();
  wr(SYS_LOCK, 0x1234);
  t.equal(rd(SYS_LOCK), 0x1234);
  wr(SYS_LOCK, 0xffff);
  t.equal(rd(SYS_LOCK), 0x7fff);
  wr(SYS_LOCK, 0xa05f);
  t.equal(rd(SYS_LOCK), 0xa05f);
});

t.test('flags: set, clear, and only the non-volatile ones survive reset', async (t) => {
  const { regs, rd, wr } = setup();
  wr(SYS_FLAGS, 0x5);
  wr(SYS_FLAGS, 0x10);
  t.equal(rd(SYS_FLAGS), 0x15, 'SYS_FLAGSSET ORs');
  wr(SYS_FLAGSCLR, 0x4);
  t.equal(rd(SYS_FLAGS), 0x11);
  wr(SYS_NVFLAGS, 0xf0);
  wr(SYS_NVFLAGSCLR, 0x30);
  t.equal(rd(SYS_NVFLAGS), 0xc0);
  wr(SYS_LED, 0xaa);
  regs.reset();
  t.equal(rd(SYS_FLAGS), 0);
  t.equal(rd(SYS_LED), 0);
  t.equal(rd(SYS_NVFLAGS), 0xc0);
});

t.test('SYS_CLCD keeps CLCDID read-only; read-as-zero and read-only registers ignore writes', async (t) => {
  const { rd, wr, logs } = setup();
  wr(SYS_CLCD, 0xffff_ffff);
  t.equal(rd(SYS_CLCD), 0xffff_dfff, 'bits 13:8 stay 0x1F');
  wr(SYS_CLCD, 0);
  t.equal(rd(SYS_CLCD), 0x1f00);
  wr(SYS_OSC0, 5);
  wr(SYS_RESETCTL, 0x104);
  wr(SYS_PCICTL, 0);
  wr(SYS_PROCID0, 0);
  t.equal(rd(SYS_OSC0), 0);
  t.equal(rd(SYS_RESETCTL), 0, 'RAZ/WI on the EB');
  t.equal(rd(SYS_PCICTL), 1);
  t.equal(rd(SYS_PROCID0), 0x0200_0000);
  t.equal(logs.length, 0, 'QEMU accepts these writes silently');
});

t.test('unknown offsets and writes to read-only registers are guest errors', async (t) => {
  const { rd, wr, logs } = setup();
  t.equal(rd(SYS_CFGDATA), 0, 'SYS_CFGDATA is VExpress only');
  t.equal(rd(SYS_FLAGSCLR), 0, 'write-only');
  wr(SYS_ID, 0);
  t.equal(rd(SYS_ID), 0xc140_0400);
  t.equal(logs.length, 3);
  t.ok(logs.every(([cls]) => cls === 'guest-errors'));
});
