"""MSAL Python 1.39.0 reads a cache written by msal-rs and must answer from it.

Usage: python read_cache.py CACHE_JSON AUTHORITY CA_PEM PUBLIC_ID CONFIDENTIAL_ID SECRET USER_SCOPE APP_SCOPE
Prints one JSON line with what it found; exits non-zero when something is missing.
"""
import json
import sys

import msal

cache_path, authority, ca, public_id, conf_id, secret, user_scope, app_scope = sys.argv[1:9]
assert msal.__version__ == "1.39.0", msal.__version__

cache = msal.SerializableTokenCache()
with open(cache_path) as f:
    cache.deserialize(f.read())

pca = msal.PublicClientApplication(
    public_id, authority=authority, token_cache=cache, instance_discovery=False, verify=ca
)
accounts = pca.get_accounts()
silent = pca.acquire_token_silent([user_scope], account=accounts[0]) if accounts else None

cca = msal.ConfidentialClientApplication(
    conf_id, client_credential=secret, authority=authority, token_cache=cache,
    instance_discovery=False, verify=ca,
)
app_token = cca.acquire_token_for_client([app_scope])

summary = {
    "accounts": [a["username"] for a in accounts],
    "silent_source": (silent or {}).get("token_source"),
    "client_credentials_source": app_token.get("token_source"),
}
print(json.dumps(summary))
ok = (
    summary["accounts"] == ["alice@contoso.example"]
    and summary["silent_source"] == "cache"
    and summary["client_credentials_source"] == "cache"
)
sys.exit(0 if ok else 1)
