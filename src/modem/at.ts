/**
 * The AT line layer of the baseband (ITU-T V.250 §5, 3GPP TS 27.007 §4.1, TS 27.005 §3): assembling command
 * lines from bytes, parsing a line into commands, and formatting responses and result codes. Pure: no time,
 * no I/O, no modem state (docs/modem.md "Command lines").
 *
 * - A command line starts at the prefix `AT` (any case); bytes before it are ignored. CR ends the line; LF,
 *   NUL and the other control characters are ignored; BS or DEL deletes the last character after the prefix
 *   (never the prefix). At most MAX_LINE characters follow the prefix: a longer line is discarded up to its
 *   CR and reported as over-long.
 * - Outside quoted strings, spaces are ignored and letters are upper-cased. Basic commands (`E1`, `V0`, `H`,
 *   `S0=2`, `&F`, `D<dial string>;`) follow each other directly; an extended command (`+NAME`, `^NAME`,
 *   `%NAME`, `$NAME` with `?`, `=?`, `=<args>` or nothing) is ended by `;` or the end of the line.
 */

/** Most characters a command line may hold after its `AT` prefix. */
export const MAX_LINE = 256;

export const CR = 0x0d;
export const LF = 0x0a;
export const BS = 0x08;
export const DEL = 0x7f;
export const CTRL_Z = 0x1a;
export const ESC = 0x1b;

/** What the text-mode SMS entry (AT+CMGS) sends before the message text: IRA 13, 10, 62, 32. */
export const SMS_PROMPT = '\r\n> ';

// ---- command-line assembly ----

/** `idle`: looking for `A`; `prefix`: `A` seen, looking for `T`; `line`: in a line; `overlong`: discarding to CR. */
export type AssemblerPhase = 'idle' | 'prefix' | 'line' | 'overlong';

export type LineEvent = { kind: 'line'; body: string } | { kind: 'overlong' };

export type AssemblerState = { phase: AssemblerPhase; body: string };

export const ASSEMBLER_PHASES: readonly AssemblerPhase[] = ['idle', 'prefix', 'line', 'overlong'];

/** Assembles command lines from bytes; `feed` returns a completed line (its text after `AT`) at CR. */
export class LineAssembler {
  private phase: AssemblerPhase = 'idle';
  private body = '';

  feed(byte: number): LineEvent | undefined {
    const upper = byte & 0xdf;
    switch (this.phase) {
      case 'idle':
        if (upper === 0x41) this.phase = 'prefix';
        return undefined;
      case 'prefix':
        if (upper === 0x54) {
          this.phase = 'line';
          this.body = '';
        } else if (upper !== 0x41) {
          this.phase = 'idle';
        }
        return undefined;
      case 'line':
        if (byte === CR) {
          const body = this.body;
          this.reset();
          return { kind: 'line', body };
        }
        if (byte === BS || byte === DEL) this.body = this.body.slice(0, -1);
        else if (byte >= 0x20) {
          if (this.body.length === MAX_LINE) {
            this.phase = 'overlong';
            this.body = '';
          } else {
            this.body += String.fromCharCode(byte);
          }
        }
        return undefined;
      case 'overlong':
        if (byte !== CR) return undefined;
        this.reset();
        return { kind: 'overlong' };
    }
  }

  reset(): void {
    this.phase = 'idle';
    this.body = '';
  }

  save(): AssemblerState {
    return { phase: this.phase, body: this.body };
  }

  /** Takes a state checked by `assemblerStateProblem`. */
  load(state: AssemblerState): void {
    this.phase = state.phase;
    this.body = state.body;
  }
}

/** Why a saved assembler state is impossible, or undefined. */
export function assemblerStateProblem(state: AssemblerState): string | undefined {
  if (!ASSEMBLER_PHASES.includes(state.phase)) return `phase ${JSON.stringify(state.phase)} is not one of ${ASSEMBLER_PHASES.join(', ')}`;
  if (state.phase !== 'line' && state.body !== '') return `a partial line in phase ${state.phase}`;
  if (state.body.length > MAX_LINE) return `a partial line of ${state.body.length} characters (at most ${MAX_LINE})`;
  for (let i = 0; i < state.body.length; i++) {
    const c = state.body.charCodeAt(i);
    if (c < 0x20 || c > 0xff || c === DEL) return `character ${c} in the partial line`;
  }
  return undefined;
}

// ---- parsing ----

/** An argument of an extended command: nothing (`,,`), a quoted string, or an unquoted token. */
export type AtArg = { kind: 'empty' } | { kind: 'string'; value: string } | { kind: 'token'; text: string };

export type ExtendedForm = 'action' | 'read' | 'test' | 'set';

