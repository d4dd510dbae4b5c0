/**
 * Both guests' consoles on one stream: every line starts with its guest's name, `[work] ` or `[home] `.
 * A line is shown as it is written (a prompt appears before its newline); when another guest writes in
 * the middle of it, the line is ended there and continued later on a new prefixed line (and the newline
 * that finally ends it is not shown again as an empty line).
 */
export class GuestConsoleWriter {
  /** The guest whose line is open (written to, not yet ended), if any. */
  private open: string | undefined;
  /** Guests whose line another guest's output ended on screen before they ended it themselves. */
  private readonly broken = new Set<string>();

  constructor(private readonly write: (bytes: Uint8Array) => void) {}

  add(guest: string, bytes: Uint8Array): void {
    let start = 0;
    if (this.broken.delete(guest) && bytes[0] === 0x0a) start = 1; // that line already ended on screen
    while (start < bytes.length) {
      if (this.open !== guest) {
        this.endLine();
        this.write(Buffer.from(`[${guest}] `));
        this.open = guest;
      }
      const end = bytes.indexOf(0x0a, start);
      const stop = end < 0 ? bytes.length : end + 1;
      this.write(bytes.subarray(start, stop));
      if (end >= 0) this.open = undefined;
      start = stop;
    }
  }

  /** Ends a line left open, so that what follows (another guest, a report) starts on a line of its own. */
  endLine(): void {
    if (this.open === undefined) return;
    this.write(NEWLINE);
    this.broken.add(this.open);
    this.open = undefined;
  }
}

const NEWLINE = Uint8Array.of(0x0a);
