import t from 'tap';
import { Clock } from '../../../src/soc/clock.ts';
import { silentLogger, type LogClass, type Logger } from '../../../src/soc/device.ts';
import { Gic } from '../../../src/soc/devices/gic.ts';
import { restoreTwin } from '../fixtures/snapshot.ts';

// CPU interface at +0, distributor at +0x1000 (realview_gic.c maps them so).
const GICC_CTLR = 0x00;
const GICC_PMR = 0x04;
const GICC_BPR = 0x08;
const GICC_IAR = 0x0c;
const GICC_EOIR = 0x10;
const GICC_RPR = 0x14;
const GICC_HPPIR = 0x18;
const GICC_IIDR = 0xfc;
const GICD = 0x1000;
const GICD_CTLR = GICD + 0x000;
const GICD_TYPER = GICD + 0x004;
const GICD_IIDR = GICD + 0x008;
const GICD_ISENABLER = GICD + 0x100;
const GICD_ICENABLER = GICD + 0x180;
const GICD_ISPENDR = GICD + 0x200;
const GICD_ICPENDR = GICD + 0x280;
const GICD_ISACTIVER = GICD + 0x300;
const GICD_IPRIORITYR = GICD + 0x400;
const GICD_ITARGETSR = GICD + 0x800;
const GICD_ICFGR = GICD + 0xc00;
const GICD_SGIR = GICD + 0xf00;
const GICD_SPENDSGIR = GICD + 0xf20;
const SPURIOUS = 1023;

function setup() {
  const logs: [LogClass, string][] = [];
  const logger: Logger = { enabled: () => true, log: (cls, message) => logs.push([cls, message]) };
  const gic = new Gic({ name: 'gic', time: new Clock(100_000_000), logger });
  const rd = (o: number): number => gic.read(o, 4);
  const wr = (o: number, v: number): void => gic.write(o, 4, v);
  const enable = (id: number, priority: number): void => {
    wr(GICD_ISENABLER + 4 * (id >> 5), 1 << (id & 31));
    gic.write(GICD_IPRIORITYR + id, 1, priority);
  };
  /** Distributor and CPU interface on, priority mask 0xF0. */
  const start = (): void => {
    wr(GICD_CTLR, 1);
    wr(GICC_CTLR, 1);
    wr(GICC_PMR, 0xf0);
  };
  return { gic, logs, rd, wr, enable, start };
}

t.test('reset state matches QEMU arm_gic_common reset for a revision 1, 96-interrupt, 1-CPU GIC', async (t) => {
  const { gic, rd } = setup();
  t.equal(rd(GICD_TYPER), 2, 'ITLinesNumber = 96/32 - 1, CPUNumber = 0');
  t.equal(rd(GICD_CTLR), 0);
  t.equal(rd(GICD_IIDR), 0, 'QEMU 7.2 has no GICD_IIDR');
  t.equal(rd(GICC_CTLR), 0);
  t.equal(rd(GICC_PMR), 0, 'everything masked until software writes GICC_PMR');
  t.equal(rd(GICC_BPR), 0);
  t.equal(rd(GICC_RPR), 0xff, 'idle');
  t.equal(rd(GICC_HPPIR), SPURIOUS);
  t.equal(rd(GICC_IIDR), 0x0001_043b, 'revision 1, ARM implementer');
  t.equal(rd(GICD_ISENABLER), 0x0000_ffff, 'SGIs always enabled');
  t.equal(rd(GICD_ISENABLER + 4), 0);
  t.equal(rd(GICD_ICFGR), 0xaaaa_aaaa, 'SGIs edge-triggered');
  t.equal(rd(GICD_ICFGR + 4), 0, 'PPIs level-sensitive');
  t.equal(rd(GICD_ICFGR + 8), 0, 'SPIs level-sensitive');
  t.equal(rd(GICD_IPRIORITYR + 36), 0);
  const ids = [0xfd0, 0xfe0, 0xfe4, 0xfe8, 0xfec, 0xff0, 0xff4, 0xff8, 0xffc].map((o) => rd(GICD + o));
  t.same(ids, [0x04, 0x90, 0xb3, 0x1b, 0x00, 0x0d, 0xf0, 0x05, 0xb1], 'PL390 peripheral and PrimeCell IDs');
  t.equal(rd(GICC_IAR), SPURIOUS);
  t.equal(gic.irq.level, false);
});

