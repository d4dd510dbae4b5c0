// The host-side page-table walk used to read guest virtual memory: sections, coarse (large/small) and
// fine (tiny) pages, and faults as "no address".
import t from 'tap';
import { translate } from '../../src/cpu/mmu.ts';

const TTB = 0x4000;
function tables(entries: [number, number][]) {
  const mem = new Map(entries);
  return (pa: number) => mem.get(pa) ?? 0;
}

t.test('sections, coarse and fine tables', async (t) => {
  const read = tables([
    [TTB + (0x800 << 2), 0x0010_0c02], // VA 0x80000000 section -> PA 0x00100000
    [TTB + (0x801 << 2), 0x0000_8001], // VA 0x80100000 coarse table at 0x8000
    [0x8000 + (0x00 << 2), 0x0003_0002 | 0xff0], // small page 0 -> PA 0x00030000
    [0x8000 + (0x01 << 2), 0x0005_0001], // large page (64 KiB) -> PA 0x00050000
    [TTB + (0x802 << 2), 0x0000_9003], // VA 0x80200000 fine table at 0x9000
    [0x9000 + (0x002 << 2), 0x0007_0403], // tiny page 2 (1 KiB) -> PA 0x00070400
  ]);
  t.equal(translate(0x8001_2345, TTB, read, false), 0x0011_2345);
  t.equal(translate(0x8010_0abc, TTB, read, false), 0x0003_0abc);
  t.equal(translate(0x8010_1abc, TTB, read, false), 0x0005_1abc, 'large page keeps VA[15:0]');
  t.equal(translate(0x8020_0811, TTB, read, false), 0x0007_0411, 'tiny page keeps VA[9:0]');
  t.equal(translate(0x8020_0811, TTB, read, true), 0x0007_0411, 'ARMv6 with XP=0 walks fine tables like v5');
  t.equal(translate(0x9000_0000, TTB, read, false), undefined, 'translation fault');
  t.equal(translate(0x8010_2000, TTB, read, false), undefined, 'invalid second-level entry');
});
