/** `handset trace ...` in-process, for tests: its exit status and what it printed. */
import yargs from 'yargs';
import { registerTraceCommands } from '../../src/cli/trace-commands.ts';
import { UsageError } from '../../src/cli/options.ts';

export function handsetTrace(...argv: string[]): { status: number | undefined; out: string } {
  let status: number | undefined;
  let out = '';
  const cli = yargs(['trace', ...argv])
    .strict()
    .fail((msg, err) => {
      if (err) throw err;
      throw new UsageError(msg);
    });
  registerTraceCommands(cli, (s) => (status = s), (text) => (out += text)).parseSync();
  return { status, out };
}
