// The modem on the machine: bare-metal firmware (firmware/modem-at.elf) talks AT to UART1 and passes, on
// every core and timing; without a modem its checks fail; the `modem` event shows the wire; snapshots carry
// the modem (taken mid-exchange, restored into a new machine: the same output); machine.network reaches the
// baseband, in bare-metal and hypervisor machines alike.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { loadImage } from '../../src/loader/image.ts';
import { Machine, memoryLayout, type MachineOptions } from '../../src/machine/machine.ts';
import { SnapshotFileError } from '../../src/machine/snapshot.ts';
import { bytesInput } from '../../src/machine/console-input.ts';
import { runFirmware } from '../helpers/run-firmware.ts';
import { Hypervisor } from '../../src/hypervisor/kernel.ts';
import { memoryStore } from '../../src/hypervisor/storage.ts';
import type { LoadedImage } from '../../src/loader/types.ts';
import { partition, rawGuest } from '../hypervisor/harness.ts';

const IMAGE = 'firmware/modem-at.elf';
const EXPECTED = readFileSync('firmware/expected/modem-at.out', 'latin1');
const STATUS = Number(readFileSync('firmware/expected/modem-at.status', 'latin1'));
const RAM = 128 << 20;

t.test('the bare-metal AT firmware passes on every core and timing', async (t) => {
  t.match(EXPECTED, /modem-at: 22 passed, 0 failed\n$/, 'the expected output is a pass');
  t.equal(STATUS, 0);
  for (const cpu of ['arm926', 'arm1136', 'arm1176'] as const) {
    for (const timing of ['fast', 'cycle'] as const) {
      const run = runFirmware(IMAGE, { cpu, timing });
      t.equal(run.stdout, EXPECTED, `${cpu} ${timing}: console output`);
      t.same(run.outcome, { kind: 'exit', status: STATUS }, `${cpu} ${timing}: exit status`);
    }
  }
});

t.test('without a modem (modem: false) its checks fail', async (t) => {
  const run = runFirmware(IMAGE, { modem: false });
  t.same(run.outcome, { kind: 'exit', status: 1 });
  t.match(run.stdout, /FAIL AT \(echo on\): got ""\n/);
  t.match(run.stdout, /modem-at: 1 passed, 21 failed\n$/, 'only the garbage step (expecting silence) passes');
});

function machine(options: Partial<MachineOptions> = {}): { machine: Machine; out: () => string } {
  const m = new Machine({ cpu: 'arm926', ramSize: RAM, cmdline: IMAGE, input: bytesInput(''), ...options });
  const chunks: Uint8Array[] = [];
  m.on('console', (e) => {
    if (e.source === 'uart0') chunks.push(e.bytes.slice());
  });
  m.load(loadImage(IMAGE, {}, memoryLayout(RAM)));
  return { machine: m, out: () => Buffer.concat(chunks.splice(0)).toString('latin1') };
}

t.test('the modem event: every byte on the wire, in and out', async (t) => {
  const { machine: m } = machine();
  const wire = { in: [] as number[], out: [] as number[] };
  const uart1: number[] = [];
  m.on('modem', (e) => wire[e.direction].push(e.byte));
  m.on('uart', (e) => {
    if (e.port === 'uart1') uart1.push(e.byte);
  });
  t.same(m.run({ maxInsns: 500_000_000 }), { kind: 'exit', status: 0 });
  const sent = Buffer.from(wire.in).toString('latin1');
  const got = Buffer.from(wire.out).toString('latin1');
  t.match(sent, /^AT\rATE0\rAT\+CMEE=1\rAT\+CPIN\?\r/, 'the commands');
  t.match(sent, /AT\+CMGS="\+15551234"\rHello from bare metal\x1a/, 'the SMS exchange');
  t.same(uart1, wire.in, 'what UART1 transmitted is what the modem received');
  t.match(got, /^AT\r\r\nOK\r\nATE0\r\r\nOK\r\n\r\nOK\r\n\r\n\+CPIN: READY\r\n\r\nOK\r\n/, 'the answers');
  t.match(got, /\r\n\+CMGS: 0\r\n\r\nOK\r\n/);
  t.same(m.network!.sent(), [{ mr: 0, line: 1, to: '+15551234', text: 'Hello from bare metal' }], 'the network side saw the SMS');
  m.close();
});

t.test('snapshots carry the modem: taken mid-exchange, restored into a new machine, the same output', async (t) => {
  const whole = runFirmware(IMAGE);
  const total = whole.cycles;
  for (const fraction of [0.05, 0.2, 0.33, 0.5, 0.61, 0.8, 0.95]) {
    const cut = Math.floor(total * fraction);
    const a = machine();
    t.same(a.machine.run({ maxCycles: cut }), { kind: 'limit', limit: 'cycles' });
    const before = a.out();
    const snapshot = a.machine.snapshot();
    const b = machine();
    b.machine.restore(snapshot);
    const rest = b.machine.run({ maxInsns: 500_000_000 });
    t.same(rest, { kind: 'exit', status: 0 }, `cut at ${fraction}: the restored run passes`);
    t.equal(before + b.out(), EXPECTED, `cut at ${fraction}: the output before and after add up`);
    t.equal(b.machine.cycles, whole.cycles, 'the same cycle count at the end');
    t.same(a.machine.run({ maxInsns: 500_000_000 }), { kind: 'exit', status: 0 }, 'the original goes on unchanged');
    a.machine.close();
    b.machine.close();
  }
});

