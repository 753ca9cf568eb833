'use strict'
/*
 * The rank test bench/nest.js reports emit()'s means with (N1): values checked by hand.
 */
const { rankTest, emitVerdict } = require('../../bench/nest')

describe('N1 rank test', () => {
  test('fully separated samples of 3 and 3: U = 0, z = -4.5 / sqrt(5.25)', () => {
    const { z, n, m } = rankTest([1, 2, 3], [4, 5, 6])
    expect([n, m]).toEqual([3, 3])
    expect(z).toBeCloseTo(-4.5 / Math.sqrt(5.25), 10)
    expect(rankTest([4, 5, 6], [1, 2, 3]).z).toBeCloseTo(4.5 / Math.sqrt(5.25), 10)
  })

  test('ties take their average rank and shrink the variance', () => {
    // a = [1, 2, 2], b = [2, 3]: ranks 1, 3, 3 | 3, 5; U = 7 - 6 = 1; mean 3;
    // var = 6 / 12 * (6 - (27 - 3) / 20) = 2.4
    expect(rankTest([1, 2, 2], [2, 3]).z).toBeCloseTo(-2 / Math.sqrt(2.4), 10)
    expect(rankTest([1, 1], [1, 1]).z).toBe(0)
  })

  test('the verdict names the faster library only past |z| = 1.96, and refuses too few means', () => {
    const low = [0.4, 0.41, 0.42, 0.43, 0.44]
    const high = [0.5, 0.51, 0.52, 0.53, 0.54]
    expect(emitVerdict(low, high)).toMatch(/kafka-napi's means rank lower \(faster\) at the 5 % level/)
    expect(emitVerdict(high, low)).toMatch(/rank higher \(slower\)/)
    expect(emitVerdict([0.4, 0.5, 0.41, 0.51], [0.5, 0.4, 0.51, 0.41])).toMatch(/not told apart/)
    expect(emitVerdict([0.4], [0.5])).toMatch(/too few means/)
  })
})
