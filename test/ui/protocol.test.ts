// The protocol's message checks (src/ui/protocol.ts): every kind of client message is accepted as
// documented, and every class of bad message is refused with its error code and the field it names.
import t from 'tap';
import { CLIENT_MESSAGE_TYPES, MAX_MESSAGE_BYTES, MAX_TYPE_TEXT, parseClientMessage, ProtocolError, requestIdOf, utf8Length } from '../../src/ui/protocol.ts';

/** One good message of each type. */
const GOOD: Record<string, object> = {
  hello: { type: 'hello' },
  status: { type: 'status', id: 7 },
  type: { type: 'type', guest: 'home', text: 'notes add milk\n', id: 'a-1' },
  button: { type: 'button' },
  call: { type: 'call', from: '+15557777', to: 'home' },
  farEnd: { type: 'farEnd', action: 'hangUp', line: 2 },
  sms: { type: 'sms', from: '+15553333', to: 1, text: 'dinner at 8?' },
  registration: { type: 'registration', stat: 5 },
  signal: { type: 'signal', rssi: 99, ber: 3 },
  pause: { type: 'pause' },
  resume: { type: 'resume' },
  speed: { type: 'speed', value: 2.5 },
  snapshot: { type: 'snapshot', name: 'before-call' },
  restore: { type: 'restore', name: 'before-call' },
};

function refusal(text: string): ProtocolError {
  try {
    parseClientMessage(text);
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    throw e;
  }
  throw new Error(`accepted: ${text}`);
}

t.test('every kind of message is accepted as it is', async (t) => {
  t.same(Object.keys(GOOD).sort(), [...CLIENT_MESSAGE_TYPES].sort(), 'one of each');
  for (const [type, message] of Object.entries(GOOD)) t.same(parseClientMessage(JSON.stringify(message)), message, type);
  t.same(parseClientMessage('{"type":"type","text":"x"}'), { type: 'type', text: 'x' }, 'guest is optional (the foreground phone)');
  t.same(parseClientMessage('{"type":"snapshot"}'), { type: 'snapshot' }, 'a snapshot name is optional');
  t.same(parseClientMessage('{"type":"farEnd","action":"answer"}'), { type: 'farEnd', action: 'answer' });
});

t.test('each class of bad message is refused with its code', async (t) => {
  const cases: [string, string, string | undefined][] = [
    ['not json', 'bad-json', undefined],
    ['{"type":"status"', 'bad-json', undefined],
    [JSON.stringify({ type: 'type', text: 'x'.repeat(MAX_MESSAGE_BYTES) }), 'too-big', undefined],
    ['[1,2]', 'bad-message', undefined],
    ['"status"', 'bad-message', undefined],
    ['null', 'bad-message', undefined],
    ['{}', 'bad-message', undefined],
    ['{"type":3}', 'bad-message', undefined],
    ['{"type":"reboot"}', 'unknown-type', undefined],
    ['{"type":"__proto__"}', 'unknown-type', undefined],
    ['{"type":"toString"}', 'unknown-type', undefined],
    ['{"type":"status","extra":1}', 'bad-field', 'extra'],
    ['{"type":"status","id":""}', 'bad-field', 'id'],
    ['{"type":"status","id":1.5}', 'bad-field', 'id'],
    [`{"type":"status","id":"${'x'.repeat(65)}"}`, 'bad-field', 'id'],
    ['{"type":"type"}', 'bad-field', 'text'],
    ['{"type":"type","text":""}', 'bad-field', 'text'],
    ['{"type":"type","text":"\\u0000"}', 'bad-field', 'text'],
    ['{"type":"type","text":"\\u001b[2J"}', 'bad-field', 'text'],
    [JSON.stringify({ type: 'type', text: 'x'.repeat(MAX_TYPE_TEXT + 1) }), 'bad-field', 'text'],
    ['{"type":"type","text":"x","guest":"Work"}', 'bad-field', 'guest'],
    ['{"type":"type","text":"x","guest":7}', 'bad-field', 'guest'],
    ['{"type":"call","from":"+1555","to":3}', 'bad-field', 'to'],
    ['{"type":"call","from":"bob","to":"home"}', 'bad-field', 'from'],
    ['{"type":"call","to":"home"}', 'bad-field', 'from'],
    ['{"type":"farEnd","action":"explode"}', 'bad-field', 'action'],
    ['{"type":"farEnd","action":"answer","line":0}', 'bad-field', 'line'],
    ['{"type":"sms","from":"+1","to":"work","text":""}', 'bad-field', 'text'],
    [JSON.stringify({ type: 'sms', from: '+1', to: 'work', text: 'x'.repeat(161) }), 'bad-field', 'text'],
    ['{"type":"sms","from":"+1","to":"work","text":"caf\u00e9"}', 'bad-field', 'text'],
    ['{"type":"registration","stat":6}', 'bad-field', 'stat'],
    ['{"type":"registration","stat":"1"}', 'bad-field', 'stat'],
    ['{"type":"signal","rssi":32}', 'bad-field', 'rssi'],
    ['{"type":"signal","rssi":20,"ber":8}', 'bad-field', 'ber'],
    ['{"type":"speed","value":0}', 'bad-field', 'value'],
    ['{"type":"speed","value":1e9}', 'bad-field', 'value'],
    ['{"type":"speed","value":"2"}', 'bad-field', 'value'],
    ['{"type":"speed"}', 'bad-field', 'value'],
    ['{"type":"snapshot","name":"../x"}', 'bad-field', 'name'],
    ['{"type":"restore"}', 'bad-field', 'name'],
    ['{"type":"button","guest":"home"}', 'bad-field', 'guest'],
  ];
  for (const [text, code, field] of cases) {
    const e = refusal(text);
    t.equal(e.code, code, `${text.slice(0, 60)}: ${code}`);
    t.equal(e.field, field, `${text.slice(0, 60)}: field ${field}`);
    t.notMatch(e.message, /\n/, 'one line');
  }
});

t.test('request ids and sizes', async (t) => {
  t.equal(requestIdOf('{"type":"nope","id":"q1"}'), 'q1', 'a bad message\'s id is still echoed');
  t.equal(requestIdOf('{"type":"status","id":{}}'), undefined);
  t.equal(requestIdOf('nope'), undefined);
  t.equal(utf8Length('aé€😀'), new TextEncoder().encode('aé€😀').length);
  const exactly = JSON.stringify({ type: 'type', text: 'x'.repeat(MAX_TYPE_TEXT) });
  t.ok(parseClientMessage(exactly), 'the longest text is within the size limit');
});
