/**
 * Raw koffi bindings for libunicorn 2.0.x (Debian `libunicorn2`) and the constants we use from
 * <unicorn/unicorn.h> and <unicorn/arm.h>. Nothing outside src/cpu/ imports this file.
 */
import koffi from 'koffi';

import { EngineUnavailableError } from './errors.ts';

export { EngineUnavailableError };

export const UC_ARCH_ARM = 1;
export const UC_MODE_ARM = 0;

export const UC_HOOK_INTR = 1 << 0;
export const UC_HOOK_CODE = 1 << 2;
export const UC_HOOK_BLOCK = 1 << 3;
export const UC_HOOK_INSN_INVALID = 1 << 14;
export const UC_HOOK_EDGE_GENERATED = 1 << 15;

export const UC_PROT_ALL = 7;

/** uc_ctl request code UC_CTL_WRITE(UC_CTL_CPU_MODEL, 1). */
export const UC_CTL_CPU_MODEL_WRITE = 0x44000007;
/** uc_ctl request code UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2): drop the blocks translated from [begin, end). */
export const UC_CTL_TB_REMOVE_CACHE_WRITE = 0x48000009;

export const UC_CPU_ARM_926 = 0;
export const UC_CPU_ARM_1136 = 4;
export const UC_CPU_ARM_1176 = 5;

/** uc_arm_reg values (arm.h enum order). */
export const REG = {
  CPSR: 3,
  LR: 10,
  PC: 11,
  SP: 12,
  SPSR: 13,
  FPEXC: 4,
  FPSCR: 6,
  D0: 14,
  R0: 66,
  CP_REG: 139,
} as const;

export const UC_ERR_NAMES = [
  'OK', 'NOMEM', 'ARCH', 'HANDLE', 'MODE', 'VERSION', 'READ_UNMAPPED', 'WRITE_UNMAPPED', 'FETCH_UNMAPPED',
  'HOOK', 'INSN_INVALID', 'MAP', 'WRITE_PROT', 'READ_PROT', 'FETCH_PROT', 'ARG', 'READ_UNALIGNED',
  'WRITE_UNALIGNED', 'FETCH_UNALIGNED', 'HOOK_EXIST', 'RESOURCE', 'EXCEPTION',
];

/** Loads the engine's shared library (the file name is a parameter for the test of the missing case). */
export function loadLibrary(file = 'libunicorn.so.2'): ReturnType<typeof koffi.load> {
  try {
    return koffi.load(file);
  } catch {
    throw new EngineUnavailableError(
      `cannot load ${file}: install the Debian package libunicorn2 (npm run setup does it as root)`,
    );
  }
}

let bound: ReturnType<typeof bind> | undefined;

/** The bindings, loaded on first use so that commands which never run a CPU work without the library. */
export function unicorn(): ReturnType<typeof bind> {
  bound ??= bind();
  return bound;
}