t.test('a level-sensitive SPI: pending while high, acknowledge, EOI', async (t) => {
  const { gic, rd, wr, enable, start } = setup();
  start();
  enable(36, 0x80);
  gic.setInput(36, true);
  t.equal(gic.irq.level, true, '0x80 < PMR 0xF0 and < idle priority');
  t.equal(rd(GICC_HPPIR), 36);
  t.equal(rd(GICD_ISPENDR + 4), 1 << 4);
  t.equal(rd(GICC_IAR), 36);
  t.equal(gic.irq.level, false, 'active interrupts are not signalled again');
  t.equal(rd(GICC_RPR), 0x80);
  t.equal(rd(GICD_ISACTIVER + 4), 1 << 4);
  t.equal(rd(GICD_ISPENDR + 4), 1 << 4, 'still pending: the line is high');
  t.equal(rd(GICC_HPPIR), SPURIOUS);
  wr(GICC_EOIR, 36);
  t.equal(rd(GICC_RPR), 0xff);
  t.equal(rd(GICD_ISACTIVER + 4), 0);
  t.equal(gic.irq.level, true, 'line still high: signalled again after EOI');
  gic.setInput(36, false);
  t.equal(gic.irq.level, false);
  t.equal(rd(GICD_ISPENDR + 4), 0);
  t.equal(rd(GICC_IAR), SPURIOUS);
});

t.test('priority must be strictly below GICC_PMR', async (t) => {
  const { gic, rd, wr, enable, start } = setup();
  start();
  enable(40, 0x80);
  wr(GICC_PMR, 0x80);
  gic.setInput(40, true);
  t.equal(gic.irq.level, false);
  t.equal(rd(GICC_HPPIR), SPURIOUS, 'masked interrupts are not visible in GICC_HPPIR');
  t.equal(rd(GICC_IAR), SPURIOUS);
  wr(GICC_PMR, 0x81);
  t.equal(gic.irq.level, true);
  t.equal(rd(GICC_HPPIR), 40);
});

t.test('preemption by running priority and nested EOIs', async (t) => {
  const { gic, rd, wr, enable, start } = setup();
  start();
  enable(40, 0x41);
  enable(41, 0x30);
  enable(44, 0x20);
  gic.setInput(40, true);
  t.equal(rd(GICC_IAR), 40);
  t.equal(rd(GICC_RPR), 0x40, 'GICC_BPR 0: group priority is bits [7:1] of 0x41');
  gic.setInput(41, true);
  t.equal(gic.irq.level, true, '0x30 preempts 0x40');
  t.equal(rd(GICC_IAR), 41);
  t.equal(rd(GICC_RPR), 0x30);
  gic.setInput(44, true);
  t.equal(rd(GICC_IAR), 44);
  t.equal(rd(GICC_RPR), 0x20);
  for (const id of [40, 41, 44]) gic.setInput(id, false);
  wr(GICC_EOIR, 44);
  t.equal(rd(GICC_RPR), 0x30, 'back to the next active priority');
  wr(GICC_EOIR, 41);
  t.equal(rd(GICC_RPR), 0x40);
  wr(GICC_EOIR, 40);
  t.equal(rd(GICC_RPR), 0xff);
  wr(GICC_EOIR, 40);
  t.equal(rd(GICC_RPR), 0xff, 'EOI with nothing active is ignored');
  t.equal(rd(GICD_ISACTIVER + 4), 0);
});

t.test('GICC_BPR groups priorities: same group priority cannot preempt', async (t) => {
  const { gic, rd, wr, enable, start } = setup();
  start();
  wr(GICC_BPR, 3);
  enable(40, 0x4f);
  enable(41, 0x41);
  enable(42, 0x3f);
  gic.setInput(40, true);
  t.equal(rd(GICC_IAR), 40);
  t.equal(rd(GICC_RPR), 0x40, 'group priority = bits [7:4] with BPR 3');
  gic.setInput(41, true);
  t.equal(gic.irq.level, false, '0x41 is not below running priority 0x40');
  t.equal(rd(GICC_IAR), SPURIOUS);
  gic.setInput(42, true);
  t.equal(gic.irq.level, true, '0x3F is');
  t.equal(rd(GICC_IAR), 42);
});

t.test('equal priorities: the lowest ID wins', async (t) => {
  const { gic, rd, enable, start } = setup();
  start();
  enable(50, 0x80);
  enable(40, 0x80);
  gic.setInput(50, true);
  gic.setInput(40, true);
  t.equal(rd(GICC_HPPIR), 40);
  t.equal(rd(GICC_IAR), 40);
});