export type AtCommand =
  /** `E1`, `V`, `H0`, `&F`: the name (upper case, `&` included) and its number, undefined when absent. */
  | { kind: 'basic'; name: string; value: number | undefined }
  /** `D<dial>;`: the dial string as written (spaces removed, upper-cased); `voice` when `;` ended it. */
  | { kind: 'dial'; dial: string; voice: boolean }
  /** `S<n>?` / `S<n>=<v>` */
  | { kind: 'sreg'; register: number; value: number | undefined }
  | { kind: 'extended'; name: string; form: ExtendedForm; args: AtArg[] };

/** A parsed line: the commands before the first syntax error, and whether there was one. */
export interface ParsedLine {
  commands: AtCommand[];
  syntaxError: boolean;
}

const EXTENDED_PREFIXES = '+^%$';
const NAME_CHARS = /[A-Z0-9!%\-./:_]/;
const DIGITS = /[0-9]/;
/** A basic command's number: up to 9 digits (a larger one is a syntax error). */
const MAX_DIGITS = 9;

/** Parses the text of a command line after its `AT` prefix. */
export function parseCommandLine(body: string): ParsedLine {
  const s = normalise(body);
  const commands: AtCommand[] = [];
  let i = 0;
  const fail = (): ParsedLine => ({ commands, syntaxError: true });
  while (i < s.length) {
    const c = s[i];
    if (c === ';') {
      i++;
    } else if (EXTENDED_PREFIXES.includes(c)) {
      let j = i + 1;
      while (j < s.length && NAME_CHARS.test(s[j])) j++;
      if (j === i + 1) return fail();
      const name = s.slice(i, j);
      if (s.startsWith('=?', j)) {
        commands.push({ kind: 'extended', name, form: 'test', args: [] });
        j += 2;
      } else if (s[j] === '?') {
        commands.push({ kind: 'extended', name, form: 'read', args: [] });
        j += 1;
      } else if (s[j] === '=') {
        const parsed = parseArgs(s, j + 1);
        if (parsed === undefined) return fail();
        commands.push({ kind: 'extended', name, form: 'set', args: parsed.args });
        j = parsed.end;
      } else {
        commands.push({ kind: 'extended', name, form: 'action', args: [] });
      }
      if (j < s.length && s[j] !== ';') return fail();
      i = j + 1;
    } else if (c === 'D') {
      const end = s.indexOf(';', i + 1);
      commands.push({ kind: 'dial', dial: s.slice(i + 1, end < 0 ? s.length : end), voice: end >= 0 });
      i = end < 0 ? s.length : end + 1;
    } else if (c === 'S') {
      const n = digits(s, i + 1);
      if (n == null) return fail();
      if (s[n.end] === '?') {
        commands.push({ kind: 'sreg', register: n.value, value: undefined });
        i = n.end + 1;
      } else if (s[n.end] === '=') {
        const v = digits(s, n.end + 1);
        if (v === null) return fail();
        commands.push({ kind: 'sreg', register: n.value, value: v?.value ?? 0 });
        i = v?.end ?? n.end + 1;
      } else {
        return fail();
      }
    } else if (c === '&' || (c >= 'A' && c <= 'Z')) {
      let j = i + 1;
      if (c === '&') {
        if (!(s[j] >= 'A' && s[j] <= 'Z')) return fail();
        j++;
      }
      const name = s.slice(i, j);
      const n = digits(s, j);
      if (n === null) return fail();
      commands.push({ kind: 'basic', name, value: n?.value });
      i = n?.end ?? j;
    } else {
      return fail();
    }
  }
  return { commands, syntaxError: false };
}

/** Spaces removed and letters upper-cased outside quoted strings. */
function normalise(body: string): string {
  let out = '';
  let quoted = false;
  for (const c of body) {
    if (c === '"') quoted = !quoted;
    if (quoted || c === '"') out += c;
    else if (c !== ' ') out += c.toUpperCase();
  }
  return out;
}

/** The decimal number at `at`: undefined when there is none, null when it is too long. */
function digits(s: string, at: number): { value: number; end: number } | undefined | null {
  let j = at;
  while (j < s.length && DIGITS.test(s[j])) j++;
  if (j === at) return undefined;
  if (j - at > MAX_DIGITS) return null;
  return { value: Number(s.slice(at, j)), end: j };
}

