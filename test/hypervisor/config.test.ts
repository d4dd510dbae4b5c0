// The partition config of `handset run --config FILE`: defaults, resolved image paths, every validation
// error as one line naming the file and the field, the default config, its hash, and docs/config.md.
import t from 'tap';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BUILTIN_RINGTONES, canonicalConfigJson, ConfigError, configHash, defaultConfig, parseConfig, ringtoneTable, type HypervisorConfig, type RingtoneStep } from '../../src/hypervisor/config.ts';
import { JsonSyntaxError, parseJsonStrict } from '../../src/loader/json.ts';

const BASE = '/etc/handset';
const opts = { baseDir: BASE, boardRamMiB: 128, source: 'h.json' };

/** A valid two-partition file as a plain object, for tests to change one thing in. */
function file(): { [k: string]: unknown; partitions: { [k: string]: unknown }[] } {
  return {
    partitions: [
      { name: 'work', image: 'work.elf', number: '+15550100' },
      { name: 'home', image: 'home.elf', number: '+15550199' },
    ],
  };
}

function parse(doc: unknown, o: { baseDir: string; boardRamMiB: number; source?: string } = opts): HypervisorConfig {
  return parseConfig(JSON.stringify(doc), o);
}

/** The ConfigError parse throws, or a failure when it throws something else or nothing. */
function errorOf(run: () => unknown): ConfigError | undefined {
  try {
    run();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  return undefined;
}

t.test('a minimal file gets every default, and image paths are resolved against the base directory', async (t) => {
  const config = parseConfig('{"partitions":[{"name":"solo","image":"guests/solo.elf","number":"5550123"}]}', opts);
  t.strictSame(config, {
    partitions: [
      {
        name: 'solo',
        image: '/etc/handset/guests/solo.elf',
        ramMiB: 127, // (128 - 1) / 1
        priority: 1,
        weight: 1,
        number: '5550123',
        ringtone: 'classic',
        storeKiB: 64,
      },
    ],
    sliceMicros: 10000,
    foreground: 'solo',
  });
});

t.test('default RAM splits the board RAM after the hypervisor MiB evenly among all partitions', async (t) => {
  t.strictSame(parse(file()).partitions.map((p) => p.ramMiB), [63, 63], '(128 - 1) / 2, rounded down');
  t.strictSame(parse(file(), { ...opts, boardRamMiB: 256 }).partitions.map((p) => p.ramMiB), [127, 127], '(256 - 1) / 2');
  const three = file();
  three.partitions.push({ name: 'lab', image: 'lab.elf', number: '+15550142' });
  t.strictSame(parse(three, { ...opts, boardRamMiB: 192 }).partitions.map((p) => p.ramMiB), [63, 63, 63], '(192 - 1) / 3');
  const four = file();
  four.partitions.push({ name: 'a', image: 'a.elf', number: '111' }, { name: 'b', image: 'b.elf', number: '222' });
  t.strictSame(parse(four).partitions.map((p) => p.ramMiB), [31, 31, 31, 31], '(128 - 1) / 4 = 31.75');
});

t.test('every field given is kept as given', async (t) => {
  const doc = {
    partitions: [
      { name: 'w-2', image: '/srv/w.elf', ramMiB: 100, priority: 15, weight: 100, number: '12345678901234567890', ringtone: '0-beep', storeKiB: 4096 },
      { name: 'h', image: '../g/h.elf', ramMiB: 27, priority: 0, weight: 1, number: '+999', ringtone: 'a', storeKiB: 1 },
    ],
    sliceMicros: 1000000,
    foreground: 'h',
    ringtones: { '0-beep': [{ hz: 880, ms: 10 }], a: [{ hz: 0, ms: 5000 }] },
  };
  t.strictSame(parse(doc), {
    partitions: [
      { name: 'w-2', image: '/srv/w.elf', ramMiB: 100, priority: 15, weight: 100, number: '12345678901234567890', ringtone: '0-beep', storeKiB: 4096 },
      { name: 'h', image: '/etc/g/h.elf', ramMiB: 27, priority: 0, weight: 1, number: '+999', ringtone: 'a', storeKiB: 1 },
    ],
    sliceMicros: 1000000,
    foreground: 'h',
    ringtones: { '0-beep': [{ hz: 880, ms: 10 }], a: [{ hz: 0, ms: 5000 }] },
  });
  t.equal(parse({ ...file(), sliceMicros: 100 }).sliceMicros, 100, 'the lowest slice');
  t.equal(parse({ ...file(), foreground: 'home' }).foreground, 'home');
  t.equal(parse(file()).foreground, 'work', 'the first partition by default');
});

t.test('the total RAM: up to board RAM - 1 MiB fits, one more does not', async (t) => {
  const fits = file();
  fits.partitions[0]!.ramMiB = 100;
  fits.partitions[1]!.ramMiB = 27;
  t.strictSame(parse(fits).partitions.map((p) => p.ramMiB), [100, 27]);
  fits.partitions[1]!.ramMiB = 28;
  t.equal(
    errorOf(() => parse(fits))?.message,
    'config h.json: partitions: 128 MiB of guest RAM do not fit in 127 MiB (128 MiB of RAM, 1 MiB reserved for the hypervisor)',
  );
  const big = file();
  big.partitions[0]!.ramMiB = 100;
  big.partitions[1]!.ramMiB = 100;
  t.equal(
    errorOf(() => parse(big))?.message,
    'config h.json: partitions: 200 MiB of guest RAM do not fit in 127 MiB (128 MiB of RAM, 1 MiB reserved for the hypervisor)',
  );
  t.strictSame(parse(big, { ...opts, boardRamMiB: 256 }).partitions.map((p) => p.ramMiB), [100, 100], 'fits on 256 MiB');
  const mixed = file();
  mixed.partitions[0]!.ramMiB = 100; // the other keeps the default of 63: 163 MiB
  t.equal(
    errorOf(() => parse(mixed))?.message,
    'config h.json: partitions: 163 MiB of guest RAM do not fit in 127 MiB (128 MiB of RAM, 1 MiB reserved for the hypervisor)',
  );
});

t.test('every validation error is one line naming the file and the field', async (t) => {
  const PARTITION_FIELDS = 'name, image, ramMiB, priority, weight, number, ringtone, storeKiB';
  const NAME = 'a name of 1 to 15 lower-case letters, digits or "-", starting with a letter';
  const NUMBER = 'a phone number of 3 to 20 digits after an optional "+"';
  const RINGTONE = 'a ringtone name of 1 to 15 lower-case letters, digits or "-"';
  const IMAGE = "the path of the guest ELF file (relative to the config file's directory)";
  const cases: [string, (f: ReturnType<typeof file>) => unknown, string][] = [
    ['top level not an object', () => [], 'expected an object, got an empty list'],
    ['top level a string', () => 'x', 'expected an object, got "x"'],
    ['unknown top-level field', (f) => ({ ...f, sliceMs: 5 }), 'sliceMs: unknown field (expected one of partitions, sliceMicros, foreground, ringtones, managed, managementToken)'],
    ['"__proto__" is just an unknown field', (f) => JSON.parse(JSON.stringify(f).replace('{', '{"__proto__":{"x":1},')), '__proto__: unknown field (expected one of partitions, sliceMicros, foreground, ringtones, managed, managementToken)'],
    ['managementToken too short', (f) => ({ ...f, managementToken: 'short' }), 'managementToken: expected 16 to 256 characters of A-Z a-z 0-9 - . _ ~ + / = (a bearer token), got 5 characters that are not'],
    ['managementToken with a space', (f) => ({ ...f, managementToken: 'a token with spaces in it' }), 'managementToken: expected 16 to 256 characters of A-Z a-z 0-9 - . _ ~ + / = (a bearer token), got 25 characters that are not'],
    ['managementToken too long', (f) => ({ ...f, managementToken: 'x'.repeat(257) }), 'managementToken: expected 16 to 256 characters of A-Z a-z 0-9 - . _ ~ + / = (a bearer token), got 257 characters that are not'],
    ['managementToken a number', (f) => ({ ...f, managementToken: 1234567890123456 }), 'managementToken: expected 16 to 256 characters of A-Z a-z 0-9 - . _ ~ + / = (a bearer token), got 1234567890123456'],
    ['partitions missing', () => ({}), 'partitions: missing (a list of 1 to 4 partitions)'],
    ['partitions not a list', () => ({ partitions: { name: 'work' } }), 'partitions: expected a list of 1 to 4 partitions, got an object'],
    ['no partitions', () => ({ partitions: [] }), 'partitions: expected a list of 1 to 4 partitions, got an empty list'],
    [
      'five partitions',
      () => ({ partitions: ['a', 'b', 'c', 'd', 'e'].map((n, i) => ({ name: n, image: `${n}.elf`, number: `55${i}` })) }),
      'partitions: expected a list of 1 to 4 partitions, got 5 of them',
    ],
    ['a partition not an object', (f) => ({ partitions: [f.partitions[0], 'home'] }), 'partitions[1]: expected an object, got "home"'],
    ['a partition null', () => ({ partitions: [null] }), 'partitions[0]: expected an object, got null'],
    ['unknown partition field', (f) => (f.partitions[0]!.ramMb = 12, f), `partitions[0].ramMb: unknown field (expected one of ${PARTITION_FIELDS})`],
    ['field names are case-sensitive', (f) => (f.partitions[1]!.RamMiB = 12, f), `partitions[1].RamMiB: unknown field (expected one of ${PARTITION_FIELDS})`],
    ['an unknown key that is no identifier', (f) => (f.partitions[0]!['ram MiB'] = 1, f), `partitions[0]["ram MiB"]: unknown field (expected one of ${PARTITION_FIELDS})`],
    ['name missing', (f) => (delete f.partitions[0]!.name, f), `partitions[0].name: missing (expected ${NAME})`],
    ['name not a string', (f) => (f.partitions[0]!.name = 7, f), `partitions[0].name: expected ${NAME}, got 7`],
    ['name upper case', (f) => (f.partitions[0]!.name = 'Work', f), `partitions[0].name: expected ${NAME}, got "Work"`],
    ['name starting with a digit', (f) => (f.partitions[0]!.name = '1st', f), `partitions[0].name: expected ${NAME}, got "1st"`],
    ['name empty', (f) => (f.partitions[0]!.name = '', f), `partitions[0].name: expected ${NAME}, got ""`],
    ['name of 16 characters', (f) => (f.partitions[0]!.name = 'abcdefghijklmnop', f), `partitions[0].name: expected ${NAME}, got "abcdefghijklmnop"`],
    ['name with a slash', (f) => (f.partitions[0]!.name = 'a/b', f), `partitions[0].name: expected ${NAME}, got "a/b"`],
    ['names not unique', (f) => (f.partitions[1]!.name = 'work', f), 'partitions[1].name: "work" is also the name of partitions[0] (names must be unique)'],
    ['image missing', (f) => (delete f.partitions[1]!.image, f), `partitions[1].image: missing (expected ${IMAGE})`],
    ['image empty', (f) => (f.partitions[1]!.image = '', f), `partitions[1].image: expected ${IMAGE}, got ""`],
    ['image not a string', (f) => (f.partitions[1]!.image = ['work.elf'], f), `partitions[1].image: expected ${IMAGE}, got a list`],
    ['image with a NUL', (f) => (f.partitions[1]!.image = 'a\0b', f), `partitions[1].image: expected ${IMAGE}, got "a\\u0000b"`],
    ['ramMiB a string', (f) => (f.partitions[1]!.ramMiB = '12', f), 'partitions[1].ramMiB: expected an integer from 1 to 127, got "12"'],
    ['ramMiB 0', (f) => (f.partitions[1]!.ramMiB = 0, f), 'partitions[1].ramMiB: expected an integer from 1 to 127, got 0'],
    ['ramMiB above the board', (f) => (f.partitions[1]!.ramMiB = 128, f), 'partitions[1].ramMiB: expected an integer from 1 to 127, got 128'],
    ['ramMiB a fraction', (f) => (f.partitions[1]!.ramMiB = 1.5, f), 'partitions[1].ramMiB: expected an integer from 1 to 127, got 1.5'],
    ['ramMiB null', (f) => (f.partitions[1]!.ramMiB = null, f), 'partitions[1].ramMiB: expected an integer from 1 to 127, got null'],
    ['priority -1', (f) => (f.partitions[0]!.priority = -1, f), 'partitions[0].priority: expected an integer from 0 to 15, got -1'],
    ['priority 16', (f) => (f.partitions[0]!.priority = 16, f), 'partitions[0].priority: expected an integer from 0 to 15, got 16'],
    ['priority true', (f) => (f.partitions[0]!.priority = true, f), 'partitions[0].priority: expected an integer from 0 to 15, got true'],
    ['weight 0', (f) => (f.partitions[0]!.weight = 0, f), 'partitions[0].weight: expected an integer from 1 to 100, got 0'],
    ['weight 101', (f) => (f.partitions[0]!.weight = 101, f), 'partitions[0].weight: expected an integer from 1 to 100, got 101'],
    ['number missing', (f) => (delete f.partitions[0]!.number, f), `partitions[0].number: missing (expected ${NUMBER})`],
    ['number a JSON number', (f) => (f.partitions[0]!.number = 15550100, f), `partitions[0].number: expected ${NUMBER}, got 15550100`],
    ['number with dashes', (f) => (f.partitions[0]!.number = '555-0100', f), `partitions[0].number: expected ${NUMBER}, got "555-0100"`],
    ['number of 2 digits', (f) => (f.partitions[0]!.number = '+12', f), `partitions[0].number: expected ${NUMBER}, got "+12"`],
    ['number of 21 digits', (f) => (f.partitions[0]!.number = '123456789012345678901', f), `partitions[0].number: expected ${NUMBER}, got "123456789012345678901"`],
    ['number with a + inside', (f) => (f.partitions[0]!.number = '1+555', f), `partitions[0].number: expected ${NUMBER}, got "1+555"`],
    ['numbers not unique', (f) => (f.partitions[1]!.number = '+15550100', f), 'partitions[1].number: "+15550100" is also the number of partitions[0] (each partition has its own line)'],
    ['ringtone upper case', (f) => (f.partitions[0]!.ringtone = 'Classic', f), `partitions[0].ringtone: expected ${RINGTONE}, got "Classic"`],
    ['ringtone empty', (f) => (f.partitions[0]!.ringtone = '', f), `partitions[0].ringtone: expected ${RINGTONE}, got ""`],
    ['ringtone of 16 characters', (f) => (f.partitions[0]!.ringtone = 'abcdefghijklmnop', f), `partitions[0].ringtone: expected ${RINGTONE}, got "abcdefghijklmnop"`],
    ['ringtone null', (f) => (f.partitions[0]!.ringtone = null, f), `partitions[0].ringtone: expected ${RINGTONE}, got null`],
    ['storeKiB 0', (f) => (f.partitions[0]!.storeKiB = 0, f), 'partitions[0].storeKiB: expected an integer from 1 to 4096, got 0'],
    ['storeKiB 4097', (f) => (f.partitions[0]!.storeKiB = 4097, f), 'partitions[0].storeKiB: expected an integer from 1 to 4096, got 4097'],
    ['sliceMicros 99', (f) => ({ ...f, sliceMicros: 99 }), 'sliceMicros: expected an integer from 100 to 1000000, got 99'],
    ['sliceMicros 1000001', (f) => ({ ...f, sliceMicros: 1000001 }), 'sliceMicros: expected an integer from 100 to 1000000, got 1000001'],
    ['sliceMicros a string', (f) => ({ ...f, sliceMicros: '10000' }), 'sliceMicros: expected an integer from 100 to 1000000, got "10000"'],
    ['foreground unknown', (f) => ({ ...f, foreground: 'office' }), 'foreground: "office" is not a partition (expected one of work, home)'],
    ['foreground not a string', (f) => ({ ...f, foreground: 0 }), 'foreground: expected a partition name, got 0'],
  ];
  for (const [what, change, problem] of cases) {
    const e = errorOf(() => parse(change(file())));
    t.equal(e?.message, `config h.json: ${problem}`, what);
    t.equal(e?.name, 'ConfigError', `${what}: name`);
    t.notMatch(e?.message ?? '', /\n/, `${what}: one line`);
  }
});

t.test('the first problem in file order is the one reported', async (t) => {
  const f = file();
  f.partitions[0]!.weight = 0;
  f.partitions[1]!.priority = 99;
  t.match(errorOf(() => parse({ ...f, sliceMicros: 1 }))?.message, /^config h\.json: partitions\[0\]\.weight:/);
});

t.test('without a source the message starts with "config:"; the error carries its parts', async (t) => {
  const f = file();
  f.partitions[1]!.storeKiB = 'big';
  const e = errorOf(() => parse(f, { baseDir: BASE, boardRamMiB: 128 }));
  t.equal(e?.message, 'config: partitions[1].storeKiB: expected an integer from 1 to 4096, got "big"');
  t.equal(e?.source, undefined);
  t.equal(e?.field, 'partitions[1].storeKiB');
  t.equal(e?.problem, 'expected an integer from 1 to 4096, got "big"');
  t.ok(e instanceof Error);
});

t.test('the RAM range follows the board: 255 MiB for a 256 MiB board', async (t) => {
  const f = file();
  f.partitions = [{ ...f.partitions[0], ramMiB: 256 }];
  t.equal(
    errorOf(() => parse(f, { ...opts, boardRamMiB: 256 }))?.message,
    'config h.json: partitions[0].ramMiB: expected an integer from 1 to 255, got 256',
  );
  f.partitions[0]!.ramMiB = 255;
  t.equal(parse(f, { ...opts, boardRamMiB: 256 }).partitions[0]!.ramMiB, 255);
});

t.test('bad JSON is one line with its line and column', async (t) => {
  const cases: [string, string][] = [
    ['', 'line 1, column 1: the text is empty (expected a JSON value)'],
    ['  \n ', 'line 2, column 2: the text is empty (expected a JSON value)'],
    ['{\n  "partitions": [\n  }\n}', 'line 3, column 3: expected a value, found "}"'],
    ['{"partitions": []}\n}', 'line 2, column 1: unexpected "}" after the JSON value'],
    ['{"partitions": [],}', 'line 1, column 19: expected a key in double quotes, found "}"'],
    ['{"partitions": [1 2]}', 'line 1, column 19: expected "," or "]" after a value in an array, found "2"'],
    ['{\n  "a": 1\n  "b": 2\n}', 'line 3, column 3: expected "," or "}" after a value in an object, found "\\""'],
    ['{"a" 1}', 'line 1, column 6: expected ":" after a key, found "1"'],
    ['{"a": tru}', 'line 1, column 7: expected a value, found "tru"'],
    ['{"a": True}', 'line 1, column 7: expected a value, found "True"'],
    ["{'a': 1}", 'line 1, column 2: expected a key in double quotes, found "\'"'],
    ['{"a": 01}', 'line 1, column 7: invalid number "01"'],
    ['{"a": 1.}', 'line 1, column 7: invalid number "1."'],
    ['{"a": -}', 'line 1, column 7: invalid number "-"'],
    ['{"a": +1}', 'line 1, column 7: expected a value, found "+"'],
    ['{"a": "x', 'line 1, column 7: unterminated string'],
    ['{"a": "x\ny"}', 'line 1, column 9: control character U+000A inside a string (write it as an escape such as \\n)'],
    ['{"a": "\\x41"}', 'line 1, column 8: invalid escape "\\\\x" in a string'],
    ['{"a": "\\u12"}', 'line 1, column 8: invalid escape "\\\\u" in a string'],
    ['{"a": 1', 'line 1, column 8: expected "," or "}" after a value in an object, found the end of the text'],
    ['{"a": ', 'line 1, column 7: unexpected end of the text: expected a value'],
    ['{"a": 1, "a": 2}', 'line 1, column 10: duplicate key "a"'],
    ['{"a": /* no */ 1}', 'line 1, column 7: expected a value, found "/"'],
    ['\r\n{"a":\r\n  @}', 'line 3, column 3: expected a value, found "@"'],
    ['{"a": "\u0001"}', 'line 1, column 8: control character U+0001 inside a string (write it as an escape such as \\n)'],
    ['['.repeat(100000), 'line 1, column 65: nested more than 64 levels deep'],
  ];
  for (const [text, where] of cases) {
    const e = errorOf(() => parseConfig(text, opts));
    t.equal(e?.message, `config h.json: invalid JSON at ${where}`, JSON.stringify(text.slice(0, 30)));
  }
});

t.test('the JSON reader takes strict JSON, values exact', async (t) => {
  t.strictSame(parseJsonStrict('\ufeff {"a": [1, -2.5e1, 0.125, true, false, null, "x\\u00e9\\n\\"\\\\\\/\\t\\b\\f\\r"], "b": {}}'), {
    a: [1, -25, 0.125, true, false, null, 'xé\n"\\/\t\b\f\r'],
    b: {},
  });
  t.equal(parseJsonStrict('1E+2'), 100);
  t.equal(parseJsonStrict(' "\ud83d\ude00" '), '😀');
  const proto = parseJsonStrict('{"__proto__": {"polluted": 1}}') as Record<string, unknown>;
  t.equal(Object.getPrototypeOf(proto), Object.prototype, 'a "__proto__" key does not set the prototype');
  t.strictSame(Object.keys(proto), ['__proto__'], 'it is an own key');
  t.equal(({} as Record<string, unknown>).polluted, undefined);
  t.strictSame(parseJsonStrict('['.repeat(64) + ']'.repeat(64)), JSON.parse('['.repeat(64) + ']'.repeat(64)), '64 levels are fine');
  const e = (() => {
    try {
      parseJsonStrict('\n\n   x');
    } catch (err) {
      return err;
    }
  })();
  t.ok(e instanceof JsonSyntaxError);
  t.match(e, { line: 3, column: 4, problem: 'expected a value, found "x"', name: 'JsonSyntaxError' });
});

t.test('numbers too large for an integer are reported as such', async (t) => {
  const f = file();
  const text = JSON.stringify(f).replace('"number":"+15550100"', '"number":"+15550100","storeKiB":1e400');
  t.equal(errorOf(() => parseConfig(text, opts))?.message, 'config h.json: partitions[0].storeKiB: expected an integer from 1 to 4096, got Infinity');
});

t.test('a board RAM size that no board has is the caller\'s mistake (RangeError)', async (t) => {
  t.throws(() => parseConfig(JSON.stringify(file()), { baseDir: BASE, boardRamMiB: 127.5 }), RangeError);
  t.throws(() => parseConfig(JSON.stringify(file()), { baseDir: BASE, boardRamMiB: 4 }), RangeError);
  t.throws(() => defaultConfig({ guestsDir: BASE, boardRamMiB: 0 }), RangeError);
});

t.test('the default config: work and home, half of the guest RAM each', async (t) => {
  t.strictSame(defaultConfig({ guestsDir: '/opt/handset/guests', boardRamMiB: 128 }), {
    partitions: [
      { name: 'work', image: '/opt/handset/guests/work.elf', ramMiB: 63, priority: 1, weight: 1, number: '+15550100', ringtone: 'office', storeKiB: 64 },
      { name: 'home', image: '/opt/handset/guests/home.elf', ramMiB: 63, priority: 1, weight: 1, number: '+15550199', ringtone: 'melody', storeKiB: 64 },
    ],
    sliceMicros: 10000,
    foreground: 'work',
  });
  t.strictSame(defaultConfig({ guestsDir: '/g', boardRamMiB: 192 }).partitions.map((p) => p.ramMiB), [95, 95], '(192 - 1) / 2');
  const a = defaultConfig({ guestsDir: '/g', boardRamMiB: 128 });
  a.partitions[0]!.name = 'changed';
  t.equal(defaultConfig({ guestsDir: '/g', boardRamMiB: 128 }).partitions[0]!.name, 'work', 'each call returns a fresh object');
});

t.test('docs/config.md: its example is the default config, and it documents every field', async (t) => {
  const doc = readFileSync('docs/config.md', 'utf8');
  const blocks = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!);
  t.ok(blocks.length >= 2, 'two JSON examples');
  const guestsDir = '/opt/handset/guests';
  t.strictSame(parseConfig(blocks[0]!, { baseDir: guestsDir, boardRamMiB: 128 }), defaultConfig({ guestsDir, boardRamMiB: 128 }));
  t.doesNotThrow(() => parseConfig(blocks[1]!, { baseDir: guestsDir, boardRamMiB: 128 }), 'the minimal example is valid');
  for (const field of ['partitions', 'sliceMicros', 'foreground', 'ringtones', 'name', 'image', 'ramMiB', 'priority', 'weight', 'number', 'ringtone', 'storeKiB', 'hz', 'ms']) {
    t.match(doc, new RegExp(`^\\| \`${field}\` \\|`, 'm'), `a table row for ${field}`);
  }
  t.match(doc, /weights set their CPU shares/);
  // The error lines shown are the ones the parser gives.
  const shown = [...doc.matchAll(/^(config handset\.json: .*)$/gm)].map((m) => m[1]!);
  t.ok(shown.length >= 5, 'error examples');
  const src = { baseDir: guestsDir, boardRamMiB: 128, source: 'handset.json' };
  const produced = [
    (() => {
      const f = file();
      f.partitions[1]!.ramMiB = '12';
      return f;
    })(),
    (() => {
      const f = file();
      f.partitions[0]!.ramMb = 1;
      return f;
    })(),
    (() => {
      const f = file();
      f.partitions[1]!.name = 'work';
      return f;
    })(),
    (() => {
      const f = file();
      f.partitions[0]!.ramMiB = 100;
      f.partitions[1]!.ramMiB = 100;
      return f;
    })(),
    { ...file(), foreground: 'office' },
    { ...file(), managed: 'office' },
  ].map((f) => errorOf(() => parseConfig(JSON.stringify(f), src))?.message);
  produced.push(errorOf(() => parseConfig('{\n  "partitions": [\n    {\n      "name": "work"\n      "image": "work.elf"\n', src))?.message);
  t.strictSame(shown, produced);
});

