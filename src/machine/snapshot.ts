/**
 * Snapshots: the whole emulation state as one file (docs/snapshot-format.md). Layout:
 *   "HANDSNAP" (8 bytes) | format version (u32 LE) | gzip( JSON length (u32 LE) | JSON | RAM chunks )
 * The JSON holds every part's plain-data state (CPU, block clock, clock, devices, personality, modem) and the list
 * of RAM chunks that hold a non-zero byte; their bytes follow in that order. gzip's CRC and length catch
 * corruption and truncation. The same state always gives the same bytes.
 */
import { constants as bufferConstants } from 'node:buffer';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { BlockClockState } from '../cpu/block-clock.ts';
import type { Cpu } from '../cpu/cpu.ts';
import { cpuStateProblem, type CpuState } from '../cpu/cpu-state.ts';
import { loadBoard, saveBoard, type Board, type BoardState } from '../soc/board.ts';
import type { Clock, ClockState } from '../soc/clock.ts';
import { SnapshotError, type StateValue } from '../soc/device.ts';
import { StateReader } from '../soc/state.ts';
import type { MachineConfig } from './machine.ts';
import type { Personality } from './personality.ts';

export const SNAPSHOT_MAGIC = 'HANDSNAP';
export const SNAPSHOT_VERSION = 2;
/** RAM is saved in chunks of this size; chunks of zeros are left out. */
const CHUNK = 64 * 1024;
/** A snapshot's JSON part is small (registers and device state); anything bigger is not ours. */
const MAX_JSON = 64 * 1024 * 1024;

/** A snapshot that cannot be restored: one line saying why. */
export class SnapshotFileError extends Error {}

/** A part outside the board that keeps plain-data state (the modem behind UART1). */
export interface SnapshotPart {
  save(): StateValue;
  load(state: StateValue): void;
}

export interface MachineParts {
  config: MachineConfig;
  cpu: Cpu;
  clock: Clock;
  board: Board;
  personality: Personality;
  /** Absent when the machine has no modem. */
  modem?: SnapshotPart;
}

/** The machine's own run-loop state. */
export interface RunState {
  loaded: boolean;
  waitingAt: number | null;
}

interface SnapshotJson {
  config: MachineConfig;
  cpu: CpuState;
  blockClock: BlockClockState;
  clock: ClockState;
  board: BoardState;
  personality: StateValue;
  modem: StateValue | null;
  machine: RunState;
  ram: { base: number; size: number; chunk: number; chunks: number[] }[];
}

export function takeSnapshot(parts: MachineParts & { machine: RunState }): Uint8Array {
  const { cpu } = parts;
  const ram = cpu.ramRegions.map((r) => ({ base: r.base, size: r.size, chunk: CHUNK, chunks: r.nonZeroChunks(CHUNK) }));
  const json: SnapshotJson = {
    config: parts.config,
    cpu: cpu.saveState(),
    blockClock: cpu.clock.save(),
    clock: parts.clock.save(),
    board: saveBoard(parts.board),
    personality: parts.personality.save(),
    modem: parts.modem?.save() ?? null,
    machine: parts.machine,
    ram,
  };
  const text = Buffer.from(JSON.stringify(json), 'utf8');
  const pieces: Uint8Array[] = [u32(text.length), text];
  for (const region of ram) {
    for (const index of region.chunks) pieces.push(cpu.readMemory(region.base + index * CHUNK, chunkLength(region, index)));
  }
  const header = Buffer.alloc(12);
  header.write(SNAPSHOT_MAGIC, 0, 'latin1');
  header.writeUInt32LE(SNAPSHOT_VERSION, 8);
  return Buffer.concat([header, gzipSync(Buffer.concat(pieces), { level: 6 })]);
}

/** Reads the configuration a snapshot was taken with (to build a matching machine). */
export function snapshotConfig(bytes: Uint8Array): MachineConfig {
  return parse(bytes).json.config;
}

