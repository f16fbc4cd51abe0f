// GET /user — GitHub's own endpoint, here to show that a destroyed token stops authenticating.
import type { FastifyInstance } from "fastify";
import { requirePrincipal } from "../authentication.ts";
import { presentPrivateUser } from "../presenters.ts";
import { apiBaseUrl, type Services } from "../services.ts";

export default async function userRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.get("/user", { config: { documentationUrl: "https://docs.github.com/rest/users/users#get-the-authenticated-user" } }, async (request) => {
    const principal = requirePrincipal(request);
    return presentPrivateUser(apiBaseUrl(request), services.config.webUrl, principal.user);
  });
}