t.test('configHash: SHA-256 of the canonical JSON, image paths by base name', async (t) => {
  const canonical =
    '{"partitions":[' +
    '{"name":"work","image":"work.elf","ramMiB":63,"priority":1,"weight":1,"number":"+15550100","ringtone":"office","storeKiB":64},' +
    '{"name":"home","image":"home.elf","ramMiB":63,"priority":1,"weight":1,"number":"+15550199","ringtone":"melody","storeKiB":64}' +
    '],"sliceMicros":10000,"foreground":"work"}';
  const expected = createHash('sha256').update(canonical).digest('hex');
  const config = defaultConfig({ guestsDir: '/opt/handset/guests', boardRamMiB: 128 });
  t.equal(configHash(config), expected);
  t.equal(configHash(defaultConfig({ guestsDir: '/elsewhere', boardRamMiB: 128 })), expected, 'the images\' directory does not count');
  const reordered = JSON.parse(
    '{"foreground":"work","sliceMicros":10000,"partitions":[' +
      '{"storeKiB":64,"ringtone":"office","number":"+15550100","weight":1,"priority":1,"ramMiB":63,"image":"work.elf","name":"work"},' +
      '{"number":"+15550199","ringtone":"melody","name":"home","image":"home.elf"}]}',
  );
  t.equal(configHash(parse(reordered)), expected, 'the order of keys in the file and explicit defaults do not count');
  const withToken = parse({ ...reordered, managementToken: 'A-secret_token.~+/0123==' });
  t.equal(withToken.managementToken, 'A-secret_token.~+/0123==', 'a token of token68 characters is taken');
  t.equal(configHash(withToken), expected, 'the management token is a secret: never hashed');

  const changes: [string, (c: HypervisorConfig) => void][] = [
    ['name', (c) => (c.partitions[1]!.name = 'house')],
    ['image', (c) => (c.partitions[0]!.image = '/opt/handset/guests/work2.elf')],
    ['ramMiB', (c) => (c.partitions[0]!.ramMiB = 62)],
    ['priority', (c) => (c.partitions[1]!.priority = 2)],
    ['weight', (c) => (c.partitions[1]!.weight = 2)],
    ['number', (c) => (c.partitions[1]!.number = '+15550198')],
    ['ringtone', (c) => (c.partitions[0]!.ringtone = 'classic')],
    ['storeKiB', (c) => (c.partitions[0]!.storeKiB = 65)],
    ['sliceMicros', (c) => (c.sliceMicros = 10001)],
    ['foreground', (c) => (c.foreground = 'home')],
    ['partition order', (c) => c.partitions.reverse()],
  ];
  const seen = new Set([expected]);
  for (const [what, change] of changes) {
    const c = defaultConfig({ guestsDir: '/opt/handset/guests', boardRamMiB: 128 });
    change(c);
    const h = configHash(c);
    t.match(h, /^[0-9a-f]{64}$/);
    t.notOk(seen.has(h), `${what} changes the hash`);
    seen.add(h);
  }
});

