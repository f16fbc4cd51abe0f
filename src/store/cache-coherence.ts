// The exact read cache across processes on PostgreSQL (decision 58). Every `serve` process that
// answers reads from memory is a *member*: it LISTENs on credauth_cache, where every transaction
// that changes a cached answer is announced at its commit ('w:<xid>:<scope>' for each scope it
// touched, migrations 9 and 19), and empties the cached answers that depend on those scopes. A
// process whose request wrote sends a *sync* ('s:…') after its commit and holds the response
// until every live member has acknowledged having read that far.
// PostgreSQL delivers the channel to every listener in one order, the order of commits, so a
// member that has read the sync has read every write committed before it.
//
// A member beats every second (a row in credauth_cache_members, and 'b:' on the channel). One that
// has not been heard from for DEAD_AFTER_MS is no longer waited for, and it has stopped answering
// from its cache by then on its own (SELF_LAPSE_MS after its last round trip that PostgreSQL
// confirmed). A member whose listening connection drops stops caching at once and joins again
// under a new id. A process that cannot listen at all (PgBouncer in transaction mode) never joins:
// it caches nothing, and after a write it waits DEAD_AFTER_MS if any member is alive, by which
// time every member has either read the write or stopped caching.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import pg from "pg";
import type { ReadCacheLogger } from "./db.ts";
import { WriteVersions } from "./write-scopes.ts";

export const CHANNEL = "credauth_cache";
export const BEAT_MS = 1_000;
/** Silence after which the other members stop waiting for this one. */
export const DEAD_AFTER_MS = 5_000;
/** A member stops using its cache this long after its last confirmed round trip was sent (< DEAD_AFTER_MS). */
export const SELF_LAPSE_MS = 3_000;
/** How long joining may take before this process serves without a cache (and keeps trying). */
const JOIN_TIMEOUT_MS = 5_000;
/** The longest a response waits for acknowledgements before it is answered 503 instead. */
const WAIT_LIMIT_MS = 30_000;
const REJOIN_DELAYS_MS = [100, 250, 500, 1_000, 2_000, 5_000, 10_000, 30_000];
/** Positions of messages kept to translate acknowledgements; far more than arrive in DEAD_AFTER_MS. */
const REMEMBERED_MESSAGES = 200_000;

/** A statement on the process's pool, for the one question asked without the listening connection. */
export type PoolQuery = (text: string, values: unknown[]) => Promise<Record<string, unknown>[]>;

