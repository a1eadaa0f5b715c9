"""Times MSAL Python 1.39.0 on a cache file msal-rs wrote, as `cargo xtask bench --vs-python` asks.

Usage:
    python bench_sizes.py time CACHE_JSON AUTHORITY CA_PEM PUBLIC_ID CONF_ID CONF_SECRET \
        USER_UPN USER_SCOPE APP_SCOPE ITERATIONS REPEATS
    python bench_sizes.py rss CACHE_JSON

`time` prints one JSON object: the best of REPEATS `deserialize` and `serialize` runs (seconds),
and the mean `acquire_token_for_client` and `acquire_token_silent` cache hit (nanoseconds).
`rss` reads and deserializes the file, then prints the process's peak resident set in KiB.
"""
import json
import resource
import sys
import time

import msal


def best_of(repeats, action):
    """The fastest of at least `repeats` runs, going on until a second has passed (as
    `best_of` in vs_python.rs)."""
    best = None
    began = time.perf_counter()
    done = 0
    while done < repeats or time.perf_counter() - began < 1.0:
        start = time.perf_counter()
        action()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
        done += 1
    return best


def per_call_ns(iterations, call):
    """Mean time per call over `iterations` calls, or fewer (at least 20) once 3 s have passed:
    a lookup that is linear in the cache takes milliseconds at 20k tokens."""
    start = time.perf_counter_ns()
    budget = start + 3_000_000_000
    done = 0
    while done < iterations:
        call()
        done += 1
        if done >= 20 and time.perf_counter_ns() > budget:
            break
    return (time.perf_counter_ns() - start) / done


def time_everything(args):
    (cache_path, authority, ca, public_id, conf_id, conf_secret, upn, user_scope, app_scope,
     iterations, repeats) = args
    iterations, repeats = int(iterations), int(repeats)
    with open(cache_path) as f:
        data = f.read()
    cache = msal.SerializableTokenCache()
    # Loaded once first, as on the msal-rs side: every timed run then replaces a full cache (and
    # pays for freeing it) rather than the first one replacing an empty one.
    cache.deserialize(data)
    deserialize = best_of(repeats, lambda: cache.deserialize(data))
    serialize = best_of(repeats, cache.serialize)

    cca = msal.ConfidentialClientApplication(
        conf_id, client_credential=conf_secret, authority=authority, token_cache=cache,
        instance_discovery=False, verify=ca)
    first = cca.acquire_token_for_client([app_scope])
    assert first.get("token_source") == "cache", first
    client_hit = per_call_ns(iterations, lambda: cca.acquire_token_for_client([app_scope]))

    pca = msal.PublicClientApplication(
        public_id, authority=authority, token_cache=cache, instance_discovery=False, verify=ca)
    account = pca.get_accounts(username=upn)[0]
    first = pca.acquire_token_silent([user_scope], account=account)
    assert first and first.get("token_source") == "cache", first
    silent_hit = per_call_ns(
        iterations, lambda: pca.acquire_token_silent([user_scope], account=account))

    print(json.dumps({
        "deserialize_s": deserialize,
        "serialize_s": serialize,
        "client_hit_ns": client_hit,
        "silent_hit_ns": silent_hit,
    }))


def peak_rss(args):
    (cache_path,) = args
    with open(cache_path) as f:
        data = f.read()
    cache = msal.SerializableTokenCache()
    cache.deserialize(data)
    # Linux reports ru_maxrss in KiB.
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


if __name__ == "__main__":
    mode, rest = sys.argv[1], sys.argv[2:]
    {"time": time_everything, "rss": peak_rss}[mode](rest)