t.test('an edge-triggered SPI latches rising edges', async (t) => {
  const { gic, rd, wr, enable, start } = setup();
  start();
  enable(33, 0x80);
  wr(GICD_ICFGR + 8, 0b10 << 2); // ID 33: the second field of GICD_ICFGR2, bit 1 = edge
  t.equal(rd(GICD_ICFGR + 8), 0b1000);
  gic.setInput(33, true);
  gic.setInput(33, false);
  t.equal(rd(GICD_ISPENDR + 4), 1 << 1, 'latched after the line fell');
  t.equal(gic.irq.level, true);
  t.equal(rd(GICC_IAR), 33);
  t.equal(rd(GICD_ISPENDR + 4), 0, 'acknowledge clears the latch');
  gic.setInput(33, true);
  gic.setInput(33, false);
  t.equal(rd(GICD_ISPENDR + 4), 1 << 1, 'a new edge while active latches again');
  t.equal(gic.irq.level, false, 'but is not signalled while active');
  wr(GICC_EOIR, 33);
  t.equal(gic.irq.level, true);
  wr(GICD_ICPENDR + 4, 1 << 1);
  t.equal(gic.irq.level, false, 'GICD_ICPENDR clears the latch');
});

t.test('software pending and the distributor enable', async (t) => {
  const { gic, rd, wr, enable, start } = setup();
  enable(32, 0x10);
  wr(GICD_ISPENDR + 4, 1);
  wr(GICC_CTLR, 1);
  wr(GICC_PMR, 0xff);
  t.equal(gic.irq.level, false, 'distributor off');
  t.equal(rd(GICC_HPPIR), SPURIOUS);
  start();
  t.equal(gic.irq.level, true);
  wr(GICD_ICENABLER + 4, 1);
  t.equal(gic.irq.level, false, 'disabled');
  t.equal(rd(GICD_ISPENDR + 4), 1, 'still pending');
  wr(GICD_ISENABLER + 4, 1);
  t.equal(rd(GICC_IAR), 32);
  t.equal(rd(GICD_ISPENDR + 4), 0);
});

t.test('SGIs through GICD_SGIR and GICD_SPENDSGIR', async (t) => {
  const { gic, rd, wr, logs, start } = setup();
  start();
  wr(GICD_SGIR, 0x0200_0005); // TargetListFilter 2: this CPU
  t.equal(gic.irq.level, true, 'SGIs are enabled with priority 0 at reset');
  t.equal(rd(GICC_IAR), 5, 'source CPU 0 in bits [12:10]');
  wr(GICC_EOIR, 5);
  wr(GICD_SGIR, 0x0100_0003); // filter 1: every other CPU
  t.equal(gic.irq.level, false);
  wr(GICD_SGIR, 0x0001_0007); // filter 0, CPUTargetList = CPU 0
  t.equal(rd(GICC_IAR), 7);
  wr(GICC_EOIR, 7);
  gic.write(GICD_SGIR, 1, 0x05);
  t.equal(gic.irq.level, false, 'GICD_SGIR takes word writes only');
  t.equal(logs.length, 1);
  gic.write(GICD_SPENDSGIR + 2, 1, 0b10); // SGI 2 pending from CPU 1
  t.equal(rd(GICC_IAR), 2 | (1 << 10));
  wr(GICD_ICENABLER, 0xffff);
  t.equal(rd(GICD_ISENABLER), 0xffff, 'SGIs cannot be disabled');
  wr(GICD_ISPENDR, 0xffff);
  t.equal(rd(GICD_ISPENDR), 0, 'nor pended through GICD_ISPENDR');
});

t.test('GICD_IPRIORITYR is byte-accessible, GICD_ITARGETSR is RAZ/WI', async (t) => {
  const { gic, rd, wr } = setup();
  gic.write(GICD_IPRIORITYR + 37, 1, 0xa0);
  t.equal(rd(GICD_IPRIORITYR + 36), 0xa000);
  wr(GICD_IPRIORITYR + 40, 0x1122_3344);
  t.equal(gic.read(GICD_IPRIORITYR + 43, 1), 0x11);
  t.equal(gic.read(GICD_IPRIORITYR + 40, 2), 0x3344);
  wr(GICD_ITARGETSR + 36, 0x0101_0101);
  t.equal(rd(GICD_ITARGETSR + 36), 0);
});

