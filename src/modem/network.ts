/**
 * The network side of the baseband: what the far end and the cell do (docs/modem.md "The network side").
 * Scenarios, the CLI and the UI drive it through `Machine.network` (or `Baseband.network`): a call from X to
 * line Y, the far end of a call answering, hanging up, busy or not answering, an SMS to line Y, registration
 * and signal changes. Every argument is checked here, and a call that does not fit the calls' states is
 * refused, with a one-line NetworkError; the baseband then does the rest on its own clock.
 */

/** A subscriber line: 1 or 2, or one of the two lines' numbers. */
export type LineRef = 1 | 2 | string;

export type CallDirection = 'outgoing' | 'incoming';

/** 27.007 +CLCC states (stat 0-5); a released call is gone from the list. */
export type CallState = 'active' | 'held' | 'dialing' | 'alerting' | 'incoming' | 'waiting';

export interface CallInfo {
  /** The +CLCC call id, 1-7. */
  readonly id: number;
  readonly line: 1 | 2;
  readonly direction: CallDirection;
  readonly state: CallState;
  /** The far end's number. */
  readonly number: string;
}

/** An SMS in the baseband's store ("SM"). */
export interface StoredSms {
  readonly index: number;
  readonly line: 1 | 2;
  readonly from: string;
  readonly text: string;
  /** Service-centre time stamp, 27.005 form `yy/MM/dd,hh:mm:ss+zz`, from the virtual clock. */
  readonly timestamp: string;
  readonly unread: boolean;
}

/** An SMS the handset sent (AT+CMGS), as the network received it. */
export interface SentSms {
  /** The message reference +CMGS gave. */
  readonly mr: number;
  /** The line it was sent from (the ALS line, AT^SALS). */
  readonly line: 1 | 2;
  readonly to: string;
  readonly text: string;
}

export type IncomingCallResult = { accepted: true; id: number } | { accepted: false; reason: 'busy' | 'no network' };

/** `index` is null for a message shown directly (+CMT, AT+CNMI mt=2) and not stored. */
export type IncomingSmsResult = { accepted: true; index: number | null } | { accepted: false; reason: 'memory full' | 'no network' };

export type FarEndEvent = 'answer' | 'hangUp' | 'busy' | 'noAnswer';

/** 27.007 +CREG <stat>: 0 not registered, 1 home, 2 searching, 3 denied, 4 unknown, 5 roaming. */
export type RegistrationStat = 0 | 1 | 2 | 3 | 4 | 5;

export interface RadioStatus {
  registration: RegistrationStat;
  /** +CSQ <rssi>: 0-31, or 99 unknown. */
  rssi: number;
  /** +CSQ <ber>: 0-7, or 99 unknown. */
  ber: number;
}

/** What the network side does to the baseband, with arguments already checked (the Baseband implements it). */
export interface NetworkSide {
  readonly lines: readonly [string, string];
  calls(): CallInfo[];
  incomingCall(from: string, line: 1 | 2): IncomingCallResult;
  farEnd(id: number, event: FarEndEvent): void;
  incomingSms(from: string, line: 1 | 2, text: string): IncomingSmsResult;
  registration(stat: RegistrationStat): void;
  signal(rssi: number, ber: number): void;
  radio(): RadioStatus;
  messages(): StoredSms[];
  sent(): SentSms[];
}

/** A network-side request that is malformed or does not fit the calls' states: one line. */
export class NetworkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetworkError';
  }
}

