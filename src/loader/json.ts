/**
 * Strict JSON (RFC 8259) for the files users write: config and scenario files. JSON.parse is not enough
 * here: in Node 20 some of its messages carry no position and quote the input (several lines of it), and
 * it keeps the last of two equal keys without a word. This reader gives every syntax error a line and
 * column, refuses duplicate keys, never sets a prototype through a "__proto__" key and bounds the
 * nesting depth. `JsonFileError` is the one-line error of a file whose content is wrong, by field.
 */

/** A file that cannot be used: one line, `KIND FILE: FIELD: PROBLEM` (e.g. `config handset.json: partitions[1].ramMiB: ...`). */
export class JsonFileError extends Error {
  constructor(
    /** What the file is, as messages name it: `config`, `scenario`. */
    kind: string,
    /** The file as the user named it (undefined when the text did not come from a file). */
    readonly source: string | undefined,
    /** Path of the field in the file, e.g. `partitions[1].ramMiB` ('' for the whole file). */
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${kind}${source === undefined ? '' : ` ${source}`}: ${field === '' ? '' : `${field}: `}${problem}`);
  }
}

/** The path of field `key` of the object at `at`; a key that is not a plain identifier is quoted. */
export function fieldPath(at: string, key: string): string {
  if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) return `${at}[${JSON.stringify(key)}]`;
  return at === '' ? key : `${at}.${key}`;
}




/** A JSON text that does not parse. `message` is one line: `invalid JSON at line L, column C: PROBLEM`. */
export class JsonSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly problem: string,
  ) {
    super(`invalid JSON at line ${line}, column ${column}: ${problem}`);
    this.name = 'JsonSyntaxError';
  }
}

const MAX_DEPTH = 64;
const NUMBER_TOKEN = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** Parses a JSON text (a leading byte-order mark is skipped). Objects are plain objects with own keys. */
export function parseJsonStrict(text: string): unknown {
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;

  const error = (problem: string, at = pos): JsonSyntaxError => {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at; i++) {
      if (text.charCodeAt(i) === 10) {
        line++;
        lineStart = i + 1;
      }
    }
    return new JsonSyntaxError(line, at - lineStart + 1, problem);
  };
  const here = (): string => (pos >= text.length ? 'the end of the text' : describeChar(text[pos]!));
  const space = (): void => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      pos++;
    }
  };
  const expect = (ch: string, what: string): void => {
    space();
    if (text[pos] !== ch) throw error(`expected ${what}, found ${here()}`);
    pos++;
  };

  const string = (): string => {
    const start = pos;
    pos++; // the opening quote
    let out = '';
    for (;;) {
      if (pos >= text.length) throw error('unterminated string', start);
      const c = text[pos]!;
      if (c === '"') {
        pos++;
        return out;
      }
      if (c.charCodeAt(0) < 0x20) throw error(`${describeChar(c)} inside a string (write it as an escape such as \\n)`);
      if (c !== '\\') {
        out += c;
        pos++;
        continue;
      }
      const e = text[pos + 1];
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (e !== undefined && Object.hasOwn(simple, e)) {
        out += simple[e];
        pos += 2;
      } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(pos + 2, pos + 6))) {
        out += String.fromCharCode(parseInt(text.slice(pos + 2, pos + 6), 16));
        pos += 6;
      } else {
        throw error(`invalid escape ${JSON.stringify(text.slice(pos, pos + 2))} in a string`);
      }
    }
  };

  const number = (): number => {
    NUMBER_TOKEN.lastIndex = pos;
    const m = NUMBER_TOKEN.exec(text);
    if (m === null || /[0-9.eE+-]/.test(text[pos + m[0].length] ?? '')) {
      const token = /^[-+0-9.eE]*/.exec(text.slice(pos, pos + 40))![0];
      throw error(`invalid number ${JSON.stringify(token)}`);
    }
    pos += m[0].length;
    return Number(m[0]);
  };

  const value = (depth: number): unknown => {
    space();
    const c = text[pos];
    if (c === '{' || c === '[') {
      if (depth >= MAX_DEPTH) throw error(`nested more than ${MAX_DEPTH} levels deep`);
      return c === '{' ? object(depth + 1) : array(depth + 1);
    }
    if (c === '"') return string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return v;
      }
    }
    if (c === undefined) throw error('unexpected end of the text: expected a value');
    const token = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(text.slice(pos, pos + 40));
    throw error(`expected a value, found ${token !== null ? JSON.stringify(token[0]) : here()}`);
  };

  const object = (depth: number): Record<string, unknown> => {
    pos++; // {
    const out: Record<string, unknown> = {};
    space();
    if (text[pos] === '}') {
      pos++;
      return out;
    }
    for (;;) {
      space();
      if (text[pos] !== '"') throw error(`expected a key in double quotes, found ${here()}`);
      const keyAt = pos;
      const key = string();
      if (Object.hasOwn(out, key)) throw error(`duplicate key ${JSON.stringify(key)}`, keyAt);
      expect(':', '":" after a key');
      Object.defineProperty(out, key, { value: value(depth), enumerable: true, writable: true, configurable: true });
      space();
      if (text[pos] === ',') {
        pos++;
        continue;
      }
      if (text[pos] === '}') {
        pos++;
        return out;
      }
      throw error(`expected "," or "}" after a value in an object, found ${here()}`);
    }
  };

  const array = (depth: number): unknown[] => {
    pos++; // [
    const out: unknown[] = [];
    space();
    if (text[pos] === ']') {
      pos++;
      return out;
    }
    for (;;) {
      out.push(value(depth));
      space();
      if (text[pos] === ',') {
        pos++;
        continue;
      }
      if (text[pos] === ']') {
        pos++;
        return out;
      }
      throw error(`expected "," or "]" after a value in an array, found ${here()}`);
    }
  };

  space();
  if (pos >= text.length) throw error('the text is empty (expected a JSON value)');
  const result = value(0);
  space();
  if (pos < text.length) throw error(`unexpected ${here()} after the JSON value`);
  return result;
}

/** A JSON value as an error message shows it: strings quoted (long ones shortened), containers by kind. */
export function describeJsonValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case 'number':
    case 'boolean':
      return String(value);
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

/** Whether `value` is a JSON object (as parseJsonStrict builds them; not an array or null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeChar(c: string): string {
  const code = c.charCodeAt(0);
  if (code < 0x20 || code === 0x7f) return `control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return JSON.stringify(c);
}
