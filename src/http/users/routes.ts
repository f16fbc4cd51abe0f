// GET /user — GitHub's own endpoint, here to show that a destroyed token stops authenticating.
import type { FastifyInstance } from "fastify";
import { requirePrincipal } from "../authentication.ts";
import { presentPrivateUser } from "../presenters.ts";
import type { Services } from "../services.ts";
import { apiBaseUrl } from "../urls.ts";

/** How many characters of rendered bodies are kept; past it the memo starts over (as the principal cache does). */
const RENDERED_CHARACTERS = 16_000_000;

export default async function userRoutes(app: FastifyInstance, services: Services): Promise<void> {
  // The body is a pure function of the base URL and the user's id, login and creation time, and
  // rendering it was a sixth of the CPU of a cached authenticated read (docs/performance.md), so the
  // JSON is kept under a key made of every input: it cannot go stale, only be evicted.
  const rendered = new Map<string, string>();
  let renderedCharacters = 0;
  app.get(
    "/user",
    {
      config: {
        operation: "users/get-authenticated",
        conditional: "github",
        documentationUrl: "https://docs.github.com/rest/users/users#get-the-authenticated-user",
      },
    },
    async (request, reply) => {
      const { user } = requirePrincipal(request);
      const base = apiBaseUrl(request);
      const key = `${user.id} ${user.login} ${user.createdAt.getTime()} ${base}`;
      let body = rendered.get(key);
      if (body === undefined) {
        body = JSON.stringify(presentPrivateUser(base, services.config.webUrl, user));
        if (renderedCharacters + body.length > RENDERED_CHARACTERS) {
          rendered.clear();
          renderedCharacters = 0;
        }
        rendered.set(key, body);
        renderedCharacters += body.length;
      }
      return reply.type("application/json; charset=utf-8").send(body);
    },
  );
}
