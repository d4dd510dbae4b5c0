/**
 * The baseband: a GSM modem with two subscriber lines behind a byte stream (the modem UART), speaking the
 * AT commands of 3GPP TS 27.007 / 27.005 that /work/shared/docs/MODEM.md lists (reference: docs/modem.md).
 *
 * - Input: `receive(byte)` takes each byte the TE sends. Command lines are assembled by at.ts, executed at
 *   once, and their response goes out RESPONSE_MS later on the virtual clock; a line that arrives while a
 *   response is still pending is executed too and its response joins the pending one.
 * - Output: every byte goes through one bounded queue (OUTPUT_LIMIT) to the `sink`, as fast as
 *   `sink.canReceive()` allows; `pump()` (the UART's `onRxSpace`) moves more when room frees up. Text that
 *   does not fit whole in the queue is dropped and counted (`dropped`).
 * - Unsolicited results never split a response or the SMS `> ` exchange: while a command's response is
 *   pending, or an SMS is being entered, they are held (HELD_LIMIT) and follow the final result.
 * - The network side (network.ts) drives calls, SMS, registration and signal; timers (dialling → alerting,
 *   no answer, RING cadence, the SMS prompt's inactivity) are alarms on the TimeSource.
 * - `save()`/`load()` of plain data; alarm due times are the clock's, and each alarm's purpose follows from
 *   the state (a pending response, the outgoing call being set up, the incoming or waiting call, the draft).
 */
import type { Alarm, TimeSource } from '../soc/clock.ts';
import { StateReader } from '../soc/state.ts';
import {
  assemblerStateProblem,
  BS,
  CR,
  CTRL_Z,
  DEL,
  ESC,
  formatFinal,
  formatResult,
  formatText,
  LineAssembler,
  parseCommandLine,
  quote,
  SMS_PROMPT,
  type AssemblerPhase,
  type AssemblerState,
  type AtArg,
  type AtCommand,
  type ExtendedForm,
  type Final,
  type LineEvent,
  type ParsedLine,
  type ResponseFormat,
  type ResultCode,
} from './at.ts';
import {
  Network,
  PHONE_NUMBER,
  SMS_MAX_TEXT,
  type CallDirection,
  type CallInfo,
  type CallState,
  type FarEndEvent,
  type IncomingCallResult,
  type IncomingSmsResult,
  type NetworkSide,
  type RadioStatus,
  type RegistrationStat,
  type SentSms,
  type StoredSms,
} from './network.ts';

/** The numbers of the work and home phones. */
export const DEFAULT_LINES: readonly [string, string] = ['+15550100', '+15550199'];

/** Virtual-time delays, in milliseconds. */
export const TIMINGS = {
  /** From the CR of a command line (or the byte that ends an SMS) to its response. */
  responseMs: 1,
  /** An outgoing call goes from dialing to alerting. */
  dialToAlertMs: 1_000,
  /** An alerting outgoing call the network does nothing about ends with NO ANSWER. */
  alertTimeoutMs: 30_000,
  /** RING (+CRING, +CLIP, +CDIP) repeats while a call is incoming. */
  ringPeriodMs: 5_000,
  /** An incoming or waiting call nobody takes is given up by the caller (NO CARRIER): 6 ring periods. */
  ringTimeoutMs: 30_000,
  /** An SMS being entered with no byte for this long is abandoned (+CMS ERROR: 500). */
  promptTimeoutMs: 60_000,
} as const;

/** Bounds. */
export const LIMITS = {
  /** Bytes in the output queue; text that does not fit whole is dropped. */
  output: 4096,
  /** Bytes of unsolicited results held while a response or an SMS entry is pending; more are dropped. */
  held: 1024,
  /** Messages in the SMS store ("SM", indexes 1-20). */
  smsStore: 20,
  /** Characters of an SMS text. */
  smsText: SMS_MAX_TEXT,
  /** Sent SMS remembered for the network side. */
  sent: 32,
  /** Calls at once (+CLCC ids 1-7). */
  calls: 7,
} as const;

const IDENTITY = {
  manufacturer: 'Handset Project',
  model: 'HB-2 virtual baseband',
  revision: '1.0',
  imei: '351234567890124',
};

const OPERATOR = { long: 'Handset Mobile', short: 'Handset', numeric: '00101' };
const LAC = '2A1F';
const CELL_ID = '0B47';
/** SMS time stamps count virtual seconds from this instant (UTC). */
const EPOCH_MS = Date.UTC(2025, 0, 1);

const STAT: Record<CallState, number> = { active: 0, held: 1, dialing: 2, alerting: 3, incoming: 4, waiting: 5 };
/** The +CLCC stat of a released call in unsolicited +CLCC reports (SIMCom's AT+CLCC=1 convention). */
const RELEASED = 6;
const CALL_STATES = Object.keys(STAT) as CallState[];

/** The settings ATZ / AT&F restore, all small integers. */
export type Settings = {
  echo: number;
  verbose: number;
  quiet: number;
  cmee: number;
  creg: number;
  clip: number;
  cdip: number;
  crc: number;
  ccwa: number;
  clcc: number;
  cmgf: number;
  cnmi: number[];
  alsView: number;
  copsFormat: number;
  s0: number;
};

/** Each setting's largest value (all start at 0); cnmi's per element. */
const SETTING_MAX: Record<Exclude<keyof Settings, 'cnmi'>, number> = {
  echo: 1,
  verbose: 1,
  quiet: 1,
  cmee: 2,
  creg: 2,
  clip: 1,
  cdip: 1,
  crc: 1,
  ccwa: 1,
  clcc: 1,
  cmgf: 1,
  alsView: 1,
  copsFormat: 2,
  s0: 255,
};
const CNMI_MAX = [3, 3, 0, 2, 1];

function defaultSettings(): Settings {
  return {
    echo: 1,
    verbose: 1,
    quiet: 0,
    cmee: 0,
    creg: 0,
    clip: 0,
    cdip: 0,
    crc: 0,
    ccwa: 0,
    clcc: 0,
    cmgf: 0,
    cnmi: [2, 1, 0, 0, 0],
    alsView: 0,
    copsFormat: 0,
    s0: 0,
  };
}

type CallRecord = {
  id: number;
  line: 1 | 2;
  direction: CallDirection;
  state: CallState;
  number: string;
  /** Ring periods since an incoming or waiting call arrived. */
  periods: number;
  /** RINGs sent for it (S0 auto-answer counts them). */
  rings: number;
};

