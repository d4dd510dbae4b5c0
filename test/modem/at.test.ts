// The AT line layer: command-line assembly from bytes, parsing, and response formatting (src/modem/at.ts).
import t from 'tap';
import {
  assemblerStateProblem,
  formatFinal,
  formatResult,
  formatText,
  LineAssembler,
  MAX_LINE,
  parseCommandLine,
  type LineEvent,
  type ResponseFormat,
} from '../../src/modem/at.ts';

function feed(text: string, assembler = new LineAssembler()): LineEvent[] {
  const events: LineEvent[] = [];
  for (let i = 0; i < text.length; i++) {
    const e = assembler.feed(text.charCodeAt(i));
    if (e !== undefined) events.push(e);
  }
  return events;
}

t.test('line assembly: prefix, CR, editing, control characters', async (t) => {
  t.same(feed('AT\r'), [{ kind: 'line', body: '' }], 'AT alone');
  t.same(feed('at+csq\r'), [{ kind: 'line', body: '+csq' }], 'lower case prefix; the body is kept as typed');
  t.same(feed('aT+x\rAt+y\r'), [{ kind: 'line', body: '+x' }, { kind: 'line', body: '+y' }], 'mixed case prefixes');
  t.same(feed('garbage\x00\xffAT+CSQ\r'), [{ kind: 'line', body: '+CSQ' }], 'bytes before the prefix are ignored');
  t.same(feed('hello\r\r\n'), [], 'a line without the prefix is nothing');
  t.same(feed('AAT+CSQ\r'), [{ kind: 'line', body: '+CSQ' }], 'AA then T: the prefix is the last A and the T');
  t.same(feed('AXT\r'), [], 'A then something else: no prefix');
  t.same(feed('AT+CSX\bQ\r'), [{ kind: 'line', body: '+CSQ' }], 'BS deletes the last character');
  t.same(feed('AT+CSX\x7fQ\r'), [{ kind: 'line', body: '+CSQ' }], 'DEL too');
  t.same(feed('AT\b\b\b+CSQ\r'), [{ kind: 'line', body: '+CSQ' }], 'BS cannot delete the prefix');
  t.same(feed('AT+C\nS\x00Q\x1b\r'), [{ kind: 'line', body: '+CSQ' }], 'LF, NUL and other control characters are ignored');
  t.same(feed('AT\xe9\r'), [{ kind: 'line', body: '\xe9' }], 'bytes above 0x7f are kept (the parser refuses them)');
});

t.test(`line assembly: at most ${MAX_LINE} characters after AT`, async (t) => {
  t.same(feed(`AT${'X'.repeat(MAX_LINE)}\r`), [{ kind: 'line', body: 'X'.repeat(MAX_LINE) }], 'exactly the maximum');
  t.same(feed(`AT${'X'.repeat(MAX_LINE + 1)}\r`), [{ kind: 'overlong' }], 'one more: over-long');
  t.same(feed(`AT${'X'.repeat(5000)}AT+CSQ\rAT\r`), [{ kind: 'overlong' }, { kind: 'line', body: '' }], 'discarded up to its CR, then lines go on');
  t.same(feed(`AT${'X'.repeat(MAX_LINE)}\b\bY\r`), [{ kind: 'line', body: `${'X'.repeat(MAX_LINE - 2)}Y` }], 'editing at the limit');
  const a = new LineAssembler();
  feed('AT+CS', a);
  t.same(a.save(), { phase: 'line', body: '+CS' }, 'a partial line is state');
  const b = new LineAssembler();
  b.load(a.save());
  t.same(feed('Q\r', b), [{ kind: 'line', body: '+CSQ' }], 'and continues after load');
  t.equal(assemblerStateProblem({ phase: 'idle', body: 'x' }), 'a partial line in phase idle');
  t.match(assemblerStateProblem({ phase: 'line', body: 'x'.repeat(MAX_LINE + 1) }), /at most 256/);
  t.match(assemblerStateProblem({ phase: 'nowhere' as 'idle', body: '' }), /phase "nowhere"/);
  t.match(assemblerStateProblem({ phase: 'line', body: 'a\rb' }), /character 13/);
  t.equal(assemblerStateProblem({ phase: 'overlong', body: '' }), undefined);
});

