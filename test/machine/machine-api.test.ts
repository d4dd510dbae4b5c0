// The Machine as a library: typed events with any number of listeners, stop() from a listener, "waiting
// for input" and feeding input later, CPU device accesses through the bus, and the personality seam.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { loadImage } from '../../src/loader/image.ts';
import type { ConsoleInput } from '../../src/machine/console-input.ts';
import { BareMetal } from '../../src/machine/bare-metal.ts';
import { Machine, memoryLayout, type MachineOptions } from '../../src/machine/machine.ts';
import type { MachineCore, Personality, Trap } from '../../src/machine/personality.ts';

const RAM = 128 << 20;

function boot(image: string, options: Partial<MachineOptions> = {}): { machine: Machine; out: () => string } {
  const machine = new Machine({ cpu: 'arm926', ramSize: RAM, ...options });
  const bytes: number[] = [];
  machine.on('console', (e) => {
    if (e.source === 'uart0') bytes.push(...e.bytes);
  });
  machine.load(loadImage(`firmware/${image}.elf`, {}, memoryLayout(RAM)));
  return { machine, out: () => Buffer.from(bytes).toString('latin1') };
}

const expected = (name: string) => readFileSync(`firmware/expected/${name}.out`, 'latin1');

t.test('every listener of an event gets it; a removed one no longer does', async (t) => {
  const { machine, out } = boot('hello');
  const a: number[] = [];
  const b: number[] = [];
  machine.on('uart', (e) => a.push(e.byte));
  const off = machine.on('uart', (e) => b.push(e.byte));
  machine.on('console', () => {
    if (b.length === 5) off();
  });
  t.same(machine.run(), { kind: 'exit', status: 0 });
  t.equal(Buffer.from(a).toString('latin1'), 'Hello from handset\n');
  t.equal(Buffer.from(b).toString('latin1'), 'Hello', 'the second listener stopped after it was removed');
  t.equal(out(), expected('hello'));
  machine.close();
});

t.test('the CPU reaches devices through the bus: one device event per access, initiator cpu', async (t) => {
  const { machine, out } = boot('hello');
  const writes: string[] = [];
  let reads = 0;
  machine.on('device', (e) => {
    t.equal(e.initiator, 'cpu');
    if (e.write && e.device === 'uart0' && e.register === 'UARTDR') writes.push(String.fromCharCode(e.value));
    if (!e.write) reads++;
  });
  machine.run();
  t.equal(writes.join(''), out(), 'each transmitted byte is exactly one UARTDR write');
  t.ok(reads > 0, 'status register polls are seen too');
  machine.close();
});

t.test('stop() from a listener ends the run at a block boundary; the next run goes on, nothing repeated', async (t) => {
  const whole = boot('timer-irq');
  t.same(whole.machine.run(), { kind: 'exit', status: 0 });
  const { machine, out } = boot('timer-irq');
  let drWrites = 0;
  machine.on('device', (e) => {
    if (e.write && e.register === 'UARTDR') drWrites++;
  });
  let stops = 0;
  machine.on('console', (e) => {
    // stop at every newline: the stop is requested from inside the UART write that printed it
    if (e.bytes.includes(0x0a)) {
      stops++;
      machine.stop();
    }
  });
  const outcomes: string[] = [];
  for (;;) {
    const o = machine.run();
    outcomes.push(o.kind);
    if (o.kind !== 'stopped') break;
  }
  t.equal(outcomes.filter((k) => k === 'stopped').length, stops, 'one stopped outcome per stop()');
  t.equal(outcomes.at(-1), 'exit');
  t.equal(out(), whole.out(), 'same output as the run without stops');
  t.equal(drWrites, out().length, 'no device write happened twice');
  t.equal(machine.instructions, whole.machine.instructions, 'same instructions');
  t.equal(machine.cycles, whole.machine.cycles, 'same cycles');
  whole.machine.close();
  machine.close();
});

t.test('stop() between runs makes the next run return at once', async (t) => {
  const { machine } = boot('hello');
  machine.stop();
  t.same(machine.run(), { kind: 'stopped' });
  t.equal(machine.instructions, 0);
  t.same(machine.run(), { kind: 'exit', status: 0 });
  machine.close();
});

/** Input a front end feeds later: nothing until fed. */
function feedable(): ConsoleInput & { feed(s: string): void } {
  let pending: number[] = [];
  return {
    feed: (s) => pending.push(...Buffer.from(s, 'latin1')),
    read(max) {
      const out = Uint8Array.from(pending.slice(0, max));
      pending = pending.slice(out.length);
      return out;
    },
  };
}

t.test('with no input and nothing armed, run returns "waiting"; input fed later wakes the firmware', async (t) => {
  const input = feedable();
  const { machine, out } = boot('rx-irq', { input });
  const first = machine.run();
  t.equal(first.kind, 'waiting');
  const cycles = machine.cycles;
  t.same(machine.run(), first, 'still waiting: no input yet');
  t.equal(machine.cycles, cycles, 'waiting costs no virtual time');
  input.feed('ab');
  t.equal(machine.run().kind, 'waiting');
  t.equal(out(), 'rx-irq: type, q to quit\nab');
  input.feed('\ncq');
  t.same(machine.run(), { kind: 'exit', status: 0 });
  t.equal(out(), expected('rx-irq'), 'the same output as QEMU given all input at once');
  machine.close();
});

t.test('a step while waiting stays waiting until input comes', async (t) => {
  const input = feedable();
  const { machine } = boot('rx-irq', { input });
  t.equal(machine.run().kind, 'waiting');
  t.equal(machine.step().kind, 'waiting');
  input.feed('q');
  t.equal(machine.step().kind, 'stepped');
  t.same(machine.run(), { kind: 'exit', status: 0 });
  machine.close();
});

t.test('the personality seam: traps, interrupts and idle go to the personality', async (t) => {
  // Wraps BareMetal and records what it is handed; ends the run on the first SVC with status 42.
  class Recording implements Personality {
    readonly name = 'recording';
    readonly traps: Trap['kind'][] = [];
    interrupts = 0;
    idles = 0;
    private readonly inner = new BareMetal();
    attach(core: MachineCore) {
      this.inner.attach(core);
    }
    loaded(image: Parameters<Personality['loaded']>[0]) {
      this.inner.loaded(image);
    }
    trap(trap: Trap) {
      this.traps.push(trap.kind);
      return trap.kind === 'swi' && this.traps.length > 100 ? 42 : this.inner.trap(trap);
    }
    interrupt() {
      this.interrupts++;
      this.inner.interrupt();
    }
    idle() {
      this.idles++;
      return this.inner.idle();
    }
    save() {
      return this.inner.save();
    }
    load(state: Parameters<Personality['load']>[0]) {
      this.inner.load(state);
    }
    close() {
      this.inner.close();
    }
  }
  const wfi = new Recording();
  const a = boot('wfi', { personality: wfi });
  t.same(a.machine.run(), { kind: 'exit', status: 0 });
  t.ok(wfi.idles > 0, 'WFI went to the personality');
  t.ok(wfi.interrupts > 0, 'timer interrupts went to the personality');
  t.equal(a.out(), expected('wfi'));
  a.machine.close();
  const usr = new Recording();
  const b = boot('usr-svc', { personality: usr });
  t.same(b.machine.run(), { kind: 'exit', status: 0 });
  t.same(usr.traps, ['swi', 'swi'], 'the USR-mode SVC, then the handler\'s semihosting exit');
  t.equal(b.out(), expected('usr-svc'), 'the USR-mode semihosting SVC took the SVC vector');
  b.machine.close();
});