type SmsRecord = { index: number; line: 1 | 2; from: string; text: string; timestamp: string; unread: boolean };
type SentRecord = { mr: number; line: 1 | 2; to: string; text: string };
type Draft = { to: string; line: 1 | 2; text: string; overflow: boolean };

/** The whole baseband as plain data (docs/modem.md "State"). */
export type BasebandState = {
  lines: string[];
  settings: Settings;
  alsLine: number;
  ccwaService: boolean;
  registration: number;
  rssi: number;
  ber: number;
  calls: CallRecord[];
  sms: SmsRecord[];
  nextMr: number;
  sent: SentRecord[];
  input: AssemblerState;
  draft: Draft | null;
  response: string | null;
  held: string;
  output: string;
  dropped: number;
};

/** Where the baseband's output goes: the modem UART's receive side. */
export interface ByteSink {
  canReceive(): boolean;
  /** Takes the byte, or returns false when it cannot. */
  receive(byte: number): boolean;
}

export interface BasebandOptions {
  time: TimeSource;
  /** The two subscriber lines' numbers (default DEFAULT_LINES). */
  lines?: readonly string[];
  /** Names the alarms (`<name>.respond`, …) and snapshot errors; default `modem`. */
  name?: string;
  sink?: ByteSink;
}

/** An option that cannot make a baseband: one line. */
export class BasebandConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BasebandConfigError';
  }
}

type Outcome = { info?: string[]; final?: Final; prompt?: true };
type Handler = (form: ExtendedForm, args: AtArg[], last: boolean) => Outcome;

const DONE: Outcome = {};
const cme = (error: number): Outcome => ({ final: { kind: 'cme', error } });
const cms = (error: number): Outcome => ({ final: { kind: 'cms', error } });
/** Operation not allowed / malformed arguments. */
const NOT_ALLOWED = cme(3);
/** Unknown command, or a form the command does not have. */
const NOT_SUPPORTED = cme(4);

export class Baseband {
  readonly name: string;
  readonly lines: readonly [string, string];
  /** The far side: calls to the handset, the far end's answers, SMS, registration, signal. */
  readonly network: Network;
  sink: ByteSink | undefined;
  /** Taps (cost nothing when unset): each byte received from the TE, each byte handed to the sink. */
  onInput: ((byte: number) => void) | undefined;
  onOutput: ((byte: number) => void) | undefined;

  private readonly time: TimeSource;
  private readonly respondAlarm: Alarm;
  private readonly dialAlarm: Alarm;
  private readonly ringAlarm: Alarm;
  private readonly promptAlarm: Alarm;
  private readonly handlers: Map<string, Handler>;
  private readonly assembler = new LineAssembler();

  private settings = defaultSettings();
  private alsLine: 1 | 2 = 1;
  private ccwaService = true;
  private reg: RegistrationStat = 1;
  private rssi = 20;
  private ber = 99;
  private calls: CallRecord[] = [];
  private sms: SmsRecord[] = [];
  private nextMr = 0;
  private sentLog: SentRecord[] = [];
  private draft: Draft | null = null;
  /** The response text waiting for the respond alarm; null when none is pending. */
  private response: string | null = null;
  private held = '';
  private out: number[] = [];
  private outHead = 0;
  private droppedBytes = 0;
  /** True while a command line executes (unsolicited results are held). Never true between calls. */
  private executing = false;
  private pumping = false;

  constructor(options: BasebandOptions) {
    this.time = options.time;
    this.name = options.name ?? 'modem';
    this.lines = checkLines(options.lines ?? DEFAULT_LINES);
    this.sink = options.sink;
    this.respondAlarm = this.time.createAlarm(`${this.name}.respond`, () => this.respondNow());
    this.dialAlarm = this.time.createAlarm(`${this.name}.dial`, () => this.dialTimer());
    this.ringAlarm = this.time.createAlarm(`${this.name}.ring`, () => this.ringTimer());
    this.promptAlarm = this.time.createAlarm(`${this.name}.prompt`, () => this.promptTimer());
    this.handlers = this.commandTable();
    this.network = new Network(this.networkSide());
  }

  // ---- the byte interface ----

  /** A byte from the TE (what the modem UART transmitted). */
  receive(byte: number): void {
    byte &= 0xff;
    this.onInput?.(byte);
    if (this.draft !== null) {
      this.textByte(byte, this.draft);
      return;
    }
    if (this.settings.echo) this.emit(String.fromCharCode(byte));
    const event = this.assembler.feed(byte);
    if (event !== undefined) this.lineDone(event);
  }

