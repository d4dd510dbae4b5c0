/** Parsing and validation of CLI option values: every bad value is a UsageError with one line. */
import { RAM_SIZES_MIB } from '../soc/board.ts';

export class UsageError extends Error {}

/** "128M", "192M", "256M" (also "128MiB", "256m"). */
export function parseRamSize(text: string): number {
  const m = /^(\d+)\s*(m|mb|mib)?$/i.exec(text.trim());
  const mib = m ? Number(m[1]) : NaN;
  if (!(RAM_SIZES_MIB as readonly number[]).includes(mib)) {
    throw new UsageError(`--ram ${text}: RAM must be one of ${RAM_SIZES_MIB.map((s) => `${s}M`).join(', ')}`);
  }
  return mib * 1024 * 1024;
}

/** A 32-bit address in decimal or 0x hex. */
export function parseAddress(option: string, text: string): number {
  const t = text.trim();
  const value = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t, 16) : /^\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new UsageError(`${option} ${text}: not a 32-bit address (decimal or 0x hex)`);
  }
  return value;
}

/** Core clock in MHz (1 to 2000), returned in Hz. */
export function parseClockMhz(text: string): number {
  const mhz = Number(text);
  if (!Number.isFinite(mhz) || mhz < 1 || mhz > 2000 || !Number.isInteger(mhz * 1_000_000)) {
    throw new UsageError(`--clock ${text}: clock must be a number of MHz from 1 to 2000`);
  }
  return Math.round(mhz * 1_000_000);
}

/** A positive whole count (instructions, cycles); accepts 1e6 and 1_000_000 spellings. */
export function parseCount(option: string, text: string): number {
  const value = Number(text.replaceAll('_', ''));
  if (!Number.isSafeInteger(value) || value <= 0) throw new UsageError(`${option} ${text}: need a positive whole number`);
  return value;
}

export const LOG_CLASSES = ['guest-errors', 'unimp'] as const;
export type LogClassName = (typeof LOG_CLASSES)[number];

export function parseLogClasses(text: string): Set<LogClassName> {
  const out = new Set<LogClassName>();
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(LOG_CLASSES as readonly string[]).includes(part)) {
      throw new UsageError(`--log ${part}: unknown log class (known: ${LOG_CLASSES.join(', ')})`);
    }
    out.add(part as LogClassName);
  }
  return out;
}

/** A trace window bound: "N" is an instruction index, "Nc" a cycle. */
export function parseTracePoint(option: string, text: string): { index?: number; cycle?: number } {
  const m = /^(\d[\d_]*)(c)?$/i.exec(text.trim());
  const value = m ? Number(m[1].replaceAll('_', '')) : NaN;
  if (!Number.isSafeInteger(value)) {
    throw new UsageError(`${option} ${text}: need an instruction index N or a cycle Nc (e.g. 1000 or 50000c)`);
  }
  return m![2] ? { cycle: value } : { index: value };
}

/** An address range "BEGIN-END" (END exclusive), each decimal or 0x hex. */
export function parseAddressRange(option: string, text: string): { begin: number; end: number } {
  const parts = text.split('-');
  if (parts.length !== 2) throw new UsageError(`${option} ${text}: need BEGIN-END, e.g. 0x8000-0x9000`);
  const begin = parseAddress(option, parts[0]);
  const end = parseAddress(option, parts[1]);
  if (end <= begin) throw new UsageError(`${option} ${text}: END must be above BEGIN`);
  return { begin, end };
}