/** Arguments from `at` to the next `;` outside a string (or the end); undefined on a syntax error. */
function parseArgs(s: string, at: number): { args: AtArg[]; end: number } | undefined {
  const args: AtArg[] = [];
  let i = at;
  for (;;) {
    if (s[i] === '"') {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= s.length) return undefined;
        const c = s[j];
        if (c === '"') break;
        if (c === '\\') {
          // V.250 §5.4.2.2: \HH is the character with hexadecimal code HH.
          const hex = s.slice(j + 1, j + 3);
          if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
          value += String.fromCharCode(parseInt(hex, 16));
          j += 3;
        } else {
          value += c;
          j++;
        }
      }
      args.push({ kind: 'string', value });
      i = j + 1;
    } else {
      let j = i;
      while (j < s.length && s[j] !== ',' && s[j] !== ';') {
        if (s[j] === '"') return undefined;
        j++;
      }
      args.push(j === i ? { kind: 'empty' } : { kind: 'token', text: s.slice(i, j) });
      i = j;
    }
    if (s[i] === ',') {
      i++;
      continue;
    }
    if (i < s.length && s[i] !== ';') return undefined;
    // `AT+X=` has one empty argument; drop it so that "no arguments" is an empty list.
    if (args.length === 1 && args[0].kind === 'empty') args.length = 0;
    return { args, end: i };
  }
}

// ---- formatting ----

/** The settings that shape responses: ATV (verbose), ATQ (quiet), AT+CMEE. */
export interface ResponseFormat {
  verbose: boolean;
  quiet: boolean;
  cmee: 0 | 1 | 2;
}

/** V.250 result codes with their numeric (ATV0) forms. */
export const RESULT_CODES = {
  OK: 0,
  CONNECT: 1,
  RING: 2,
  'NO CARRIER': 3,
  ERROR: 4,
  'NO DIALTONE': 6,
  BUSY: 7,
  'NO ANSWER': 8,
} as const;

export type ResultCode = keyof typeof RESULT_CODES;

/** A final result: a V.250 result code, or a 27.007 / 27.005 error. */
export type Final = { kind: 'result'; code: ResultCode } | { kind: 'cme'; error: number } | { kind: 'cms'; error: number };

/** Information text (or an unsolicited result other than a V.250 code): V1 `<CR><LF>line<CR><LF>…`, V0 `line<CR><LF>…`. */
export function formatText(lines: readonly string[], f: ResponseFormat): string {
  if (lines.length === 0) return '';
  return f.verbose ? `\r\n${lines.join('\r\n')}\r\n` : lines.map((l) => `${l}\r\n`).join('');
}

/** A V.250 result code: V1 `<CR><LF>OK<CR><LF>`, V0 `0<CR>`; nothing with ATQ1. */
export function formatResult(code: ResultCode, f: ResponseFormat): string {
  if (f.quiet) return '';
  return f.verbose ? `\r\n${code}\r\n` : `${RESULT_CODES[code]}\r`;
}

/**
 * A final result. `+CME ERROR` follows AT+CMEE (0: ERROR, 1: numeric, 2: verbose); `+CMS ERROR` (27.005
 * §3.2.5) is always given, numeric unless AT+CMEE=2. Both are formatted as text; nothing with ATQ1.
 */
export function formatFinal(final: Final, f: ResponseFormat): string {
  if (f.quiet) return '';
  switch (final.kind) {
    case 'result':
      return formatResult(final.code, f);
    case 'cme':
      if (f.cmee === 0) return formatResult('ERROR', f);
      return formatText([`+CME ERROR: ${f.cmee === 2 ? cmeErrorText(final.error) : final.error}`], f);
    case 'cms':
      return formatText([`+CMS ERROR: ${f.cmee === 2 ? cmsErrorText(final.error) : final.error}`], f);
  }
}

/** 27.007 §9.2 texts of the +CME ERROR codes the baseband gives. */
const CME_TEXTS: Record<number, string> = {
  0: 'phone failure',
  3: 'operation not allowed',
  4: 'operation not supported',
  10: 'SIM not inserted',
  20: 'memory full',
  21: 'invalid index',
  22: 'not found',
  30: 'no network service',
  100: 'unknown',
};

/** 27.005 §3.2.5 texts of the +CMS ERROR codes the baseband gives. */
const CMS_TEXTS: Record<number, string> = {
  300: 'ME failure',
  302: 'operation not allowed',
  303: 'operation not supported',
  304: 'invalid PDU mode parameter',
  305: 'invalid text mode parameter',
  321: 'invalid memory index',
  322: 'memory full',
  331: 'no network service',
  500: 'unknown error',
};

export function cmeErrorText(code: number): string {
  return CME_TEXTS[code] ?? 'unknown';
}

export function cmsErrorText(code: number): string {
  return CMS_TEXTS[code] ?? 'unknown error';
}

/** A string argument as 27.007 writes it: in double quotes (the baseband's strings never hold `"` or `\`). */
export function quote(text: string): string {
  return `"${text}"`;
}
