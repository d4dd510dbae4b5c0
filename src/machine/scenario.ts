/**
 * Scenario files for `handset run --script FILE` (docs/scenarios.md): steps on the virtual clock (typing
 * into a guest's console, the foreground button, waiting, waiting for and expecting console lines).
 *
 * This module only parses and validates; the player runs the steps with the semantics docs/scenarios.md
 * defines. Every problem is a ScenarioError with a one-line message naming the file and the field, e.g.
 * `scenario boot.json: steps[4].waitFor.timeout: expected an integer from 1 to 9007199254740991, got 0`.
 */
import { describeJsonValue, fieldPath, isJsonObject, JsonFileError, JsonSyntaxError, parseJsonStrict } from '../loader/json.ts';

export type ScenarioStep =
  /** Bytes (the UTF-8 encoding of `text`) queued as console input of that guest. */
  | { kind: 'type'; guest: string; text: string; name?: string }
  /** A press of the foreground-switch button. */
  | { kind: 'button'; name?: string }
  /** Let `cycles` cycles of virtual time pass. */
  | { kind: 'wait'; cycles: number; name?: string }
  /** Run until a complete console line of the guest after its cursor matches; fail after `timeout` cycles. */
  | { kind: 'waitFor'; guest: string; pattern: RegExp; timeout: number; name?: string }
  /** A line already printed after the guest's cursor is exactly `line`, or matches `pattern` (exactly one is set). */
  | { kind: 'expect'; guest: string; line?: string; pattern?: RegExp; name?: string }
  // The network side of the modem (docs/modem.md): a guest's line is the line of that partition.
  /** A call from `from` to `guest`'s line. */
  | { kind: 'call'; from: string; guest: string; name?: string }
  /** The far end of the latest call (or of the call on `guest`'s line) answers, hangs up, is busy or does not answer. */
  | { kind: 'farEnd'; action: FarEndAction; guest?: string; name?: string }
  /** An SMS from `from` to `guest`'s line. */
  | { kind: 'sms'; from: string; guest: string; text: string; name?: string }
  /** The network registration state (+CREG <stat>, 0-5). */
  | { kind: 'registration'; stat: number; name?: string }
  /** The signal strength (+CSQ <rssi>, 0-31 or 99). */
  | { kind: 'signal'; rssi: number; name?: string };