/** Validates a snapshot against the machine and loads it; returns the run-loop state. */
export function restoreSnapshot(bytes: Uint8Array, parts: MachineParts): RunState {
  const { json, ram } = parse(bytes);
  const mine = parts.config;
  for (const key of ['cpu', 'ramSize', 'clockHz', 'timing', 'personality'] as const) {
    if (json.config[key] !== mine[key]) {
      throw new SnapshotFileError(`snapshot was taken with ${key} ${String(json.config[key])}, this machine has ${String(mine[key])}`);
    }
  }
  if ((json.modem === null) !== (parts.modem === undefined)) {
    throw new SnapshotFileError(`snapshot was taken ${json.modem === null ? 'without' : 'with'} a modem, this machine has ${parts.modem === undefined ? 'none' : 'one'}`);
  }
  const problem = cpuStateProblem(json.cpu, Object.keys(parts.cpu.saveState().cp15));
  if (problem !== undefined) throw new SnapshotFileError(`corrupt snapshot: ${problem}`);
  const blockClock = readBlockClock(json.blockClock);
  const machine = readRunState(json.machine);
  const regions = parts.cpu.ramRegions;
  if (json.ram.length !== regions.length || json.ram.some((r, k) => r.base !== regions[k].base || r.size !== regions[k].size)) {
    throw new SnapshotFileError('corrupt snapshot: its RAM regions are not this machine\'s');
  }
  const { cpu } = parts;
  checked(() => {
    // All or nothing: the parts that check their state while loading it (clock, devices, personality) go
    // first and get their previous state back if one of them refuses; RAM and registers, checked above, last.
    const previous = { clock: parts.clock.save(), board: saveBoard(parts.board), personality: parts.personality.save(), modem: parts.modem?.save() };
    try {
      parts.clock.load(json.clock);
      loadBoard(parts.board, json.board);
      parts.personality.load(json.personality);
      if (json.modem !== null) parts.modem?.load(json.modem);
    } catch (e) {
      parts.clock.load(previous.clock);
      loadBoard(parts.board, previous.board);
      parts.personality.load(previous.personality);
      if (previous.modem !== undefined) parts.modem?.load(previous.modem);
      throw e;
    }
    let at = 0;
    json.ram.forEach((saved, k) => {
      const keep = new Set(saved.chunks);
      for (const index of regions[k].nonZeroChunks(CHUNK)) {
        if (!keep.has(index)) cpu.writeMemory(saved.base + index * CHUNK, new Uint8Array(chunkLength(saved, index)));
      }
      for (const index of saved.chunks) {
        const length = chunkLength(saved, index);
        cpu.writeMemory(saved.base + index * CHUNK, ram.subarray(at, at + length));
        at += length;
      }
    });
    cpu.loadState(json.cpu);
    cpu.clock.load(blockClock);
  });
  return machine;
}

function parse(bytes: Uint8Array): { json: SnapshotJson; ram: Uint8Array } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== SNAPSHOT_MAGIC) throw new SnapshotFileError('not a handset snapshot (bad magic)');
  const version = buf.readUInt32LE(8);
  if (version !== SNAPSHOT_VERSION) throw new SnapshotFileError(`snapshot format version ${version} is not supported (this handset reads version ${SNAPSHOT_VERSION})`);
  let body: Buffer;
  try {
    body = gunzipSync(buf.subarray(12), { maxOutputLength: bufferConstants.MAX_LENGTH });
  } catch (e) {
    throw new SnapshotFileError(`corrupt or truncated snapshot (${(e as Error).message})`);
  }
  if (body.length < 4) throw new SnapshotFileError('corrupt snapshot: no header');
  const length = body.readUInt32LE(0);
  if (length > MAX_JSON || 4 + length > body.length) throw new SnapshotFileError('corrupt snapshot: bad header length');
  let json: SnapshotJson;
  try {
    json = JSON.parse(body.toString('utf8', 4, 4 + length)) as SnapshotJson;
  } catch {
    throw new SnapshotFileError('corrupt snapshot: its header is not JSON');
  }
  const expected = checkShape(json);
  const ram = body.subarray(4 + length);
  if (ram.length !== expected) throw new SnapshotFileError(`corrupt snapshot: ${ram.length} bytes of RAM where its index lists ${expected}`);
  return { json, ram };
}

