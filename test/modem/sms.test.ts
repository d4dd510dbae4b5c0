// SMS in text mode: AT+CMGS with the `> ` prompt (Ctrl-Z sends, ESC aborts), the store with +CMTI, AT+CMGR,
// AT+CMGD, +CNMI routing, and what the network side sees (docs/modem.md "SMS").
import t from 'tap';
import { Harness, quiet } from './harness.ts';

const OK = '\r\nOK\r\n';
const PROMPT = '\r\n> ';
const info = (...lines: string[]) => `\r\n${lines.join('\r\n')}\r\n`;

function textMode(): Harness {
  const h = quiet();
  h.at('AT+CMGF=1');
  return h;
}

t.test('sending: prompt, text, Ctrl-Z, +CMGS: <mr>', async (t) => {
  const h = textMode();
  t.equal(h.at('AT+CMGS="+15551234"'), PROMPT, 'the prompt, and no final result yet');
  h.send('Hello, world!');
  h.advance(2);
  t.equal(h.output(), '', 'no echo with ATE0');
  h.send('\x1a');
  t.equal(h.output(), '', 'the result 1 ms after Ctrl-Z...');
  h.advance(1);
  t.equal(h.output(), info('+CMGS: 0') + OK, '...+CMGS with the message reference, then OK');
  t.same(h.network.sent(), [{ mr: 0, line: 1, to: '+15551234', text: 'Hello, world!' }], 'the network got it, from line 1');
  h.at('AT+CMGS="5551234",129');
  h.send('second\x1a');
  h.advance(2);
  t.equal(h.output(), info('+CMGS: 1') + OK, 'the reference counts up');
  t.equal(h.at('AT+CMGS=?'), OK);
});

t.test('sending with echo, editing, new lines, ESC', async (t) => {
  const h = new Harness();
  h.at('AT+CMGF=1');
  t.equal(h.at('AT+CMGS="+15551234"'), `AT+CMGS="+15551234"\r${PROMPT}`);
  h.send('Hellp\bo');
  t.equal(h.output(), 'Hellp\bo', 'text and BS are echoed');
  h.send('\rthere');
  h.advance(2);
  t.equal(h.output(), `${PROMPT}there`, 'CR: a new line in the text and a new prompt');
  h.send('\x1a');
  h.advance(2);
  t.equal(h.output(), info('+CMGS: 0') + OK, 'Ctrl-Z is not echoed');
  t.equal(h.network.sent()[0].text, 'Hello\nthere');
  h.at('AT+CMGS="+15551234"');
  h.send('never mind\x1b');
  h.advance(2);
  t.equal(h.output(), `never mind${OK}`, 'ESC aborts: OK');
  t.equal(h.network.sent().length, 1, 'nothing sent');
  t.equal(h.at('AT'), `AT\r${OK}`, 'back in command mode');
});

t.test('sending: errors', async (t) => {
  const h = quiet();
  h.at('AT+CMEE=1');
  t.equal(h.at('AT+CMGS="+15551234"'), info('+CMS ERROR: 303'), 'PDU mode (the default) is not supported');
  h.at('AT+CMGF=1');
  t.equal(h.at('AT+CMGS=+15551234'), info('+CME ERROR: 3'), 'the address must be a string');
  t.equal(h.at('AT+CMGS="12ab"'), info('+CME ERROR: 3'), 'not a number');
  t.equal(h.at('AT+CMGS="+15551234",x'), info('+CME ERROR: 3'), 'bad type');
  t.equal(h.at('AT+CMGS'), info('+CME ERROR: 4'));
  t.equal(h.at('AT+CMGS="+15551234";+CSQ'), info('+CME ERROR: 3'), '+CMGS must end its line');
  t.equal(h.at('AT+CSQ;+CMGS="+15551234"'), info('+CSQ: 20,99') + PROMPT, 'after other commands it may come');
  h.send(`${'x'.repeat(161)}\x1a`);
  h.advance(2);
  t.equal(h.output(), info('+CMS ERROR: 305'), 'more than 160 characters');
  h.network.registration(0);
  h.output();
  h.at('AT+CMGS="+15551234"');
  h.send('hi\x1a');
  h.advance(2);
  t.equal(h.output(), info('+CMS ERROR: 331'), 'no network service');
  t.same(h.network.sent(), []);
  h.at('AT+CMEE=2');
  h.network.registration(1);
  h.at('AT+CMGS="+15551234"');
  h.output();
  h.advance(59_997);
  t.equal(h.output(), '', 'the entry waits...');
  h.send('a');
  h.advance(59_999);
  t.equal(h.output(), '', '...and each byte restarts the 60 s');
  h.advance(1);
  h.advance(1);
  t.equal(h.output(), info('+CMS ERROR: unknown error'), 'abandoned after 60 s without a byte');
  t.equal(h.at('AT'), OK);
});

