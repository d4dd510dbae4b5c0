/**
 * The JSON protocol of `handset serve` (docs/web.md): the messages a client sends (over the WebSocket at
 * /ws, or one at a time to POST /api) and those the server sends back. Shared by the server and the page;
 * no Node or DOM imports here.
 *
 * `parseClientMessage` checks a message completely before anything acts on it: its size, that it is JSON,
 * an object with a known `type`, and every field (no unknown fields, each of its type and within its
 * bounds). What it cannot know (is there such a guest, a call on that line, such a snapshot) the session
 * checks; either way a bad message is one `error` reply and changes nothing.
 */
import type { PartitionStatus } from '../hypervisor/kernel.ts'; // a type only: erased from the page's bundle

export const PROTOCOL_VERSION = 1;

/** The largest message the server reads (UTF-8 bytes); a larger one is a `too-big` error. */
export const MAX_MESSAGE_BYTES = 16 * 1024;
/** Past this a WebSocket message is not even read: the connection is closed (1009). */
export const MAX_FRAME_BYTES = 1024 * 1024;
/** The longest text of one `type` message (characters). */
export const MAX_TYPE_TEXT = 1024;
/** The longest request id (characters, when a string). */
export const MAX_ID_LENGTH = 64;
/** Snapshot names: letters, digits, `-`, `_`, `.`, 1 to 32 of them. */
export const SNAPSHOT_NAME = /^[A-Za-z0-9_.-]{1,32}$/;
/** Speeds `speed` accepts: virtual seconds per host second. */
export const MIN_SPEED = 0.01;
export const MAX_SPEED = 1000;

/** A request id: echoed in the reply, so a script can match replies to requests. */
export type RequestId = string | number;

/** A line of the modem: a partition's name (the first two partitions have lines) or 1 / 2. */
export type LineRef = string | 1 | 2;

export type FarEndAction = 'answer' | 'hangUp' | 'busy' | 'noAnswer';
export const FAR_END_ACTIONS: readonly FarEndAction[] = ['answer', 'hangUp', 'busy', 'noAnswer'];

export type ClientMessage = { id?: RequestId } & (
  | { type: 'hello' }
  | { type: 'status' }
  | { type: 'type'; guest?: string; text: string }
  | { type: 'button' }
  | { type: 'call'; from: string; to: LineRef }
  | { type: 'farEnd'; action: FarEndAction; line?: LineRef }
  | { type: 'sms'; from: string; to: LineRef; text: string }
  | { type: 'registration'; stat: number }
  | { type: 'signal'; rssi: number; ber?: number }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'speed'; value: number }
  | { type: 'snapshot'; name?: string }
  | { type: 'restore'; name: string }
);

export type ClientMessageType = ClientMessage['type'];

/** Why a message was refused (docs/web.md "Errors"). */
export type ErrorCode =
  /** Not JSON (or a binary WebSocket frame). */
  | 'bad-json'
  /** More than MAX_MESSAGE_BYTES. */
  | 'too-big'
  /** JSON, but not an object with a string `type`. */
  | 'bad-message'
  /** A `type` the server does not know. */
  | 'unknown-type'
  /** A field missing, unknown, of the wrong type or out of bounds (`field` names it). */
  | 'bad-field'
  /** Well-formed, but not possible now (no such snapshot, the network refuses, the handset failed). */
  | 'refused';

export interface PartitionInfo {
  name: string;
  /** Its modem line (the first two partitions), else null. */
  line: 1 | 2 | null;
  /** Its line's number, else null. */
  number: string | null;
  ringtone: string;
}

export interface RingtoneStep {
  /** A sine of `hz` (0: silence) for `ms` milliseconds of virtual time; a ringtone loops its steps. */
  hz: number;
  ms: number;
}

/** A partition's status as the hypervisor reports it (Machine.hypervisor.status()). */
export type GuestStatus = PartitionStatus;

/** running: paced to host time; paused; waiting: every guest waits for input; ended: every guest ended; failed: the emulation cannot go on. */
export type RunState = 'running' | 'paused' | 'waiting' | 'ended' | 'failed';

export interface CallView {
  id: number;
  line: 1 | 2;
  /** The partition whose line it is. */
  guest: string | null;
  direction: 'incoming' | 'outgoing';
  state: string;
  number: string;
}

export interface RadioView {
  registration: number;
  rssi: number;
  ber: number;
}

export interface SnapshotInfo {
  name: string;
  cycle: number;
  bytes: number;
}

