/**
 * The virtual modem splitter (ARCHITECTURE §7, MODEM.md "What the splitter guarantees"): a hypervisor
 * service, the only user of the modem link, that gives each guest a virtual modem with one line, its own.
 *
 * The link runs in one fixed set-up (LINK_SETUP: no echo, verbose, numeric +CME errors, caller and called
 * line identification, +CRING, call waiting, text-mode SMS with +CMTI, ALS line tags on every line-specific
 * unsolicited result, unsolicited +CLCC). Each guest's own settings (echo, verbose, CMEE, CLIP, CRC, CCWA,
 * CREG, ...) are kept here and applied to what it receives.
 *
 * - Commands: each guest's lines are split into single commands, queued (GUEST_QUEUE lines at most; a line
 *   beyond is answered ERROR at once) and sent one at a time, guests taking turns; the response and the
 *   final result go only to the issuer. An SMS (`AT+CMGS`, its `> ` prompt, the text and Ctrl-Z/ESC) is one
 *   unit: the link is the issuer's until its final result.
 * - Lines: every line-specific unsolicited result comes after `^SALS: <line>` and goes only to that line's
 *   guest; network-wide ones (+CREG) go to every guest. +CLCC answers list only the asker's calls (the
 *   unsolicited +CLCC the link reports tell which call is on which line). Dialling goes out on the caller's
 *   line (`AT^SALS=1,<line>` first); answering, holding or hanging up a call of the other guest's line is
 *   refused with `+CME ERROR: 3`, and so is reading or deleting its SMS (`+CMS ERROR: 321`).
 * - Bounds: a guest's unread output is at most GUEST_OUTPUT bytes; when a result does not fit, the oldest
 *   whole results are dropped to make room (and counted): a guest that never reads loses its own oldest
 *   output, nobody else's. A command line is at most MAX_LINE characters (at.ts); longer is ERROR.
 *
 * Plain data in, plain data out: the kernel moves bytes between the guests' hypercalls, this object and
 * UART1 (through the bus). State is saved with `save()` and validated by `load()`.
 */
import { SnapshotError, type StateValue } from '../soc/device.ts';
import { assemblerStateProblem, CTRL_Z, ESC, LineAssembler, MAX_LINE, type AssemblerState, parseCommandLine, quote, type AtArg, type AtCommand } from './at.ts';

/** What the link is set to, once, before any guest command. */
export const LINK_SETUP = ['ATE0', 'ATV1', 'AT+CMEE=1', 'AT+CLIP=1', 'AT+CDIP=1', 'AT+CRC=1', 'AT+CCWA=1', 'AT+CMGF=1', 'AT+CNMI=2,1', 'AT+CREG=1', 'AT+CLCC=1', 'AT^SALS=1,1', 'AT^HCLCC'];
/** Lines a guest may have waiting for the link. */
export const GUEST_QUEUE = 8;
/** Bytes of a guest's unread output. */
export const GUEST_OUTPUT = 4096;
/** Bytes a guest may hand over in one MODEM_WRITE (what does not fit is taken by a later call). */
export const GUEST_WRITE = 256;

/** `rules` queued the command again behind commands of the splitter's own (dialling selects the line first). */
const DEFERRED = 'deferred';
/** Lines that continue a tagged unsolicited result (RING, +CRING or +CCWA, then the caller and called line). */
const GROUP_TAIL = /^\+(CLIP|CDIP): /;
const FINALS = /^(OK|ERROR|CONNECT|NO CARRIER|BUSY|NO ANSWER|NO DIALTONE|\+CME ERROR: ?\d+|\+CMS ERROR: ?\d+)$/;
const CALL_END = /^(NO CARRIER|BUSY|NO ANSWER)$/;
const NUMERIC: Record<string, number> = { OK: 0, CONNECT: 1, RING: 2, 'NO CARRIER': 3, ERROR: 4, 'NO DIALTONE': 6, BUSY: 7, 'NO ANSWER': 8 };

