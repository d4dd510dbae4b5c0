// The board: every table row with an IRQ line is wired to the GIC (or the build fails), and the whole board's
// device state saves and loads.
import t from 'tap';
import { buildBoard, GIC_SPI_BASE, loadBoard, REALVIEW_EB, saveBoard, type BoardEntry } from '../../src/soc/board.ts';
import { Clock } from '../../src/soc/clock.ts';
import { silentLogger } from '../../src/soc/device.ts';

const GICD_ISPENDR = 0x1200;
const GICC_IAR = 0x0c;

function board(table?: readonly BoardEntry[]) {
  const clock = new Clock(100_000_000);
  return { clock, board: buildBoard({ time: clock, logger: silentLogger, procId: 0x0200_0000, table }) };
}

/** Whether GIC interrupt `id` reads as pending. */
function pending(b: ReturnType<typeof board>['board'], id: number): boolean {
  return ((b.gic.read(GICD_ISPENDR + 4 * (id >> 5), 4) >>> (id & 31)) & 1) === 1;
}

t.test('every row with an IRQ line drives its GIC input, whatever the kind of device', async (t) => {
  const { board: b } = board();
  const wired = REALVIEW_EB.filter((e) => e.irq !== undefined);
  t.same(
    wired.map((e) => e.name).sort(),
    ['aaci', 'clcd', 'dma', 'gpio0', 'gpio1', 'gpio2', 'kmi0', 'kmi1', 'mmci', 'rtc', 'timer01', 'timer23', 'uart0', 'uart1', 'uart2', 'uart3'],
  );
  for (const entry of wired) {
    const id = entry.irq! + GIC_SPI_BASE;
    const line = b.devices.get(entry.name)!.device.irq!;
    t.notOk(pending(b, id), `${entry.name}: GIC ${id} idle`);
    line.set(true);
    t.ok(pending(b, id), `${entry.name}: its line raises GIC ${id}`);
    for (const other of wired) if (other !== entry) t.notOk(pending(b, other.irq! + GIC_SPI_BASE), `and only that one`);
    line.set(false);
    t.notOk(pending(b, id), `${entry.name}: and lowers it`);
  }
});

t.test('a real device interrupt reaches the GIC', async (t) => {
  const { board: b } = board();
  const uart1 = b.devices.get('uart1')!.device;
  uart1.write(0x038, 4, 0x20);
  uart1.write(0x000, 4, 0x41);
  t.ok(pending(b, 13 + GIC_SPI_BASE), 'UART1 TX interrupt is GIC 45');
});

t.test('a table row with an IRQ line and no interrupt output is a build error', async (t) => {
  const withIrq = (name: string, irq: number) => REALVIEW_EB.map((e) => (e.name === name ? { ...e, irq } : e));
  t.throws(() => board(withIrq('sysregs', 3)), {
    message: 'board table: sysregs has IRQ line 3, but a sysregs has no interrupt output',
  });
  t.throws(() => board(withIrq('gic', 1)), /gic has IRQ line 1, but the GIC's output is the CPU's/);
  t.throws(() => board([...REALVIEW_EB, REALVIEW_EB.find((e) => e.name === 'mmci')!]), /two rows named mmci/);
  t.throws(() => board(REALVIEW_EB.filter((e) => e.kind !== 'sysregs')), /expected one sysregs row, found 0/);
  t.throws(() => board([...REALVIEW_EB, { ...REALVIEW_EB.at(-1)!, name: 'gic2' }]), /expected one gic row, found 2/);
  // A placeholder row may take a line: it exists and is never raised.
  const { board: b } = board(withIrq('wdog', 1));
  t.equal(b.devices.get('wdog')!.device.irq!.level, false);
});

/** UART0 with a byte waiting and its RX interrupt taken; timer01 periodic with an interrupt pending. */
function busyBoard() {
  const { clock, board: b } = board();
  const wr = (name: string, offset: number, value: number): void => b.devices.get(name)!.device.write(offset, 4, value);
  wr('gic', 0x1000, 1);
  wr('gic', 0x00, 1);
  wr('gic', 0x04, 0xf0);
  wr('gic', 0x1104, (1 << (44 - 32)) | (1 << (36 - 32)));
  wr('uart0', 0x038, 0x10);
  b.uarts[0].receive(0x7a);
  wr('timer01', 0x00, 10);
  wr('timer01', 0x08, 0xe2);
  wr('sysregs', 0x08, 0x3c);
  clock.advanceTo(1500);
  clock.fireDue();
  return { clock, board: b };
}

t.test('saveBoard/loadBoard: a fresh board continues as the saved one', async (t) => {
  const a = busyBoard();
  t.equal(a.board.gic.irq.level, true, 'timer01 (GIC 36) and UART0 (GIC 44) pending');
  const json = JSON.stringify({ clock: a.clock.save(), board: saveBoard(a.board) });
  const saved = JSON.parse(json);
  t.same(Object.keys(saved.board), REALVIEW_EB.map((e) => e.name), 'every device, by name; no clock');
  const b = board();
  b.clock.load(saved.clock);
  loadBoard(b.board, saved.board);
  t.same(saveBoard(b.board), saveBoard(a.board));
  t.equal(b.board.gic.irq.level, a.board.gic.irq.level);
  const levels = (x: typeof a): boolean[] => [x.board.gic.irq.level, ...[...x.board.devices.values()].map((d) => d.device.irq?.level ?? false)];
  t.same(levels(b), levels(a), 'every line at the saved level');
  const acks: [number, number][] = [];
  for (const cycle of [1600, 2000, 2500, 3000]) {
    for (const x of [a, b]) {
      x.clock.advanceTo(cycle);
      x.clock.fireDue();
    }
    const ack = (x: typeof a): number => {
      const id = x.board.gic.read(GICC_IAR, 4);
      if (id === 36) x.board.devices.get('timer01')!.device.write(0x0c, 4, 1);
      if (id === 44) x.board.devices.get('uart0')!.device.read(0x000, 4);
      if (id !== 1023) x.board.gic.write(0x10, 4, id);
      return id;
    };
    acks.push([ack(a), ack(b)]);
    t.same(saveBoard(b.board), saveBoard(a.board), `same state at cycle ${cycle}`);
  }
  t.same(
    acks,
    [
      [36, 36],
      [36, 36],
      [44, 44],
      [36, 36],
    ],
    'the timer first (lower ID at equal priority) and again at 2000, then the UART, then the timer at 3000',
  );
});

t.test('a bad board state is a SnapshotError and leaves every device as it was', async (t) => {
  const saved = JSON.parse(JSON.stringify(saveBoard(busyBoard().board)));
  const { board: b } = board();
  const before = saveBoard(b);
  const { rtc: _, ...noRtc } = saved;
  const cases: [unknown, string][] = [
    [[], 'board: snapshot: expected an object of device states'],
    [{ ...saved, lcd: {} }, 'board: snapshot field lcd: no such device on this board'],
    [noRtc, 'board: snapshot field rtc: missing'],
    [{ ...saved, timer23: { ...saved.timer23, timer2: 0 } }, 'timer23: snapshot field timer2: expected an object, got 0'],
    [{ ...saved, gic: { ...saved.gic, pmr: -1 } }, 'gic: snapshot field pmr: -1 is out of range 0..255'],
  ];
  for (const [state, message] of cases) {
    t.throws(() => loadBoard(b, state as never), { name: 'SnapshotError', message }, message);
    t.same(saveBoard(b), before, `unchanged after: ${message}`);
    t.equal(b.gic.irq.level, false);
  }
});
