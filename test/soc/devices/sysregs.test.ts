import t from 'tap';
import { Clock } from '../../../src/soc/clock.ts';
import { silentLogger, type LogClass, type Logger } from '../../../src/soc/device.ts';
import { SysRegs } from '../../../src/soc/devices/sysregs.ts';
import { restoreTwin } from '../fixtures/snapshot.ts';

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

/** LEDs lit, flags and non-volatile flags set, CLCD and configuration data written, SYS_LOCK as given. */
function usedRegs(lock: number) {
  const { clock, regs, wr } = setup(0x0400_0000);
  clock.advanceTo(123_457);
  wr(SYS_LED, 0xa5);
  wr(SYS_LOCK, lock);
  wr(0x28, 0x1234_5678);
  wr(0x2c, 0x9abc_def0);
  wr(SYS_FLAGS, 0x0f0f);
  wr(SYS_FLAGSCLR, 0x0003);
  wr(SYS_NVFLAGS, 0x8000_0001);
  wr(SYS_CLCD, 0xffff_ffff);
  return { clock, regs };
}

const SYSREGS_OFFSETS = Array.from({ length: 0xd4 / 4 }, (_, i) => 4 * i);

for (const [lock, what, expected] of [
  [0xa05f, 'unlocked (the key)', 0xa05f],
  [0x1_2345, 'locked (another value)', 0x2345],
] as const) {
  t.test(`snapshot with SYS_LOCK ${what} continues exactly`, async (t) => {
    const { clock, regs } = usedRegs(lock);
    const twins = restoreTwin(clock, regs, (c) => new SysRegs({ name: 'sysregs', time: c, logger: silentLogger, procId: 0x0400_0000 }));
    const { copy } = twins;
    t.equal(copy.device.read(SYS_LOCK, 4), expected);
    t.equal(copy.device.read(SYS_LED, 4), 0xa5);
    t.equal(copy.device.read(SYS_FLAGS, 4), 0x0f0c);
    t.equal(copy.device.read(SYS_NVFLAGS, 4), 0x8000_0001);
    t.equal(copy.device.read(SYS_CLCD, 4), 0xffff_dfff, 'CLCDID kept');
    t.equal(copy.device.read(SYS_24MHZ, 4), 29_629, '123 457 cycles at 100 MHz = 29 629.68 ticks of 24 MHz');
    for (const cycle of [123_458, 200_000, 2 ** 40]) {
      twins.at(cycle);
      const [a, b] = twins.read(SYSREGS_OFFSETS);
      t.same(b, a, `all registers at cycle ${cycle}`);
    }
    twins.both((d) => (d.write(SYS_NVFLAGSCLR, 4, 1), d.reset()));
    const [a, b] = twins.read(SYSREGS_OFFSETS);
    t.same(b, a, 'after reset');
    t.equal(copy.device.read(SYS_NVFLAGS, 4), 0x8000_0000, 'SYS_NVFLAGS survives reset');
    t.same(copy.irq, [], 'no interrupt line');
  });
}

t.test('the system registers state is plain data', async (t) => {
  const state = usedRegs(0xa05f).regs.save();
  t.strictSame(JSON.parse(JSON.stringify(state)), state);
  t.same(state, {
    registers: {
      SYS_LED: 0xa5,
      SYS_LOCK: 0xa05f,
      SYS_CFGDATA1: 0x1234_5678,
      SYS_CFGDATA2: 0x9abc_def0,
      SYS_FLAGS: 0x0f0c,
      SYS_NVFLAGS: 0x8000_0001,
      SYS_CLCD: 0xffff_dfff,
    },
  });
});

t.test('a bad system registers state is a one-line SnapshotError and changes nothing', async (t) => {
  const good = usedRegs(0xa05f).regs.save();
  const { regs: target } = setup();
  const before = target.save();
  const regs = (patch: object) => ({ registers: { ...good.registers, ...patch } });
  const { SYS_LED: _, ...noLed } = good.registers;
  const cases: [unknown, string][] = [
    [{}, 'sysregs: snapshot field registers: missing'],
    [{ registers: noLed }, 'sysregs: snapshot field registers.SYS_LED: missing'],
    [regs({ SYS_ID: 0 }), 'sysregs: snapshot field registers.SYS_ID: unknown field'],
    [regs({ SYS_LOCK: 0x8000 }), 'sysregs: snapshot field registers.SYS_LOCK: 0x8000 is neither 0xa05f nor a 15-bit value'],
    [regs({ SYS_CLCD: 0 }), 'sysregs: snapshot field registers.SYS_CLCD: 0x0 changes read-only bits 0x3f00'],
    [regs({ SYS_FLAGS: 2 ** 32 }), 'sysregs: snapshot field registers.SYS_FLAGS: 4294967296 is out of range 0..4294967295'],
    [regs({ SYS_LED: null }), 'sysregs: snapshot field registers.SYS_LED: expected an integer, got null'],
  ];
  for (const [state, message] of cases) {
    t.throws(() => target.load(state as never), { name: 'SnapshotError', message }, message);
  }
  t.same(target.save(), before);
});
