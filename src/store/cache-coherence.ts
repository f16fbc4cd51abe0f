// The exact read cache across processes on PostgreSQL (decision 58). Every `serve` process that
// answers reads from memory is a *member*: it LISTENs on credauth_cache, where every transaction
// that changes a cached answer is announced at its commit ('w:<xid>', migration 9), and empties its
// cache on each announcement. A process whose request wrote sends a *sync* ('s:…') after its
// commit and holds the response until every live member has acknowledged having read that far.
// PostgreSQL delivers the channel to every listener in one order, the order of commits, so a
// member that has read the sync has read every write committed before it.
//
// A member beats every second. One that has not beaten for DEAD_AFTER_MS is no longer waited for,
// and it has stopped answering from its cache by then on its own (SELF_LAPSE_MS after its last
// beat that PostgreSQL confirmed). A member whose listening connection drops stops caching at once,
// and joins again under a new id once it is back.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import pg from "pg";

export const CHANNEL = "credauth_cache";
export const BEAT_MS = 1_000;
/** Silence after which the other members stop waiting for this one. */
export const DEAD_AFTER_MS = 5_000;
/** A member stops using its cache this long after its last confirmed beat was sent (< DEAD_AFTER_MS). */
export const SELF_LAPSE_MS = 3_000;
/** The longest a response waits for acknowledgements before it is answered 503 instead. */
const WAIT_LIMIT_MS = 30_000;
const RECONNECT_MS = [100, 250, 500, 1_000, 2_000, 5_000];
/** Positions of messages kept to translate acknowledgements; far more than arrive in DEAD_AFTER_MS. */
const REMEMBERED_MESSAGES = 200_000;

export interface CoherenceLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

interface Waiter {
  /** The sync message this waiter needs acknowledged, and its position once read. */
  message: string;
  position: number | null;
  resolve(): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export class CoherenceTimeoutError extends Error {
  constructor() {
    super(`not every credauth process acknowledged a write within ${WAIT_LIMIT_MS / 1000} s`);
    this.name = "CoherenceTimeoutError";
  }
}

/**
 * One member. `epoch()` is what the exact cache compares (null: do not cache now);
 * `awaitSeen()` resolves once every live member has read everything this process committed before
 * the call.
 */
export class CacheCoherence {
  #client: pg.Client | null = null;
  #memberId = "";
  #joined = false;
  #closed = false;
  #epoch = 0;
  /** performance.now() when the last beat that PostgreSQL confirmed was sent. */
  #lastConfirmedBeat = Number.NEGATIVE_INFINITY;
  /**
   * Other members: when each was last heard, how far it has acknowledged (a position), and the
   * position at which this member first heard of it (it need not acknowledge what came before).
   */
  readonly #members = new Map<string, { heardAt: number; acknowledged: number; since: number }>();
  /** Position (order of arrival) of each write and sync message read, for translating acknowledgements. */
  readonly #positions = new Map<string, number>();
  #position = 0;
  #lastMessage = "";
  #acknowledging = false;
  #acknowledgeAgain = false;
  #syncs = 0;
  /** Callers waiting for the next sync to be sent, and waiters whose sync is out. */
  #nextSync: Waiter[] = [];
  #syncInFlight = false;
  readonly #waiters = new Set<Waiter>();
  #beatTimer: NodeJS.Timeout | null = null;
  #onJoined: (() => void) | null = null;
  #reconnects = 0;

  readonly #connectionString: string;
  readonly #log: CoherenceLogger;

  constructor(connectionString: string, log: CoherenceLogger) {
    this.#connectionString = connectionString;
    this.#log = log;
  }

  /** Joins; resolves once this process is a member (or rejects if PostgreSQL cannot be reached). */
  async start(): Promise<void> {
    await this.#join();
    this.#beatTimer = setInterval(() => void this.#beat(), BEAT_MS);
    this.#beatTimer.unref();
  }

