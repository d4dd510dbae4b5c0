import t from 'tap';
import { scaleFloor } from '../src/soc/scale.ts';

t.test('exact integer scaling', async (t) => {
  t.equal(scaleFloor(10, 3, 4), 7, 'floor(30/4)');
  t.equal(scaleFloor(0, 24_000_000, 200_000_000), 0);
  // 2^52 cycles at 200 MHz in 24 MHz ticks: checked against BigInt arithmetic.
  const big = 2 ** 52 + 12345;
  t.equal(scaleFloor(big, 24_000_000, 200_000_000), Number((BigInt(big) * 24_000_000n) / 200_000_000n));
  t.equal(scaleFloor(big, 1_000_000_000, 333_000_000), Number((BigInt(big) * 1_000_000_000n) / 333_000_000n));
});