t.test('inputs: IDs 16-95 only; listeners for IrqLine wiring', async (t) => {
  const { gic, rd, enable, start } = setup();
  t.throws(() => gic.setInput(15, true));
  t.throws(() => gic.setInput(96, true));
  t.throws(() => gic.input(5));
  start();
  enable(45, 0x80);
  gic.input(45)(true);
  t.equal(rd(GICC_HPPIR), 45);
});

t.test('reset clears the distributor and CPU interface but not the input wires', async (t) => {
  const { gic, rd, enable, start } = setup();
  start();
  enable(36, 0x80);
  gic.setInput(36, true);
  t.equal(rd(GICC_IAR), 36);
  gic.reset();
  t.equal(gic.irq.level, false);
  t.equal(rd(GICC_RPR), 0xff);
  t.equal(rd(GICD_ISACTIVER + 4), 0);
  t.equal(rd(GICD_ISENABLER + 4), 0);
  start();
  enable(36, 0x80);
  t.equal(gic.irq.level, true, 'the line is still high');
});

t.test('bad offsets log guest errors; register names', async (t) => {
  const { gic, rd, wr, logs } = setup();
  t.equal(rd(GICD_SGIR), 0);
  t.equal(rd(GICD + 0x380), 0, 'GICD_ICACTIVER is GICv2 only');
  t.equal(rd(GICD_ISENABLER + 12), 0, 'beyond interrupt 95');
  wr(GICD_ISACTIVER, 1);
  wr(GICC_IAR, 0);
  t.equal(logs.length, 5);
  t.ok(logs.every(([cls]) => cls === 'guest-errors'));
  t.equal(gic.registerName(GICC_IAR), 'GICC_IAR');
  t.equal(gic.registerName(GICD_ISENABLER + 4), 'GICD_ISENABLER1');
  t.equal(gic.registerName(GICD_IPRIORITYR + 41), 'GICD_IPRIORITYR10');
  t.equal(gic.registerName(GICD + 0xfe0), 'GICD_PIDR0');
  t.equal(gic.registerName(GICD_SGIR), 'GICD_SGIR');
});

/**
 * SGI 3 active (running priority 0x30); pending: edge-triggered SPI 40 (latched, line low again, 0x20, so
 * the CPU line is high), level-sensitive SPI 36 (line high, 0x40), SGI 5 from CPUs 1 and 2 (0x60) and SPI 50
 * below the priority mask (0xF8); SPI 45 enabled, idle. GICC_BPR 2.
 */
function busyGic() {
  const s = { ...setup(), sgi3: -1 };
  const { gic, wr, enable, start } = s;
  start();
  wr(GICC_BPR, 2);
  enable(36, 0x40);
  gic.setInput(36, true);
  enable(40, 0x20);
  wr(GICD_ICFGR + 8, 1 << 17);
  enable(45, 0x80);
  enable(50, 0xf8);
  wr(GICD_ISPENDR + 4, 1 << (50 - 32));
  gic.write(GICD_IPRIORITYR + 3, 1, 0x30);
  gic.write(GICD_IPRIORITYR + 5, 1, 0x60);
  wr(GICD_SGIR, (1 << 16) | 3);
  gic.write(GICD_SPENDSGIR + 5, 1, 0x06);
  s.sgi3 = s.rd(GICC_IAR);
  gic.setInput(40, true);
  gic.setInput(40, false);
  return s;
}

const GIC_REGISTERS = [
  GICC_CTLR, GICC_PMR, GICC_BPR, GICC_RPR, GICC_HPPIR, GICD_CTLR,
  ...[0, 4, 8].flatMap((w) => [GICD_ISENABLER + w, GICD_ISPENDR + w, GICD_ISACTIVER + w]),
  ...Array.from({ length: 24 }, (_, i) => GICD_IPRIORITYR + 4 * i),
  ...Array.from({ length: 6 }, (_, i) => GICD_ICFGR + 4 * i),
  ...[0, 4, 8, 12].flatMap((w) => [GICD + 0xf10 + w, GICD_SPENDSGIR + w]),
];