t.test('parsing: basic commands', async (t) => {
  t.same(parseCommandLine(''), { commands: [], syntaxError: false });
  t.same(parseCommandLine('E0V1Q0'), {
    commands: [
      { kind: 'basic', name: 'E', value: 0 },
      { kind: 'basic', name: 'V', value: 1 },
      { kind: 'basic', name: 'Q', value: 0 },
    ],
    syntaxError: false,
  });
  t.same(parseCommandLine('e h i'), {
    commands: [
      { kind: 'basic', name: 'E', value: undefined },
      { kind: 'basic', name: 'H', value: undefined },
      { kind: 'basic', name: 'I', value: undefined },
    ],
    syntaxError: false,
  }, 'lower case and spaces');
  t.same(parseCommandLine('&F0Z'), { commands: [{ kind: 'basic', name: '&F', value: 0 }, { kind: 'basic', name: 'Z', value: undefined }], syntaxError: false });
  t.same(parseCommandLine('S0=2S3?S7='), {
    commands: [
      { kind: 'sreg', register: 0, value: 2 },
      { kind: 'sreg', register: 3, value: undefined },
      { kind: 'sreg', register: 7, value: 0 },
    ],
    syntaxError: false,
  });
  t.same(parseCommandLine('S0'), { commands: [], syntaxError: true }, 'S without ? or =');
  t.same(parseCommandLine('E1234567890'), { commands: [], syntaxError: true }, 'a number of more than 9 digits');
  t.same(parseCommandLine('E1#'), { commands: [{ kind: 'basic', name: 'E', value: 1 }], syntaxError: true }, 'the commands before a syntax error are kept');
});

t.test('parsing: dial', async (t) => {
  t.same(parseCommandLine('D+1555 1234;'), { commands: [{ kind: 'dial', dial: '+15551234', voice: true }], syntaxError: false });
  t.same(parseCommandLine('d123'), { commands: [{ kind: 'dial', dial: '123', voice: false }], syntaxError: false }, 'no ; : a data call');
  t.same(parseCommandLine('E0D123;+CLCC'), {
    commands: [
      { kind: 'basic', name: 'E', value: 0 },
      { kind: 'dial', dial: '123', voice: true },
      { kind: 'extended', name: '+CLCC', form: 'action', args: [] },
    ],
    syntaxError: false,
  }, 'commands go on after the ;');
});

t.test('parsing: extended commands', async (t) => {
  const one = (body: string) => parseCommandLine(body).commands[0];
  t.same(one('+CSQ'), { kind: 'extended', name: '+CSQ', form: 'action', args: [] });
  t.same(one('+creg?'), { kind: 'extended', name: '+CREG', form: 'read', args: [] });
  t.same(one('+CREG=?'), { kind: 'extended', name: '+CREG', form: 'test', args: [] });
  t.same(one('+CREG='), { kind: 'extended', name: '+CREG', form: 'set', args: [] }, 'a set with nothing: no arguments');
  t.same(one('+CNMI=2,1,,0'), {
    kind: 'extended',
    name: '+CNMI',
    form: 'set',
    args: [{ kind: 'token', text: '2' }, { kind: 'token', text: '1' }, { kind: 'empty' }, { kind: 'token', text: '0' }],
  });
  t.same(one('+CMGS="+1 555 Ab",145'), {
    kind: 'extended',
    name: '+CMGS',
    form: 'set',
    args: [{ kind: 'string', value: '+1 555 Ab' }, { kind: 'token', text: '145' }],
  }, 'strings keep case and spaces');
  t.same(one('+X="a\\22b\\5C"'), { kind: 'extended', name: '+X', form: 'set', args: [{ kind: 'string', value: 'a"b\\' }] }, 'V.250 \\HH escapes');
  t.same(one('^sals=1,2'), { kind: 'extended', name: '^SALS', form: 'set', args: [{ kind: 'token', text: '1' }, { kind: 'token', text: '2' }] });
  t.same(parseCommandLine('+CMEE=1;+CREG?;E0;'), {
    commands: [
      { kind: 'extended', name: '+CMEE', form: 'set', args: [{ kind: 'token', text: '1' }] },
      { kind: 'extended', name: '+CREG', form: 'read', args: [] },
      { kind: 'basic', name: 'E', value: 0 },
    ],
    syntaxError: false,
  }, 'several commands, a basic one after ;, a trailing ;');
  t.same(parseCommandLine('+X="a;b";+Y'), {
    commands: [
      { kind: 'extended', name: '+X', form: 'set', args: [{ kind: 'string', value: 'a;b' }] },
      { kind: 'extended', name: '+Y', form: 'action', args: [] },
    ],
    syntaxError: false,
  }, 'a ; inside a string does not end the command');
  for (const bad of ['+', '+X="abc', '+X="a"b', '+X=a"b"', '+X?Y', '+X=?1', '+X="\\4"', '!', '+CSQ\x01']) {
    t.equal(parseCommandLine(bad).syntaxError, true, `syntax error: ${JSON.stringify(bad)}`);
  }
});

