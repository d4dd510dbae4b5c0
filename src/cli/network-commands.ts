/**
 * The modem's network side from the terminal of `handset run` (Ctrl-N, then a command line), as scenarios
 * drive it from files (docs/scenarios.md "Network steps"):
 *   call NUMBER PHONE        a call from NUMBER to that phone's line (PHONE: work, home, or 1 / 2)
 *   answer | hangup | busy | noanswer   the far end of the latest call
 *   sms NUMBER PHONE TEXT    an SMS from NUMBER to that phone's line
 *   reg STAT                 registration (+CREG <stat>, 0-5)
 *   signal RSSI              signal strength (+CSQ <rssi>, 0-31 or 99)
 *   calls                    the calls the network sees
 */
import { NetworkError, type Network } from '../modem/network.ts';

export const NETWORK_HELP = 'call NUMBER PHONE | answer | hangup | busy | noanswer | sms NUMBER PHONE TEXT | reg STAT | signal RSSI | calls';

/** Runs one command line; returns what to show (one or more lines, without the trailing newline). */
export function networkCommand(line: string, network: Network | undefined, phones: readonly string[]): string {
  if (network === undefined) return 'no modem: the handset runs without the built-in baseband';
  const words = line.trim().split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return NETWORK_HELP;
  const [verb, ...args] = words;
  const lineOf = (phone: string | undefined): 1 | 2 => {
    if (phone === '1' || phone === '2') return Number(phone) as 1 | 2;
    const i = phone === undefined ? -1 : phones.indexOf(phone);
    if (i < 0 || i > 1) throw new NetworkError(`no such phone line: ${phone ?? '(none)'} (the lines are ${phones.slice(0, 2).join(', ')}, or 1 and 2)`);
    return (i + 1) as 1 | 2;
  };
  try {
    switch (verb) {
      case 'call': {
        if (args.length !== 2) return 'usage: call NUMBER PHONE';
        const r = network.incomingCall(args[0], lineOf(args[1]));
        return r.accepted ? `calling ${args[1]} from ${args[0]}` : `the call did not go through: ${r.reason}`;
      }
      case 'answer':
      case 'hangup':
      case 'busy':
      case 'noanswer':
        if (args.length !== 0) return `usage: ${verb}`;
        ({ answer: () => network.answer(), hangup: () => network.hangUp(), busy: () => network.busy(), noanswer: () => network.noAnswer() })[verb]();
        return `far end: ${verb}`;
      case 'sms': {
        if (args.length < 3) return 'usage: sms NUMBER PHONE TEXT';
        const r = network.incomingSms(args[0], lineOf(args[1]), args.slice(2).join(' '));
        return r.accepted ? `sms to ${args[1]} from ${args[0]}` : `the SMS was not delivered: ${r.reason}`;
      }
      case 'reg':
      case 'signal': {
        const n = Number(args[0]);
        if (args.length !== 1 || !Number.isInteger(n)) return `usage: ${verb} ${verb === 'reg' ? 'STAT' : 'RSSI'}`;
        if (verb === 'reg') network.registration(n);
        else network.signal(n);
        return `${verb === 'reg' ? 'registration' : 'signal'} ${n}`;
      }
      case 'calls': {
        const calls = network.calls();
        if (calls.length === 0) return 'no calls';
        return calls.map((c) => `call ${c.id}: line ${c.line} (${phones[c.line - 1] ?? '-'}) ${c.direction} ${c.number} ${c.state}`).join('\n');
      }
      default:
        return `unknown network command: ${verb} (${NETWORK_HELP})`;
    }
  } catch (e) {
    if (e instanceof NetworkError) return e.message;
    throw e;
  }
}