/** A phone number: an optional `+` and 1 to 20 digits, `*` or `#`. */
export const PHONE_NUMBER = /^\+?[0-9*#]{1,20}$/;

/** Most characters of an SMS text (one GSM 7-bit message). */
export const SMS_MAX_TEXT = 160;

/** SMS text the AT link can carry on one line: printable ASCII. */
const SMS_TEXT = /^[\x20-\x7e]*$/;

export class Network {
  constructor(private readonly side: NetworkSide) {}

  /** The two subscriber lines' numbers (line 1 first). */
  get lines(): readonly [string, string] {
    return this.side.lines;
  }

  /** The calls, by id. */
  calls(): CallInfo[] {
    return this.side.calls();
  }

  /** Registration and signal. */
  radio(): RadioStatus {
    return this.side.radio();
  }

  /** The SMS store, by index. */
  messages(): StoredSms[] {
    return this.side.messages();
  }

  /** The SMS the handset sent, oldest first (the last 32). */
  sent(): SentSms[] {
    return this.side.sent();
  }

  /**
   * A call from `from` to `line`. It rings (RING / +CRING, +CLIP, +CDIP) when the handset has no call, or
   * waits (+CCWA) beside other calls; refused (the caller hears busy) while another call is incoming or
   * waiting or with call waiting off, and when the handset is not registered.
   */
  incomingCall(from: string, line: LineRef): IncomingCallResult {
    return this.side.incomingCall(this.number('incomingCall', 'from', from), this.line('incomingCall', line));
  }

  /** The far end of an outgoing call being set up answers: the call becomes active. */
  answer(id?: number): void {
    this.side.farEnd(this.settingUp('answer', id), 'answer');
  }

  /** The far end of a call hangs up (an incoming call: the caller gives up): NO CARRIER. */
  hangUp(id?: number): void {
    const calls = this.side.calls();
    if (id !== undefined) {
      this.side.farEnd(this.call('hangUp', id).id, 'hangUp');
      return;
    }
    const only = calls.length === 1 ? calls[0] : calls.find((c) => c.state === 'dialing' || c.state === 'alerting');
    if (only === undefined) {
      throw new NetworkError(calls.length === 0 ? 'hangUp: there is no call' : `hangUp: there are ${calls.length} calls (ids ${calls.map((c) => c.id).join(', ')}): give a call id`);
    }
    this.side.farEnd(only.id, 'hangUp');
  }

  /** The far end of an outgoing call being set up is busy: BUSY. */
  busy(id?: number): void {
    this.side.farEnd(this.settingUp('busy', id), 'busy');
  }

  /** The far end of an outgoing call being set up does not answer: NO ANSWER. */
  noAnswer(id?: number): void {
    this.side.farEnd(this.settingUp('noAnswer', id), 'noAnswer');
  }

  /**
   * An SMS from `from` to `line`: stored (+CMTI) or shown directly (+CMT), as AT+CNMI says. Refused when the
   * store is full or the handset is not registered.
   */
  incomingSms(from: string, line: LineRef, text: string): IncomingSmsResult {
    const number = this.number('incomingSms', 'from', from);
    const to = this.line('incomingSms', line);
    if (typeof text !== 'string' || !SMS_TEXT.test(text)) throw new NetworkError(`incomingSms: text must be printable ASCII (no control characters), got ${describe(text)}`);
    if (text.length > SMS_MAX_TEXT) throw new NetworkError(`incomingSms: text has ${text.length} characters, at most ${SMS_MAX_TEXT}`);
    return this.side.incomingSms(number, to, text);
  }

  /** The registration state changes (+CREG <stat> 0-5); losing the network releases every call. */
  registration(stat: number): void {
    if (!Number.isInteger(stat) || stat < 0 || stat > 5) throw new NetworkError(`registration: stat must be 0-5 (0 not registered, 1 home, 2 searching, 3 denied, 4 unknown, 5 roaming), got ${describe(stat)}`);
    this.side.registration(stat as RegistrationStat);
  }

  /** The signal changes: what AT+CSQ answers. */
  signal(rssi: number, ber = 99): void {
    if (!Number.isInteger(rssi) || !((rssi >= 0 && rssi <= 31) || rssi === 99)) throw new NetworkError(`signal: rssi must be 0-31 or 99 (unknown), got ${describe(rssi)}`);
    if (!Number.isInteger(ber) || !((ber >= 0 && ber <= 7) || ber === 99)) throw new NetworkError(`signal: ber must be 0-7 or 99 (unknown), got ${describe(ber)}`);
    this.side.signal(rssi, ber);
  }

  private number(what: string, field: string, value: unknown): string {
    if (typeof value !== 'string' || !PHONE_NUMBER.test(value)) {
      throw new NetworkError(`${what}: ${field} must be a phone number (an optional + and 1 to 20 digits, * or #), got ${describe(value)}`);
    }
    return value;
  }

  private line(what: string, value: unknown): 1 | 2 {
    if (value === 1 || value === 2) return value;
    const at = typeof value === 'string' ? this.side.lines.indexOf(value) : -1;
    if (at >= 0) return (at + 1) as 1 | 2;
    throw new NetworkError(`${what}: line must be 1, 2, ${this.side.lines.map((l) => JSON.stringify(l)).join(' or ')}, got ${describe(value)}`);
  }

  private call(what: string, id: unknown): CallInfo {
    if (typeof id !== 'number' || !Number.isInteger(id)) throw new NetworkError(`${what}: call id must be an integer, got ${describe(id)}`);
    const call = this.side.calls().find((c) => c.id === id);
    if (call === undefined) throw new NetworkError(`${what}: there is no call ${id}`);
    return call;
  }

  /** The outgoing call being set up (dialing or alerting): call `id`, or the only one. */
  private settingUp(what: string, id: number | undefined): number {
    if (id === undefined) {
      const call = this.side.calls().find((c) => c.state === 'dialing' || c.state === 'alerting');
      if (call === undefined) throw new NetworkError(`${what}: no outgoing call is being set up`);
      return call.id;
    }
    const call = this.call(what, id);
    if (call.state !== 'dialing' && call.state !== 'alerting') throw new NetworkError(`${what}: call ${id} is not an outgoing call being set up (it is ${call.state})`);
    return call.id;
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 30 ? `${value.slice(0, 30)}…` : value);
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}