t.test('ringtones: the built-in ones, the file\'s own (which may replace one), and a partition names one of them', async (t) => {
  const plain = parse(file());
  t.notOk('ringtones' in plain, 'a file without ringtones: no field');
  t.strictSame(ringtoneTable(plain), BUILTIN_RINGTONES, 'the built-in ones');
  t.notOk('ringtones' in parse({ ...file(), ringtones: {} }), 'an empty object is none');
  const f = file();
  f.partitions[0]!.ringtone = 'beep';
  f.partitions[1]!.ringtone = 'office';
  const beep = [{ hz: 700, ms: 100 }, { hz: 0, ms: 10 }, { hz: 3900, ms: 5000 }, { hz: 50, ms: 10.0 }];
  const office = [{ hz: 1200, ms: 300 }];
  const config = parse({ ...f, ringtones: { beep, office } });
  t.strictSame(config.ringtones, { beep, office });
  t.strictSame(config.partitions.map((p) => p.ringtone), ['beep', 'office']);
  t.strictSame(ringtoneTable(config), { classic: BUILTIN_RINGTONES.classic, office, melody: BUILTIN_RINGTONES.melody, beep }, 'the file\'s office replaces the built-in one');
  const melody = file();
  melody.partitions[0]!.ringtone = 'melody';
  t.equal(parse({ ...melody, ringtones: { beep } }).partitions[0]!.ringtone, 'melody', 'built-in ones stay available beside the file\'s');

  const example = [...readFileSync('docs/config.md', 'utf8').matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('"ringtones"'));
  t.strictSame(parseConfig(example!, opts).ringtones, { beep: [{ hz: 880, ms: 200 }, { hz: 0, ms: 800 }] }, 'the example of docs/config.md');
});