interface GuestSettings {
  echo: boolean;
  verbose: boolean;
  cmee: number;
  clip: boolean;
  cdip: boolean;
  crc: boolean;
  ccwa: boolean;
  creg: number;
  cnmi: boolean;
  clcc: boolean;
}

const DEFAULT_SETTINGS: GuestSettings = { echo: true, verbose: true, cmee: 0, clip: false, cdip: false, crc: false, ccwa: false, creg: 0, cnmi: true, clcc: false };

/** A command on its way to the link: who asked, the text sent, how its answer is treated. */
interface Pending {
  /** The guest, or -1 for the splitter's own commands. */
  guest: number;
  text: string;
  /** +CLCC: keep only the asker's calls; +CREG?: the asker's n; none: as is. */
  filter: 'clcc' | 'creg' | 'none';
  /** The last command of the guest's line: its final result goes out (earlier OKs do not). */
  last: boolean;
  /** Its line rules were applied already (it waits behind the splitter's own commands it needed). */
  checked?: boolean;
}

/** What the splitter answers itself: information lines and the final result. */
type LocalAnswer = { info: string[]; final: string };

interface GuestChannel {
  settings: GuestSettings;
  assembler: LineAssembler;
  /** Commands of its lines, in order, not yet sent. */
  queue: Pending[];
  /** Lines queued (for the bound). */
  lines: number;
  output: number[];
  dropped: number;
  /** It is typing an SMS text (after the `> ` prompt): bytes go to the link as they come. */
  sms: boolean;
}

export class Splitter {
  private readonly guests: GuestChannel[];
  /** Lines that own each guest: guest g has line g + 1. */
  private readonly internal: Pending[] = LINK_SETUP.map((text) => ({ guest: -1, text, filter: 'none' as const, last: true }));
  private inFlight: Pending | undefined;
  private response: string[] = [];
  private wire: number[] = [];
  private fromLink = '';
  /** The line the last `^SALS: <line>` named: the unsolicited results after it are that line's. */
  private tag: number | undefined;
  /** The next line is the tagged result itself. */
  private tagHead = false;
  /** The next line from the link is the text of the message AT+CMGR reads. */
  private textFollows = false;
  /** Call id → line (from unsolicited +CLCC). */
  private calls = new Map<number, { line: number; stat: number }>();
  /** SMS store index → line (from +CMTI). */
  private sms = new Map<number, number>();
  private turn = 0;
  /** Called when output arrives for guest g (the kernel raises its VIRQ_MODEM). */
  onOutput: ((guest: number) => void) | undefined;

  constructor(guestCount: number) {
    this.guests = Array.from({ length: guestCount }, () => newChannel());
  }

  get guestCount(): number {
    return this.guests.length;
  }

  // ---- the guests' side ----

  /** Bytes a guest writes to its modem; returns how many were taken (at most GUEST_WRITE). */
  fromGuest(g: number, bytes: Uint8Array): number {
    const ch = this.guests[g];
    const n = Math.min(bytes.length, GUEST_WRITE);
    for (let k = 0; k < n; k++) {
      const b = bytes[k];
      if (ch.sms) {
        this.smsByte(g, b);
        continue;
      }
      if (ch.settings.echo) this.deliver(g, String.fromCharCode(b));
      const e = ch.assembler.feed(b);
      if (e?.kind === 'overlong') this.answer(g, 'ERROR');
      else if (e?.kind === 'line') this.guestLine(g, e.body);
    }
    this.pump();
    return n;
  }

  /**
   * Guest g starts afresh (it rebooted): a fresh modem's settings, nothing queued, nothing to read. An
   * answer still due to it is dropped; an SMS it was typing is aborted.
   */
  resetGuest(g: number): void {
    const wasTyping = this.guests[g].sms;
    this.guests[g] = newChannel();
    if (this.inFlight?.guest === g) this.inFlight = { ...this.inFlight, guest: -1 };
    if (wasTyping) this.wire.push(ESC);
    this.pump();
  }

