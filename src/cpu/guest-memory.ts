/**
 * Guest RAM that handset allocates itself (src/cpu/native/memory.c) and maps into Unicorn with
 * uc_mem_map_ptr, so that snapshots can list the chunks a run has written without reading untouched
 * memory. Reads and writes still go through Unicorn (uc_mem_read/uc_mem_write).
 */
import { nativeLibraryPath } from './block-clock.ts';
import { CpuError } from './errors.ts';
import { unicorn } from './unicorn-ffi.ts';

let lib: ReturnType<typeof bind> | undefined;

function bind() {
  const l = unicorn().koffi.load(nativeLibraryPath);
  return {
    alloc: l.func('void *hs_mem_alloc(uint64_t size)'),
    free: l.func('void hs_mem_free(void *p, uint64_t size)'),
    nonZero: l.func('uint32_t hs_mem_nonzero_chunks(void *base, uint64_t size, uint32_t chunk, _Out_ uint32_t *out, uint32_t max)'),
  };
}

export class GuestMemory {
  readonly pointer: unknown;
  private freed = false;

  constructor(
    readonly base: number,
    readonly size: number,
  ) {
    lib ??= bind();
    const p = lib.alloc(size);
    if (p === null) throw new CpuError(`cannot reserve ${size} bytes of guest memory`);
    this.pointer = p;
  }

  /** Indexes of the `chunk`-byte chunks that hold a non-zero byte, in order. */
  nonZeroChunks(chunk: number): number[] {
    const total = Math.ceil(this.size / chunk);
    let out = new Uint32Array(Math.min(total, 4096));
    let n = lib!.nonZero(this.pointer, this.size, chunk, out, out.length);
    if (n > out.length) {
      out = new Uint32Array(n);
      n = lib!.nonZero(this.pointer, this.size, chunk, out, out.length);
    }
    return Array.from(out.subarray(0, n));
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    lib!.free(this.pointer, this.size);
  }
}