interface Waiter {
  /** The sync message this waiter needs acknowledged, and its position once read. */
  message: string;
  position: number | null;
  resolve(): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

interface Member {
  /** performance.now() when this member last heard from it. */
  heardAt: number;
  /** The position (in this member's reading order) it has acknowledged reading. */
  acknowledged: number;
  /** The position at which this member first heard of it: it owes no acknowledgement for earlier ones. */
  since: number;
}

export class CoherenceTimeoutError extends Error {
  constructor() {
    super(`not every credauth process acknowledged a write within ${WAIT_LIMIT_MS / 1000} s`);
    this.name = "CoherenceTimeoutError";
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * One member. `epoch()` is what the exact cache compares (null: do not cache now); `awaitSeen()`
 * resolves once every live member has read everything this process committed before the call.
 */
export class CacheCoherence {
  readonly #connectionString: string;
  readonly #poolQuery: PoolQuery;
  readonly #log: ReadCacheLogger;
  #client: pg.Client | null = null;
  #memberId = "";
  /** This member has read its own 'j': from there on it reads every message after it. */
  #listening = false;
  /** Its row is written and its first beat confirmed: it may cache. */
  #joined = false;
  #closed = false;
  /** Every write read or made, by scope; moving every scope when the cache cannot vouch for itself. */
  readonly #versions = new WriteVersions();
  /** performance.now() when the last round trip on the listening connection that came back was sent. */
  #lastConfirmed = Number.NEGATIVE_INFINITY;
  readonly #members = new Map<string, Member>();
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
  #checkTimer: NodeJS.Timeout | null = null;
  #onListening: (() => void) | null = null;
  #rejoining = false;
  /** One statement at a time on the listening connection, in the order asked. */
  #tail: Promise<unknown> = Promise.resolve();

  readonly #onClockMoved: (offsetMs: number) => void;

  constructor(
    connectionString: string,
    poolQuery: PoolQuery,
    log: ReadCacheLogger,
    onClockMoved: (offsetMs: number) => void = () => {},
  ) {
    this.#connectionString = connectionString;
    this.#poolQuery = poolQuery;
    this.#log = log;
    this.#onClockMoved = onClockMoved;
  }

  /** Joins, or (PostgreSQL unreachable, LISTEN unsupported) serves without a cache and keeps trying. */
  async start(): Promise<void> {
    this.#beatTimer = setInterval(() => void this.#beat(), BEAT_MS);
    this.#beatTimer.unref();
    try {
      await this.#join();
    } catch (error) {
      this.#log.warn({ err: error }, "the read cache is off: this process could not join the others; it keeps trying");
      void this.#rejoin();
    }
  }

  epoch(unaffectedBy?: readonly string[]): number | null {
    if (!this.#joined || performance.now() - this.#lastConfirmed > SELF_LAPSE_MS) return null;
    return this.#versions.epoch(unaffectedBy);
  }

  /** This process wrote to these scopes (null: any), so what it cached of them may be stale already. */
  noteLocalWrite(scopes: string[] | null): void {
    this.#versions.wrote(scopes);
  }

  awaitSeen(): Promise<void> {
    if (!this.#listening) return this.#awaitUnheard();
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
    if (this.#checkTimer) clearTimeout(this.#checkTimer);
    const client = this.#client;
    this.#client = null;
    this.#joined = false;
    this.#listening = false;
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

  /**
   * A write this process cannot have acknowledged (it is not listening): wait until every member
   * has either read it or stopped caching — DEAD_AFTER_MS, or nothing when no member is alive.
   */
  async #awaitUnheard(): Promise<void> {
    // real time: heartbeats are between processes; a moved clock must not make members look dead.
    const alive = await this.#poolQuery(
      "select count(*)::int as alive from credauth_cache_members where heartbeat_at > clock_timestamp() - make_interval(secs => $1)",
      [DEAD_AFTER_MS / 1000],
    ).catch(() => [{ alive: 1 }]);
    if (Number(alive[0]?.alive ?? 1) > 0) await sleep(DEAD_AFTER_MS);
  }

  async #join(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#connectionString, application_name: "credauth-cache" });
    client.on("error", (error) => this.#lost(client, error));
    client.on("end", () => this.#lost(client, new Error("the listening connection ended")));
    client.on("notification", (message) => {
      if (client === this.#client && message.channel === CHANNEL) this.#read(message.payload ?? "");
    });
    this.#memberId = `${process.pid}-${randomBytes(6).toString("hex")}`;
    this.#members.clear();
    this.#positions.clear();
    this.#client = client;
    this.#tail = Promise.resolve();
    try {
      await client.connect();
      await this.#send(client, `listen ${CHANNEL}`);
      // Who is there already: anyone who joins from now on announces itself on the channel.
      // real time: heartbeats (as everywhere in this file)
      const present = await this.#send<{ id: string }>(
        client,
        "select id from credauth_cache_members where heartbeat_at > clock_timestamp() - make_interval(secs => $1)",
        [DEAD_AFTER_MS / 1000],
      );
      const now = performance.now();
      for (const { id } of present.rows) this.#members.set(id, { heardAt: now, acknowledged: 0, since: 0 });
      // real time: heartbeats
      await this.#send(
        client,
        "delete from credauth_cache_members where heartbeat_at < clock_timestamp() - interval '1 hour'",
      );
      // Reading its own announcement proves LISTEN works here (not through a transaction pooler).
      const listening = new Promise<void>((resolve, reject) => {
        this.#onListening = resolve;
        setTimeout(() => reject(new Error("its own announcement never came back")), JOIN_TIMEOUT_MS).unref();
      });
      await this.#send(client, "select pg_notify($1, $2)", [CHANNEL, `j:${this.#memberId}:`]);
      await listening;
      // Only now the row others look for: whoever starts later finds it, or hears its first beat.
      await this.#beatNow(client);
      this.#joined = true;
      this.#versions.wrote(null);
    } catch (error) {
      this.#onListening = null;
      if (this.#client === client) this.#client = null;
      this.#listening = false;
      await client.end().catch(() => {});
      throw error;
    }
    this.#onListening = null;
    this.#log.info({ member: this.#memberId, others: this.#members.size }, "the read cache joined");
    this.#sendSync();
  }

  /**
   * Upserts this member's row and says so on the channel, with how far it has read; and checks that
   * the session it runs in still listens (behind a transaction pooler it may be another session).
   */
  async #beatNow(client: pg.Client): Promise<void> {
    const sentAt = performance.now();
    // real time: heartbeats
    const result = await this.#send<{ listening: boolean }>(
      client,
      `insert into credauth_cache_members (id, pid, host) values ($1, $2, $3)
         on conflict (id) do update set heartbeat_at = clock_timestamp()
       returning pg_notify($4, $5) as announced, $4 = any (array(select pg_listening_channels())) as listening`,
      [this.#memberId, process.pid, hostname(), CHANNEL, `b:${this.#memberId}:${this.#lastMessage}`],
    );
    if (result.rows[0]?.listening !== true) {
      const error = new Error("the listening session no longer listens (a transaction pooler between?)");
      this.#lost(client, error);
      throw error;
    }
    this.#confirmed(client, sentAt);
  }

  async #beat(): Promise<void> {
    const client = this.#client;
    if (!client || !this.#joined) return;
    try {
      await this.#beatNow(client);
    } catch (error) {
      this.#log.warn({ err: error }, "the read cache could not beat; it is off until it can");
    }
    this.#checkWaiters();
  }

  /**
   * A statement sent at `sentAt` on the listening connection came back: the others have heard
   * from this member since then, and it has read what the channel carried before the answer.
   */
  #confirmed(client: pg.Client, sentAt: number): void {
    if (client !== this.#client || sentAt <= this.#lastConfirmed) return;
    // Back from a lapse: what was cached before it is not trusted after it.
    if (performance.now() - this.#lastConfirmed > SELF_LAPSE_MS) this.#versions.wrote(null);
    this.#lastConfirmed = sentAt;
  }

  #read(payload: string): void {
    const [kind, id = "", detail = ""] = payload.split(":");
    switch (kind) {
      case "c": // the clock moved (migration 13), told before that transaction's write
        this.#onClockMoved(Number(id));
        break;
      case "w":
      case "s":
        this.#position++;
        this.#positions.set(payload, this.#position);
        if (this.#positions.size > REMEMBERED_MESSAGES) {
          const oldest = this.#positions.keys().next().value;
          if (oldest !== undefined) this.#positions.delete(oldest);
        }
        // ':' separates the fields of a message, so a message named inside one uses '.'.
        this.#lastMessage = payload.replaceAll(":", ".");
        // The scope a write names (migration 19); an announcement without one touched anything.
        if (kind === "w") this.#versions.wrote(detail === "" ? null : [detail]);
        for (const waiter of this.#waiters) if (waiter.message === payload) waiter.position = this.#position;
        this.#acknowledge();
        break;
      case "j":
      case "b":
      case "a":
        if (id !== this.#memberId) this.#heard(id, detail);
        else if (kind === "j" && !this.#listening) {
          this.#listening = true;
          this.#onListening?.();
        }
        break;
      case "l":
        this.#members.delete(id);
        break;
    }
    this.#checkWaiters();
  }

  /** Another member spoke; its message names the last write or sync it had read ('' for none). */
  #heard(id: string, lastRead: string): void {
    const member = this.#members.get(id) ?? { heardAt: 0, acknowledged: 0, since: this.#position };
    member.heardAt = performance.now();
    const position = lastRead === "" ? undefined : this.#positions.get(lastRead.replaceAll(".", ":"));
    if (position !== undefined && position > member.acknowledged) member.acknowledged = position;
    this.#members.set(id, member);
  }

  /** Tells the others how far this member has read: one statement at a time, the latest each time. */
  #acknowledge(): void {
    const client = this.#client;
    if (this.#members.size === 0 || !client || !this.#listening) return;
    if (this.#acknowledging) {
      this.#acknowledgeAgain = true;
      return;
    }
    this.#acknowledging = true;
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
    const client = this.#client;
    if (this.#syncInFlight || this.#nextSync.length === 0 || !client || !this.#listening) return;
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
      .catch(() => {}) // the connection is lost: #lost has handed these waiters on
      .finally(() => {
        this.#syncInFlight = false;
        this.#sendSync();
      });
  }

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
      if (this.#lastConfirmed - member.heardAt > DEAD_AFTER_MS) {
        this.#members.delete(id);
        this.#log.warn({ member: id }, "a credauth process stopped beating; it is no longer waited for");
      }
    }
    const members = [...this.#members.values()];
    for (const waiter of this.#waiters) {
      const position = waiter.position;
      if (position === null) continue;
      if (members.every((member) => member.since >= position || member.acknowledged >= position)) {
        this.#waiters.delete(waiter);
        clearTimeout(waiter.timer);
        waiter.resolve();
      }
    }
    if (this.#waiters.size > 0) this.#scheduleCheck();
  }

  /** While someone waits, look again for members that died: nothing else would wake the waiter. */
  #scheduleCheck(): void {
    if (this.#checkTimer) return;
    this.#checkTimer = setTimeout(() => {
      this.#checkTimer = null;
      this.#checkWaiters();
    }, 250);
    this.#checkTimer.unref();
  }

  #lost(client: pg.Client, error: Error): void {
    if (client !== this.#client) return;
    this.#client = null;
    this.#joined = false;
    this.#listening = false;
    this.#versions.wrote(null);
    client.end().catch(() => {});
    // Waiters can no longer hear acknowledgements: they wait as a process that is not listening.
    for (const waiter of [...this.#waiters, ...this.#nextSync]) {
      clearTimeout(waiter.timer);
      this.#awaitUnheard().then(waiter.resolve);
    }
    this.#waiters.clear();
    this.#nextSync = [];
    if (this.#closed) return;
    this.#log.warn({ err: error }, "the read cache lost its listening connection; it is off until it joins again");
    void this.#rejoin();
  }

  async #rejoin(): Promise<void> {
    if (this.#rejoining) return;
    this.#rejoining = true;
    try {
      for (let attempt = 0; !this.#closed && !this.#joined; attempt++) {
        await sleep(REJOIN_DELAYS_MS[Math.min(attempt, REJOIN_DELAYS_MS.length - 1)]!);
        if (this.#closed) return;
        await this.#join().catch(() => {});
      }
    } finally {
      this.#rejoining = false;
    }
  }
}