  /** Hands queued output to the sink while it can take it (call when the sink has room again). */
  pump(): void {
    const sink = this.sink;
    if (this.pumping || sink === undefined) return;
    this.pumping = true;
    try {
      while (this.outHead < this.out.length && sink.canReceive()) {
        const byte = this.out[this.outHead];
        if (!sink.receive(byte)) break;
        this.outHead++;
        this.onOutput?.(byte);
      }
      if (this.outHead === this.out.length) {
        this.out = [];
        this.outHead = 0;
      } else if (this.outHead >= LIMITS.output) {
        this.out = this.out.slice(this.outHead);
        this.outHead = 0;
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Bytes waiting in the output queue. */
  get queued(): number {
    return this.out.length - this.outHead;
  }

  /** Bytes dropped because the output queue or the held results were full. */
  get dropped(): number {
    return this.droppedBytes;
  }

  // ---- state ----

  save(): BasebandState {
    return {
      lines: [...this.lines],
      settings: { ...this.settings, cnmi: [...this.settings.cnmi] },
      alsLine: this.alsLine,
      ccwaService: this.ccwaService,
      registration: this.reg,
      rssi: this.rssi,
      ber: this.ber,
      calls: this.calls.map((c) => ({ ...c })),
      sms: this.sms.map((m) => ({ ...m })),
      nextMr: this.nextMr,
      sent: this.sentLog.map((s) => ({ ...s })),
      input: this.assembler.save(),
      draft: this.draft === null ? null : { ...this.draft },
      response: this.response,
      held: this.held,
      output: String.fromCharCode(...this.out.slice(this.outHead)),
      dropped: this.droppedBytes,
    };
  }

  /** Replaces the whole state with a saved one (checked first: SnapshotError naming the field; nothing changes then). */
  load(state: unknown): void {
    const s = readState(this.name, state, this.lines);
    this.settings = s.settings;
    this.alsLine = s.alsLine as 1 | 2;
    this.ccwaService = s.ccwaService;
    this.reg = s.registration as RegistrationStat;
    this.rssi = s.rssi;
    this.ber = s.ber;
    this.calls = s.calls;
    this.sms = s.sms;
    this.nextMr = s.nextMr;
    this.sentLog = s.sent;
    this.assembler.load(s.input);
    this.draft = s.draft;
    this.response = s.response;
    this.held = s.held;
    this.out = Array.from(s.output, (c) => c.charCodeAt(0));
    this.outHead = 0;
    this.droppedBytes = s.dropped;
    this.pump();
  }

  // ---- command lines ----

  private lineDone(event: LineEvent): void {
    this.executing = true;
    let text: string;
    try {
      text = event.kind === 'overlong' ? formatResult('ERROR', this.format()) : this.runLine(parseCommandLine(event.body));
    } finally {
      this.executing = false;
    }
    this.respond(text);
  }

  private runLine(line: ParsedLine): string {
    let out = '';
    const n = line.commands.length;
    for (let k = 0; k < n; k++) {
      const outcome = this.execute(line.commands[k], k === n - 1 && !line.syntaxError);
      const f = this.format();
      if (outcome.info !== undefined) out += formatText(outcome.info, f);
      if (outcome.final !== undefined) return out + formatFinal(outcome.final, f);
      if (outcome.prompt) return out + SMS_PROMPT;
    }
    return out + formatFinal(line.syntaxError ? NOT_ALLOWED.final! : { kind: 'result', code: 'OK' }, this.format());
  }

  private execute(command: AtCommand, last: boolean): Outcome {
    switch (command.kind) {
      case 'dial':
        return this.dial(command.dial, command.voice);
      case 'sreg':
        return this.sRegister(command.register, command.value);
      case 'basic':
        return this.basic(command.name, command.value);
      case 'extended': {
        const handler = this.handlers.get(command.name);
        return handler === undefined ? NOT_SUPPORTED : handler(command.form, command.args, last);
      }
    }
  }

  private basic(name: string, value: number | undefined): Outcome {
    const v = value ?? 0;
    switch (name) {
      case 'E':
      case 'V':
      case 'Q': {
        if (v > 1) return NOT_ALLOWED;
        const key = name === 'E' ? 'echo' : name === 'V' ? 'verbose' : 'quiet';
        this.settings[key] = v;
        return DONE;
      }
      case 'Z':
      case '&F':
        if (v !== 0) return NOT_ALLOWED;
        this.settings = defaultSettings();
        return DONE;
      case 'I':
        return v === 0 ? { info: [IDENTITY.manufacturer, IDENTITY.model, `Revision: ${IDENTITY.revision}`] } : NOT_ALLOWED;
      case 'A':
        return v === 0 ? this.answer() : NOT_ALLOWED;
      case 'H':
        return v === 0 ? this.hangUpAll() : NOT_ALLOWED;
      default:
        return NOT_SUPPORTED;
    }
  }

  /** S0 (rings before auto-answer) can be set; S3, S4, S5 (CR, LF, BS) are fixed. */
  private sRegister(register: number, value: number | undefined): Outcome {
    const fixed: Record<number, number> = { 3: CR, 4: 0x0a, 5: BS };
    const current = register === 0 ? this.settings.s0 : fixed[register];
    if (current === undefined) return NOT_SUPPORTED;
    if (value === undefined) return { info: [String(current).padStart(3, '0')] };
    if (register === 0 && value <= 255) this.settings.s0 = value;
    else if (value !== current) return NOT_ALLOWED;
    return DONE;
  }

  private commandTable(): Map<string, Handler> {
    const table = new Map<string, Handler>();
    const action = (name: string, run: () => Outcome, test: string[] = []): void => {
      table.set(name, (form) => (form === 'action' ? run() : form === 'test' ? { info: test } : NOT_SUPPORTED));
    };
    /** A setting with set, read and test forms (`read` words the answer); `more` answers the action form, or a set with its own arguments. */
    const setting = (name: string, key: Exclude<keyof Settings, 'cnmi'>, read: (v: number) => string = (v) => `${name}: ${v}`, more: { action?: () => Outcome; set?: (args: AtArg[]) => Outcome } = {}): void => {
      const max = SETTING_MAX[key];
      table.set(name, (form, args) => {
        switch (form) {
          case 'read':
            return { info: [read(this.settings[key])] };
          case 'test':
            return { info: [`${name}: ${max === 1 ? '(0,1)' : `(0-${max})`}`] };
          case 'action':
            return more.action?.() ?? NOT_SUPPORTED;
          case 'set': {
            if (more.set !== undefined) return more.set(args);
            const v = intArgs(args, [[0, max]]);
            if (v === undefined) return NOT_ALLOWED;
            this.settings[key] = v[0];
            return DONE;
          }
        }
      });
    };

    action('+CGMI', () => ({ info: [IDENTITY.manufacturer] }));
    action('+CGMM', () => ({ info: [IDENTITY.model] }));
    action('+CGMR', () => ({ info: [IDENTITY.revision] }));
    action('+CGSN', () => ({ info: [IDENTITY.imei] }));
    action('+CSQ', () => ({ info: [`+CSQ: ${this.rssi},${this.ber}`] }), ['+CSQ: (0-31,99),(0-7,99)']);
    action('+CNUM', () => ({ info: this.lines.map((n, k) => `+CNUM: ${quote(`Line ${k + 1}`)},${quote(n)},${numberType(n)}`) }));
    action('+CHUP', () => this.hangUpAll());
    action('^HCLCC', () => ({ info: this.calls.map((c) => `^HCLCC: ${clccFields(c, STAT[c.state])},${c.line}`) }));
    setting('+CMEE', 'cmee');
    setting('+CREG', 'creg', (n) => `+CREG: ${n},${this.reg}${n === 2 && registered(this.reg) ? `,${quote(LAC)},${quote(CELL_ID)}` : ''}`);
    setting('+CLIP', 'clip', (n) => `+CLIP: ${n},1`);
    setting('+CDIP', 'cdip', (n) => `+CDIP: ${n},1`);
    setting('+CRC', 'crc');
    setting('+CMGF', 'cmgf');
    setting('+CLCC', 'clcc', undefined, { action: () => ({ info: this.calls.map((c) => `+CLCC: ${clccFields(c, STAT[c.state])}`) }) });
    setting('+CCWA', 'ccwa', undefined, { set: (args) => this.callWaiting(args) });
    // The SIM is ready and asks for no PIN: entering one is not allowed.
    table.set('+CPIN', (form) => (form === 'read' ? { info: ['+CPIN: READY'] } : form === 'test' ? DONE : form === 'set' ? NOT_ALLOWED : NOT_SUPPORTED));
    table.set('+COPS', (form, args) => this.operator(form, args));
    table.set('+CHLD', (form, args) => {
      if (form === 'test') return { info: ['+CHLD: (0,1,1x,2,2x)'] };
      if (form !== 'set') return NOT_SUPPORTED;
      return args.length === 1 && args[0].kind === 'token' ? this.hold(args[0].text) : NOT_ALLOWED;
    });
    table.set('+CNMI', (form, args) => {
      if (form === 'read') return { info: [`+CNMI: ${this.settings.cnmi.join(',')}`] };
      if (form === 'test') return { info: ['+CNMI: (0-3),(0-3),(0),(0-2),(0,1)'] };
      if (form !== 'set' || args.length === 0) return NOT_SUPPORTED;
      const cnmi = this.settings.cnmi;
      const v = intArgs(args, CNMI_MAX.map((max, k) => [0, max, cnmi[k]] as const));
      if (v === undefined) return NOT_ALLOWED;
      this.settings.cnmi = CNMI_MAX.map((_, k) => v[k] ?? cnmi[k]);
      return DONE;
    });
    table.set('+CMGS', (form, args, last) => (form === 'test' ? DONE : form === 'set' ? this.startSms(args, last) : NOT_SUPPORTED));
    table.set('+CMGR', (form, args) => (form === 'test' ? DONE : form === 'set' ? this.readSms(args) : NOT_SUPPORTED));
    table.set('+CMGD', (form, args) => {
      if (form === 'test') return { info: [`+CMGD: (${this.sms.map((m) => m.index).join(',')}),(0-4)`] };
      return form === 'set' ? this.deleteSms(args) : NOT_SUPPORTED;
    });
    table.set('^SALS', (form, args) => {
      if (form === 'read') return { info: [`^SALS: ${this.settings.alsView},${this.alsLine}`] };
      if (form === 'test') return { info: ['^SALS: (0,1),(1,2)'] };
      if (form !== 'set') return NOT_SUPPORTED;
      const v = intArgs(args, [[0, 1], [1, 2, this.alsLine]]);
      if (v === undefined) return NOT_ALLOWED;
      this.settings.alsView = v[0];
      this.alsLine = v[1] as 1 | 2;
      return DONE;
    });
    return table;
  }

  private operator(form: ExtendedForm, args: AtArg[]): Outcome {
    if (form === 'read') {
      if (!registered(this.reg)) return { info: ['+COPS: 0'] };
      const name = [OPERATOR.long, OPERATOR.short, OPERATOR.numeric][this.settings.copsFormat];
      return { info: [`+COPS: 0,${this.settings.copsFormat},${quote(name)},0`] };
    }
    if (form === 'test') return { info: [`+COPS: (2,${quote(OPERATOR.long)},${quote(OPERATOR.short)},${quote(OPERATOR.numeric)},0),,(0-4),(0-2)`] };
    if (form !== 'set') return NOT_SUPPORTED;
    const v = intArgs(args.slice(0, 2), [[0, 4], [0, 2, -1]]);
    if (v === undefined || args.length > 2) return v === undefined ? NOT_ALLOWED : NOT_SUPPORTED;
    if (v[0] !== 0 && v[0] !== 3) return NOT_SUPPORTED;
    if (v[0] === 3 && v[1] < 0) return NOT_ALLOWED;
    if (v[1] >= 0) this.settings.copsFormat = v[1];
    return DONE;
  }

  private callWaiting(args: AtArg[]): Outcome {
    const v = intArgs(args, [[0, 1, this.settings.ccwa], [0, 2, -1], [1, 255, 7]]);
    if (v === undefined) return NOT_ALLOWED;
    this.settings.ccwa = v[0];
    if (v[1] === 0 || v[1] === 1) this.ccwaService = v[1] === 1;
    return v[1] === 2 ? { info: [`+CCWA: ${this.ccwaService ? 1 : 0},1`] } : DONE;
  }

  private format(): ResponseFormat {
    const s = this.settings;
    return { verbose: s.verbose === 1, quiet: s.quiet === 1, cmee: s.cmee as 0 | 1 | 2 };
  }

  // ---- calls: commands ----

  private dial(dial: string, voice: boolean): Outcome {
    if (!voice) return NOT_SUPPORTED;
    const number = dialNumber(dial);
    if (number === undefined) return NOT_ALLOWED;
    if (!registered(this.reg)) return cme(30);
    const busy = this.calls.some((c) => c.state !== 'active' && c.state !== 'held');
    const active = this.calls.filter((c) => c.state === 'active');
    if (busy || (active.length > 0 && this.calls.some((c) => c.state === 'held')) || this.calls.length >= LIMITS.calls) return NOT_ALLOWED;
    for (const c of active) this.setState(c, 'held');
    const call = this.addCall({ line: this.alsLine, direction: 'outgoing', state: 'dialing', number });
    this.dialAlarm.schedule(this.cycles(TIMINGS.dialToAlertMs));
    this.report(call);
    return DONE;
  }

  private answer(): Outcome {
    const incoming = this.calls.find((c) => c.state === 'incoming');
    if (incoming !== undefined) {
      this.setState(incoming, 'active');
      this.settle();
      return DONE;
    }
    const waiting = this.calls.find((c) => c.state === 'waiting');
    if (waiting !== undefined) return this.accept(waiting);
    return { final: { kind: 'result', code: 'NO CARRIER' } };
  }

  private hangUpAll(): Outcome {
    for (const c of [...this.calls]) this.remove(c, undefined);
    this.settle();
    return DONE;
  }

  /** AT+CHLD (22.030 §6.5.5.1): 0, 1, 1x, 2, 2x; x is a call id. */
  private hold(n: string): Outcome {
    if (!/^[0-9]{1,2}$/.test(n)) return NOT_ALLOWED;
    const x = n.length === 2 ? Number(n[1]) : undefined;
    const ringing = this.calls.find((c) => c.state === 'incoming' || c.state === 'waiting');
    switch (n[0]) {
      case '0': {
        if (x !== undefined) return NOT_ALLOWED;
        const held = this.calls.filter((c) => c.state === 'held');
        if (ringing === undefined && held.length === 0) return NOT_ALLOWED;
        // A waiting (or incoming) call is rejected (user determined user busy); else the held calls go.
        for (const c of ringing !== undefined ? [ringing] : held) this.remove(c, undefined);
        this.settle();
        return DONE;
      }
      case '1': {
        if (x !== undefined) {
          const call = this.calls.find((c) => c.id === x);
          if (call === undefined) return NOT_ALLOWED;
          this.remove(call, undefined);
          this.settle();
          return DONE;
        }
        const ending = this.calls.filter((c) => c.state === 'active' || c.state === 'dialing' || c.state === 'alerting');
        const held = this.calls.filter((c) => c.state === 'held');
        if (ending.length === 0 && ringing === undefined && held.length === 0) return NOT_ALLOWED;
        for (const c of ending) this.remove(c, undefined);
        if (ringing !== undefined) this.setState(ringing, 'active');
        else for (const c of held) this.setState(c, 'active');
        this.settle();
        return DONE;
      }
      case '2': {
        if (x === undefined) {
          if (ringing !== undefined) return this.accept(ringing);
          if (this.calls.some((c) => c.state === 'dialing' || c.state === 'alerting')) return NOT_ALLOWED;
          const active = this.calls.filter((c) => c.state === 'active');
          const held = this.calls.filter((c) => c.state === 'held');
          if (active.length === 0 && held.length === 0) return NOT_ALLOWED;
          for (const c of active) this.setState(c, 'held');
          for (const c of held) this.setState(c, 'active');
          this.settle();
          return DONE;
        }
        const call = this.calls.find((c) => c.id === x);
        if (call === undefined) return NOT_ALLOWED;
        switch (call.state) {
          case 'active':
            return DONE;
          case 'held':
            if (this.calls.some((c) => c.state === 'dialing' || c.state === 'alerting')) return NOT_ALLOWED;
            for (const c of this.calls.filter((c) => c.state === 'active')) this.setState(c, 'held');
            this.setState(call, 'active');
            this.settle();
            return DONE;
          case 'incoming':
          case 'waiting':
            return this.accept(call);
          default:
            return NOT_ALLOWED;
        }
      }
      case '3':
      case '4':
        return x === undefined ? NOT_SUPPORTED : NOT_ALLOWED;
      default:
        return NOT_ALLOWED;
    }
  }

  /** Accepts an incoming or waiting call, holding the active one (not while dialling, nor beside a held call and an active one). */
  private accept(call: CallRecord): Outcome {
    const active = this.calls.filter((c) => c.state === 'active');
    if (this.calls.some((c) => c.state === 'dialing' || c.state === 'alerting')) return NOT_ALLOWED;
    if (active.length > 0 && this.calls.some((c) => c.state === 'held')) return NOT_ALLOWED;
    for (const c of active) this.setState(c, 'held');
    this.setState(call, 'active');
    this.settle();
    return DONE;
  }

  // ---- calls: the state machine ----

  private addCall(call: Omit<CallRecord, 'id' | 'periods' | 'rings'>): CallRecord {
    let id = 1;
    while (this.calls.some((c) => c.id === id)) id++;
    const record: CallRecord = { id, ...call, periods: 0, rings: 0 };
    this.calls.push(record);
    this.calls.sort((a, b) => a.id - b.id);
    return record;
  }

  private setState(call: CallRecord, state: CallState): void {
    if (call.state === state) return;
    call.state = state;
    this.report(call);
  }

  /** Releases a call; `cause` is the unsolicited result when it was not the TE's doing. */
  private remove(call: CallRecord, cause: ResultCode | undefined): void {
    const at = this.calls.indexOf(call);
    if (at < 0) return;
    this.calls.splice(at, 1);
    this.report(call, RELEASED);
    if (cause !== undefined) this.unsolicited(call.line, formatResult(cause, this.format()));
  }

  /** After calls changed: timers follow the calls; a waiting call left alone starts ringing. */
  private settle(): void {
    if (!this.calls.some((c) => c.state === 'dialing' || c.state === 'alerting')) this.dialAlarm.cancel();
    const ringing = this.calls.find((c) => c.state === 'incoming' || c.state === 'waiting');
    if (ringing === undefined) {
      this.ringAlarm.cancel();
    } else if (ringing.state === 'waiting' && this.calls.length === 1) {
      this.setState(ringing, 'incoming');
      this.ring(ringing);
    }
  }

  /** RING or +CRING, then +CLIP and +CDIP as enabled; S0 answers after that many rings. */
  private ring(call: CallRecord): void {
    const f = this.format();
    let text = this.settings.crc ? formatText(['+CRING: VOICE'], f) : formatResult('RING', f);
    if (this.settings.clip) text += formatText([`+CLIP: ${quote(call.number)},${numberType(call.number)}`], f);
    if (this.settings.cdip) text += formatText([this.cdip(call)], f);
    this.unsolicited(call.line, text);
    call.rings++;
    if (this.settings.s0 > 0 && call.rings >= this.settings.s0) {
      this.setState(call, 'active');
      this.settle();
    }
  }

  private cdip(call: CallRecord): string {
    const called = this.lines[call.line - 1];
    return `+CDIP: ${quote(called)},${numberType(called)}`;
  }

  /** Unsolicited +CLCC report of a call's new state (AT+CLCC=1). */
  private report(call: CallRecord, stat = STAT[call.state]): void {
    if (this.settings.clcc) this.unsolicited(call.line, formatText([`+CLCC: ${clccFields(call, stat)}`], this.format()));
  }

  private dialTimer(): void {
    const call = this.calls.find((c) => c.state === 'dialing' || c.state === 'alerting');
    if (call === undefined) return;
    if (call.state === 'dialing') {
      this.setState(call, 'alerting');
      this.dialAlarm.schedule(this.cycles(TIMINGS.alertTimeoutMs));
    } else {
      this.remove(call, 'NO ANSWER');
      this.settle();
    }
  }

  private ringTimer(): void {
    const call = this.calls.find((c) => c.state === 'incoming' || c.state === 'waiting');
    if (call === undefined) return;
    call.periods++;
    if (call.periods * TIMINGS.ringPeriodMs >= TIMINGS.ringTimeoutMs) {
      this.remove(call, 'NO CARRIER');
      this.settle();
      return;
    }
    this.ringAlarm.schedule(this.cycles(TIMINGS.ringPeriodMs));
    if (call.state === 'incoming') this.ring(call);
  }

  // ---- SMS ----

  private startSms(args: AtArg[], last: boolean): Outcome {
    if (this.settings.cmgf !== 1) return cms(303);
    const da = args[0];
    if (!last || da?.kind !== 'string' || !PHONE_NUMBER.test(da.value) || args.length > 2) return NOT_ALLOWED;
    if (args.length === 2 && intArgs([args[1]], [[0, 255]]) === undefined) return NOT_ALLOWED;
    this.draft = { to: da.value, line: this.alsLine, text: '', overflow: false };
    this.promptAlarm.schedule(this.cycles(TIMINGS.promptTimeoutMs));
    return { prompt: true };
  }

  /** A byte while an SMS is entered: Ctrl-Z sends, ESC aborts, BS deletes, CR is a new line (and a new prompt). */
  private textByte(byte: number, draft: Draft): void {
    if (byte === CTRL_Z) {
      this.sendSms(draft);
      return;
    }
    if (byte === ESC) {
      this.endDraft();
      this.respond(formatResult('OK', this.format()));
      return;
    }
    this.promptAlarm.schedule(this.cycles(TIMINGS.promptTimeoutMs));
    const echo = this.settings.echo === 1;
    if (byte === BS || byte === DEL) {
      draft.text = draft.text.slice(0, -1);
      if (echo) this.emit(String.fromCharCode(byte));
    } else if (byte === CR) {
      this.append(draft, '\n');
      this.emit(SMS_PROMPT);
    } else if (byte >= 0x20 && byte <= 0x7e) {
      this.append(draft, String.fromCharCode(byte));
      if (echo) this.emit(String.fromCharCode(byte));
    }
  }

  private append(draft: Draft, c: string): void {
    if (draft.text.length < LIMITS.smsText) draft.text += c;
    else draft.overflow = true;
  }

  private endDraft(): void {
    this.draft = null;
    this.promptAlarm.cancel();
  }

  private sendSms(draft: Draft): void {
    this.endDraft();
    const f = this.format();
    if (draft.overflow) {
      this.respond(formatFinal({ kind: 'cms', error: 305 }, f));
      return;
    }
    if (!registered(this.reg)) {
      this.respond(formatFinal({ kind: 'cms', error: 331 }, f));
      return;
    }
    const mr = this.nextMr;
    this.nextMr = (mr + 1) & 0xff;
    this.sentLog.push({ mr, line: draft.line, to: draft.to, text: draft.text });
    if (this.sentLog.length > LIMITS.sent) this.sentLog.shift();
    this.respond(formatText([`+CMGS: ${mr}`], f) + formatResult('OK', f));
    // A message to one of the handset's own lines comes back to it.
    const own = this.lines.indexOf(draft.to);
    if (own >= 0) this.deliverSms(this.lines[draft.line - 1], (own + 1) as 1 | 2, draft.text.replace(/\n/g, ' '));
  }

  private promptTimer(): void {
    if (this.draft === null) return;
    this.endDraft();
    this.respond(formatFinal({ kind: 'cms', error: 500 }, this.format()));
  }

  private readSms(args: AtArg[]): Outcome {
    if (this.settings.cmgf !== 1) return cms(303);
    const v = intArgs(args, [[0, 999_999_999]]);
    if (v === undefined) return NOT_ALLOWED;
    const message = this.sms.find((m) => m.index === v[0]);
    if (message === undefined) return cms(321);
    const status = message.unread ? 'REC UNREAD' : 'REC READ';
    message.unread = false;
    return { info: [`+CMGR: ${quote(status)},${quote(message.from)},,${quote(message.timestamp)}`, message.text] };
  }

  private deleteSms(args: AtArg[]): Outcome {
    const v = intArgs(args, [[0, 999_999_999], [0, 4, 0]]);
    if (v === undefined) return NOT_ALLOWED;
    const [index, flag] = v;
    if (flag === 0) {
      if (index < 1 || index > LIMITS.smsStore) return cms(321);
      this.sms = this.sms.filter((m) => m.index !== index);
    } else {
      // 1: read messages; 2, 3: also sent and unsent ones (the store holds none); 4: all.
      this.sms = this.sms.filter((m) => flag !== 4 && m.unread);
    }
    return DONE;
  }

  private deliverSms(from: string, line: 1 | 2, text: string): IncomingSmsResult {
    if (!registered(this.reg)) return { accepted: false, reason: 'no network' };
    const [mode, mt] = this.settings.cnmi;
    const timestamp = smsTimestamp(Math.floor(this.time.now / this.time.hz));
    const f = this.format();
    if (mode !== 0 && mt === 2 && this.settings.cmgf === 1) {
      this.unsolicited(line, formatText([`+CMT: ${quote(from)},,${quote(timestamp)}`, text], f));
      return { accepted: true, index: null };
    }
    let index = 1;
    while (this.sms.some((m) => m.index === index)) index++;
    if (index > LIMITS.smsStore) return { accepted: false, reason: 'memory full' };
    this.sms.push({ index, line, from, text, timestamp, unread: true });
    this.sms.sort((a, b) => a.index - b.index);
    if (mode !== 0 && mt !== 0) this.unsolicited(line, formatText([`+CMTI: "SM",${index}`], f));
    return { accepted: true, index };
  }

  // ---- the network side ----

  private networkSide(): NetworkSide {
    return {
      lines: this.lines,
      calls: () => this.calls.map((c): CallInfo => ({ id: c.id, line: c.line, direction: c.direction, state: c.state, number: c.number })),
      incomingCall: (from, line) => this.incomingCall(from, line),
      farEnd: (id, event) => this.farEnd(id, event),
      incomingSms: (from, line, text) => this.deliverSms(from, line, text),
      registration: (stat) => this.registration(stat),
      signal: (rssi, ber) => {
        this.rssi = rssi;
        this.ber = ber;
      },
      radio: (): RadioStatus => ({ registration: this.reg, rssi: this.rssi, ber: this.ber }),
      messages: () => this.sms.map((m): StoredSms => ({ ...m })),
      sent: () => this.sentLog.map((s): SentSms => ({ ...s })),
    };
  }

  private incomingCall(from: string, line: 1 | 2): IncomingCallResult {
    if (!registered(this.reg)) return { accepted: false, reason: 'no network' };
    const others = this.calls.length > 0;
    if (this.calls.some((c) => c.state === 'incoming' || c.state === 'waiting') || this.calls.length >= LIMITS.calls || (others && !this.ccwaService)) {
      return { accepted: false, reason: 'busy' };
    }
    const call = this.addCall({ line, direction: 'incoming', state: others ? 'waiting' : 'incoming', number: from });
    this.ringAlarm.schedule(this.cycles(TIMINGS.ringPeriodMs));
    this.report(call);
    if (call.state === 'incoming') {
      this.ring(call);
    } else if (this.settings.ccwa) {
      const f = this.format();
      this.unsolicited(line, formatText([`+CCWA: ${quote(from)},${numberType(from)},1`], f) + (this.settings.cdip ? formatText([this.cdip(call)], f) : ''));
    }
    return { accepted: true, id: call.id };
  }

  private farEnd(id: number, event: FarEndEvent): void {
    const call = this.calls.find((c) => c.id === id);
    if (call === undefined) return;
    if (event === 'answer') this.setState(call, 'active');
    else this.remove(call, event === 'hangUp' ? 'NO CARRIER' : event === 'busy' ? 'BUSY' : 'NO ANSWER');
    this.settle();
  }

  private registration(stat: RegistrationStat): void {
    if (stat === this.reg) return;
    this.reg = stat;
    const n = this.settings.creg;
    if (n > 0) {
      const where = n === 2 && registered(stat) ? `,${quote(LAC)},${quote(CELL_ID)}` : '';
      this.unsolicited(null, formatText([`+CREG: ${stat}${where}`], this.format()));
    }
    if (!registered(stat)) {
      for (const c of [...this.calls]) this.remove(c, 'NO CARRIER');
      this.settle();
    }
  }

  // ---- output ----

  /**
   * An unsolicited result (already formatted). With AT^SALS view 1, one that concerns a line is preceded by
   * `^SALS: <line>`. Held while a response is pending or an SMS is entered.
   */
  private unsolicited(line: 1 | 2 | null, text: string): void {
    if (text === '') return;
    if (line !== null && this.settings.alsView === 1) text = formatText([`^SALS: ${line}`], this.format()) + text;
    if (this.executing || this.response !== null || this.draft !== null) {
      if (this.held.length + text.length > LIMITS.held) this.droppedBytes += text.length;
      else this.held += text;
    } else {
      this.enqueue(text);
    }
  }

  /** Queues a response; it goes out at the respond alarm (one already pending takes it along). */
  private respond(text: string): void {
    if (this.response === null) {
      this.response = '';
      this.respondAlarm.schedule(this.cycles(TIMINGS.responseMs));
    }
    if (this.response.length + text.length > LIMITS.output) this.droppedBytes += text.length;
    else this.response += text;
  }

  /** Echo (and the prompt after a CR in an SMS): at once, or after the pending response so that order is kept. */
  private emit(text: string): void {
    if (this.response === null) this.enqueue(text);
    else if (this.response.length + text.length > LIMITS.output) this.droppedBytes += text.length;
    else this.response += text;
  }

  private respondNow(): void {
    if (this.response === null) return;
    const text = this.response;
    this.response = null;
    this.enqueue(text);
    if (this.draft === null && this.held !== '') {
      const held = this.held;
      this.held = '';
      this.enqueue(held);
    }
  }

  private enqueue(text: string): void {
    if (text === '') return;
    if (this.queued + text.length > LIMITS.output) {
      this.droppedBytes += text.length;
      return;
    }
    for (let i = 0; i < text.length; i++) this.out.push(text.charCodeAt(i) & 0xff);
    this.pump();
  }

  private cycles(ms: number): number {
    return Math.ceil((this.time.hz * ms) / 1000);
  }
}

// ---- helpers ----

function registered(stat: number): boolean {
  return stat === 1 || stat === 5;
}

/** 27.007 type of address: 145 international (`+`), 129 otherwise. */
function numberType(number: string): number {
  return number.startsWith('+') ? 145 : 129;
}

/** `<id>,<dir>,<stat>,<mode>,<mpty>,<number>,<type>` of +CLCC. */
function clccFields(call: CallRecord, stat: number): string {
  return `${call.id},${call.direction === 'outgoing' ? 0 : 1},${stat},0,0,${quote(call.number)},${numberType(call.number)}`;
}

/** The number of a dial string: T and P (tone, pulse) dropped, trailing I/G (CLIR, CUG) modifiers dropped. */
function dialNumber(dial: string): string | undefined {
  const number = dial.replace(/[TP]/g, '').replace(/[IG]+$/, '');
  return PHONE_NUMBER.test(number) ? number : undefined;
}

/**
 * Integer arguments: each spec is [min, max, default]; an empty or missing argument takes the default (one
 * without a default is required). Undefined when an argument is malformed, out of range, or one too many.
 */
function intArgs(args: AtArg[], specs: readonly (readonly [number, number, number?])[]): number[] | undefined {
  if (args.length > specs.length) return undefined;
  const values: number[] = [];
  for (let k = 0; k < specs.length; k++) {
    const [min, max, fallback] = specs[k];
    const arg = args[k];
    if (arg === undefined || arg.kind === 'empty') {
      if (fallback === undefined) return undefined;
      values.push(fallback);
      continue;
    }
    if (arg.kind !== 'token' || !/^[0-9]{1,9}$/.test(arg.text)) return undefined;
    const v = Number(arg.text);
    if (v < min || v > max) return undefined;
    values.push(v);
  }
  return values;
}

/** A 27.005 time stamp for `seconds` of virtual time: Date only formats the fixed epoch plus them (no host clock is read). */
function smsTimestamp(seconds: number): string {
  const d = new Date(EPOCH_MS + seconds * 1000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getUTCFullYear() % 100)}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())},${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}+00`;
}

function checkLines(lines: readonly string[]): [string, string] {
  if (!Array.isArray(lines) || lines.length !== 2) throw new BasebandConfigError(`modem lines: expected two numbers, got ${Array.isArray(lines) ? lines.length : typeof lines}`);
  for (const [k, n] of lines.entries()) {
    if (typeof n !== 'string' || !PHONE_NUMBER.test(n)) throw new BasebandConfigError(`modem lines[${k}]: not a phone number (an optional + and 1 to 20 digits, * or #): ${JSON.stringify(n)}`);
  }
  if (lines[0] === lines[1]) throw new BasebandConfigError(`modem lines: both lines have the number ${lines[0]}`);
  return [lines[0], lines[1]];
}