  /** Up to `max` bytes of output for guest g. */
  toGuest(g: number, max: number): Uint8Array {
    return Uint8Array.from(this.guests[g].output.splice(0, max));
  }

  // ---- the link's side ----

  /** Bytes for the modem (the kernel writes them to UART1), taken. */
  takeWire(): Uint8Array {
    this.pump();
    return Uint8Array.from(this.wire.splice(0));
  }

  /** Bytes from the modem. */
  fromModem(bytes: Uint8Array): void {
    for (const b of bytes) {
      this.fromLink += String.fromCharCode(b);
      if ((this.fromLink === '\r\n> ' || this.fromLink === '> ') && this.inFlight?.text.startsWith('AT+CMGS') === true) {
        this.prompt();
        this.fromLink = '';
      } else if (this.fromLink.endsWith('\r\n')) {
        const line = this.fromLink.slice(0, -2);
        this.fromLink = '';
        if (line !== '') this.linkLine(line);
      } else if (this.fromLink.length > 4 * MAX_LINE) {
        this.fromLink = ''; // garbage on the wire: drop it
      }
    }
    this.pump();
  }

  // ---- commands ----

  private guestLine(g: number, body: string): void {
    const ch = this.guests[g];
    const parsed = parseCommandLine(body);
    if (parsed.syntaxError && parsed.commands.length === 0) return this.answer(g, 'ERROR');
    if (ch.lines >= GUEST_QUEUE) return this.answer(g, 'ERROR'); // drop policy: a flooding guest's own lines
    const commands = parsed.commands;
    if (commands.length === 0) return this.answer(g, parsed.syntaxError ? 'ERROR' : 'OK');
    ch.lines++;
    commands.forEach((c, k) => ch.queue.push({ guest: g, text: `AT${commandText(c)}`, filter: 'none', last: k === commands.length - 1 && !parsed.syntaxError }));
    if (parsed.syntaxError) ch.queue.push({ guest: g, text: '', filter: 'none', last: true }); // ERROR after the good ones
  }

  /** Sends the next command if the link is free: the splitter's own first, then the guests in turn. */
  private pump(): void {
    while (this.inFlight === undefined) {
      const next = this.internal.shift() ?? this.nextGuestCommand();
      if (next === undefined) return;
      const local = next.guest >= 0 && !next.checked ? this.local(next) : undefined;
      if (local?.final === DEFERRED) continue; // it goes out after the splitter's own commands
      if (local !== undefined) {
        this.finish(next, local.final, local.info);
        continue;
      }
      this.inFlight = next;
      this.response = [];
      for (const c of `${next.text}\r`) this.wire.push(c.charCodeAt(0));
    }
  }

  private nextGuestCommand(): Pending | undefined {
    for (let k = 0; k < this.guests.length; k++) {
      const g = (this.turn + k) % this.guests.length;
      const p = this.guests[g].queue.shift();
      if (p === undefined) continue;
      if (p.last) {
        this.guests[g].lines--;
        this.turn = (g + 1) % this.guests.length;
      }
      return p;
    }
    return undefined;
  }

  /**
   * What the splitter answers itself (the final result), or undefined when the command goes to the link
   * (possibly rewritten, with its filter set). Enforces the line rules.
   */
  private local(p: Pending): LocalAnswer | undefined {
    const answer = this.rules(p);
    return typeof answer === 'string' ? { info: [], final: answer } : answer;
  }

