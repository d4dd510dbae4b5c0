/** What every device constructor takes; each device's options add its own properties. */
import type { TimeSource } from '../clock.ts';
import type { Logger } from '../device.ts';

export interface DeviceOptions {
  /** Instance name used in logs, traces and alarm names, e.g. "timer01". */
  name: string;
  time: TimeSource;
  logger: Logger;
}
