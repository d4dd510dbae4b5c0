// The engine library: Debian's libunicorn 2.0.x loads; a missing library is one clear line naming the package.
import t from 'tap';
import { EngineUnavailableError, loadLibrary, unicorn } from '../../src/cpu/unicorn-ffi.ts';

t.test('libunicorn 2.0 is the engine', async (t) => {
  const major = [0];
  const minor = [0];
  unicorn().uc_version(major, minor);
  t.same([major[0], minor[0]], [2, 0]);
});

t.test('a missing library names the package to install', async (t) => {
  t.throws(() => loadLibrary('libunicorn-not-here.so.2'), new EngineUnavailableError('cannot load libunicorn-not-here.so.2: install the Debian package libunicorn2 (npm run setup does it as root)'));
});
