/** The golden-trace manifest and how one of its runs is recorded (shared by the test and the update tool). */
import { readFileSync } from 'node:fs';
import type { CpuModelName } from '../../src/cpu/models.ts';
import type { TimingMode } from '../../src/machine/machine.ts';
import { traceRun } from './trace-run.ts';

export interface GoldenRun {
  name: string;
  image: string;
  cpu: CpuModelName;
  timing: TimingMode;
  stdin?: string;
}

export const GOLDEN_DIR = 'test/golden';
export const manifest: { maxTraceBytes: number; runs: GoldenRun[] } = JSON.parse(readFileSync(`${GOLDEN_DIR}/manifest.json`, 'utf8'));

export const tracePath = (run: GoldenRun) => `${GOLDEN_DIR}/${run.name}.trace`;
export const digestPath = (run: GoldenRun) => `${GOLDEN_DIR}/${run.name}.digest.json`;

export function record(run: GoldenRun, path: string) {
  return traceRun(run.image, path, { cpu: run.cpu, timing: run.timing, stdin: run.stdin });
}
