/**
 * Host input for the console (UART0 receive and semihosting reads). The machine asks for bytes only when
 * the firmware looks for them (it polls an empty receive FIFO, reads through semihosting, or waits with
 * nothing else to wake it), so piped input reaches the firmware at the same points on every run.
 */
export interface ConsoleInput {
  /**
   * Up to `max` bytes. With `block`, waits until at least one byte is there or input has ended; without,
   * returns what is already there. An empty result means nothing (now, or ever after end of input).
   */
  read(max: number, block: boolean): Uint8Array;
}

/** Input from a fixed byte string (tests, scripted runs). */
export function bytesInput(data: Uint8Array | string): ConsoleInput {
  let bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  return {
    read(max) {
      const out = bytes.subarray(0, max);
      bytes = bytes.subarray(out.length);
      return out;
    },
  };
}
