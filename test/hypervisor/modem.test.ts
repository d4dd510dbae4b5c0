// The modem service: each partition's virtual modem channel (MODEM_WRITE / MODEM_READ, VIRQ_MODEM) through
// the splitter to the baseband on UART1, driven by the hypervisor over the bus.
import t from 'tap';
import { hypervisorMachine, partition, rawGuest } from './harness.ts';

/** Sends `command` on its modem channel, then echoes what the modem says on its console, forever. */
const modemGuest = (command: string) =>
  rawGuest(`
    adr r0, cmd
    mov r1, #${command.length + 1}
    hc 17
  loop:
    hc 3                    @ wait (vIRQs masked: returns the bits)
    ldr r0, =0x100000
    mov r1, #255
    hc 18
    cmp r0, #0
    beq loop
    mov r1, r0
    ldr r0, =0x100000
    hc 0
    b loop
  cmd: .ascii ${JSON.stringify(command)}
    .byte 13
  .align 2
  `);

t.test('each partition talks to its own one-line modem', async (t) => {
  const g = hypervisorMachine(
    [
      { config: partition('work'), image: modemGuest('ATE0;+CMEE=1;+CNUM') },
      { config: partition('home'), image: modemGuest('ATE0;+CNUM') },
    ],
    { modem: true, record: ['device'] },
  );
  g.machine.run({ maxCycles: 20e6 });
  // The line is echoed as it is typed (echo is on until its ATE0 runs), then the answers.
  t.equal(g.out.work, 'ATE0;+CMEE=1;+CNUM\r\r\n+CNUM: ,"+15550100",145\r\n\r\nOK\r\n');
  t.equal(g.out.home, 'ATE0;+CNUM\r\r\n+CNUM: ,"+15550199",145\r\n\r\nOK\r\n');
  t.ok(g.events.device!.some((a) => a.device === 'uart1' && a.initiator === 'host'), 'the hypervisor drives UART1 through the bus');
  t.notOk(g.events.device!.some((a) => a.device === 'uart1' && a.initiator === 'cpu'), 'no guest touches it');
});

t.test('an incoming call to the home line rings only in home', async (t) => {
  const g = hypervisorMachine(
    [
      { config: partition('work'), image: modemGuest('ATE0;+CLIP=1') },
      { config: partition('home'), image: modemGuest('ATE0;+CLIP=1') },
    ],
    { modem: true },
  );
  g.machine.run({ maxCycles: 20e6 });
  g.out.work = '';
  g.out.home = '';
  g.machine.network!.incomingCall('+15557777', 2);
  g.machine.run({ maxCycles: 40e6 });
  t.equal(g.out.home, '\r\nRING\r\n\r\n+CLIP: "+15557777",145\r\n');
  t.equal(g.out.work, '');
});

t.test('without a modem the modem hypercalls are ENOSYS', async (t) => {
  const g = hypervisorMachine([{ config: partition('work'), image: rawGuest('mov r0, #0\n mov r1, #0\n hc 17\n mov r4, r0\n hc 18\n mov r5, r0\n mov r0, #0\n hc 10') }, { config: partition('home'), image: rawGuest('mov r0, #0\n hc 10') }], { record: ['hypercall'] });
  g.machine.run({ maxCycles: 1e7 });
  t.same(g.events.hypercall!.filter((e) => e.number >= 17).map((e) => e.result), [-1, -1]);
});

t.test('scenario network steps reach the right guest through its virtual modem', async (t) => {
  const { playScenario } = await import('../../src/machine/scenario-player.ts');
  const { parseScenario } = await import('../../src/machine/scenario.ts');
  const g = hypervisorMachine(
    [
      { config: partition('work'), image: modemGuest('ATE0;+CLIP=1;+CMEE=1') },
      { config: partition('home'), image: modemGuest('ATE0;+CLIP=1;+CMEE=1') },
    ],
    { modem: true },
  );
  const scenario = parseScenario(
    JSON.stringify({
      steps: [
        { wait: 10_000_000 },
        { call: { from: '+15557777', to: 'work' } },
        { waitFor: { guest: 'work', pattern: '^\\+CLIP: "\\+15557777",145$', timeout: 10_000_000 } },
        { farEnd: 'hangUp' },
        { waitFor: { guest: 'work', pattern: '^NO CARRIER$', timeout: 10_000_000 } },
        { sms: { from: '+15558888', to: 'home', text: 'hello' } },
        { waitFor: { guest: 'home', pattern: '^\\+CMTI: "SM",\\d+$', timeout: 10_000_000 } },
        { farEnd: 'answer', name: 'no call to answer' },
      ],
    }),
    { guests: ['work', 'home'] },
  );
  const result = await playScenario(g.machine, scenario, async (until) => ({ outcome: g.machine.run({ maxCycles: until }) }));
  t.match(result, { kind: 'failed', message: /^step 8 \(farEnd answer, "no call to answer"\) failed: / }, 'every step up to the last passed; the last fails with the network\'s reason');
  t.notMatch(g.out.home, /RING|\+CLIP: |NO CARRIER/, 'the call was work\'s only');
  t.notMatch(g.out.work, /CMTI/, 'the SMS was home\'s only');
});