export interface StatusMessage {
  type: 'status';
  id?: RequestId;
  run: RunState;
  /** Why it ended or failed. */
  detail?: string;
  speed: number;
  cycle: number;
  /** Virtual seconds since reset. */
  seconds: number;
  foreground: string;
  partitions: GuestStatus[];
}

export interface HelloMessage {
  type: 'hello';
  id?: RequestId;
  protocol: number;
  clockHz: number;
  partitions: PartitionInfo[];
  /** Every ringtone a partition can play, by name: the steps --audio-out renders. */
  ringtones: Record<string, readonly RingtoneStep[]>;
  /** What each partition's screen shows now (the end of its console). */
  screens: Record<string, string>;
  /** The ringtone each partition plays now, or null. */
  ringing: Record<string, string | null>;
  calls: CallView[];
  radio: RadioView | null;
  snapshots: SnapshotInfo[];
  status: StatusMessage;
  limits: { maxMessageBytes: number; maxTypeText: number };
}

export type ServerMessage =
  | HelloMessage
  | StatusMessage
  | { type: 'console'; guest: string; text: string }
  | { type: 'button'; foreground: string; cycle: number }
  | { type: 'ringtone'; guest: string; ringtone: string; playing: boolean; cycle: number }
  | { type: 'guestState'; guest: string; state: string; detail: string; cycle: number }
  | { type: 'calls'; calls: CallView[] }
  | { type: 'radio'; radio: RadioView }
  | { type: 'snapshots'; snapshots: SnapshotInfo[] }
  | { type: 'restored'; name: string; cycle: number; foreground: string; screens: Record<string, string>; ringing: Record<string, string | null> }
  | { type: 'ok'; id?: RequestId; of: ClientMessageType; cycle: number; result?: string }
  | { type: 'snapshot'; id?: RequestId; name: string; cycle: number; bytes: number }
  | { type: 'error'; id?: RequestId; of?: string; error: ErrorCode; field?: string; message: string }
  | { type: 'resync'; dropped: number };

export type ErrorMessage = Extract<ServerMessage, { type: 'error' }>;

/** A refused message: the `error` reply. */
export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    /** The type of the message refused, when it had a known one. */
    readonly of?: ClientMessageType,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** The fields each message type has besides `type` and `id` (required ones first, then optional ones marked `?`). */
const FIELDS: Record<ClientMessageType, readonly string[]> = {
  hello: [],
  status: [],
  type: ['text', 'guest?'],
  button: [],
  call: ['from', 'to'],
  farEnd: ['action', 'line?'],
  sms: ['from', 'to', 'text'],
  registration: ['stat'],
  signal: ['rssi', 'ber?'],
  pause: [],
  resume: [],
  speed: ['value'],
  snapshot: ['name?'],
  restore: ['name'],
};

export const CLIENT_MESSAGE_TYPES = Object.keys(FIELDS) as ClientMessageType[];