function bind() {
  const lib = loadLibrary();
  const engine = koffi.opaque('uc_engine');
  const enginePtr = koffi.pointer('uc_engine_ptr', engine);
  const cpReg = koffi.struct('uc_arm_cp_reg', {
    cp: 'uint32_t',
    is64: 'uint32_t',
    sec: 'uint32_t',
    crn: 'uint32_t',
    crm: 'uint32_t',
    opc1: 'uint32_t',
    opc2: 'uint32_t',
    val: 'uint64_t',
  });
  const intrHook = koffi.proto('void uc_cb_hookintr_t(uc_engine_ptr uc, uint32_t intno, void *user_data)');
  const tb = koffi.struct('uc_tb', { pc: 'uint64_t', icount: 'uint16_t', size: 'uint16_t' });
  const edgeHook = koffi.proto('void uc_hook_edge_gen_t(uc_engine_ptr uc, uc_tb *cur, uc_tb *prev, void *user_data)');
  const insnInvalidHook = koffi.proto('bool uc_cb_hookinsn_invalid_t(uc_engine_ptr uc, void *user_data)');
  const codeHook = koffi.proto(
    'void uc_cb_hookcode_t(uc_engine_ptr uc, uint64_t address, uint32_t size, void *user_data)',
  );
  const memHook = koffi.proto(
    'bool uc_cb_hookmem_t(uc_engine_ptr uc, int type, uint64_t address, int size, int64_t value, void *user_data)',
  );
  const mmioRead = koffi.proto(
    'uint64_t uc_cb_mmio_read_t(uc_engine_ptr uc, uint64_t offset, unsigned int size, void *user_data)',
  );
  const mmioWrite = koffi.proto(
    'void uc_cb_mmio_write_t(uc_engine_ptr uc, uint64_t offset, unsigned int size, uint64_t value, void *user_data)',
  );
  return {
    koffi,
    engine,
    cpReg,
    intrHook,
    tb,
    edgeHook,
    insnInvalidHook,
    codeHook,
    memHook,
    mmioRead,
    mmioWrite,
    uc_version: lib.func('unsigned int uc_version(_Out_ unsigned int *major, _Out_ unsigned int *minor)'),
    uc_open: lib.func('int uc_open(int arch, int mode, _Out_ uc_engine_ptr *uc)'),
    uc_close: lib.func('int uc_close(uc_engine_ptr uc)'),
    uc_strerror: lib.func('const char *uc_strerror(int code)'),
    uc_ctl_int: lib.func('int uc_ctl(uc_engine_ptr uc, int control, ...)'),
    uc_mem_map: lib.func('int uc_mem_map(uc_engine_ptr uc, uint64_t address, size_t size, uint32_t perms)'),
    uc_mem_map_ptr: lib.func('int uc_mem_map_ptr(uc_engine_ptr uc, uint64_t address, size_t size, uint32_t perms, void *ptr)'),
    uc_mem_read: lib.func('int uc_mem_read(uc_engine_ptr uc, uint64_t address, _Out_ uint8_t *bytes, size_t size)'),
    uc_mem_write: lib.func('int uc_mem_write(uc_engine_ptr uc, uint64_t address, const uint8_t *bytes, size_t size)'),
    uc_mmio_map: lib.func(
      'int uc_mmio_map(uc_engine_ptr uc, uint64_t address, size_t size, uc_cb_mmio_read_t *read_cb, void *user_data_read, uc_cb_mmio_write_t *write_cb, void *user_data_write)',
    ),
    uc_reg_read: lib.func('int uc_reg_read(uc_engine_ptr uc, int regid, _Out_ uint32_t *value)'),
    uc_reg_write: lib.func('int uc_reg_write(uc_engine_ptr uc, int regid, const uint32_t *value)'),
    uc_reg_read64: lib.func('int uc_reg_read(uc_engine_ptr uc, int regid, _Out_ uint64_t *value)'),
    uc_reg_write64: lib.func('int uc_reg_write(uc_engine_ptr uc, int regid, const uint64_t *value)'),
    uc_reg_read_cp: lib.func('int uc_reg_read(uc_engine_ptr uc, int regid, _Inout_ uc_arm_cp_reg *value)'),
    uc_reg_write_cp: lib.func('int uc_reg_write(uc_engine_ptr uc, int regid, const uc_arm_cp_reg *value)'),
    uc_emu_start: lib.func(
      'int uc_emu_start(uc_engine_ptr uc, uint64_t begin, uint64_t until, uint64_t timeout, size_t count)',
    ),
    uc_emu_stop: lib.func('int uc_emu_stop(uc_engine_ptr uc)'),
    uc_hook_add: lib.func(
      'int uc_hook_add(uc_engine_ptr uc, _Out_ size_t *hh, int type, void *callback, void *user_data, uint64_t begin, uint64_t end, ...)',
    ),
    uc_hook_del: lib.func('int uc_hook_del(uc_engine_ptr uc, size_t hh)'),
  };
}

export type Unicorn = ReturnType<typeof bind>;