  epoch(): number | null {
    if (!this.#joined || performance.now() - this.#lastConfirmedBeat > SELF_LAPSE_MS) return null;
    return this.#epoch;
  }

  /** Moves the epoch: this process wrote, so what it cached may be stale already. */
  noteLocalWrite(): void {
    this.#epoch++;
  }

  awaitSeen(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        message: "",
        position: null,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          this.#nextSync = this.#nextSync.filter((w) => w !== waiter);
          reject(new CoherenceTimeoutError());
        }, WAIT_LIMIT_MS),
      };
      this.#nextSync.push(waiter);
      this.#sendSync();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#beatTimer) clearInterval(this.#beatTimer);
    const client = this.#client;
    this.#client = null;
    this.#joined = false;
    for (const waiter of [...this.#waiters, ...this.#nextSync]) {
      clearTimeout(waiter.timer);
      waiter.resolve();
    }
    if (!client) return;
    await this.#send(client, "delete from credauth_cache_members where id = $1 returning pg_notify($2, 'l:' || id)", [
      this.#memberId,
      CHANNEL,
    ]).catch(() => {});
    await client.end().catch(() => {});
  }

  async #join(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#connectionString, application_name: "credauth-cache" });
    client.on("error", (error) => this.#lost(client, error));
    client.on("end", () => this.#lost(client, new Error("the listening connection ended")));
    client.on("notification", (message) => {
      if (client === this.#client && message.channel === CHANNEL) this.#read(message.payload ?? "");
    });
    await client.connect();
    this.#client = client;
    this.#tail = Promise.resolve();
    this.#memberId = `${process.pid}-${randomBytes(6).toString("hex")}`;
    this.#members.clear();
    this.#positions.clear();
    await this.#send(client, `listen ${CHANNEL}`);
    // Who is there already: anyone who joins from now on is announced on the channel.
    const present = await this.#send<{ id: string }>(
      client,
      "select id from credauth_cache_members where heartbeat_at > clock_timestamp() - make_interval(secs => $1)",
      [DEAD_AFTER_MS / 1000],
    );
    const now = performance.now();
    for (const { id } of present.rows) this.#members.set(id, { heardAt: now, acknowledged: 0, since: 0 });
    await this.#send(
      client,
      "delete from credauth_cache_members where heartbeat_at < clock_timestamp() - interval '1 hour'",
    );
    // Joined once this member reads its own announcement: from there on it reads every write.
    const joined = new Promise<void>((resolve) => {
      this.#onJoined = resolve;
    });
    await this.#announce("j");
    await joined;
    this.#onJoined = null;
    this.#reconnects = 0;
    this.#log.info({ member: this.#memberId, others: this.#members.size }, "the read cache joined");
  }

  /** Upserts this member's row and announces it ('j' on joining, 'b' on each beat). */
  async #announce(kind: "j" | "b"): Promise<void> {
    const client = this.#client;
    if (!client) return;
    const sentAt = performance.now();
    await this.#send(
      client,
      `insert into credauth_cache_members (id, pid, host) values ($1, $2, $3)
         on conflict (id) do update set heartbeat_at = clock_timestamp()
       returning pg_notify($4, $5)`,
      [this.#memberId, process.pid, hostname(), CHANNEL, `${kind}:${this.#memberId}:${this.#lastMessage}`],
    );
    this.#confirmed(client, sentAt);
  }

  /**
   * A statement sent at `sentAt` on the listening connection came back: everything the channel
   * carried before it has been read, and the others have heard from this member since then.
   */
  #confirmed(client: pg.Client, sentAt: number): void {
    if (client !== this.#client || sentAt <= this.#lastConfirmedBeat) return;
    // Back from a lapse: what was cached before it is not trusted after it.
    if (performance.now() - this.#lastConfirmedBeat > SELF_LAPSE_MS) this.#epoch++;
    this.#lastConfirmedBeat = sentAt;
  }

  async #beat(): Promise<void> {
    if (!this.#client || !this.#joined) return;
    try {
      await this.#announce("b");
    } catch (error) {
      this.#log.warn({ err: error }, "the read cache could not beat; it is off until it can");
    }
    this.#checkWaiters();
  }

  #read(payload: string): void {
    const [kind, id = "", detail = ""] = payload.split(":");
    const now = performance.now();
    switch (kind) {
      case "w":
      case "s":
        this.#position++;
        this.#positions.set(payload, this.#position);
        if (this.#positions.size > REMEMBERED_MESSAGES) {
          const oldest = this.#positions.keys().next().value;
          if (oldest !== undefined) this.#positions.delete(oldest);
        }
        this.#lastMessage = payload.replaceAll(":", ".");
        if (kind === "w") this.#epoch++;
        for (const waiter of this.#waiters) if (waiter.message === payload) waiter.position = this.#position;
        this.#acknowledge();
        break;
      case "j":
      case "b":
      case "a":
        if (id === this.#memberId) {
          if (kind === "j" && !this.#joined) {
            this.#joined = true;
            this.#epoch++;
            this.#onJoined?.();
            this.#sendSync();
          }
          break;
        }
        this.#heard(id, now, detail);
        break;
      case "l":
        this.#members.delete(id);
        break;
    }
    this.#checkWaiters();
  }

  /** Another member spoke; its message carries the last write or sync it had read ('' for none). */
  #heard(id: string, now: number, lastRead: string): void {
    const member = this.#members.get(id) ?? { heardAt: now, acknowledged: 0, since: this.#position };
    member.heardAt = now;
    const position = lastRead === "" ? undefined : this.#positions.get(lastRead.replaceAll(".", ":"));
    if (position !== undefined && position > member.acknowledged) member.acknowledged = position;
    this.#members.set(id, member);
  }

  /** Tells the others how far this member has read: one statement at a time, the latest each time. */
  #acknowledge(): void {
    if (this.#members.size === 0 || !this.#client || !this.#joined) return;
    if (this.#acknowledging) {
      this.#acknowledgeAgain = true;
      return;
    }
    this.#acknowledging = true;
    const client = this.#client;
    const sentAt = performance.now();
    this.#send(client, "select pg_notify($1, $2)", [CHANNEL, `a:${this.#memberId}:${this.#lastMessage}`])
      .then(() => this.#confirmed(client, sentAt))
      .catch((error: unknown) => this.#log.warn({ err: error }, "the read cache could not acknowledge"))
      .finally(() => {
        this.#acknowledging = false;
        if (this.#acknowledgeAgain) {
          this.#acknowledgeAgain = false;
          this.#acknowledge();
        }
      });
  }

  /** Sends one sync for every caller waiting for one; callers arriving meanwhile get the next. */
  #sendSync(): void {
    if (this.#syncInFlight || this.#nextSync.length === 0) return;
    const client = this.#client;
    if (!client || !this.#joined) return; // sent once joined again (#join's end)
    const waiters = this.#nextSync;
    this.#nextSync = [];
    const message = `s:${this.#memberId}:${++this.#syncs}`;
    for (const waiter of waiters) {
      waiter.message = message;
      this.#waiters.add(waiter);
    }
    this.#syncInFlight = true;
    const sentAt = performance.now();
    this.#send(client, "select pg_notify($1, $2)", [CHANNEL, message])
      .then(() => this.#confirmed(client, sentAt))
      .catch(() => {
        // Lost with the connection: these callers wait for a sync of the next connection.
        for (const waiter of waiters) {
          this.#waiters.delete(waiter);
          waiter.position = null;
        }
        this.#nextSync.unshift(...waiters);
      })
      .finally(() => {
        this.#syncInFlight = false;
        this.#sendSync();
      });
  }

  /** One statement at a time on the listening connection, in the order asked. */
  #tail: Promise<unknown> = Promise.resolve();
  #send<R extends pg.QueryResultRow = pg.QueryResultRow>(
    client: pg.Client,
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    const run = this.#tail.then(() => client.query<R>(text, values));
    this.#tail = run.catch(() => {});
    return run;
  }

  #checkWaiters(): void {
    if (this.#waiters.size === 0) return;
    // Silence is measured up to this member's own last confirmed round trip on the channel, not
    // to now: after a stall of this process, the others' beats may be waiting unread.
    for (const [id, member] of this.#members) {
      if (this.#lastConfirmedBeat - member.heardAt > DEAD_AFTER_MS) {
        this.#members.delete(id);
        this.#log.warn({ member: id }, "a credauth process stopped beating; it is no longer waited for");
      }
    }
    for (const waiter of this.#waiters) {
      const position = waiter.position;
      if (position === null) continue;
      const members = [...this.#members.values()];
      if (members.every((member) => member.since >= position || member.acknowledged >= position)) {
        this.#waiters.delete(waiter);
        clearTimeout(waiter.timer);
        waiter.resolve();
      }
    }
    if (this.#waiters.size > 0) this.#scheduleCheck();
  }

  #checkTimer: NodeJS.Timeout | null = null;
  /** While someone waits, look again for members that died: nothing else would wake the waiter. */
  #scheduleCheck(): void {
    if (this.#checkTimer) return;
    this.#checkTimer = setTimeout(() => {
      this.#checkTimer = null;
      this.#checkWaiters();
    }, 250);
  }

  #lost(client: pg.Client, error: Error): void {
    if (client !== this.#client) return;
    this.#client = null;
    this.#joined = false;
    this.#epoch++;
    client.end().catch(() => {});
    // Waiters whose sync went out on this connection can no longer hear the acknowledgements.
    for (const waiter of this.#waiters) waiter.position = null;
    this.#nextSync.unshift(...this.#waiters);
    this.#waiters.clear();
    if (this.#closed) return;
    this.#log.warn({ err: error }, "the read cache lost its listening connection; it is off until it joins again");
    void this.#rejoin();
  }

  async #rejoin(): Promise<void> {
    while (!this.#closed && !this.#client) {
      const delay = RECONNECT_MS[Math.min(this.#reconnects++, RECONNECT_MS.length - 1)]!;
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
      if (this.#closed) return;
      try {
        await this.#join();
      } catch {
        // tried again after the next delay
      }
    }
  }
}