  private rules(p: Pending): string | LocalAnswer | undefined {
    if (p.text === '') return 'ERROR';
    const g = p.guest;
    const s = this.guests[g].settings;
    const cmd = parseCommandLine(p.text.slice(2)).commands[0];
    const line = g + 1;
    const mine = [...this.calls].filter(([, c]) => c.line === line);
    const theirs = [...this.calls].filter(([, c]) => c.line !== line);
    const refuse = '+CME ERROR: 3';
    if (cmd.kind === 'dial') {
      // One radio: dialling would hold the other line's call in progress.
      if (theirs.some(([, c]) => c.stat <= 3)) return refuse;
      this.internal.push({ guest: -1, text: `AT^SALS=1,${line}`, filter: 'none', last: true });
      return this.sendAfterInternal(p);
    }
    if (cmd.kind === 'basic') {
      switch (cmd.name) {
        case 'E':
          s.echo = (cmd.value ?? 0) === 1;
          return 'OK';
        case 'V':
          s.verbose = (cmd.value ?? 0) === 1;
          return 'OK';
        case 'Z':
        case '&F':
          this.guests[g].settings = { ...DEFAULT_SETTINGS };
          return 'OK';
        case 'A': {
          const incoming = [...this.calls].find(([, c]) => c.stat === 4 || c.stat === 5);
          if (incoming === undefined) return undefined; // the modem says what there is to answer
          if (incoming[1].line !== line) return refuse;
          if (incoming[1].stat === 5) return theirs.length > 0 ? refuse : (p.text = 'AT+CHLD=2', undefined);
          return undefined;
        }
        case 'H':
          return this.hangUp(p, mine.map(([id]) => id), theirs.length > 0);
      }
      return undefined;
    }
    if (cmd.kind !== 'extended') return undefined;
    const set = cmd.form === 'set';
    const n = (k: number) => (cmd.args[k]?.kind === 'token' ? Number((cmd.args[k] as { text: string }).text) : NaN);
    switch (cmd.name) {
      case '+CMEE':
        if (set && [0, 1, 2].includes(n(0))) return (s.cmee = n(0)), 'OK';
        return undefined;
      case '+CLIP':
      case '+CDIP':
      case '+CRC':
      case '+CCWA':
        if (cmd.form === 'read' && cmd.name !== '+CCWA') {
          const on = cmd.name === '+CLIP' ? s.clip : cmd.name === '+CDIP' ? s.cdip : s.crc;
          return { info: [`${cmd.name}: ${on ? 1 : 0}${cmd.name === '+CRC' ? '' : ',1'}`], final: 'OK' };
        }
        if (!set || ![0, 1].includes(n(0))) return undefined;
        if (cmd.name === '+CLIP') s.clip = n(0) === 1;
        else if (cmd.name === '+CDIP') s.cdip = n(0) === 1;
        else if (cmd.name === '+CRC') s.crc = n(0) === 1;
        else s.ccwa = n(0) === 1;
        return 'OK';
      case '+CREG':
        if (set && [0, 1, 2].includes(n(0))) return (s.creg = n(0)), 'OK';
        if (cmd.form === 'read') p.filter = 'creg';
        return undefined;
      case '+CMGF':
        if (set) return n(0) === 1 ? 'OK' : '+CME ERROR: 4'; // the link is in text mode: no PDU mode
        if (cmd.form === 'read') return { info: ['+CMGF: 1'], final: 'OK' };
        return undefined;
      case '+CNMI':
        if (set) return (s.cnmi = n(0) !== 0 && n(1) !== 0), 'OK';
        return undefined;
      case '+CNUM':
        return { info: [`+CNUM: ,${quote(this.numberOf(line))},${this.numberOf(line).startsWith('+') ? 145 : 129}`], final: 'OK' };
      case '^SALS':
        return 'ERROR'; // a one-line modem has no line selection
      case '+CLCC':
        // The link always reports call changes (+CLCC=1); a guest that asks gets those of its own line.
        if (set && [0, 1].includes(n(0))) return (s.clcc = n(0) === 1), 'OK';
        if (cmd.form === 'action') p.filter = 'clcc';
        return undefined;
      case '+CHUP':
        return this.hangUp(p, mine.map(([id]) => id), theirs.length > 0);
      case '+CHLD': {
        if (!set) return undefined;
        const arg = cmd.args[0]?.kind === 'token' ? (cmd.args[0] as { text: string }).text : '';
        if (arg.length >= 2) return this.calls.get(Number(arg.slice(1)))?.line === line ? undefined : refuse;
        return theirs.length > 0 ? refuse : undefined; // affects every call: only when all are the guest's
      }
      case '+CMGS':
        if (!set) return undefined;
        this.internal.push({ guest: -1, text: `AT^SALS=1,${line}`, filter: 'none', last: true }); // sent from the guest's own line
        return this.sendAfterInternal(p);
      case '+CMGR':
      case '+CMGD':
        if (set && this.sms.get(n(0)) !== line) return '+CMS ERROR: 321';
        return undefined;
    }
    return undefined;
  }

