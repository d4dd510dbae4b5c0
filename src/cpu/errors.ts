/** A failure of the engine or of emulated execution that the user should see as one line. */
export class CpuError extends Error {}

/** The Unicorn library (Debian libunicorn2) cannot be loaded. */
export class EngineUnavailableError extends Error {}
