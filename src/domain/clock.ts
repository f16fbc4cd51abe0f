// The one clock every rule that reads time follows: token expiry, last use, authorization and
// revocation times, audit timestamps, sessions, the rate limits' resets. It is real time plus an
// offset; the database's credauth_now() (migration 11) adds the same offset, and store/clock.ts
// keeps the two equal. Nothing but a test harness moves it. Durations measured for logs and
// metrics, leases and heartbeats between processes, and pg-boss's own scheduling stay on real
// time (each such read is marked `real time:`; test/unit/one-clock.test.ts holds the list).
export class Clock {
  #offsetMs: number;

  constructor(offsetMs = 0) {
    this.#offsetMs = offsetMs;
  }

  /** Milliseconds since the epoch, as the rules see it. */
  nowMs(): number {
    // real time: the clock's own reading, offset below
    return Date.now() + this.#offsetMs;
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  /** How far the clock is from real time, in milliseconds (positive: ahead). */
  get offsetMs(): number {
    return this.#offsetMs;
  }

  /** Takes the offset the database holds (store/clock.ts, the only caller). */
  adopt(offsetMs: number): void {
    this.#offsetMs = offsetMs;
  }
}
