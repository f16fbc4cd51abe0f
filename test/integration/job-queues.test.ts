// The job settings of each start apply to queues an earlier start created: pg-boss's createQueue
// leaves an existing queue as it was, so a changed --job-retry-limit used to be ignored.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NOTIFICATION_QUEUE } from "../../src/jobs/notifications.ts";
import { REVOCATION_QUEUE, SHARD_QUEUE } from "../../src/jobs/revocation-job.ts";
import { backends, buildTestApp } from "../helpers/backends.ts";

for (const backend of backends()) {
  describe(`job queues on ${backend.name}`, () => {
    it("take this start's retry limit, though an earlier start created them with another", async () => {
      for (const retryLimit of [3, 7]) {
        const { app, close } = await buildTestApp(backend, { jobs: { retryLimit } });
        try {
          for (const queue of [REVOCATION_QUEUE, SHARD_QUEUE])
            assert.equal((await app.services.boss.getQueue(queue))?.retryLimit, retryLimit, queue);
          assert.equal((await app.services.boss.getQueue(NOTIFICATION_QUEUE))?.retryLimit, 30);
        } finally {
          await close();
        }
      }
    });
  });
}