/** Checks the top-level shape and the RAM index; returns the number of RAM bytes the index lists. */
function checkShape(json: unknown): number {
  return checked(() => {
    const top = new StateReader('snapshot', '', json, ['config', 'cpu', 'blockClock', 'clock', 'board', 'personality', 'modem', 'machine', 'ram']);
    const config = top.object('config', ['cpu', 'ramSize', 'clockHz', 'timing', 'personality']);
    config.string('cpu');
    config.count('ramSize');
    config.count('clockHz');
    config.string('timing');
    config.string('personality');
    let total = 0;
    top.array('ram', (e) => {
      const r = e.object(['base', 'size', 'chunk', 'chunks']);
      const region = { base: r.int('base'), size: r.count('size'), chunk: r.int('chunk', CHUNK, CHUNK), chunks: [] as number[] };
      region.chunks = r.set('chunks', 0, Math.ceil(region.size / CHUNK) - 1);
      for (const index of region.chunks) total += chunkLength(region, index);
    });
    return total;
  });
}

function readBlockClock(value: unknown): BlockClockState {
  return checked(() => {
    const r = new StateReader('block clock', '', value, ['cycles', 'insns', 'space', 'prev', 'returnStack']);
    const state: BlockClockState = { cycles: r.count('cycles'), insns: r.count('insns'), space: r.int('space', 0, 0xffff), prev: null, returnStack: r.array('returnStack', (e) => e.int()) };
    if (state.returnStack.length > 3) throw r.error('returnStack', 'more than 3 entries');
    if ((value as { prev: unknown }).prev !== null) {
      const p = r.object('prev', ['address', 'size', 'cost']);
      const c = p.object('cost', (value as { prev: { cost: object } }).prev.cost !== null && 'ret' in (value as { prev: { cost: object } }).prev.cost ? ['insns', 'cycles', 'takenDelta', 'call', 'ret'] : ['insns', 'cycles', 'takenDelta', 'call']);
      const cost: BlockClockState['prev'] = { address: p.int('address'), size: p.int('size'), cost: { insns: c.int('insns'), cycles: c.int('cycles'), takenDelta: c.int('takenDelta', -1e6, 1e6), call: c.bool('call') } };
      const ret = (value as { prev: { cost: { ret?: unknown } } }).prev.cost.ret;
      if (ret !== undefined) {
        const rr = c.object('ret', ['correct', 'wrong', 'empty']);
        cost.cost.ret = { correct: rr.int('correct', -1e6, 1e6), wrong: rr.int('wrong', -1e6, 1e6), empty: rr.int('empty', -1e6, 1e6) };
      }
      state.prev = cost;
    }
    return state;
  });
}

function readRunState(value: unknown): RunState {
  return checked(() => {
    const r = new StateReader('machine', '', value, ['loaded', 'waitingAt']);
    const waiting = (value as { waitingAt: unknown }).waitingAt;
    return { loaded: r.bool('loaded'), waitingAt: waiting === null ? null : r.int('waitingAt') };
  });
}

/** Runs `read`, turning a field problem (SnapshotError) into the one-line SnapshotFileError. */
function checked<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof SnapshotError) throw new SnapshotFileError(`corrupt snapshot: ${e.message}`);
    throw e;
  }
}

function chunkLength(region: { size: number }, index: number): number {
  return Math.min(CHUNK, region.size - index * CHUNK);
}

function u32(n: number): Uint8Array {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n, 0);
  return b;
}
