"""msal-extensions 1.3.1's LibsecretPersistence on the other side of msal-rs's KeyringCacheStore.

Run by ../secret_service.rs inside its private Secret Service session:

    python libsecret_cache.py read LOCATION    prints the access-token secrets it finds, as JSON
    python libsecret_cache.py write LOCATION   adds an access token "at-from-python"

LibsecretPersistence(LOCATION) is what build_encrypted_persistence(LOCATION) makes on Linux:
schema name sha256(LOCATION), no attributes, LOCATION as the signal file, and
PersistedTokenCache locks LOCATION + ".lockfile" around every change.
"""
import json
import sys

import msal
from msal_extensions import LibsecretPersistence, PersistedTokenCache

mode, location = sys.argv[1], sys.argv[2]
cache = PersistedTokenCache(LibsecretPersistence(location))
if mode == "read":
    tokens = cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)
    print(json.dumps(sorted(t["secret"] for t in tokens)))
elif mode == "write":
    cache.add({
        "client_id": "client",
        "scope": ["api/.default"],
        "token_endpoint": "https://login.example/tenant-py/oauth2/v2.0/token",
        "grant_type": "client_credentials",
        "response": {"access_token": "at-from-python", "expires_in": 3600, "token_type": "Bearer"},
    })
else:
    sys.exit("usage: libsecret_cache.py read|write LOCATION")