t.test('a snapshot restores only into a machine with the same modem', async (t) => {
  const a = machine();
  a.machine.run({ maxCycles: 2_000_000 });
  a.machine.network!.incomingSms('+15557777', 2, 'kept in the snapshot');
  const withModem = a.machine.snapshot();
  const json = (bytes: Uint8Array) => {
    const body = gunzipSync(Buffer.from(bytes).subarray(12));
    return JSON.parse(body.toString('utf8', 4, 4 + body.readUInt32LE(0)));
  };
  t.equal(Buffer.from(withModem).readUInt32LE(8), 2, 'format version 2');
  t.same(json(withModem).modem.sms.map((m: { text: string }) => m.text), ['kept in the snapshot'], 'the modem part');
  const none = machine({ modem: false });
  t.throws(() => none.machine.restore(withModem), new SnapshotFileError('snapshot was taken with a modem, this machine has none'));
  none.machine.run({ maxCycles: 2_000_000 });
  const without = none.machine.snapshot();
  t.equal(json(without).modem, null, 'no modem: null');
  t.throws(() => a.machine.restore(without), new SnapshotFileError('snapshot was taken without a modem, this machine has one'));
  const other = machine({ modem: { lines: ['+441111', '+442222'] } });
  t.throws(() => other.machine.restore(withModem), /corrupt snapshot: modem: snapshot field lines: the snapshot's lines are \+15550100, \+15550199; this modem's are \+441111, \+442222/);
  t.same(other.machine.network!.messages(), [], 'nothing changed');
  const c = machine();
  c.machine.restore(withModem);
  t.same(c.machine.network!.messages().map((m) => m.text), ['kept in the snapshot'], 'restored');
  t.ok(Buffer.from(c.machine.snapshot()).equals(Buffer.from(withModem)), 'snapshot → restore → snapshot: the same bytes');
  for (const m of [a, none, other, c]) m.machine.close();
});

t.test('machine.network reaches the baseband behind UART1', async (t) => {
  const { machine: m } = machine({ modem: { lines: ['+441111', '+442222'] } });
  const out: number[] = [];
  m.on('modem', (e) => {
    if (e.direction === 'out') out.push(e.byte);
  });
  t.same(m.network!.lines, ['+441111', '+442222'], 'the lines given to the machine');
  t.same(m.network!.incomingCall('+15557777', '+442222'), { accepted: true, id: 1 });
  t.same(out, [0x0d], 'RING starts into UART1: its FIFO is off at reset, one byte fits');
  t.same(m.network!.calls(), [{ id: 1, line: 2, direction: 'incoming', state: 'incoming', number: '+15557777' }]);
  m.close();
  const { machine: off } = machine({ modem: false });
  t.equal(off.network, undefined, 'no modem, no network');
  off.close();
});

/** A hypervisor machine (modem on, by default) running two copies of a guest. */
function hypervisorMachine(image: () => LoadedImage): { machine: Machine } {
  const partitions = [partition('work'), partition('home')];
  const hypervisor = new Hypervisor({
    config: { partitions, sliceMicros: 1000, foreground: 'work' },
    images: partitions.map(() => image()),
    stores: partitions.map((p) => memoryStore(p.storeKiB * 1024)),
  });
  const machine = new Machine({ cpu: 'arm926', ramSize: RAM, personality: hypervisor });
  machine.boot();
  return { machine };
}

t.test('a hypervisor machine has the modem too', async (t) => {
  const build = () => hypervisorMachine(() => rawGuest('1: add r4, r4, #1\n b 1b'));
  const first = build();
  t.ok(first.machine.network !== undefined, 'machine.network');
  first.machine.run({ maxCycles: 1_000_000 });
  t.same(first.machine.network!.incomingCall('+15557777', 2), { accepted: true, id: 1 });
  first.machine.run({ maxCycles: 2_000_000 });
  const snapshot = first.machine.snapshot();
  const second = build();
  second.machine.restore(snapshot);
  t.same(second.machine.network!.calls(), first.machine.network!.calls(), 'the call is in the snapshot');
  first.machine.run({ maxCycles: 4_000_000 });
  second.machine.run({ maxCycles: 4_000_000 });
  t.ok(Buffer.from(second.machine.snapshot()).equals(Buffer.from(first.machine.snapshot())), 'both go on the same way');
  first.machine.close();
  second.machine.close();
});

// Known problem in src/hypervisor/kernel.ts (not the modem's): Hypervisor.idle() takes a sleep that ends with no
// interrupt pending for the run's cycle limit and returns 'woken' with no partition to run. A modem alarm (a
// RING period here) ends such a sleep too, and the CPU then traps with no partition ("a trap with no partition
// on the CPU"). Nothing drives the modem in hypervisor runs yet; this will pass once idle() sleeps on.
t.test('a hypervisor machine idles through the modem\'s alarms', async (t) => {
  const g = hypervisorMachine(() => rawGuest('1: hc 3\n b 1b')); // WAIT forever: the hypervisor idles
  g.machine.network!.incomingCall('+15557777', 1);
  t.same(g.machine.run({ maxCycles: 7_000_000_000 }), { kind: 'limit', limit: 'cycles' }, 'runs to the limit');
  t.same(g.machine.network!.calls(), [], 'the call rang out after 30 s');
  g.machine.close();
});