t.test('every ringtone error is one line naming the field', async (t) => {
  const ONE_OF = 'expected one of classic, office, melody';
  const STEPS = 'a list of 1 to 64 steps ({"hz": ..., "ms": ...})';
  const HZ = 'expected 0 for silence or an integer from 50 to 3900';
  const withTone = (ringtones: unknown, ringtone?: string) => {
    const f = file();
    if (ringtone !== undefined) f.partitions[1]!.ringtone = ringtone;
    return ringtones === undefined ? f : { ...f, ringtones };
  };
  const cases: [string, unknown, string][] = [
    ['a partition names no ringtone', withTone(undefined, 'jazz'), `partitions[1].ringtone: "jazz" is not a ringtone (${ONE_OF})`],
    ['nor one the file does not define', withTone({ beep: [{ hz: 700, ms: 100 }] }, 'jazz'), `partitions[1].ringtone: "jazz" is not a ringtone (${ONE_OF}, beep)`],
    ['only own names', withTone(undefined, 'constructor'), `partitions[1].ringtone: "constructor" is not a ringtone (${ONE_OF})`],
    ['ringtones a list', withTone([]), 'ringtones: expected an object of up to 16 ringtones (name: list of steps), got an empty list'],
    ['ringtones null', withTone(null), 'ringtones: expected an object of up to 16 ringtones (name: list of steps), got null'],
    ['17 ringtones', withTone(Object.fromEntries(Array.from({ length: 17 }, (_, k) => [`t${k}`, [{ hz: 0, ms: 10 }]]))), 'ringtones: expected an object of up to 16 ringtones (name: list of steps), got 17 of them'],
    ['a bad name', withTone({ Beep: [{ hz: 700, ms: 100 }] }), 'ringtones.Beep: a ringtone name is 1 to 15 lower-case letters, digits or "-"'],
    ['a name that is no identifier', withTone({ 'a b': [{ hz: 700, ms: 100 }] }), 'ringtones["a b"]: a ringtone name is 1 to 15 lower-case letters, digits or "-"'],
    ['a name of 16 characters', withTone({ abcdefghijklmnop: [{ hz: 700, ms: 100 }] }), 'ringtones.abcdefghijklmnop: a ringtone name is 1 to 15 lower-case letters, digits or "-"'],
    ['no steps', withTone({ beep: [] }), `ringtones.beep: expected ${STEPS}, got an empty list`],
    ['steps not a list', withTone({ beep: { hz: 700, ms: 100 } }), `ringtones.beep: expected ${STEPS}, got an object`],
    ['65 steps', withTone({ beep: Array.from({ length: 65 }, () => ({ hz: 700, ms: 100 })) }), `ringtones.beep: expected ${STEPS}, got 65 of them`],
    ['a step not an object', withTone({ beep: [{ hz: 700, ms: 100 }, 700] }), 'ringtones.beep[1]: expected an object, got 700'],
    ['an unknown step field', withTone({ beep: [{ hz: 700, ms: 100, volume: 3 }] }), 'ringtones.beep[0].volume: unknown field (expected one of hz, ms)'],
    ['hz missing', withTone({ 'my-tone': [{ ms: 100 }] }), `ringtones["my-tone"][0].hz: missing (${HZ})`],
    ['ms missing', withTone({ beep: [{ hz: 700 }] }), 'ringtones.beep[0].ms: missing (expected an integer from 10 to 5000)'],
    ['hz 49', withTone({ beep: [{ hz: 49, ms: 100 }] }), `ringtones.beep[0].hz: ${HZ}, got 49`],
    ['hz 3901 (at 8000 Hz, 4000 Hz and above cannot be played)', withTone({ beep: [{ hz: 3901, ms: 100 }] }), `ringtones.beep[0].hz: ${HZ}, got 3901`],
    ['hz 8000', withTone({ beep: [{ hz: 8000, ms: 100 }] }), `ringtones.beep[0].hz: ${HZ}, got 8000`],
    ['hz negative', withTone({ beep: [{ hz: -440, ms: 100 }] }), `ringtones.beep[0].hz: ${HZ}, got -440`],
    ['hz a fraction', withTone({ beep: [{ hz: 440.5, ms: 100 }] }), `ringtones.beep[0].hz: ${HZ}, got 440.5`],
    ['hz a string', withTone({ beep: [{ hz: '440', ms: 100 }] }), `ringtones.beep[0].hz: ${HZ}, got "440"`],
    ['ms 9', withTone({ beep: [{ hz: 440, ms: 100 }, { hz: 0, ms: 9 }] }), 'ringtones.beep[1].ms: expected an integer from 10 to 5000, got 9'],
    ['ms 5001', withTone({ beep: [{ hz: 440, ms: 5001 }] }), 'ringtones.beep[0].ms: expected an integer from 10 to 5000, got 5001'],
    ['ms a fraction', withTone({ beep: [{ hz: 440, ms: 10.5 }] }), 'ringtones.beep[0].ms: expected an integer from 10 to 5000, got 10.5'],
  ];
  for (const [what, doc, problem] of cases) {
    const e = errorOf(() => parse(doc));
    t.equal(e?.message, `config h.json: ${problem}`, what);
    t.notMatch(e?.message ?? '', /\n/, `${what}: one line`);
  }
});

