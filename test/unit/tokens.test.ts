import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  checksum,
  generateToken,
  hashToken,
  hasValidChecksum,
  lastEight,
  sshFingerprint,
  tokenHashesEqual,
  tokenTypeOf,
} from "../../src/domain/tokens.ts";

describe("GitHub token formats", () => {
  it("generates each type with GitHub's prefix, alphabet, length and a checksum that verifies", () => {
    const expected = {
      classic_pat: /^ghp_[A-Za-z0-9]{36}$/,
      oauth_app_token: /^gho_[A-Za-z0-9]{36}$/,
      github_app_token: /^ghu_[A-Za-z0-9]{36}$/,
      fine_grained_pat: /^github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}$/,
    } as const;
    for (const [type, shape] of Object.entries(expected) as [keyof typeof expected, RegExp][]) {
      for (let i = 0; i < 50; i++) {
        const token = generateToken(type);
        assert.match(token, shape);
        assert.equal(tokenTypeOf(token), type);
        assert.ok(hasValidChecksum(token), token.slice(0, 6));
      }
    }
    assert.equal(generateToken("fine_grained_pat").length, 93);
    assert.equal(generateToken("classic_pat").length, 40);
  });

  it("detects a changed character through the checksum", () => {
    const token = generateToken("classic_pat");
    const flipped = token.slice(0, 10) + (token[10] === "a" ? "b" : "a") + token.slice(11);
    assert.equal(hasValidChecksum(flipped), false);
  });

  it("encodes the CRC32 in six base62 characters, left-padded", () => {
    assert.equal(checksum("").length, 6);
    assert.equal(checksum(""), "000000");
    assert.match(checksum("abc"), /^[0-9A-Za-z]{6}$/);
  });

  it("rejects wrong prefixes, characters and lengths", () => {
    for (const bad of [
      "ghp_short",
      `ghx_${"a".repeat(36)}`,
      `ghp_${"a".repeat(35)}-`,
      `github_pat_${"a".repeat(82)}`,
      "",
      `ghr_${"a".repeat(76)}`,
      `ghs_${"a".repeat(35)}`,
    ]) {
      assert.equal(tokenTypeOf(bad), null, bad);
    }
  });

  it("hashes with SHA-256 and compares hashes in constant time", () => {
    const a = hashToken("ghp_x");
    assert.equal(a.length, 32);
    assert.ok(tokenHashesEqual(a, hashToken("ghp_x")));
    assert.ok(!tokenHashesEqual(a, hashToken("ghp_y")));
    assert.ok(!tokenHashesEqual(a, a.subarray(0, 31)));
    assert.equal(lastEight("ghp_abcdefghijklmnop"), "ijklmnop");
  });

  it("fingerprints OpenSSH public keys like ssh-keygen -l", () => {
    // What `ssh-keygen -lf` printed for this key.
    const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPO5BpIzvYZz3vCM3XOlgBDVvtetQ38JUOwfrCZOIxIU alice@laptop";
    const fingerprint = sshFingerprint(key);
    assert.equal(fingerprint, "SHA256:p3VX7SFLcI8SbHnxxKiHFAmrtu4Q1lKRlaxEVFv3W9s");
    assert.equal(
      sshFingerprint(key.replace("alice@laptop", "other comment")),
      fingerprint,
      "the comment is not part of the key",
    );
    assert.equal(sshFingerprint("not a key"), null);
    assert.equal(sshFingerprint("ssh-ed25519 !!!"), null);
  });
});
