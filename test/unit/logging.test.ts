// The one logger: JSON lines or readable lines, the same secrets kept out of both.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setImmediate as turn } from "node:timers/promises";
import { loadProgress } from "../../src/cli/load-progress.ts";
import { ConfigError, parseConfig } from "../../src/config.ts";
import { createLogger } from "../../src/logging.ts";

const TOKEN = "ghp_loggedNowhere0000000000000000000000000";

function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(line) } };
}

/** A request as pino's serializer sees it, with a token in its header and in its query. */
const request = {
  method: "GET",
  url: `/user?access_token=${TOKEN}&per_page=1`,
  ip: "127.0.0.1",
  headers: { authorization: `Bearer ${TOKEN}` },
};

describe("logging", () => {
  it("writes one JSON object per line in the json format, secrets redacted", () => {
    const out = capture();
    const logger = createLogger({ logLevel: "info", logFormat: "json" }, { name: "credauth-test", ...out });
    logger.info({ req: request, revocationId: 7 }, "revocation requested");
    assert.equal(out.lines.length, 1);
    const line = JSON.parse(out.lines[0]!);
    assert.equal(line.msg, "revocation requested");
    assert.equal(line.name, "credauth-test");
    assert.equal(line.revocationId, 7);
    assert.equal(line.req.method, "GET");
    assert.match(line.req.url, /^\/user\?/);
    assert.ok(!out.lines[0]!.includes(TOKEN), out.lines[0]);
  });

  it("writes readable single lines in the pretty format, secrets redacted", async () => {
    const out = capture();
    const logger = createLogger({ logLevel: "info", logFormat: "pretty" }, out);
    logger.info({ req: request, revocationId: 7 }, "revocation requested");
    logger.debug("below the level");
    await turn();
    const text = out.lines.join("");
    assert.match(text, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: revocation requested \{.*"revocationId":7/);
    assert.equal(text.trim().split("\n").length, 1, "one line per entry, nothing below the level");
    assert.throws(() => JSON.parse(text));
    assert.ok(!text.includes(TOKEN), text);
  });

  it("takes the format from --log-format or CREDAUTH_LOG_FORMAT, json by default, and explains a wrong one", () => {
    assert.equal(parseConfig({}, {}).logFormat, "json");
    assert.equal(parseConfig({}, { CREDAUTH_LOG_FORMAT: "pretty" }).logFormat, "pretty");
    assert.equal(parseConfig({ logFormat: "json" }, { CREDAUTH_LOG_FORMAT: "pretty" }).logFormat, "json");
    assert.throws(
      () => parseConfig({ logFormat: "text" }, {}),
      (error: unknown) => error instanceof ConfigError && /--log-format .*pretty .*json.*"text"/.test(error.message),
    );
    assert.equal(parseConfig({}, {}).jobs.progressSeconds, 10);
    assert.equal(parseConfig({ jobProgressSeconds: "2.5" }, {}).jobs.progressSeconds, 2.5);
    assert.throws(() => parseConfig({ jobProgressSeconds: "0" }, {}), /--job-progress-seconds/);
  });

  it("shows a load's progress as a log line every tenth of the way when no terminal watches", () => {
    const lines: Record<string, unknown>[] = [];
    const progress = loadProgress("world.json", { info: (details, msg) => lines.push({ ...details, msg }) }, false);
    for (let done = 0; done <= 1000; done += 50) progress.update({ usersDone: done, users: 1000 });
    progress.stop();
    assert.deepEqual(
      lines.map((line) => line.percent),
      [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100],
    );
    assert.ok(lines.every((line) => line.msg === "loading fixture" && line.fixture === "world.json"));
    assert.deepEqual(lines.at(-1), {
      fixture: "world.json",
      usersDone: 1000,
      users: 1000,
      percent: 100,
      msg: "loading fixture",
    });
  });
});
