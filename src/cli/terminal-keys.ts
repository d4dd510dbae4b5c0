/**
 * Keys typed on a terminal during `handset run`: a small line editor for the foreground phone (the
 * terminal is in key mode, so handset echoes), and the hotkeys:
 *   Ctrl-B  the button (the other phone comes to the foreground)
 *   Ctrl-T  status of every partition (cycles used, share, hypercalls, vIRQs, faults, state)
 *   Ctrl-N  the next line is a command for the modem's network side (src/cli/network-commands.ts)
 * Backspace deletes, Ctrl-U clears the line, Enter sends it (its local echo is erased: the phone echoes
 * the line it receives); Ctrl-C ends the run (a signal, as anywhere).
 */
export const HOTKEYS = { button: 0x02, status: 0x14, network: 0x0e } as const;

export interface KeyActions {
  /** Show these bytes as typed: on the foreground phone's line, or on the network command line. */
  echo(bytes: Uint8Array, network: boolean): void;
  /** A finished line, with its "\n", for the foreground phone. */
  line(bytes: Uint8Array): void;
  button(): void;
  status(): void;
  /** Ctrl-N: the line being typed is now a network command (show its prompt). */
  networkPrompt(): void;
  /** A finished network command line (without its "\n"). */
  networkLine(text: string): void;
}

const BACKSPACE = [0x7f, 0x08];
const KILL_LINE = 0x15;
const MAX_LINE = 1024;

export class LineEditor {
  private typed: number[] = [];
  /** The line being typed is a network command (Ctrl-N), not input for the phone. */
  private network = false;

  constructor(private readonly actions: KeyActions) {}

  /** Takes the local echo of the line off the screen. */
  private erase(): void {
    const characters = this.typed.filter((x) => (x & 0xc0) !== 0x80).length;
    for (let i = 0; i < characters; i++) this.actions.echo(Uint8Array.of(0x08, 0x20, 0x08), this.network);
  }

  feed(bytes: Uint8Array): void {
    for (const b of bytes) this.key(b);
  }

  private key(b: number): void {
    const a = this.actions;
    if (b === HOTKEYS.button) return a.button();
    if (b === HOTKEYS.status) return a.status();
    if (b === HOTKEYS.network) {
      if (this.network) return;
      this.erase();
      this.network = true;
      a.networkPrompt();
      a.echo(Uint8Array.from(this.typed), true);
      return;
    }
    if (b === 0x0d || b === 0x0a) {
      if (this.network) {
        this.network = false;
        a.echo(Uint8Array.of(0x0a), true);
        a.networkLine(Buffer.from(this.typed).toString('utf8'));
      } else {
        // The phone echoes the line it receives: the local echo makes way for it.
        this.erase();
        a.line(Uint8Array.from([...this.typed, 0x0a]));
      }
      this.typed = [];
      return;
    }
    if (BACKSPACE.includes(b)) {
      if (this.typed.length === 0) return;
      // A UTF-8 character goes whole: drop continuation bytes, then its first byte.
      while (this.typed.length > 0 && (this.typed[this.typed.length - 1] & 0xc0) === 0x80) this.typed.pop();
      this.typed.pop();
      a.echo(Uint8Array.of(0x08, 0x20, 0x08), this.network);
      return;
    }
    if (b === KILL_LINE) {
      this.erase();
      this.typed = [];
      return;
    }
    if (b < 0x20 || this.typed.length >= MAX_LINE) return; // other control keys are not for the phones
    this.typed.push(b);
    a.echo(Uint8Array.of(b), this.network);
  }
}