  /** ATH / AT+CHUP: release the guest's own calls one by one; the other line's calls are not the guest's to end. */
  private hangUp(p: Pending, own: number[], othersHaveCalls: boolean): string | undefined {
    if (own.length === 0) return othersHaveCalls ? '+CME ERROR: 3' : 'OK';
    own.slice(1).forEach((id) => this.internal.push({ guest: -1, text: `AT+CHLD=1${id}`, filter: 'none', last: true }));
    p.text = `AT+CHLD=1${own[0]}`;
    return undefined;
  }

  /** A command that must follow the splitter commands just queued: requeue it right after them. */
  private sendAfterInternal(p: Pending): string | undefined {
    this.internal.push({ ...p, checked: true });
    return DEFERRED;
  }

  private numberOf(line: number): string {
    return this.numbers[line - 1] ?? '';
  }

  /** Set by the kernel: the numbers of the lines (guest g has line g + 1). */
  numbers: string[] = [];

  // ---- what the link says ----

  private linkLine(line: string): void {
    const p = this.inFlight;
    // The text of a message being read is data, whatever it looks like (a tag, a final result, a prompt).
    if (this.textFollows && p !== undefined) {
      this.textFollows = false;
      this.response.push(line);
      return;
    }
    if (p?.text.startsWith('AT+CMGR') === true && line.startsWith('+CMGR: ')) this.textFollows = true;
    if (p?.text === 'AT^HCLCC' && line.startsWith('^HCLCC: ')) {
      const f = line.slice(8).split(',');
      this.calls.set(Number(f[0]), { line: Number(f[f.length - 1]), stat: Number(f[2]) });
      return;
    }
    if (line.startsWith('^SALS: ') && !(p !== undefined && p.text === 'AT^SALS?')) {
      this.tag = Number(line.slice(7).split(',')[0]);
      this.tagHead = true;
      return;
    }
    // A tagged unsolicited result: the line after the tag, and the +CLIP / +CDIP lines that follow it.
    if (this.tag !== undefined && (this.tagHead || GROUP_TAIL.test(line))) {
      this.tagHead = false;
      return this.unsolicited(line);
    }
    this.tag = undefined;
    if (p !== undefined && FINALS.test(line)) {
      this.inFlight = undefined;
      this.finish(p, line, this.response);
      return;
    }
    // While a command is answered the baseband holds its unsolicited results back (docs/modem.md): an
    // untagged line then is the answer, unless it is a +CREG the command did not ask for.
    if (p === undefined || (line.startsWith('+CREG: ') && !p.text.startsWith('AT+CREG'))) return this.unsolicited(line);
    this.response.push(line);
  }