t.test('configHash covers the file\'s ringtones; a config without them hashes as before they existed', async (t) => {
  const base = defaultConfig({ guestsDir: '/g', boardRamMiB: 128 });
  t.notMatch(canonicalConfigJson(base), /ringtones/, 'no ringtones field without ringtones');
  t.equal(configHash({ ...base, ringtones: {} }), configHash(base), 'none and an empty table are the same');
  const beep = [{ hz: 700, ms: 100 }];
  const withBeep = { ...base, ringtones: { beep, alarm: [{ hz: 0, ms: 10 }] } };
  t.match(canonicalConfigJson(withBeep), /,"foreground":"work","ringtones":\[\{"name":"alarm","steps":\[\{"hz":0,"ms":10\}\]\},\{"name":"beep","steps":\[\{"hz":700,"ms":100\}\]\}\]\}$/, 'last, sorted by name');
  t.equal(configHash({ ...base, ringtones: { alarm: [{ hz: 0, ms: 10 }], beep } }), configHash(withBeep), 'the order in the file does not count');
  const seen = new Set([configHash(base), configHash(withBeep)]);
  for (const other of [{ beep: [{ hz: 701, ms: 100 }] }, { beep: [{ hz: 700, ms: 101 }] }, { beep: [...beep, ...beep] }, { boop: beep }] as Record<string, RingtoneStep[]>[]) {
    const h = configHash({ ...base, ringtones: other });
    t.notOk(seen.has(h), `${JSON.stringify(other)} hashes differently`);
    seen.add(h);
  }
});
