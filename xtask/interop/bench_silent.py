"""Times MSAL Python 1.39.0's acquire_token_silent cache hit on a cache msal-rs wrote.

Usage: python bench_silent.py CACHE_JSON AUTHORITY CA_PEM PUBLIC_ID USER_SCOPE ITERATIONS
Prints the mean time per call in nanoseconds.
"""
import sys
import time

import msal

cache_path, authority, ca, public_id, user_scope, iterations = sys.argv[1:7]
iterations = int(iterations)
cache = msal.SerializableTokenCache()
with open(cache_path) as f:
    cache.deserialize(f.read())
app = msal.PublicClientApplication(
    public_id, authority=authority, token_cache=cache, instance_discovery=False, verify=ca
)
account = app.get_accounts()[0]
result = app.acquire_token_silent([user_scope], account=account)
assert result and result.get("token_source") == "cache", result
start = time.perf_counter_ns()
for _ in range(iterations):
    app.acquire_token_silent([user_scope], account=account)
elapsed = time.perf_counter_ns() - start
print(elapsed // iterations)