/** UTF-8 length without allocating (the same count TextEncoder gives). */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** A message as text: checked, or a ProtocolError. `id` is set on the error when the message had a usable one. */
export function parseClientMessage(text: string): ClientMessage {
  if (utf8Length(text) > MAX_MESSAGE_BYTES) throw new ProtocolError('too-big', `a message is at most ${MAX_MESSAGE_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProtocolError('bad-json', 'the message is not JSON');
  }
  return checkClientMessage(value);
}

/** The id of a message that may be bad (for its error reply), if it has a usable one. */
export function requestIdOf(text: string): RequestId | undefined {
  if (utf8Length(text) > MAX_MESSAGE_BYTES) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    if (isObject(value) && isRequestId(value.id)) return value.id;
  } catch {
    // no id
  }
  return undefined;
}

/** A parsed JSON value as a message, or a ProtocolError. */
export function checkClientMessage(value: unknown): ClientMessage {
  if (!isObject(value)) throw new ProtocolError('bad-message', `a message is a JSON object with a "type", got ${describe(value)}`);
  const type = value.type;
  if (typeof type !== 'string') throw new ProtocolError('bad-message', `a message needs a string "type", got ${describe(type)}`);
  if (!Object.hasOwn(FIELDS, type)) throw new ProtocolError('unknown-type', `unknown message type ${JSON.stringify(type.slice(0, 40))} (known: ${CLIENT_MESSAGE_TYPES.join(', ')})`);
  const allowed = FIELDS[type as ClientMessageType];
  const names = new Set(['type', 'id', ...allowed.map((f) => f.replace('?', ''))]);
  for (const key of Object.keys(value)) {
    if (!names.has(key)) throw new ProtocolError('bad-field', `${type}: unknown field ${JSON.stringify(key.slice(0, 40))}`, key, type as ClientMessageType);
  }
  for (const f of allowed) {
    if (!f.endsWith('?') && !Object.hasOwn(value, f)) throw new ProtocolError('bad-field', `${type}: "${f}" is missing`, f, type as ClientMessageType);
  }
  if (Object.hasOwn(value, 'id') && !isRequestId(value.id)) {
    throw new ProtocolError('bad-field', `${type}: "id" must be a string of 1 to ${MAX_ID_LENGTH} characters or a safe integer, got ${describe(value.id)}`, 'id', type as ClientMessageType);
  }
  const v = value as Record<string, unknown>;
  const check = (field: string, ok: boolean, expected: string): void => {
    if (Object.hasOwn(v, field) && !ok) throw new ProtocolError('bad-field', `${type}: "${field}" must be ${expected}, got ${describe(v[field])}`, field, type as ClientMessageType);
  };
  switch (type as ClientMessageType) {
    case 'type':
      check('text', typeof v.text === 'string' && v.text.length >= 1 && v.text.length <= MAX_TYPE_TEXT && TYPE_TEXT.test(v.text), `1 to ${MAX_TYPE_TEXT} characters without control characters other than tab, CR and LF`);
      check('guest', isName(v.guest), 'a partition name');
      break;
    case 'call':
    case 'sms':
      check('from', typeof v.from === 'string' && PHONE_NUMBER.test(v.from), 'a phone number (an optional + and 1 to 20 digits, * or #)');
      check('to', isLineRef(v.to), 'a partition name, or the line 1 or 2');
      if (type === 'sms') check('text', typeof v.text === 'string' && v.text.length >= 1 && v.text.length <= SMS_MAX_TEXT && SMS_TEXT.test(v.text), `1 to ${SMS_MAX_TEXT} printable ASCII characters`);
      break;
    case 'farEnd':
      check('action', typeof v.action === 'string' && (FAR_END_ACTIONS as readonly string[]).includes(v.action), `one of ${FAR_END_ACTIONS.join(', ')}`);
      check('line', isLineRef(v.line), 'a partition name, or the line 1 or 2');
      break;
    case 'registration':
      check('stat', isIntIn(v.stat, 0, 5), 'an integer 0-5 (0 not registered, 1 home, 2 searching, 3 denied, 4 unknown, 5 roaming)');
      break;
    case 'signal':
      check('rssi', isIntIn(v.rssi, 0, 31) || v.rssi === 99, 'an integer 0-31, or 99 (unknown)');
      check('ber', isIntIn(v.ber, 0, 7) || v.ber === 99, 'an integer 0-7, or 99 (unknown)');
      break;
    case 'speed':
      check('value', typeof v.value === 'number' && Number.isFinite(v.value) && v.value >= MIN_SPEED && v.value <= MAX_SPEED, `a number from ${MIN_SPEED} to ${MAX_SPEED}`);
      break;
    case 'snapshot':
    case 'restore':
      check('name', typeof v.name === 'string' && SNAPSHOT_NAME.test(v.name), 'a name of 1 to 32 letters, digits, "-", "_" or "."');
      break;
    default:
      break;
  }
  return value as ClientMessage;
}

/** A phone number (as the modem's network side takes it: src/modem/network.ts). */
const PHONE_NUMBER = /^\+?[0-9*#]{1,20}$/;
/** One SMS (src/modem/network.ts SMS_MAX_TEXT, printable ASCII). */
const SMS_MAX_TEXT = 160;
const SMS_TEXT = /^[\x20-\x7e]*$/;
/** Typed text: anything but control characters other than tab, LF and CR. */
const TYPE_TEXT = /^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$/;
/** A partition name (src/hypervisor/config.ts NAME_RE). */
const NAME = /^[a-z][a-z0-9-]{0,14}$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRequestId(value: unknown): value is RequestId {
  return (typeof value === 'string' && value.length >= 1 && value.length <= MAX_ID_LENGTH) || (typeof value === 'number' && Number.isSafeInteger(value));
}

function isName(value: unknown): boolean {
  return typeof value === 'string' && NAME.test(value);
}

function isLineRef(value: unknown): boolean {
  return value === 1 || value === 2 || isName(value);
}

function isIntIn(value: unknown, low: number, high: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= low && value <= high;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 30 ? `${value.slice(0, 30)}…` : value);
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}
