# PyGithub (Debian's python3-github), unmodified, signing in as a GitHub App: GithubIntegration
# signs the JWT with the App's private key and trades it for an installation token, which then
# revokes a user's authorizations in the enterprise. The key comes from the environment, never
# argv. Prints one JSON object with what it saw; the Node test asserts on it.
import json
import os

import github

base = os.environ["CREDAUTH_API"]
integration = github.GithubIntegration(int(os.environ["APP_ID"]), os.environ["APP_PRIVATE_KEY"], base_url=base)
seen = {}
authorization = integration.get_access_token(int(os.environ["INSTALLATION_ID"]))
seen["token_prefix"] = authorization.token[:4]
seen["expires_at"] = authorization.expires_at.isoformat()
seen["permissions"] = authorization.raw_data.get("permissions")

installation = github.Github(login_or_token=authorization.token, base_url=base)
# PyGithub has no method for this family: its requester makes the raw call, as scripts do.
requester = installation._Github__requester
headers, body = requester.requestJsonAndCheck(
    "POST",
    "/enterprises/%s/credential-authorizations/%s/revoke" % (os.environ["ENTERPRISE"], os.environ["MEMBER"]),
    input={},
)
seen["revoke_message"] = body["message"]
# A second token, for gh: handed over on stdout, as a test's pipe, never argv.
seen["token_for_gh"] = integration.get_access_token(int(os.environ["INSTALLATION_ID"])).token
print(json.dumps(seen))