  private unsolicited(line: string): void {
    const owner = this.tag === undefined ? undefined : this.tag - 1;
    if (line.startsWith('+CLCC: ')) {
      const [id, , stat] = line.slice(7).split(',').map(Number);
      if (this.tag !== undefined) {
        if (stat === 6) this.calls.delete(id);
        else this.calls.set(id, { line: this.tag, stat });
        if (owner !== undefined && owner < this.guests.length && this.guests[owner].settings.clcc) this.deliverLine(owner, line);
      }
      return;
    }
    if (line.startsWith('+CMTI: ') && this.tag !== undefined) this.sms.set(Number(line.split(',')[1]), this.tag);
    if (line.startsWith('+CREG: ')) {
      this.guests.forEach((ch, g) => ch.settings.creg > 0 && this.deliverLine(g, ch.settings.creg === 1 ? line.split(',').slice(0, 1).join(',') : line));
      return;
    }
    if (owner === undefined || owner >= this.guests.length) return; // a line nobody has: nobody hears it
    const s = this.guests[owner].settings;
    if (line === '+CRING: VOICE' && !s.crc) return this.deliverLine(owner, s.verbose ? 'RING' : String(NUMERIC.RING));
    if ((line.startsWith('+CLIP: ') && !s.clip) || (line.startsWith('+CDIP: ') && !s.cdip) || (line.startsWith('+CCWA: ') && !s.ccwa)) return;
    if (line.startsWith('+CMTI: ') && !s.cnmi) return;
    this.deliverLine(owner, CALL_END.test(line) && !s.verbose ? String(NUMERIC[line]) : line);
  }

  /** The `> ` prompt of AT+CMGS: the issuer types its text now, straight to the link. */
  private prompt(): void {
    const p = this.inFlight;
    if (p === undefined) return;
    if (p.guest < 0) {
      this.wire.push(ESC); // its guest rebooted before the prompt came: abort the message
      return;
    }
    this.guests[p.guest].sms = true;
    this.deliver(p.guest, '\r\n> ');
  }

  private smsByte(g: number, b: number): void {
    if (this.guests[g].settings.echo && b !== CTRL_Z && b !== ESC) this.deliver(g, String.fromCharCode(b));
    this.wire.push(b);
    if (b === CTRL_Z || b === ESC) this.guests[g].sms = false;
  }

  /** A command's answer: information lines (filtered) and, for the last command of a line, its final result. */
  private finish(p: Pending, final: string, response: string[] = []): void {
    if (p.guest < 0) return;
    const g = p.guest;
    const ch = this.guests[g];
    ch.sms = false;
    let info = response;
    if (p.filter === 'clcc') info = info.filter((l) => this.calls.get(Number(l.slice(7).split(',')[0]))?.line === g + 1);
    if (p.filter === 'creg') info = info.map((l) => l.replace(/^\+CREG: \d+/, `+CREG: ${ch.settings.creg}`));
    const failed = final !== 'OK';
    if (failed) {
      // The rest of the guest's line is not run after an error (V.250).
      const rest = ch.queue.findIndex((q) => q.last);
      if (!p.last && rest >= 0) {
        ch.queue.splice(0, rest + 1);
        ch.lines--;
      }
    }
    if (!p.last && !failed) {
      for (const l of info) this.deliverLine(g, l);
      return;
    }
    this.info(g, info, final);
  }

  /** Information lines then a final result, formatted by the guest's settings. */
  private info(g: number, lines: string[], final: string): void {
    for (const l of lines) this.deliverLine(g, l);
    this.answer(g, final);
  }

  private answer(g: number, final: string): void {
    const s = this.guests[g].settings;
    let text = final;
    const cme = /^\+CME ERROR: ?(\d+)$/.exec(final);
    if (cme && s.cmee === 0) text = 'ERROR';
    if (!s.verbose) {
      const code = NUMERIC[text];
      this.deliver(g, code !== undefined ? `${code}\r` : `${text}\r\n`);
      return;
    }
    this.deliverLine(g, text);
  }

  private deliverLine(g: number, line: string): void {
    this.deliver(g, `\r\n${line}\r\n`);
  }

  /** Adds output for guest g; the oldest output goes when it would not fit (a guest that never reads). */
  private deliver(g: number, text: string): void {
    const ch = this.guests[g];
    const bytes = [...text].map((c) => c.charCodeAt(0) & 0xff);
    const over = ch.output.length + bytes.length - GUEST_OUTPUT;
    if (over > 0) {
      ch.output.splice(0, over);
      ch.dropped += over;
    }
    ch.output.push(...bytes.slice(-GUEST_OUTPUT));
    this.onOutput?.(g);
  }

