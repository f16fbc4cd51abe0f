import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parsePhrase } from "../../src/domain/audit-phrase.ts";

describe("audit-log phrase", () => {
  it("parses qualifiers, negation and quoted values", () => {
    const result = parsePhrase('action:org_credential_authorization.revoke -actor:bot user:"alice" org:acme-eng');
    assert.ok(result.ok);
    assert.deepEqual(result.filter.terms, [
      [{ field: "action", value: "org_credential_authorization.revoke", negated: false }],
      [{ field: "user", value: "alice", negated: false }],
      [{ field: "org", value: "acme-eng", negated: false }],
      [{ field: "actor", value: "bot", negated: true }],
    ]);
  });

  it("groups a qualifier given twice, so either value matches, and keeps negations apart", () => {
    const result = parsePhrase("actor:a actor:b -actor:c -actor:d operation:remove");
    assert.ok(result.ok);
    assert.deepEqual(result.filter.terms, [
      [
        { field: "actor", value: "a", negated: false },
        { field: "actor", value: "b", negated: false },
      ],
      [{ field: "operation", value: "remove", negated: false }],
      [{ field: "actor", value: "c", negated: true }],
      [{ field: "actor", value: "d", negated: true }],
    ]);
  });

  it("reads ids as numbers and hashed tokens as GitHub's examples write them", () => {
    const result = parsePhrase('actor_id:12 business_id:3 hashed_token:"EH4L8o6PfCqipALbL+QT62lyqUtnI7ql0SPbkaQnjv8="');
    assert.ok(result.ok);
    assert.deepEqual(result.filter.terms, [
      [{ field: "actor_id", value: 12, negated: false }],
      [{ field: "business_id", value: 3, negated: false }],
      [{ field: "hashed_token", value: "EH4L8o6PfCqipALbL+QT62lyqUtnI7ql0SPbkaQnjv8", negated: false }],
    ]);
    // A + that a URL turned into a space is a + again.
    const spaced = parsePhrase('hashed_token:"a b"');
    assert.ok(spaced.ok);
    assert.deepEqual(spaced.filter.terms, [[{ field: "hashed_token", value: "a+b", negated: false }]]);
  });

  it("turns created: qualifiers into inclusive and exclusive bounds", () => {
    const day = parsePhrase("created:2026-01-02");
    assert.ok(day.ok);
    assert.deepEqual(day.filter.created, [
      {
        from: new Date("2026-01-02T00:00:00Z"),
        fromInclusive: true,
        to: new Date("2026-01-02T23:59:59.999Z"),
        toInclusive: true,
      },
    ]);
    const after = parsePhrase("created:>2026-01-02");
    assert.ok(after.ok);
    assert.deepEqual(after.filter.created[0], {
      from: new Date("2026-01-02T23:59:59.999Z"),
      fromInclusive: false,
      toInclusive: false,
    });
    const range = parsePhrase("created:2026-01-01..2026-01-31");
    assert.ok(range.ok);
    assert.deepEqual(range.filter.created[0], {
      from: new Date("2026-01-01T00:00:00Z"),
      fromInclusive: true,
      to: new Date("2026-01-31T23:59:59.999Z"),
      toInclusive: true,
    });
    const open = parsePhrase("created:<=2026-01-01T10:00:00Z");
    assert.ok(open.ok);
    assert.deepEqual(open.filter.created[0], {
      to: new Date("2026-01-01T10:00:00Z"),
      toInclusive: true,
      fromInclusive: false,
    });
  });

  it("accepts every day that exists, leap days included, up to the end of year 9999", () => {
    for (const phrase of [
      "created:2024-02-29",
      "created:9999-12-31",
      "created:1970-01-01",
      "created:2026-01-01T10:00",
      "created:2026-01-01T10:00:00.5+14:00",
    ]) {
      assert.ok(parsePhrase(phrase).ok, phrase);
    }
  });

  it("refuses what it cannot search by, saying what is wrong", () => {
    for (const [phrase, problem] of [
      ["colour:x", /not a supported qualifier/],
      ["actor_id:abc", /not an id/],
      ["operation:explode", /not an operation/],
      ["created:soon", /not a created: date/],
      ["-created:2026-01-01", /cannot be negated/],
      ["hello", /not a qualifier/],
      ["actor:", /needs a value/],
      ["created:2026-13-45", /not a created: date/],
      // Dates that do not exist are refused, not rolled over into the next month or day.
      ["created:2026-02-30", /not a created: date/],
      ["created:2025-02-29", /not a created: date/],
      ["created:2026-01-01T24:00:00Z", /not a created: date/],
      ["created:2026-01-01T10:00:00+15:00", /not a created: date/],
      // Outside the years an event can have (the database cannot even hold some of them).
      ["created:0000-01-01", /not a created: date/],
      ["created:1969-12-31", /not a created: date/],
      ["created:9999-12-31T23:59:59-14:00", /not a created: date/],
      ["created:>=2026-01-01..9999-99-99", /not a created: date/],
    ] as const) {
      const result = parsePhrase(phrase);
      assert.ok(!result.ok, phrase);
      assert.match(result.problem, problem);
    }
  });
});