t.test('formatting: verbose, numeric, quiet, +CME / +CMS ERROR', async (t) => {
  const v1: ResponseFormat = { verbose: true, quiet: false, cmee: 0 };
  const v0: ResponseFormat = { verbose: false, quiet: false, cmee: 0 };
  const q1: ResponseFormat = { verbose: true, quiet: true, cmee: 2 };
  t.equal(formatResult('OK', v1), '\r\nOK\r\n');
  t.equal(formatResult('NO CARRIER', v1), '\r\nNO CARRIER\r\n');
  t.same(['OK', 'CONNECT', 'RING', 'NO CARRIER', 'ERROR', 'NO DIALTONE', 'BUSY', 'NO ANSWER'].map((c) => formatResult(c as 'OK', v0)), ['0\r', '1\r', '2\r', '3\r', '4\r', '6\r', '7\r', '8\r']);
  t.equal(formatResult('OK', q1), '', 'ATQ1: no result codes');
  t.equal(formatText(['+CSQ: 20,99'], v1), '\r\n+CSQ: 20,99\r\n');
  t.equal(formatText(['a', 'b'], v1), '\r\na\r\nb\r\n', 'lines of one response share the framing');
  t.equal(formatText(['a', 'b'], v0), 'a\r\nb\r\n', 'V0: text lines end with CR LF, nothing before');
  t.equal(formatText(['x'], q1), '\r\nx\r\n', 'Q1 keeps information text');
  t.equal(formatText([], v1), '');
  t.equal(formatFinal({ kind: 'cme', error: 4 }, v1), '\r\nERROR\r\n', 'CMEE 0: ERROR');
  t.equal(formatFinal({ kind: 'cme', error: 4 }, { ...v1, cmee: 1 }), '\r\n+CME ERROR: 4\r\n', 'CMEE 1: numeric');
  t.equal(formatFinal({ kind: 'cme', error: 4 }, { ...v1, cmee: 2 }), '\r\n+CME ERROR: operation not supported\r\n', 'CMEE 2: verbose');
  t.equal(formatFinal({ kind: 'cme', error: 3 }, { ...v0, cmee: 1 }), '+CME ERROR: 3\r\n', 'V0');
  t.equal(formatFinal({ kind: 'cme', error: 3 }, v0), '4\r', 'V0 and CMEE 0: the numeric ERROR');
  t.equal(formatFinal({ kind: 'cms', error: 321 }, v1), '\r\n+CMS ERROR: 321\r\n', '+CMS ERROR is given whatever CMEE says');
  t.equal(formatFinal({ kind: 'cms', error: 321 }, { ...v1, cmee: 2 }), '\r\n+CMS ERROR: invalid memory index\r\n');
  t.equal(formatFinal({ kind: 'cme', error: 4 }, q1), '');
  t.equal(formatFinal({ kind: 'result', code: 'BUSY' }, v1), '\r\nBUSY\r\n');
});