t.test('unsolicited results wait for the end of the SMS exchange', async (t) => {
  const h = textMode();
  h.at('AT+CMGS="+15551234"');
  h.network.incomingCall('+15557777', 2);
  h.network.incomingSms('+15557777', 1, 'ping');
  h.advance(5000);
  t.equal(h.output(), '', 'nothing while the text is entered');
  h.send('pong\x1a');
  h.advance(1);
  t.equal(h.output(), info('+CMGS: 0') + OK + info('RING') + info('+CMTI: "SM",1') + info('RING'), 'then all, in order');
});

t.test('receiving: +CMTI, AT+CMGR, AT+CMGD', async (t) => {
  const h = textMode();
  h.advance(3_723_000 - 4);
  t.same(h.network.incomingSms('+15557777', 2, 'Lunch at 1?'), { accepted: true, index: 1 });
  t.equal(h.output(), info('+CMTI: "SM",1'));
  t.equal(h.at('AT+CMGR=1'), info('+CMGR: "REC UNREAD","+15557777",,"25/01/01,01:02:03+00"', 'Lunch at 1?') + OK, 'the time stamp is virtual time since reset');
  t.equal(h.at('AT+CMGR=1'), info('+CMGR: "REC READ","+15557777",,"25/01/01,01:02:03+00"', 'Lunch at 1?') + OK, 'read now');
  h.network.incomingSms('+15558888', 1, '');
  t.equal(h.output(), info('+CMTI: "SM",2'));
  t.same(h.network.messages().map((m) => [m.index, m.line, m.from, m.unread]), [[1, 2, '+15557777', false], [2, 1, '+15558888', true]]);
  t.equal(h.at('AT+CMGD=?'), info('+CMGD: (1,2),(0-4)') + OK);
  t.equal(h.at('AT+CMGD=1'), OK);
  t.equal(h.at('AT+CMGR=1'), info('+CMS ERROR: 321'), 'deleted');
  t.equal(h.at('AT+CMGR=21'), info('+CMS ERROR: 321'));
  t.equal(h.at('AT+CMGD=1'), OK, 'deleting an empty index is fine');
  t.equal(h.at('AT+CMGD=21'), info('+CMS ERROR: 321'));
  t.equal(h.at('AT+CMGD=1,5'), '\r\nERROR\r\n');
  t.equal(h.at('AT+CMGR'), '\r\nERROR\r\n');
  h.network.incomingSms('+15558888', 1, 'three');
  t.equal(h.output(), info('+CMTI: "SM",1'), 'the lowest free index');
  h.at('AT+CMGR=1');
  t.equal(h.at('AT+CMGD=0,1'), OK, 'flag 1: the read messages go');
  t.same(h.network.messages().map((m) => m.index), [2]);
  t.equal(h.at('AT+CMGD=0,4'), OK, 'flag 4: all');
  t.same(h.network.messages(), []);
  h.at('AT+CMGF=0');
  t.equal(h.at('AT+CMGR=1'), info('+CMS ERROR: 303'), 'reading needs text mode');
});

t.test('the store holds 20; no network, no SMS', async (t) => {
  const h = textMode();
  for (let i = 1; i <= 20; i++) t.same(h.network.incomingSms('+15557777', 1, `m${i}`), { accepted: true, index: i }, `message ${i}`);
  t.same(h.network.incomingSms('+15557777', 1, 'one too many'), { accepted: false, reason: 'memory full' });
  h.network.registration(2);
  h.at('AT+CMGD=0,4');
  t.same(h.network.incomingSms('+15557777', 1, 'x'), { accepted: false, reason: 'no network' });
});

t.test('+CNMI routing: mt 0 stores silently, mode 0 buffers silently, mt 2 shows +CMT', async (t) => {
  const h = textMode();
  h.at('AT+CNMI=2,0');
  h.network.incomingSms('+15557777', 1, 'a');
  t.equal(h.output(), '', 'mt 0: no indication');
  h.at('AT+CNMI=0,1');
  h.network.incomingSms('+15557777', 1, 'b');
  t.equal(h.output(), '', 'mode 0: no indication');
  h.at('AT+CNMI=1,2;^SALS=1');
  t.same(h.network.incomingSms('+15557777', 2, 'direct'), { accepted: true, index: null });
  t.equal(h.output(), info('^SALS: 2') + info('+CMT: "+15557777",,"25/01/01,00:00:00+00"', 'direct'), '+CMT: header and text, not stored');
  t.same(h.network.messages().map((m) => m.text), ['a', 'b']);
  h.at('AT+CMGF=0');
  h.network.incomingSms('+15557777', 2, 'pdu mode');
  t.equal(h.output(), info('^SALS: 2') + info('+CMTI: "SM",3'), 'mt 2 in PDU mode: stored, +CMTI');
});

t.test('an SMS to one of the handset\'s own lines comes back to that line', async (t) => {
  const h = textMode();
  h.at('AT^SALS=1,1');
  h.at('AT+CMGS="+15550199"');
  h.send('from work to home\x1a');
  h.advance(1);
  t.equal(h.output(), info('+CMGS: 0') + OK + info('^SALS: 2') + info('+CMTI: "SM",1'));
  t.same(h.network.messages().map((m) => [m.line, m.from, m.text]), [[2, '+15550100', 'from work to home']]);
});