export type FarEndAction = 'answer' | 'hangUp' | 'busy' | 'noAnswer';
const FAR_END_ACTIONS: readonly FarEndAction[] = ['answer', 'hangUp', 'busy', 'noAnswer'];
const PHONE_NUMBER = /^\+?[0-9*#]{1,20}$/;
/** Characters of an SMS text a step may send. */
export const MAX_SMS_TEXT = 160;

export interface Scenario {
  steps: ScenarioStep[];
}

export type StepKind = ScenarioStep['kind'];

/** A scenario file that cannot be played: one line, `scenario FILE: FIELD: PROBLEM`. */
export class ScenarioError extends JsonFileError {
  override name = 'ScenarioError';
  constructor(source: string | undefined, field: string, problem: string) {
    super('scenario', source, field, problem);
  }
}

export const MAX_STEPS = 10_000;
/** Most bytes one `type` step may queue (its text's UTF-8 encoding). */
export const MAX_TYPE_BYTES = 4096;
/** Longest step name (names appear in one-line messages). */
export const MAX_STEP_NAME = 100;

const ACTIONS = ['type', 'button', 'wait', 'waitFor', 'expect', 'call', 'farEnd', 'sms', 'registration', 'signal'] as const satisfies readonly StepKind[];
const STEP_FIELDS = [...ACTIONS, 'name'];
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const CYCLES = `an integer from 1 to ${Number.MAX_SAFE_INTEGER}`;

type Fail = (field: string, problem: string) => ScenarioError;

/**
 * Parses and validates a scenario file's text. `guests` are the partition names a step may address;
 * `source` names the file in errors.
 */
export function parseScenario(text: string, options: { guests: readonly string[]; source?: string }): Scenario {
  const fail: Fail = (field, problem) => new ScenarioError(options.source, field, problem);
  let doc: unknown;
  try {
    doc = parseJsonStrict(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw fail('', e.message);
    throw e;
  }
  const top = fields(doc, '', ['steps'], fail);
  const list = top.steps;
  if (list === undefined) throw fail('steps', `missing (a list of 1 to ${MAX_STEPS} steps)`);
  if (!Array.isArray(list)) throw fail('steps', `expected a list of 1 to ${MAX_STEPS} steps, got ${describeJsonValue(list)}`);
  if (list.length < 1 || list.length > MAX_STEPS) {
    const got = list.length === 0 ? 'an empty list' : `${list.length} of them`;
    throw fail('steps', `expected a list of 1 to ${MAX_STEPS} steps, got ${got}`);
  }
  const steps = list.map((item: unknown, i) => parseStep(item, `steps[${i}]`, options.guests, fail));
  return { steps };
}

function parseStep(item: unknown, at: string, guests: readonly string[], fail: Fail): ScenarioStep {
  const f = fields(item, at, STEP_FIELDS, fail);
  const actions = ACTIONS.filter((a) => Object.hasOwn(f, a));
  if (actions.length === 0) {
    const what = Object.hasOwn(f, 'name') ? 'no action' : 'empty step';
    throw fail(at, `${what} (expected one of ${ACTIONS.join(', ')})`);
  }
  if (actions.length > 1) throw fail(at, `two actions, ${actions[0]} and ${actions[1]} (a step has exactly one)`);
  const kind = actions[0]!;
  let name: string | undefined;
  if (f.name !== undefined) {
    if (typeof f.name !== 'string' || f.name.length === 0 || f.name.length > MAX_STEP_NAME || /[\u0000-\u001f\u007f]/.test(f.name)) {
      throw fail(`${at}.name`, `expected a step name of 1 to ${MAX_STEP_NAME} characters without control characters, got ${describeJsonValue(f.name)}`);
    }
    name = f.name;
  }
  const named = <S extends ScenarioStep>(step: S): S => (name === undefined ? step : { ...step, name });
  const v = f[kind];
  const here = `${at}.${kind}`;
  switch (kind) {
    case 'type': {
      const a = fields(v, here, ['guest', 'text'], fail);
      const guest = guestName(a, here, guests, fail);
      const text = a.text;
      const textAt = `${here}.text`;
      if (text === undefined) throw fail(textAt, 'missing (the bytes to type, e.g. "help\\n")');
      if (typeof text !== 'string' || text === '') throw fail(textAt, `expected a non-empty string, got ${describeJsonValue(text)}`);
      if (LONE_SURROGATE.test(text)) throw fail(textAt, 'not valid Unicode (a lone surrogate \\uD800-\\uDFFF)');
      const bytes = Buffer.byteLength(text, 'utf8');
      if (bytes > MAX_TYPE_BYTES) throw fail(textAt, `${bytes} bytes (UTF-8) is more than ${MAX_TYPE_BYTES}: split it into several steps`);
      return named({ kind, guest, text });
    }
    case 'button':
      if (v !== true) throw fail(here, `expected true, got ${describeJsonValue(v)}`);
      return named({ kind });
    case 'wait':
      return named({ kind, cycles: cycles(v, here, fail) });
    case 'waitFor': {
      const a = fields(v, here, ['guest', 'pattern', 'timeout'], fail);
      const guest = guestName(a, here, guests, fail);
      const pattern = regex(a, here, fail);
      if (a.timeout === undefined) throw fail(`${here}.timeout`, `missing (${CYCLES}: the cycles to wait at most)`);
      return named({ kind, guest, pattern, timeout: cycles(a.timeout, `${here}.timeout`, fail) });
    }
    case 'expect': {
      const a = fields(v, here, ['guest', 'line', 'pattern'], fail);
      const guest = guestName(a, here, guests, fail);
      if ((a.line === undefined) === (a.pattern === undefined)) {
        throw fail(here, a.line === undefined ? 'needs "line" or "pattern"' : 'has both "line" and "pattern" (give one)');
      }
      if (a.pattern !== undefined) return named({ kind, guest, pattern: regex(a, here, fail) });
      const line = a.line;
      if (typeof line !== 'string') throw fail(`${here}.line`, `expected a string, got ${describeJsonValue(line)}`);
      if (line.includes('\n') || line.endsWith('\r')) {
        throw fail(`${here}.line`, 'can never match: lines hold no "\\n" and lose a trailing "\\r"');
      }
      return named({ kind, guest, line });
    }
    case 'call': {
      const a = fields(v, here, ['from', 'to'], fail);
      return named({ kind, from: phoneNumber(a.from, `${here}.from`, fail), guest: guestName({ guest: a.to }, here, guests, fail, 'to') });
    }
    case 'farEnd': {
      const actionOf = (x: unknown, where: string): FarEndAction => {
        if (typeof x !== 'string' || !FAR_END_ACTIONS.includes(x as FarEndAction)) throw fail(where, `expected one of ${FAR_END_ACTIONS.join(', ')}, got ${describeJsonValue(x)}`);
        return x as FarEndAction;
      };
      if (!isJsonObject(v)) return named({ kind, action: actionOf(v, here) });
      const a = fields(v, here, ['action', 'line'], fail);
      return named({ kind, action: actionOf(a.action, `${here}.action`), guest: guestName({ guest: a.line }, here, guests, fail, 'line') });
    }
    case 'sms': {
      const a = fields(v, here, ['from', 'to', 'text'], fail);
      const text = a.text;
      if (typeof text !== 'string' || text === '' || text.length > MAX_SMS_TEXT || /[\u0000-\u001f\u007f]/.test(text)) {
        throw fail(`${here}.text`, `expected a text of 1 to ${MAX_SMS_TEXT} characters without control characters, got ${describeJsonValue(text)}`);
      }
      return named({ kind, from: phoneNumber(a.from, `${here}.from`, fail), guest: guestName({ guest: a.to }, here, guests, fail, 'to'), text });
    }
    case 'registration':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 5) throw fail(here, `expected a +CREG state from 0 to 5, got ${describeJsonValue(v)}`);
      return named({ kind, stat: v });
    case 'signal':
      if (typeof v !== 'number' || !Number.isInteger(v) || !((v >= 0 && v <= 31) || v === 99)) throw fail(here, `expected a +CSQ rssi from 0 to 31, or 99, got ${describeJsonValue(v)}`);
      return named({ kind, rssi: v });
  }
}

function phoneNumber(v: unknown, at: string, fail: Fail): string {
  if (v === undefined) throw fail(at, 'missing (a phone number, e.g. "+15557777")');
  if (typeof v !== 'string' || !PHONE_NUMBER.test(v)) throw fail(at, `expected a phone number (digits, * and #, an optional leading +, at most 20), got ${describeJsonValue(v)}`);
  return v;
}

function fields(value: unknown, at: string, known: readonly string[], fail: Fail): Record<string, unknown> {
  if (!isJsonObject(value)) throw fail(at, `expected an object, got ${describeJsonValue(value)}`);
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw fail(fieldPath(at, key), `unknown field (expected one of ${known.join(', ')})`);
  }
  return value;
}

