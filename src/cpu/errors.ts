/** A failure of the engine or of emulated execution that the user should see as one line. */
export class CpuError extends Error {}
