/**
 * The C library functions the CLI needs and Node does not offer synchronously (poll, terminal modes,
 * pseudo-terminals, Unix sockets), through koffi (which handset already needs for Unicorn). One binding,
 * loaded on first use; null where the C library is not glibc (callers then fall back or refuse).
 * Only CLI adapters use it (src/cli/host-wait.ts, src/cli/modem-port.ts): the emulation never does.
 */
import koffi from 'koffi';

export interface Libc {
  poll(fds: Buffer, nfds: number, timeout: number): number;
  ioctl(fd: number, request: number, arg: Buffer): number;
  tcgetattr(fd: number, termios: Buffer): number;
  tcsetattr(fd: number, actions: number, termios: Buffer): number;
  cfmakeraw(termios: Buffer): void;
  cfsetispeed(termios: Buffer, speed: number): number;
  cfsetospeed(termios: Buffer, speed: number): number;
  posix_openpt(flags: number): number;
  grantpt(fd: number): number;
  unlockpt(fd: number): number;
  ptsname_r(fd: number, buf: Buffer, len: number): number;
  socket(domain: number, type: number, protocol: number): number;
  connect(fd: number, address: Buffer, length: number): number;
}

let bound: Libc | null | undefined;

export function libc(): Libc | null {
  if (bound !== undefined) return bound;
  try {
    const lib = koffi.load('libc.so.6');
    bound = {
      poll: lib.func('int poll(void *fds, unsigned long nfds, int timeout)') as Libc['poll'],
      ioctl: lib.func('int ioctl(int fd, unsigned long request, void *arg)') as Libc['ioctl'],
      tcgetattr: lib.func('int tcgetattr(int fd, void *termios)') as Libc['tcgetattr'],
      tcsetattr: lib.func('int tcsetattr(int fd, int actions, void *termios)') as Libc['tcsetattr'],
      cfmakeraw: lib.func('void cfmakeraw(void *termios)') as Libc['cfmakeraw'],
      cfsetispeed: lib.func('int cfsetispeed(void *termios, uint32_t speed)') as Libc['cfsetispeed'],
      cfsetospeed: lib.func('int cfsetospeed(void *termios, uint32_t speed)') as Libc['cfsetospeed'],
      posix_openpt: lib.func('int posix_openpt(int flags)') as Libc['posix_openpt'],
      grantpt: lib.func('int grantpt(int fd)') as Libc['grantpt'],
      unlockpt: lib.func('int unlockpt(int fd)') as Libc['unlockpt'],
      ptsname_r: lib.func('int ptsname_r(int fd, void *buf, size_t len)') as Libc['ptsname_r'],
      socket: lib.func('int socket(int domain, int type, int protocol)') as Libc['socket'],
      connect: lib.func('int connect(int fd, void *address, uint32_t length)') as Libc['connect'],
    };
  } catch {
    bound = null;
  }
  return bound;
}

/** errno of the last failed call (through koffi, which keeps it per call). */
export function errno(): number {
  return koffi.errno();
}
