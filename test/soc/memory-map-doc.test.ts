// docs/memory-map.md lists every board device at its address, with its board line and GIC ID.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { GIC_SPI_BASE, REALVIEW_EB } from '../../src/soc/board.ts';

const doc = readFileSync('docs/memory-map.md', 'utf8');

t.test('every device of the board table is documented as it is', async (t) => {
  for (const e of REALVIEW_EB) {
    const base = '0x' + e.base.toString(16).padStart(8, '0').replace(/(....)(....)/, '$1_$2');
    const irq = e.irq !== undefined ? `${e.irq} / ${e.irq + GIC_SPI_BASE}` : '–';
    const row = doc.split('\n').find((line) => line.includes(`\`${e.name}\``));
    t.ok(row, `${e.name} has a row`);
    t.match(row ?? '', base, `${e.name} at ${base}`);
    t.match(row ?? '', `| ${irq} |`, `${e.name} line ${irq}`);
  }
});
