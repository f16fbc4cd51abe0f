// The read baseline: a bare Fastify route in its own process, answering a body the size of GET /user.
import Fastify from "fastify";

const body = JSON.stringify({ login: "bench_user_1", id: 1, type: "User", site_admin: false, padding: "x".repeat(1200) });
const app = Fastify({ logger: false });
app.get("/user", async (_request, reply) => reply.type("application/json; charset=utf-8").send(body));
const address = await app.listen({ port: 0, host: "127.0.0.1" });
console.log(`bare listening on ${address}`);
process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
