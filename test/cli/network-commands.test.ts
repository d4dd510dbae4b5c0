import t from 'tap';
import { networkCommand, NETWORK_HELP } from '../../src/cli/network-commands.ts';
import { Harness } from '../modem/harness.ts';

const PHONES = ['work', 'home'];

t.test('network commands drive the modem\'s network side', async (t) => {
  const h = new Harness({ lines: ['+15550100', '+15550199'] });
  const net = h.network;
  t.equal(networkCommand('call +15557777 home', net, PHONES), 'calling home from +15557777');
  t.same(net.calls().map((c) => [c.line, c.number, c.state]), [[2, '+15557777', 'incoming']]);
  t.equal(networkCommand('calls', net, PHONES), 'call 1: line 2 (home) incoming +15557777 incoming');
  t.equal(networkCommand('hangup', net, PHONES), 'far end: hangup');
  t.same(net.calls(), []);
  t.equal(networkCommand('sms +1555 1 see you at 8', net, PHONES), 'sms to 1 from +1555');
  t.same(net.messages().map((m) => [m.line, m.text]), [[1, 'see you at 8']]);
  t.equal(networkCommand('signal 20', net, PHONES), 'signal 20');
  t.equal(net.radio().rssi, 20);
  t.equal(networkCommand('reg 5', net, PHONES), 'registration 5');
  t.equal(net.radio().registration, 5);
});

t.test('bad network commands answer with one line', async (t) => {
  const h = new Harness();
  const net = h.network;
  t.equal(networkCommand('', net, PHONES), NETWORK_HELP);
  t.equal(networkCommand('dance', net, PHONES), `unknown network command: dance (${NETWORK_HELP})`);
  t.equal(networkCommand('call +1555', net, PHONES), 'usage: call NUMBER PHONE');
  t.match(networkCommand('call +1555 office', net, PHONES), /^no such phone line: office/);
  t.match(networkCommand('answer', net, PHONES), /^[^\n]+$/, 'no call: the network says why, in one line');
  t.equal(networkCommand('signal loud', net, PHONES), 'usage: signal RSSI');
  t.match(networkCommand('reg 9', net, PHONES), /^[^\n]+$/);
  t.equal(networkCommand('call +1555 work', undefined, PHONES), 'no modem: the handset runs without the built-in baseband');
});
