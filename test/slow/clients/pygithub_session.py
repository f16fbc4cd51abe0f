# PyGithub (Debian's python3-github), unmodified, in enterprise mode against credauth: the base URL
# ends in /api/v3, as for GitHub Enterprise Server. Tokens come from the environment, never argv.
# Prints one JSON object with what it saw; the Node test asserts on it. With REVOKE=1 it also
# revokes the member's authorizations and checks SAML enforcement meets the member's token.
import json
import os

import github

base = os.environ["CREDAUTH_API"]
owner = github.Github(login_or_token=os.environ["OWNER_TOKEN"], base_url=base)
member = github.Github(login_or_token=os.environ["MEMBER_TOKEN"], base_url=base)
seen = {}

seen["owner_login"] = owner.get_user().login
seen["member_login"] = member.get_user().login
seen["org_login"] = member.get_organization(os.environ["ORG"]).login
seen["owner_orgs"] = [org.login for org in owner.get_user().get_orgs()]
seen["members"] = sorted(m.login for m in owner.get_organization(os.environ["ORG"]).get_members())
keys = github.Github(login_or_token=os.environ["KEYS_TOKEN"], base_url=base)
seen["key_titles"] = [key.title for key in keys.get_user().get_keys()]
rate = owner.get_rate_limit()
seen["core_limit"] = rate.core.limit
seen["core_remaining"] = rate.core.remaining

print_only = os.environ.get("REVOKE") != "1"
if print_only:
    print(json.dumps(seen))
    raise SystemExit(0)

# PyGithub has no method for this family: its requester makes the raw call, as scripts do.
requester = owner._Github__requester
headers, body = requester.requestJsonAndCheck(
    "POST", "/orgs/%s/credential-authorizations/%s/revoke" % (os.environ["ORG"], os.environ["MEMBER"]), input={}
)
seen["revoke_message"] = body["message"]
seen["location"] = headers["location"]

try:
    member.get_organization(os.environ["ORG"])
    seen["member_after"] = "allowed"
except github.GithubException as error:
    seen["member_after"] = error.status
    seen["member_after_message"] = error.data.get("message")

print(json.dumps(seen))