t.test('snapshot with active, pending and masked interrupts continues exactly', async (t) => {
  const { gic, sgi3 } = busyGic();
  t.equal(sgi3, 3, 'SGI 3 from CPU 0 acknowledged');
  t.equal(gic.irq.level, true);
  const clock = new Clock(100_000_000);
  const twins = restoreTwin(clock, gic, (c) => new Gic({ name: 'gic', time: c, logger: silentLogger }));
  const { original, copy } = twins;
  t.equal(copy.device.irq.level, true, 'SPI 40 preempts the running priority: the line is high after load');
  t.equal(copy.device.read(GICC_RPR, 4), 0x30);
  t.equal(copy.device.read(GICC_HPPIR, 4), 40);
  const compare = (what: string): void => {
    const [a, b] = twins.read(GIC_REGISTERS);
    t.same(b, a, what);
  };
  compare('registers after load');
  const acks: number[] = [];
  const ack = (): void => {
    const [[a], [b]] = twins.read([GICC_IAR]);
    t.equal(b, a, 'same GICC_IAR');
    acks.push(b);
  };
  const eoi = (id: number): void => twins.both((d) => d.write(GICC_EOIR, 4, id));
  let cycle = 0;
  const steps: (() => void)[] = [
    ack,
    () => eoi(40),
    () => eoi(3),
    ack,
    () => twins.both((d) => d.setInput(36, false)),
    () => eoi(36),
    ack,
    ack,
    () => eoi(5),
    ack,
    () => eoi(5),
    () => twins.both((d) => d.setInput(45, true)),
    ack,
    () => twins.both((d) => d.write(GICC_PMR, 4, 0xff)),
    ack,
    () => twins.both((d) => d.setInput(45, false)),
    () => eoi(45),
    ack,
    () => eoi(50),
    () => twins.both((d) => d.setInput(40, true)),
    ack,
  ];
  for (const step of steps) {
    twins.at((cycle += 10));
    step();
    compare(`registers at step ${cycle / 10}`);
  }
  t.same(acks, [40, 36, 5 | (1 << 10), SPURIOUS, 5 | (2 << 10), 45, SPURIOUS, 50, 40], 'interrupts taken in order');
  t.same(copy.irq, original.irq, 'same IRQ line history');
  t.equal(copy.irq.length > 6, true, 'the line moved');
});

t.test('the GIC state is plain data', async (t) => {
  const { gic } = busyGic();
  const state = gic.save();
  t.strictSame(JSON.parse(JSON.stringify(state)), state);
  t.match(state, {
    distEnabled: true,
    cpuEnabled: true,
    pmr: 0xf0,
    bpr: 2,
    enabled: [...Array.from({ length: 16 }, (_, i) => i), 36, 40, 45, 50],
    pending: [5, 40, 50],
    active: [3],
    level: [36],
    edge: [...Array.from({ length: 16 }, (_, i) => i), 40],
    apr: [1 << (0x30 >> 1), 0, 0, 0],
  });
  t.equal(state.priority[40], 0x20);
  t.notOk(state.pending.includes(36), 'a level-sensitive interrupt is pending through its line, not a latch');
  t.same(state.sgiSources.slice(3, 6), [0, 0, 0x06]);
});

t.test('a bad GIC state is a one-line SnapshotError and changes nothing', async (t) => {
  const { gic } = busyGic();
  const good = gic.save();
  const target = setup().gic;
  const before = target.save();
  const sgis = Array.from({ length: 16 }, (_, i) => i);
  const cases: [unknown, string][] = [
    [{ ...good, pmr: 256 }, 'gic: snapshot field pmr: 256 is out of range 0..255'],
    [{ ...good, bpr: 8 }, 'gic: snapshot field bpr: 8 is out of range 0..7'],
    [{ ...good, cpuEnabled: 'yes' }, 'gic: snapshot field cpuEnabled: expected true or false, got "yes"'],
    [{ ...good, enabled: sgis.slice(1) }, 'gic: snapshot field enabled: SGIs 0-15 must all be in it'],
    [{ ...good, level: [3] }, 'gic: snapshot field level[0]: 3 is out of range 16..95'],
    [{ ...good, pending: [5, 36, 36] }, 'gic: snapshot field pending: expected strictly increasing values'],
    [{ ...good, active: [96] }, 'gic: snapshot field active[0]: 96 is out of range 0..95'],
    [{ ...good, priority: good.priority.slice(1) }, 'gic: snapshot field priority: expected 96 elements, got 95'],
    [{ ...good, pending: [3, 5, 36, 40, 50] }, 'gic: snapshot field pending: SGI 3 must be pending exactly when it has a source in sgiSources'],
    [{ ...good, apr: [0, 2 ** 32, 0, 0] }, 'gic: snapshot field apr[1]: 4294967296 is out of range 0..4294967295'],
    [{ ...good, runningPriority: 0x30 }, 'gic: snapshot field runningPriority: unknown field'],
  ];
  for (const [state, message] of cases) {
    t.throws(() => target.load(state as never), { name: 'SnapshotError', message }, message);
  }
  t.same(target.save(), before);
});
