/** Any bad image input. The message is one line and starts with the file name, ready for the CLI to print. */
export class LoadError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'LoadError';
  }
}

/** An address or size as 0x%08x (wider values, such as an end at 2^32, keep all their digits). */
export function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}