// ---- reading a saved state ----

const STATE_KEYS = ['lines', 'settings', 'alsLine', 'ccwaService', 'registration', 'rssi', 'ber', 'calls', 'sms', 'nextMr', 'sent', 'input', 'draft', 'response', 'held', 'output', 'dropped'];
const TIMESTAMP = /^\d\d\/\d\d\/\d\d,\d\d:\d\d:\d\d[+-]\d\d$/;

function readState(part: string, state: unknown, lines: readonly [string, string]): BasebandState {
  const r = new StateReader(part, '', state, STATE_KEYS);
  const raw = state as Record<string, unknown>;
  const saved = r.array('lines', (e) => {
    if (typeof e.value !== 'string') throw e.error('expected a string');
    return e.value;
  });
  if (saved.length !== 2 || saved[0] !== lines[0] || saved[1] !== lines[1]) {
    throw r.error('lines', `the snapshot's lines are ${saved.join(', ')}; this modem's are ${lines.join(', ')}`);
  }
  // Built in the order of defaultSettings, so that a loaded state saves the same JSON text.
  const settings = defaultSettings();
  const s = r.object('settings', Object.keys(settings));
  for (const key of Object.keys(settings) as (keyof Settings)[]) {
    if (key !== 'cnmi') settings[key] = s.int(key, 0, SETTING_MAX[key]);
  }
  settings.cnmi = s.array('cnmi', (e) => e.int(0, 3), CNMI_MAX.length);
  settings.cnmi.forEach((v, k) => {
    if (v > CNMI_MAX[k]) throw s.error('cnmi', `element ${k} is ${v}, at most ${CNMI_MAX[k]}`);
  });
  const rssi = r.int('rssi', 0, 99);
  if (rssi > 31 && rssi !== 99) throw r.error('rssi', `${rssi} is not 0-31 or 99`);
  const ber = r.int('ber', 0, 99);
  if (ber > 7 && ber !== 99) throw r.error('ber', `${ber} is not 0-7 or 99`);

  const calls = r.array('calls', (e) => {
    const c = e.object(['id', 'line', 'direction', 'state', 'number', 'periods', 'rings']);
    const call: CallRecord = {
      id: c.int('id', 1, LIMITS.calls),
      line: c.int('line', 1, 2) as 1 | 2,
      direction: choice(c, 'direction', ['outgoing', 'incoming'] as const),
      state: choice(c, 'state', CALL_STATES),
      number: phone(c, 'number'),
      periods: c.int('periods', 0, Math.ceil(TIMINGS.ringTimeoutMs / TIMINGS.ringPeriodMs)),
      rings: c.int('rings', 0, 1000),
    };
    const incoming = call.state === 'incoming' || call.state === 'waiting';
    const outgoing = call.state === 'dialing' || call.state === 'alerting';
    if ((incoming && call.direction !== 'incoming') || (outgoing && call.direction !== 'outgoing')) throw c.error('direction', `an ${call.direction} call cannot be ${call.state}`);
    return call;
  });
  const ids = new Set(calls.map((c) => c.id));
  if (ids.size !== calls.length) throw r.error('calls', 'two calls have the same id');
  if (calls.filter((c) => c.state === 'incoming' || c.state === 'waiting').length > 1) throw r.error('calls', 'more than one incoming or waiting call');
  if (calls.filter((c) => c.state === 'dialing' || c.state === 'alerting').length > 1) throw r.error('calls', 'more than one outgoing call being set up');
  calls.sort((a, b) => a.id - b.id);

  const sms = r.array('sms', (e) => {
    const m = e.object(['index', 'line', 'from', 'text', 'timestamp', 'unread']);
    const timestamp = m.string('timestamp');
    if (!TIMESTAMP.test(timestamp)) throw m.error('timestamp', `not a time stamp: ${JSON.stringify(timestamp)}`);
    return { index: m.int('index', 1, LIMITS.smsStore), line: m.int('line', 1, 2) as 1 | 2, from: phone(m, 'from'), text: text(m, 'text', /^[\x20-\x7e]*$/), timestamp, unread: m.bool('unread') };
  });
  if (new Set(sms.map((m) => m.index)).size !== sms.length) throw r.error('sms', 'two messages have the same index');
  sms.sort((a, b) => a.index - b.index);

  const sent = r.array('sent', (e) => {
    const m = e.object(['mr', 'line', 'to', 'text']);
    return { mr: m.int('mr', 0, 255), line: m.int('line', 1, 2) as 1 | 2, to: phone(m, 'to'), text: text(m, 'text', /^[\x20-\x7e\n]*$/) };
  });
  if (sent.length > LIMITS.sent) throw r.error('sent', `${sent.length} messages, at most ${LIMITS.sent}`);

  const i = r.object('input', ['phase', 'body']);
  const input = { phase: i.string('phase') as AssemblerPhase, body: i.string('body') };
  const problem = assemblerStateProblem(input);
  if (problem !== undefined) throw r.error('input', problem);

  let draft: Draft | null = null;
  if (raw.draft !== null) {
    const d = r.object('draft', ['to', 'line', 'text', 'overflow']);
    draft = { to: phone(d, 'to'), line: d.int('line', 1, 2) as 1 | 2, text: text(d, 'text', /^[\x20-\x7e\n]*$/), overflow: d.bool('overflow') };
  }
  if (draft !== null && input.phase !== 'idle') throw r.error('input', 'a partial command line while an SMS is entered');

  const response = raw.response === null ? null : bytes(r, 'response', LIMITS.output);
  const held = bytes(r, 'held', LIMITS.held);
  const output = bytes(r, 'output', LIMITS.output);
  return {
    lines: saved,
    settings,
    alsLine: r.int('alsLine', 1, 2),
    ccwaService: r.bool('ccwaService'),
    registration: r.int('registration', 0, 5),
    rssi,
    ber,
    calls,
    sms,
    nextMr: r.int('nextMr', 0, 255),
    sent,
    input,
    draft,
    response,
    held,
    output,
    dropped: r.count('dropped'),
  };
}

function choice<T extends string>(r: StateReader, key: string, options: readonly T[]): T {
  const v = r.string(key);
  if (!options.includes(v as T)) throw r.error(key, `${JSON.stringify(v)} is not one of ${options.join(', ')}`);
  return v as T;
}

function phone(r: StateReader, key: string): string {
  const v = r.string(key);
  if (!PHONE_NUMBER.test(v)) throw r.error(key, `not a phone number: ${JSON.stringify(v.slice(0, 30))}`);
  return v;
}

function text(r: StateReader, key: string, pattern: RegExp): string {
  const v = r.string(key);
  if (v.length > SMS_MAX_TEXT) throw r.error(key, `${v.length} characters, at most ${SMS_MAX_TEXT}`);
  if (!pattern.test(v)) throw r.error(key, 'characters an SMS text cannot hold');
  return v;
}

/** A byte string (characters 0-255) of at most `max` characters. */
function bytes(r: StateReader, key: string, max: number): string {
  const v = r.string(key);
  if (v.length > max) throw r.error(key, `${v.length} bytes, at most ${max}`);
  for (let k = 0; k < v.length; k++) if (v.charCodeAt(k) > 0xff) throw r.error(key, `character ${v.charCodeAt(k)} is not a byte`);
  return v;
}
