/**
 * floor(value * num / den) for non-negative integers, exact for any value < 2^53: time conversions between
 * clock domains must not drift or depend on float rounding.
 */
export function scaleFloor(value: number, num: number, den: number): number {
  if ((den - 1) * num > Number.MAX_SAFE_INTEGER) {
    return Number((BigInt(value) * BigInt(num)) / BigInt(den));
  }
  const whole = Math.floor(value / den);
  return whole * num + Math.floor(((value - whole * den) * num) / den);
}