  // ---- snapshots ----

  save(): StateValue {
    return {
      guests: this.guests.map((ch) => ({
        settings: { ...ch.settings },
        assembler: ch.assembler.save() as unknown as StateValue,
        queue: ch.queue.map((p) => ({ ...p })),
        lines: ch.lines,
        output: [...ch.output],
        dropped: ch.dropped,
        sms: ch.sms,
      })),
      internal: this.internal.map((p) => ({ ...p })),
      inFlight: this.inFlight === undefined ? null : { ...this.inFlight },
      response: [...this.response],
      wire: [...this.wire],
      fromLink: this.fromLink,
      tag: this.tag ?? null,
      tagHead: this.tagHead,
      textFollows: this.textFollows,
      calls: [...this.calls].map(([id, c]) => [id, c.line, c.stat]),
      sms: [...this.sms],
      turn: this.turn,
    };
  }

  load(state: StateValue): void {
    if (typeof state !== 'object' || state === null || Array.isArray(state)) throw new SnapshotError('splitter', '', 'expected an object');
    const s = state as Record<string, unknown>;
    const guests = s.guests;
    if (!Array.isArray(guests) || guests.length !== this.guests.length) throw new SnapshotError('splitter', 'guests', `expected ${this.guests.length} channels`);
    try {
      guests.forEach((v, g) => {
        const c = v as Record<string, unknown>;
        const ch = newChannel();
        ch.settings = { ...DEFAULT_SETTINGS, ...(c.settings as object) };
        const problem = assemblerStateProblem(c.assembler as AssemblerState);
        if (problem !== undefined) throw new Error(problem);
        ch.assembler.load(c.assembler as AssemblerState);
        ch.queue = (c.queue as Pending[]).map((p) => ({ ...p }));
        ch.lines = c.lines as number;
        ch.output = [...(c.output as number[])];
        ch.dropped = c.dropped as number;
        ch.sms = c.sms as boolean;
        this.guests[g] = ch;
      });
      this.internal.splice(0, this.internal.length, ...(s.internal as Pending[]).map((p) => ({ ...p })));
      this.inFlight = s.inFlight === null ? undefined : { ...(s.inFlight as Pending) };
      this.response = [...(s.response as string[])];
      this.wire = [...(s.wire as number[])];
      this.fromLink = s.fromLink as string;
      this.tag = s.tag === null ? undefined : (s.tag as number);
      this.tagHead = s.tagHead as boolean;
      this.textFollows = s.textFollows as boolean;
      this.calls = new Map((s.calls as number[][]).map(([id, line, stat]) => [id, { line, stat }]));
      this.sms = new Map(s.sms as [number, number][]);
      this.turn = s.turn as number;
    } catch (e) {
      throw new SnapshotError('splitter', '', `malformed state (${e instanceof Error ? e.message : String(e)})`);
    }
  }
}

function newChannel(): GuestChannel {
  return { settings: { ...DEFAULT_SETTINGS }, assembler: new LineAssembler(), queue: [], lines: 0, output: [], dropped: 0, sms: false };
}

/** One parsed command as the text of a command (after `AT`). */
function commandText(c: AtCommand): string {
  switch (c.kind) {
    case 'basic':
      return `${c.name}${c.value ?? ''}`;
    case 'dial':
      return `D${c.dial}${c.voice ? ';' : ''}`;
    case 'sreg':
      return `S${c.register}${c.value === undefined ? '?' : `=${c.value}`}`;
    case 'extended': {
      if (c.form === 'read') return `${c.name}?`;
      if (c.form === 'test') return `${c.name}=?`;
      if (c.form === 'action') return c.name;
      return `${c.name}=${c.args.map(argText).join(',')}`;
    }
  }
}

function argText(a: AtArg): string {
  return a.kind === 'empty' ? '' : a.kind === 'string' ? quote(a.value) : a.text;
}

