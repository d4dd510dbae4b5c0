// Scenario files for `handset run --script`: every step kind parsed to its typed form, every validation
// error as one line naming the file and the field, step descriptions for messages, and docs/scenarios.md.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { describeStep, parseScenario, ScenarioError, type Scenario, type ScenarioStep } from '../../src/machine/scenario.ts';

const guests = ['work', 'home'] as const;
const opts = { guests, source: 's.json' };

function parse(doc: unknown, o: { guests: readonly string[]; source?: string } = opts): Scenario {
  return parseScenario(JSON.stringify(doc), o);
}

/** The ScenarioError `run` throws (another exception fails the test), or undefined when it throws none. */
function errorOf(run: () => unknown): ScenarioError | undefined {
  try {
    run();
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  return undefined;
}

/** A step with its RegExp written as /source/flags, for exact comparison. */
function plain(step: ScenarioStep): Record<string, unknown> {
  const out: Record<string, unknown> = { ...step };
  if ('pattern' in step) out.pattern = step.pattern instanceof RegExp ? String(step.pattern) : 'not a RegExp';
  return out;
}

t.test('every step kind parses to its typed form', async (t) => {
  const text = `{ "steps": [
    { "type": { "guest": "work", "text": "notes add hello\\n" } },
    { "button": true },
    { "wait": 2000000 },
    { "waitFor": { "guest": "home", "pattern": "^home> ?$|ready", "timeout": 50000000 } },
    { "expect": { "guest": "work", "line": "ok" } },
    { "expect": { "guest": "work", "pattern": "^1\\\\. hello$" } }
  ]}`;
  const scenario = parseScenario(text, opts);
  t.strictSame(scenario.steps.map(plain), [
    { kind: 'type', guest: 'work', text: 'notes add hello\n' },
    { kind: 'button' },
    { kind: 'wait', cycles: 2000000 },
    { kind: 'waitFor', guest: 'home', pattern: '/^home> ?$|ready/', timeout: 50000000 },
    { kind: 'expect', guest: 'work', line: 'ok' },
    { kind: 'expect', guest: 'work', pattern: '/^1\\. hello$/' },
  ]);
  for (const step of scenario.steps) t.notOk('name' in step, `${step.kind}: no name key when none is given`);
  const waitFor = scenario.steps[3] as Extract<ScenarioStep, { kind: 'waitFor' }>;
  t.ok(waitFor.pattern.test('home> '), 'the pattern works as written');
  t.ok(waitFor.pattern.test('handset home phone +15550199 ready'));
  t.notOk(waitFor.pattern.test('home>  x'));
  const expectPattern = scenario.steps[5] as Extract<ScenarioStep, { kind: 'expect' }>;
  t.ok(expectPattern.pattern?.test('1. hello'));
  t.notOk(expectPattern.pattern?.test('1x hello'), 'the doubled backslash escapes the dot');
  t.equal(expectPattern.pattern?.flags, '', 'no flags');
  t.notOk('line' in expectPattern, 'a pattern expect has no line key');
  t.notOk('pattern' in scenario.steps[4]!, 'a line expect has no pattern key');
});

t.test('names are kept on every kind; the action key may come first or last', async (t) => {
  const steps = [
    { name: 'a', type: { guest: 'home', text: 'x' } },
    { button: true, name: 'b' },
    { wait: 1, name: 'c' },
    { waitFor: { timeout: 9007199254740991, pattern: '', guest: 'work' }, name: 'd' },
    { expect: { line: '', guest: 'home' }, name: 'e e' },
  ];
  t.strictSame(parse({ steps }).steps.map(plain), [
    { kind: 'type', guest: 'home', text: 'x', name: 'a' },
    { kind: 'button', name: 'b' },
    { kind: 'wait', cycles: 1, name: 'c' },
    { kind: 'waitFor', guest: 'work', pattern: '/(?:)/', timeout: 9007199254740991, name: 'd' },
    { kind: 'expect', guest: 'home', line: '', name: 'e e' },
  ]);
});

t.test('the limits: text bytes, step count, cycles', async (t) => {
  const type = (text: string) => parse({ steps: [{ type: { guest: 'work', text } }] });
  t.equal((type('a'.repeat(4096)).steps[0] as { text: string }).text.length, 4096, '4096 ASCII bytes');
  t.equal((type('é'.repeat(2048)).steps[0] as { text: string }).text, 'é'.repeat(2048), '2048 two-byte characters are 4096 bytes');
  t.equal((type('😀'.repeat(1024)).steps[0] as { text: string }).text, '😀'.repeat(1024), '1024 four-byte characters');
  t.equal(errorOf(() => type('a'.repeat(4097)))?.message, 'scenario s.json: steps[0].type.text: 4097 bytes (UTF-8) is more than 4096: split it into several steps');
  t.equal(errorOf(() => type('é'.repeat(2049)))?.message, 'scenario s.json: steps[0].type.text: 4098 bytes (UTF-8) is more than 4096: split it into several steps');
  t.equal(type('\u0003\r\t\b\n').steps.length, 1, 'control characters may be typed');

  t.equal(parse({ steps: Array.from({ length: 10000 }, () => ({ button: true })) }).steps.length, 10000);
  t.equal(
    errorOf(() => parse({ steps: Array.from({ length: 10001 }, () => ({ button: true })) }))?.message,
    'scenario s.json: steps: expected a list of 1 to 10000 steps, got 10001 of them',
  );

  t.equal((parse({ steps: [{ wait: 9007199254740991 }] }).steps[0] as { cycles: number }).cycles, 9007199254740991, '2^53-1');
  t.equal(
    errorOf(() => parseScenario('{"steps":[{"wait":9007199254740992}]}', opts))?.message,
    'scenario s.json: steps[0].wait: expected an integer from 1 to 9007199254740991 (cycles), got 9007199254740992',
  );
  t.equal((parse({ steps: [{ wait: 1 }] }).steps[0] as { cycles: number }).cycles, 1);
});

t.test('every validation error is one line naming the file and the field', async (t) => {
  const ACTIONS = 'type, button, wait, waitFor, expect, call, farEnd, sms, registration, signal';
  const CYCLES = 'expected an integer from 1 to 9007199254740991 (cycles)';
  const wf = (o: Record<string, unknown>) => ({ steps: [{ button: true }, { waitFor: { guest: 'home', pattern: 'ok', timeout: 5, ...o } }] });
  const ex = (o: Record<string, unknown>) => ({ steps: [{ expect: { guest: 'work', ...o } }] });
  const ty = (o: Record<string, unknown>) => ({ steps: [{ type: { guest: 'work', text: 'x', ...o } }] });
  const cases: [string, unknown, string][] = [
    ['top level a list', [], 'expected an object, got an empty list'],
    ['top level a number', 3, 'expected an object, got 3'],
    ['unknown top-level field', { steps: [{ button: true }], comment: 'hi' }, 'comment: unknown field (expected one of steps)'],
    ['steps missing', {}, 'steps: missing (a list of 1 to 10000 steps)'],
    ['steps not a list', { steps: { button: true } }, 'steps: expected a list of 1 to 10000 steps, got an object'],
    ['no steps', { steps: [] }, 'steps: expected a list of 1 to 10000 steps, got an empty list'],
    ['a step not an object', { steps: [{ button: true }, 'wait'] }, 'steps[1]: expected an object, got "wait"'],
    ['a step a list', { steps: [[{ button: true }]] }, 'steps[0]: expected an object, got a list'],
    ['an empty step', { steps: [{}] }, `steps[0]: empty step (expected one of ${ACTIONS})`],
    ['a step with only a name', { steps: [{ name: 'x' }] }, `steps[0]: no action (expected one of ${ACTIONS})`],
    ['two actions', { steps: [{ button: true }, { button: true }, { wait: 5, type: { guest: 'work', text: 'x' } }] }, 'steps[2]: two actions, type and wait (a step has exactly one)'],
    ['an unknown step key', { steps: [{ wait: 5, timeout: 3 }] }, `steps[0].timeout: unknown field (expected one of ${ACTIONS}, name)`],
    ['a call without its line', { steps: [{ call: { from: '+1555' } }] }, 'steps[0].call.to: missing (one of work, home)'],
    ['a call from a bad number', { steps: [{ call: { from: 'mom', to: 'work' } }] }, 'steps[0].call.from: expected a phone number (digits, * and #, an optional leading +, at most 20), got "mom"'],
    ['a call to nobody', { steps: [{ call: { from: '+1555', to: 'office' } }] }, 'steps[0].call.to: expected one of work, home, got "office"'],
    ['a far end that does something else', { steps: [{ farEnd: 'laugh' }] }, 'steps[0].farEnd: expected one of answer, hangUp, busy, noAnswer, got "laugh"'],
    ['an empty SMS', { steps: [{ sms: { from: '+1555', to: 'home', text: '' } }] }, 'steps[0].sms.text: expected a text of 1 to 160 characters without control characters, got ""'],
    ['a registration state out of range', { steps: [{ registration: 6 }] }, 'steps[0].registration: expected a +CREG state from 0 to 5, got 6'],
    ['a signal out of range', { steps: [{ signal: 40 }] }, 'steps[0].signal: expected a +CSQ rssi from 0 to 31, or 99, got 40'],
    ['a key that is no identifier', { steps: [{ 'wait for': 5 }] }, `steps[0]["wait for"]: unknown field (expected one of ${ACTIONS}, name)`],
    ['name not a string', { steps: [{ button: true, name: 3 }] }, 'steps[0].name: expected a step name of 1 to 100 characters without control characters, got 3'],
    ['name empty', { steps: [{ button: true, name: '' }] }, 'steps[0].name: expected a step name of 1 to 100 characters without control characters, got ""'],
    ['name of 101 characters', { steps: [{ button: true, name: 'n'.repeat(101) }] }, `steps[0].name: expected a step name of 1 to 100 characters without control characters, got "${'n'.repeat(40)}…"`],
    ['name with a newline', { steps: [{ button: true, name: 'a\nb' }] }, 'steps[0].name: expected a step name of 1 to 100 characters without control characters, got "a\\nb"'],
    ['type not an object', { steps: [{ type: 'help\n' }] }, 'steps[0].type: expected an object, got "help\\n"'],
    ['type unknown field', ty({ bytes: 'x' }), 'steps[0].type.bytes: unknown field (expected one of guest, text)'],
    ['type guest missing', { steps: [{ type: { text: 'x' } }] }, 'steps[0].type.guest: missing (one of work, home)'],
    ['type guest unknown', ty({ guest: 'office' }), 'steps[0].type.guest: expected one of work, home, got "office"'],
    ['type guest not a string', ty({ guest: 0 }), 'steps[0].type.guest: expected one of work, home, got 0'],
    ['type guest case matters', ty({ guest: 'Work' }), 'steps[0].type.guest: expected one of work, home, got "Work"'],
    ['type text missing', { steps: [{ type: { guest: 'work' } }] }, 'steps[0].type.text: missing (the bytes to type, e.g. "help\\n")'],
    ['type text empty', ty({ text: '' }), 'steps[0].type.text: expected a non-empty string, got ""'],
    ['type text a list of bytes', ty({ text: [104, 10] }), 'steps[0].type.text: expected a non-empty string, got a list'],
    ['type text a lone surrogate', ty({ text: 'a\ud800b' }), 'steps[0].type.text: not valid Unicode (a lone surrogate \\uD800-\\uDFFF)'],
    ['type text a lone low surrogate', ty({ text: '\udc00' }), 'steps[0].type.text: not valid Unicode (a lone surrogate \\uD800-\\uDFFF)'],
    ['button false', { steps: [{ button: false }] }, 'steps[0].button: expected true, got false'],
    ['button an object', { steps: [{ button: {} }] }, 'steps[0].button: expected true, got an object'],
    ['button null', { steps: [{ button: null }] }, 'steps[0].button: expected true, got null'],
    ['wait 0', { steps: [{ wait: 0 }] }, `steps[0].wait: ${CYCLES}, got 0`],
    ['wait negative', { steps: [{ wait: -5 }] }, `steps[0].wait: ${CYCLES}, got -5`],
    ['wait a fraction', { steps: [{ wait: 1.5 }] }, `steps[0].wait: ${CYCLES}, got 1.5`],
    ['wait a string', { steps: [{ wait: '1000' }] }, `steps[0].wait: ${CYCLES}, got "1000"`],
    ['wait an object', { steps: [{ wait: { cycles: 5 } }] }, `steps[0].wait: ${CYCLES}, got an object`],
    ['waitFor not an object', { steps: [{ waitFor: 'ready' }] }, 'steps[0].waitFor: expected an object, got "ready"'],
    ['waitFor unknown field', wf({ line: 'ok' }), 'steps[1].waitFor.line: unknown field (expected one of guest, pattern, timeout)'],
    ['waitFor guest missing', { steps: [{ waitFor: { pattern: 'x', timeout: 5 } }] }, 'steps[0].waitFor.guest: missing (one of work, home)'],
    ['waitFor guest unknown', wf({ guest: 'lab' }), 'steps[1].waitFor.guest: expected one of work, home, got "lab"'],
    ['waitFor pattern missing', { steps: [{ waitFor: { guest: 'work', timeout: 5 } }] }, 'steps[0].waitFor.pattern: missing (a regular expression, e.g. "^ok$")'],
    ['waitFor pattern not a string', wf({ pattern: 5 }), 'steps[1].waitFor.pattern: expected a regular expression in a string, got 5'],
    ['waitFor pattern that does not compile', wf({ pattern: '^(ok' }), 'steps[1].waitFor.pattern: invalid regular expression "^(ok": Unterminated group'],
    ['waitFor pattern with nothing to repeat', wf({ pattern: '*ok' }), 'steps[1].waitFor.pattern: invalid regular expression "*ok": Nothing to repeat'],
    ['waitFor pattern with a newline and ": " in it', wf({ pattern: 'a: \n(' }), 'steps[1].waitFor.pattern: invalid regular expression "a: \\n(": Unterminated group'],
    ['waitFor timeout missing', { steps: [{ waitFor: { guest: 'work', pattern: 'x' } }] }, 'steps[0].waitFor.timeout: missing (an integer from 1 to 9007199254740991: the cycles to wait at most)'],
    ['waitFor timeout 0', wf({ timeout: 0 }), `steps[1].waitFor.timeout: ${CYCLES}, got 0`],
    ['waitFor timeout 2^53', wf({ timeout: 2 ** 53 }), `steps[1].waitFor.timeout: ${CYCLES}, got 9007199254740992`],
    ['waitFor timeout a string', wf({ timeout: '5' }), `steps[1].waitFor.timeout: ${CYCLES}, got "5"`],
    ['expect not an object', { steps: [{ expect: 'ok' }] }, 'steps[0].expect: expected an object, got "ok"'],
    ['expect unknown field', ex({ line: 'ok', timeout: 5 }), 'steps[0].expect.timeout: unknown field (expected one of guest, line, pattern)'],
    ['expect guest missing', { steps: [{ expect: { line: 'ok' } }] }, 'steps[0].expect.guest: missing (one of work, home)'],
    ['expect guest unknown', ex({ guest: 'both', line: 'ok' }), 'steps[0].expect.guest: expected one of work, home, got "both"'],
    ['expect neither line nor pattern', ex({}), 'steps[0].expect: needs "line" or "pattern"'],
    ['expect both line and pattern', ex({ line: 'ok', pattern: 'ok' }), 'steps[0].expect: has both "line" and "pattern" (give one)'],
    ['expect line not a string', ex({ line: 1 }), 'steps[0].expect.line: expected a string, got 1'],
    ['expect line with a newline', ex({ line: 'a\nb' }), 'steps[0].expect.line: can never match: lines hold no "\\n" and lose a trailing "\\r"'],
    ['expect line ending in \\r', ex({ line: 'ok\r' }), 'steps[0].expect.line: can never match: lines hold no "\\n" and lose a trailing "\\r"'],
    ['expect pattern not a string', ex({ pattern: ['ok'] }), 'steps[0].expect.pattern: expected a regular expression in a string, got a list'],
    ['expect pattern that does not compile', ex({ pattern: '[b-a]' }), 'steps[0].expect.pattern: invalid regular expression "[b-a]": Range out of order in character class'],
  ];
  for (const [what, doc, problem] of cases) {
    const e = errorOf(() => parse(doc));
    t.equal(e?.message, `scenario s.json: ${problem}`, what);
    t.equal(e?.name, 'ScenarioError', `${what}: name`);
    t.notMatch(e?.message ?? '', /[\n\r]/, `${what}: one line`);
  }
});

t.test('the first problem in file order is reported; errors carry their parts', async (t) => {
  const e = errorOf(() => parse({ steps: [{ wait: 5 }, { wait: 0 }, { button: 1 }] }, { guests }));
  t.equal(e?.message, 'scenario: steps[1].wait: expected an integer from 1 to 9007199254740991 (cycles), got 0', 'no source: "scenario:"');
  t.equal(e?.source, undefined);
  t.equal(e?.field, 'steps[1].wait');
  t.equal(e?.problem, 'expected an integer from 1 to 9007199254740991 (cycles), got 0');
  t.ok(e instanceof Error);
});

t.test('guests are those the caller names', async (t) => {
  const doc = { steps: [{ type: { guest: 'lab', text: 'x' } }] };
  t.equal(errorOf(() => parse(doc))?.message, 'scenario s.json: steps[0].type.guest: expected one of work, home, got "lab"');
  t.strictSame(parse(doc, { guests: ['lab'] }).steps, [{ kind: 'type', guest: 'lab', text: 'x' }]);
  t.equal(
    errorOf(() => parse({ steps: [{ expect: { guest: 'work', line: 'x' } }] }, { guests: ['a', 'b', 'c'], source: 'x' }))?.message,
    'scenario x: steps[0].expect.guest: expected one of a, b, c, got "work"',
  );
});

t.test('bad JSON is one line with its line and column', async (t) => {
  t.equal(errorOf(() => parseScenario('{ "steps": [\n  { "wait": 5 },\n]}', opts))?.message, 'scenario s.json: invalid JSON at line 3, column 1: expected a value, found "]"');
  t.equal(errorOf(() => parseScenario('', opts))?.message, 'scenario s.json: invalid JSON at line 1, column 1: the text is empty (expected a JSON value)');
  t.equal(
    errorOf(() => parseScenario('{"steps": [{"wait": 5, "wait": 6}]}', opts))?.message,
    'scenario s.json: invalid JSON at line 1, column 24: duplicate key "wait"',
    'a key given twice is refused, not the last one taken',
  );
});

t.test('describeStep: "step N (what, name)", N counting from 1', async (t) => {
  const s = parse({
    steps: [
      { type: { guest: 'work', text: 'notes add hello\n' } },
      { button: true, name: 'to home' },
      { wait: 2000000 },
      { waitFor: { guest: 'home', pattern: 'ready', timeout: 5 }, name: 'boot' },
      { expect: { guest: 'work', line: 'ok' } },
      { expect: { guest: 'work', pattern: '^1\\. a/b$' } },
      { type: { guest: 'home', text: 'x'.repeat(50) } },
      { waitFor: { guest: 'work', pattern: 'y'.repeat(50), timeout: 5 } },
      { expect: { guest: 'home', line: 'say "hi"' }, name: 'quote "q"' },
      { waitFor: { guest: 'work', pattern: 'a\nb', timeout: 5 } },
    ],
  });
  t.equal(describeStep(s, 0), 'step 1 (type work "notes add hello\\n")');
  t.equal(describeStep(s, 1), 'step 2 (button, "to home")');
  t.equal(describeStep(s, 2), 'step 3 (wait 2000000)');
  t.equal(describeStep(s, 3), 'step 4 (waitFor home /ready/, "boot")');
  t.equal(describeStep(s, 4), 'step 5 (expect work "ok")');
  t.equal(describeStep(s, 5), 'step 6 (expect work /^1\\. a\\/b$/)');
  t.equal(describeStep(s, 6), `step 7 (type home "${'x'.repeat(40)}…")`, 'long texts shortened');
  t.equal(describeStep(s, 7), `step 8 (waitFor work /${'y'.repeat(40)}…/)`, 'long patterns shortened');
  t.equal(describeStep(s, 8), 'step 9 (expect home "say \\"hi\\"", "quote \\"q\\"")');
  t.equal(describeStep(s, 9), 'step 10 (waitFor work /a\\nb/)', 'one line even with a newline in the pattern');
  t.throws(() => describeStep(s, 10), RangeError);
  t.throws(() => describeStep(s, -1), RangeError);
  t.throws(() => describeStep(s, 1.5), RangeError);
});

t.test('docs/scenarios.md: its examples are valid, and its messages are the ones given', async (t) => {
  const doc = readFileSync('docs/scenarios.md', 'utf8');
  const blocks = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!);
  t.equal(blocks.length, 2, 'the format example and the complete example');
  const format = parseScenario(blocks[0]!, { guests, source: 'demo.json' });
  t.strictSame(format.steps.map((s) => s.kind), ['type', 'button', 'wait', 'waitFor', 'expect', 'expect']);
  const example = parseScenario(blocks[1]!, { guests, source: 'demo.json' });
  t.strictSame(
    example.steps.map((s) => s.kind),
    ['waitFor', 'waitFor', 'type', 'waitFor', 'type', 'waitFor', 'button', 'type', 'wait', 'type', 'wait', 'expect'],
  );
  const boot = example.steps[0] as Extract<ScenarioStep, { kind: 'waitFor' }>;
  t.ok(boot.pattern.test('handset work phone +15550100 ready'), 'the banner pattern matches the banner');
  t.notOk(boot.pattern.test('handset work phone 15550100 ready'), 'the + is literal');
  t.ok((example.steps[5] as Extract<ScenarioStep, { kind: 'waitFor' }>).pattern.test('1: buy milk'));
  t.strictSame(example.steps[7], { kind: 'type', guest: 'home', text: 'crash\n', name: 'home crashes' });

  const failures = [...doc.matchAll(/^scenario demo\.json: (step \d+ \(.*\)) failed: /gm)].map((m) => m[1]!);
  t.strictSame(failures, [describeStep(example, 1), describeStep(example, 11)], 'failure lines describe the example\'s steps');

  const shown = [...doc.matchAll(/^(scenario demo\.json: steps\[.*)$/gm)].map((m) => m[1]!);
  const message = (steps: unknown[]) => errorOf(() => parseScenario(JSON.stringify({ steps }), { guests, source: 'demo.json' }))?.message;
  const b = { button: true };
  t.strictSame(shown, [
    message([b, b, b, b, { waitFor: { guest: 'work', pattern: 'x', timeout: 0 } }]),
    message([b, b, { type: { guest: 'work', text: 'x' }, wait: 5 }]),
    message([{ type: { guest: 'office', text: 'x' } }]),
    message([b, b, b, b, b, { expect: { guest: 'work', pattern: '^(ok' } }]),
  ]);
  for (const kind of ['type', 'button', 'wait', 'waitFor', 'expect']) t.match(doc, `**\`${kind}\`**`, `${kind} is defined`);
  t.match(doc, /exit status 0/);
  t.match(doc, /status 124/);
  t.match(doc, /status 1 /);
  for (const kind of ['call', 'farEnd', 'sms', 'registration', 'signal']) t.match(doc, `| \`"${kind}"`, `${kind} is in the network steps table`);
});

t.test('network steps parse to what the player needs', async (t) => {
  const s = parseScenario(
    JSON.stringify({ steps: [{ call: { from: '+15557777', to: 'work' } }, { farEnd: 'hangUp' }, { sms: { from: '+1555', to: 'home', text: 'hi' } }, { registration: 5 }, { signal: 99 }] }),
    { guests: ['work', 'home'] },
  );
  t.strictSame(s.steps, [
    { kind: 'call', from: '+15557777', guest: 'work' },
    { kind: 'farEnd', action: 'hangUp' },
    { kind: 'sms', from: '+1555', guest: 'home', text: 'hi' },
    { kind: 'registration', stat: 5 },
    { kind: 'signal', rssi: 99 },
  ]);
  t.equal(describeStep(s, 0), 'step 1 (call +15557777 to work)');
  t.equal(describeStep(s, 2), 'step 3 (sms +1555 to home "hi")');
});

t.test('farEnd names a line when there are two calls', async (t) => {
  const s = parseScenario(JSON.stringify({ steps: [{ farEnd: { action: 'busy', line: 'home' } }] }), { guests: ['work', 'home'] });
  t.strictSame(s.steps, [{ kind: 'farEnd', action: 'busy', guest: 'home' }]);
  t.equal(describeStep(s, 0), 'step 1 (farEnd busy on home)');
  t.throws(() => parseScenario(JSON.stringify({ steps: [{ farEnd: { action: 'busy', line: 'office' } }] }), { guests: ['work', 'home'], source: 's.json' }), {
    message: 'scenario s.json: steps[0].farEnd.line: expected one of work, home, got "office"',
  });
});
