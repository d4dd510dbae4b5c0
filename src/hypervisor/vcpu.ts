/** The vCPU page's layout (docs/hypercalls.md §3): offsets, and the register context saved in it. */
export const VCPU = {
  magic: 0x000,
  version: 0x004,
  index: 0x008,
  ramSize: 0x00c,
  virqMasked: 0x010,
  virqPending: 0x014,
  foreground: 0x018,
  storeSize: 0x01c,
  name: 0x020,
  number: 0x030,
  policyFlags: 0x050,
  policySeq: 0x054,
  upcallCtx: 0x080,
  faultCtx: 0x100,
  faultKind: 0x144,
  faultAddress: 0x148,
  faultWrite: 0x14c,
} as const;

export const VCPU_MAGIC = 0x5550_4356;
export const VCPU_VERSION = 1;
/** r0-r12, sp, lr, pc, cpsr. */
export const CONTEXT_WORDS = 17;

export const VIRQ = { timer: 1 << 0, console: 1 << 1, foreground: 1 << 2, modem: 1 << 3, policy: 1 << 4 } as const;

/** policy_flags bits (docs/hypercalls.md §3): locked, SMS blocked, apps limited to an allow-list. */
export const POLICY_FLAG = { locked: 1 << 0, smsBlocked: 1 << 1, appsLimited: 1 << 2 } as const;

export const FAULT_KIND = { undefined: 1, prefetchAbort: 2, dataAbort: 3, bkpt: 4, badSvc: 5 } as const;
export type FaultKindName = keyof typeof FAULT_KIND;

/** The fields the hypervisor fills in at boot (§3): everything but the contexts, which start zero. */
export function vcpuPage(fields: { index: number; ramSize: number; storeSize: number; name: string; number: string; foreground: boolean; policyFlags?: number; policySeq?: number }): Uint8Array {
  const page = new Uint8Array(0x1000);
  const view = new DataView(page.buffer);
  view.setUint32(VCPU.magic, VCPU_MAGIC, true);
  view.setUint32(VCPU.version, VCPU_VERSION, true);
  view.setUint32(VCPU.index, fields.index, true);
  view.setUint32(VCPU.ramSize, fields.ramSize, true);
  view.setUint32(VCPU.virqMasked, 1, true);
  view.setUint32(VCPU.foreground, fields.foreground ? 1 : 0, true);
  view.setUint32(VCPU.storeSize, fields.storeSize, true);
  page.set(ascii(fields.name, 15), VCPU.name);
  page.set(ascii(fields.number, 31), VCPU.number);
  view.setUint32(VCPU.policyFlags, fields.policyFlags ?? 0, true);
  view.setUint32(VCPU.policySeq, fields.policySeq ?? 0, true);
  return page;
}

function ascii(text: string, max: number): Uint8Array {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > max) throw new RangeError(`"${text}" is longer than ${max} bytes`);
  return bytes;
}
