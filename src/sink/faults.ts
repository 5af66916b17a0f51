// Fault injection: which transactions fail (--fail-rate) and which connections are dropped
// mid-DATA (--disconnect-rate). Both are decided once per transaction, at MAIL FROM, from one
// random stream, so a seeded run makes the same decisions in the same order.

export type Random = () => number;

/** mulberry32: a small, fast, seedable generator of numbers in [0, 1). */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FaultDecision {
  /** The reply code this transaction gets instead of success, if any. */
  failCode?: number;
  /** Drop the connection once DATA or BDAT starts. */
  drop: boolean;
}

/** Most runs inject nothing: their transactions share one decision. */
const NO_FAULT: FaultDecision = Object.freeze({ drop: false, failCode: undefined });

export interface FaultSettings {
  failRate: number;
  failCode: number;
  disconnectRate: number;
  seed?: number;
}

export class FaultPlan {
  private readonly random: Random;

  constructor(private readonly settings: FaultSettings) {
    this.random = settings.seed === undefined ? Math.random : seededRandom(settings.seed);
  }

  /** Rates of 0 and 1 draw nothing, so they stay exact and cost nothing. */
  private chance(rate: number): boolean {
    if (rate <= 0) return false;
    if (rate >= 1) return true;
    return this.random() < rate;
  }

  decide(): FaultDecision {
    if (this.settings.disconnectRate <= 0 && this.settings.failRate <= 0) return NO_FAULT;
    const drop = this.chance(this.settings.disconnectRate);
    const fail = !drop && this.chance(this.settings.failRate);
    return { drop, failCode: fail ? this.settings.failCode : undefined };
  }
}
