import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError, parseConfig, redactUrl } from "../../src/config.ts";

describe("configuration", () => {
  it("serves metrics on a port of their own only when asked, on localhost unless told, never on the API's", () => {
    assert.equal(parseConfig({}, {}).metrics, null);
    assert.deepEqual(parseConfig({ metricsPort: "9464" }, {}).metrics, { host: "127.0.0.1", port: 9464 });
    assert.deepEqual(parseConfig({}, { CREDAUTH_METRICS_PORT: "9464", CREDAUTH_METRICS_HOST: "0.0.0.0" }).metrics, {
      host: "0.0.0.0",
      port: 9464,
    });
    assert.throws(() => parseConfig({ metricsPort: "3000" }, {}), /--metrics-port 3000 is the API's port/);
    assert.throws(
      () => parseConfig({ metricsPort: "x" }, {}),
      /--metrics-port \/ CREDAUTH_METRICS_PORT must be a whole number/,
    );
  });

  it("refuses an SMTP URL nodemailer could not use, in a line that holds no password", () => {
    for (const url of [
      "smtp://user:s3cretpw@[bad",
      "smtp://user:s3cretpw@host:99999",
      "smtp://user:s3cretpw@host:0",
      "http://h",
    ])
      assert.throws(
        () => parseConfig({}, { CREDAUTH_SMTP_URL: url }),
        (error: Error) =>
          error instanceof ConfigError && /--smtp-url/.test(error.message) && !error.message.includes("s3cretpw"),
        url,
      );
    assert.equal(
      parseConfig({ smtpUrl: "smtps://u:p@mail.example:465" }, {}).mail?.smtpUrl,
      "smtps://u:p@mail.example:465",
    );
    assert.equal(parseConfig({ smtpUrl: "smtp://127.0.0.1:1025" }, {}).mail?.smtpUrl, "smtp://127.0.0.1:1025");
  });

  it("defaults to embedded PGlite in .credauth/data on 127.0.0.1:3000", () => {
    const config = parseConfig({}, {}, "/srv");
    assert.deepEqual(config.database, { kind: "pglite", dataDir: "/srv/.credauth/data" });
    assert.deepEqual(config.http, { host: "127.0.0.1", port: 3000 });
    assert.equal(config.runWorker, true);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.jobs));
  });

  it("selects PostgreSQL from --database-url or DATABASE_URL, the flag first", () => {
    assert.deepEqual(parseConfig({}, { DATABASE_URL: "postgres://a/b" }).database, {
      kind: "postgres",
      url: "postgres://a/b",
    });
    assert.deepEqual(parseConfig({ databaseUrl: "postgresql://c/d" }, { DATABASE_URL: "postgres://a/b" }).database, {
      kind: "postgres",
      url: "postgresql://c/d",
    });
    assert.equal(parseConfig({ data: "x" }, { DATABASE_URL: "postgres://a/b" }, "/srv").database.kind, "pglite");
  });

  it("reads secrets from files, the public URL and the rate-limit mode", () => {
    const dir = mkdtempSync(join(tmpdir(), "credauth-config-"));
    try {
      writeFileSync(join(dir, "token"), `${"a".repeat(40)}\n`);
      writeFileSync(join(dir, "url"), "postgres://u:secret@db/credauth\n");
      const config = parseConfig(
        { adminTokenFile: join(dir, "token") },
        { DATABASE_URL_FILE: join(dir, "url"), CREDAUTH_PUBLIC_URL: "https://credauth.example/" },
      );
      assert.equal(config.adminToken, "a".repeat(40));
      assert.deepEqual(config.database, { kind: "postgres", url: "postgres://u:secret@db/credauth" });
      assert.equal(config.publicUrl, "https://credauth.example");
      assert.equal(config.rateLimit, "github");
      assert.equal(parseConfig({ rateLimit: "off" }, {}).rateLimit, "off");
      assert.equal(redactUrl("postgres://u:secret@db/credauth"), "postgres://u:redacted@db/credauth");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("serves HTTPS from a certificate and key given together as PEM, or self-signed beside the data folder", () => {
    const dir = mkdtempSync(join(tmpdir(), "credauth-tls-"));
    try {
      const cert = join(dir, "cert.pem");
      const key = join(dir, "key.pem");
      writeFileSync(cert, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
      writeFileSync(key, "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n");
      assert.equal(parseConfig({}, {}).tls, null);
      const tls = parseConfig({ tlsCert: cert }, { CREDAUTH_TLS_KEY: key }).tls;
      assert.deepEqual(tls, { certFile: cert, keyFile: key, selfSigned: false });
      const selfSigned = parseConfig({ tlsSelfSigned: true, data: join(dir, "data") }, {}).tls;
      assert.deepEqual(selfSigned, {
        certFile: join(dir, "tls", "cert.pem"),
        keyFile: join(dir, "tls", "key.pem"),
        selfSigned: true,
      });
      assert.throws(() => parseConfig({ tlsSelfSigned: true, tlsCert: cert, tlsKey: key }, {}), /leave out --tls-cert/);
      assert.throws(() => parseConfig({ tlsCert: cert }, {}), /go together: give both PEM files/);
      assert.throws(
        () => parseConfig({ tlsCert: cert, tlsKey: join(dir, "none") }, {}),
        /--tls-key .* cannot be read \(ENOENT\)/,
      );
      writeFileSync(join(dir, "plain.txt"), "not a certificate");
      assert.throws(
        () => parseConfig({ tlsCert: join(dir, "plain.txt"), tlsKey: key }, {}),
        (error: unknown) => error instanceof ConfigError && /is not a PEM file/.test(error.message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("explains how to fix bad values", () => {
    assert.throws(
      () => parseConfig({ databaseUrl: "mysql://x" }, {}),
      (e: Error) => e instanceof ConfigError && /Omit it to use the embedded PGlite/.test(e.message),
    );
    assert.throws(() => parseConfig({ port: "70000" }, {}), /--port \/ PORT must be a whole number from 0 to 65535/);
    assert.throws(() => parseConfig({ logLevel: "loud" }, {}), /must be one of fatal/);
    assert.throws(() => parseConfig({ data: "a", databaseUrl: "postgres://x" }, {}), /not both/);
    assert.throws(() => parseConfig({}, { CREDAUTH_JOB_HEARTBEAT_SECONDS: "5" }), /pg-boss requires at least 10/);
    assert.throws(
      () => parseConfig({ publicUrl: "credauth.example" }, {}),
      /--public-url \/ CREDAUTH_PUBLIC_URL must be an http\(s\) URL/,
    );
    assert.throws(() => parseConfig({ rateLimit: "maybe" }, {}), /must be github .* or off/);
    assert.throws(
      () => parseConfig({ adminTokenFile: "/nonexistent/token" }, {}),
      /--admin-token-file \/nonexistent\/token cannot be read \(ENOENT\)/,
    );
  });
});
