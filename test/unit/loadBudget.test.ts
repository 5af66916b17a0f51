// The load run's budget (one per run, or one shared by threads) and the merge of threads' parts.
import { describe, expect, it } from 'vitest';
import { localBudget, sharedBudget, sharedBudgetMemory } from '../../src/load/budget.js';
import { shares } from '../../src/load/threads.js';
import { LoadStats, summarise } from '../../src/load/stats.js';

const drain = (take: () => boolean): number => {
  let n = 0;
  while (take()) n++;
  return n;
};

describe('load budget', () => {
  it('a local budget gives exactly its count, takes back what is given back, and stops', () => {
    const budget = localBudget({ messages: 5 });
    expect(drain(budget.take)).toBe(5);
    budget.giveBack();
    expect(budget.has()).toBe(true);
    budget.stop();
    expect(budget.take()).toBe(false);
  });

  it('budgets over one shared memory give the count once between them, and a stop in one stops all', () => {
    const memory = sharedBudgetMemory(1000);
    const a = sharedBudget(memory, true, undefined);
    const b = sharedBudget(memory, true, undefined);
    let taken = 0;
    while (a.take()) {
      taken++;
      if (b.take()) taken++;
    }
    expect(taken).toBe(1000);
    expect(b.take()).toBe(false);
    a.giveBack();
    expect(b.take()).toBe(true);
    const timed = sharedBudgetMemory(undefined);
    const c = sharedBudget(timed, false, 60_000);
    const d = sharedBudget(timed, false, 60_000);
    expect(c.take() && d.take()).toBe(true);
    d.stop();
    expect(c.take()).toBe(false);
    expect(c.has()).toBe(false);
  });

  it('a shared budget by time ends when its time is up', async () => {
    const budget = sharedBudget(sharedBudgetMemory(undefined), false, 30);
    expect(budget.take()).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(budget.take()).toBe(false);
  });

  it('shares out whole numbers as evenly as they go', () => {
    expect(shares(10, 3)).toEqual([4, 3, 3]);
    expect(shares(2, 2)).toEqual([1, 1]);
    for (const [total, parts] of [[53, 2], [7, 7], [100, 8]]) expect(shares(total, parts).reduce((a, b) => a + b)).toBe(total);
  });
});

describe('threads\' parts', () => {
  it('merging parts gives the same counts and exact percentiles as one run that saw everything', () => {
    const whole = new LoadStats();
    const parts = [new LoadStats(), new LoadStats(), new LoadStats()];
    let seed = 7;
    const random = () => ((seed = (seed * 48271) % 0x7fffffff) / 0x7fffffff) * 50;
    for (let i = 0; i < 3000; i++) {
      const part = parts[i % 3 === 0 ? 0 : i % 7 === 0 ? 1 : 2];
      const ms = random();
      for (const stats of [whole, part]) {
        stats.messageMs.push(ms);
        stats.accepted++;
        if (i % 100 === 0) stats.failed(451, '451 4.3.0 later');
        if (i % 250 === 0) stats.connectionFailed('refused');
      }
    }
    const merged = new LoadStats();
    for (const part of parts) merged.add(part.part());
    expect(summarise(merged.messageMs)).toEqual(summarise(whole.messageMs));
    expect([merged.accepted, merged.tempFailed, merged.connectionsFailed]).toEqual([whole.accepted, whole.tempFailed, whole.connectionsFailed]);
    expect(merged.failureCodes).toEqual(whole.failureCodes);
    expect(merged.connectionErrors).toEqual(whole.connectionErrors);
    merged.showProgress([parts[0].progress(), parts[1].progress()]);
    expect(merged.accepted).toBe(parts[0].accepted + parts[1].accepted);
  });
});
