// The benchmark's round order (bench/sections.ts): every variant runs once a round, a pair's
// two go first equally often, and no variant runs straight after itself — a server fed twice
// in a row measured slower the second time, which would tilt a pair's ratio.
import { describe, expect, it } from 'vitest';
import { roundOrder } from '../../bench/sections.js';

function selfFollows<T>(order: T[]): number {
  return order.filter((variant, i) => i > 0 && order[i - 1] === variant).length;
}

describe('roundOrder', () => {
  for (const [name, groups] of [
    ['a pair and a lone variant (the sink)', [['mine', 'floor'], ['smtp-sink']]],
    ['two pairs and two lone variants (load)', [['mine', 'floor'], ['mine nopipe', 'floor nopipe'], ['smtp-source'], ['smtp-source -d']]],
    ['one pair alone', [['mine', 'floor']]],
    ['three lone variants (interleaved)', [['a'], ['b'], ['c']]],
    ['two lone variants', [['a'], ['b']]],
  ] as const) {
    it(`${name}: each variant once a round, never straight after itself`, () => {
      const rounds = 20;
      const order = roundOrder<string>(rounds, groups as unknown as string[][]);
      const variants = groups.flat();
      expect(order).toHaveLength(rounds * variants.length);
      for (const variant of variants) expect(order.filter((v) => v === variant)).toHaveLength(rounds);
      expect(selfFollows(order)).toBe(0);
      // A group's variants run back to back in every round.
      for (let round = 0; round < rounds; round++) {
        const slice = order.slice(round * variants.length, (round + 1) * variants.length);
        for (const group of groups) {
          const at = slice.indexOf(group[0]);
          expect(group.every((v) => Math.abs(slice.indexOf(v) - at) < group.length)).toBe(true);
        }
      }
    });
  }

  it("a pair's two go first equally often when there is more than one group", () => {
    const order = roundOrder(20, [['mine', 'floor'], ['smtp-sink']]);
    const firsts = Array.from({ length: 20 }, (_, round) => order.slice(round * 3, round * 3 + 3).find((v) => v !== 'smtp-sink'));
    expect(firsts.filter((v) => v === 'mine')).toHaveLength(10);
  });
});
