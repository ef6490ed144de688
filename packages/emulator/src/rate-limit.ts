/** A per-tenant token bucket. `mode: "custom"` answers 429 like a custom rate-limit policy (with Retry-After). */
export interface RateLimit {
  burst: number;
  perSecond: number;
  mode?: "auth0" | "custom";
}

/** Paid production tenant: bursts of 50, about 16.7 requests per second sustained. */
export const defaultRateLimit: RateLimit = { burst: 50, perSecond: 16.7 };

export interface RateDecision {
  allowed: boolean;
  headers: Record<string, string>;
  retryAfterSeconds: number;
}

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {
    if (!(limit.burst >= 1) || !(limit.perSecond > 0)) {
      throw new RangeError("Rate limit needs burst >= 1 and perSecond > 0");
    }
    this.tokens = limit.burst;
    this.updatedAt = now();
  }

  take(): RateDecision {
    const now = this.now();
    const { burst, perSecond } = this.limit;
    this.tokens = Math.min(burst, this.tokens + ((now - this.updatedAt) / 1000) * perSecond);
    this.updatedAt = now;
    const allowed = this.tokens >= 1;
    if (allowed) this.tokens -= 1;
    const secondsToFull = (burst - this.tokens) / perSecond;
    const retryAfterSeconds = allowed ? 0 : Math.max(1, Math.ceil((1 - this.tokens) / perSecond));
    return {
      allowed,
      retryAfterSeconds,
      headers: {
        "x-ratelimit-limit": String(burst),
        "x-ratelimit-remaining": String(Math.floor(this.tokens)),
        "x-ratelimit-reset": String(Math.ceil(now / 1000 + secondsToFull)),
      },
    };
  }
}