function guestName(a: Record<string, unknown>, at: string, guests: readonly string[], fail: Fail, key = 'guest'): string {
  const g = a.guest;
  const one = `one of ${guests.join(', ')}`;
  if (g === undefined) throw fail(`${at}.${key}`, `missing (${one})`);
  if (typeof g !== 'string' || !guests.includes(g)) throw fail(`${at}.${key}`, `expected ${one}, got ${describeJsonValue(g)}`);
  return g;
}

function regex(a: Record<string, unknown>, at: string, fail: Fail): RegExp {
  const p = a.pattern;
  if (p === undefined) throw fail(`${at}.pattern`, 'missing (a regular expression, e.g. "^ok$")');
  if (typeof p !== 'string') throw fail(`${at}.pattern`, `expected a regular expression in a string, got ${describeJsonValue(p)}`);
  try {
    return new RegExp(p);
  } catch (e) {
    // V8: "Invalid regular expression: /PATTERN/: REASON"; the pattern is shown (escaped) by us.
    const message = e instanceof Error ? e.message : String(e);
    const reason = message.slice(message.lastIndexOf(': ') + 2).replace(/[\u0000-\u001f]/g, ' ');
    throw fail(`${at}.pattern`, `invalid regular expression ${describeJsonValue(p)}: ${reason}`);
  }
}

function cycles(v: unknown, at: string, fail: Fail): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw fail(at, `expected ${CYCLES} (cycles), got ${describeJsonValue(v)}`);
  return v;
}

/**
 * A step as messages name it: `step N (WHAT[, "NAME"])`, N counting from 1 (the file's `steps[N-1]`),
 * e.g. `step 3 (waitFor home /ready/, "boot")`. Long texts and patterns are shortened.
 */
export function describeStep(scenario: Scenario, index: number): string {
  const step = scenario.steps[index];
  if (!Number.isInteger(index) || step === undefined) {
    throw new RangeError(`step index ${index}: the scenario has ${scenario.steps.length} steps`);
  }
  let what: string;
  switch (step.kind) {
    case 'type':
      what = `type ${step.guest} ${quote(step.text)}`;
      break;
    case 'button':
      what = 'button';
      break;
    case 'wait':
      what = `wait ${step.cycles}`;
      break;
    case 'waitFor':
      what = `waitFor ${step.guest} ${slashed(step.pattern)}`;
      break;
    case 'expect':
      what = `expect ${step.guest} ${step.pattern !== undefined ? slashed(step.pattern) : quote(step.line ?? '')}`;
      break;
    case 'call':
      what = `call ${step.from} to ${step.guest}`;
      break;
    case 'farEnd':
      what = `farEnd ${step.action}${step.guest !== undefined ? ` on ${step.guest}` : ''}`;
      break;
    case 'sms':
      what = `sms ${step.from} to ${step.guest} ${quote(step.text)}`;
      break;
    case 'registration':
      what = `registration ${step.stat}`;
      break;
    case 'signal':
      what = `signal ${step.rssi}`;
      break;
  }
  return `step ${index + 1} (${what}${step.name !== undefined ? `, ${JSON.stringify(step.name)}` : ''})`;
}

const SHOWN = 40;

function quote(text: string): string {
  return JSON.stringify(text.length > SHOWN ? `${text.slice(0, SHOWN)}…` : text);
}

/** `/source/` (RegExp.source escapes "/" and line terminators, so this stays one line). */
function slashed(pattern: RegExp): string {
  const s = pattern.source;
  return `/${s.length > SHOWN ? `${s.slice(0, SHOWN)}…` : s}/`;
}
