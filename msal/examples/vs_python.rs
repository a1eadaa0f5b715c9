//! `cargo xtask bench --vs-python`: msal-rs and MSAL Python 1.39.0 side by side, in one run, on
//! the same cache files, at 20, 2k, 20k and 200k cached access tokens.
//!
//! A user and an app sign in against the emulator; their cache is padded with other tenants' app
//! tokens and other users' tokens (1.2 KB secrets, as real JWTs), serialized by msal-rs in MSAL
//! Python's layout and written to a file. Then, per size, both libraries time `deserialize` and
//! `serialize` of that file (best of several runs, in a process of its own that reads the file,
//! loads it once and then times, as the Python side does: at large sizes the speed depends on
//! the heap the data lands in), an `acquire_token_for_client` and an
//! `acquire_token_silent` cache hit (mean over many calls; msal-rs awaits each call inside its
//! tokio runtime, as an app does), and the peak resident memory of a process that only reads
//! and loads the file.
//!
//! Usage: `vs_python <python> <bench_sizes.py> [SIZE,SIZE,...]`, `vs_python --time <file> <n>`
//! (the msal-rs side of the deserialize and serialize measurements: the best of at least n
//! runs of each, in seconds),
//! or `vs_python --rss <file>`
//! (the msal-rs side of the memory measurement; `--rss <file> <n>` loads it n times and prints the
//! best load's MB/s on stderr). `MSAL_VS_PYTHON_KEEP=1` keeps the cache files
//! for profiling (`vs_python --rss <file>` under `perf record` loads one).

use std::{path::Path, process::Command, time::Instant};

use msal::{
    ClientCredential, ConfidentialClientApplication, PublicClientApplication, TokenCache,
    prelude::*,
};
use msal_emulator::{Emulator, EmulatorConfig, ids};
use serde_json::{Map, Value, json};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const SIZES: [usize; 4] = [20, 2_000, 20_000, 200_000];
const HIT_ITERATIONS: u32 = 20_000;

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, file, repeats] = args.as_slice()
        && flag == "--time"
    {
        return print_best_times(Path::new(file), repeats.parse()?);
    }
    if let [flag, file, rest @ ..] = args.as_slice()
        && flag == "--rss"
    {
        let loads = rest.first().map_or(Ok(1), |n| n.parse())?;
        return print_peak_rss(Path::new(file), loads);
    }
    let [python, script, rest @ ..] = args.as_slice() else {
        return Err("usage: vs_python <python> <bench_sizes.py> [SIZE,SIZE,...]".into());
    };
    let mut sizes = match rest.first() {
        Some(list) => list
            .split(',')
            .map(str::parse)
            .collect::<Result<Vec<usize>, _>>()?,
        None => SIZES.to_vec(),
    };
    // Smallest first: the flatness check compares the first size with the last.
    sizes.sort_unstable();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(python, script, &sizes))
}

/// The msal-rs side of the deserialize and serialize comparisons, as `bench_sizes.py time` does
/// it: read the file, load it once (so every timed load replaces a full cache, and pays for
/// freeing it), then print the best of `repeats` loads and of `repeats` serializations, in
/// seconds.
fn print_best_times(file: &Path, repeats: usize) -> Result<(), BoxError> {
    let json = std::fs::read_to_string(file)?;
    let cache = TokenCache::new();
    cache.deserialize(&json)?;
    let deserialize = best_of(repeats, || Ok(cache.deserialize(&json)?))?;
    let serialize = best_of(repeats, || {
        std::hint::black_box(cache.serialize());
        Ok(())
    })?;
    println!("{deserialize} {serialize}");
    Ok(())
}

/// The msal-rs side of the memory comparison: read the file, load it, report `VmHWM`. With
/// `loads` above one (for profiling), it loads the file that many times and reports the best
/// time on stderr.
fn print_peak_rss(file: &Path, loads: usize) -> Result<(), BoxError> {
    let json = std::fs::read_to_string(file)?;
    let cache = TokenCache::new();
    let best = best_of(loads, || Ok(cache.deserialize(&json)?))?;
    if loads > 1 {
        eprintln!(
            "best of {loads} loads: {:.0} MB/s",
            json.len() as f64 / 1e6 / best
        );
    }
    std::hint::black_box(&cache);
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .ok_or("no VmHWM in /proc/self/status")?;
    println!("{kib}");
    Ok(())
}

/// One size's numbers for one library.
#[derive(Debug, Default)]
struct Measured {
    deserialize_s: f64,
    serialize_s: f64,
    client_hit_ns: f64,
    silent_hit_ns: f64,
    peak_rss_kib: f64,
}

async fn run(python: &str, script: &str, sizes: &[usize]) -> Result<(), BoxError> {
    let emu = Emulator::start(EmulatorConfig::default()).await?;
    let http = emu.http_client()?;
    let cache = TokenCache::new();
    let pca = PublicClientApplication::builder(ids::PUBLIC_CLIENT_ID)
        .authority(emu.authority())?
        .known_authorities(emu.known_authorities())
        .http_client(http.clone())
        .token_cache(cache.clone())
        .build()?;
    #[allow(deprecated)]
    pca.acquire_token_by_username_password(ids::USER_UPN, ids::USER_PASSWORD, [ids::USER_SCOPE])
        .await?;
    let cca = ConfidentialClientApplication::builder(
        ids::CONFIDENTIAL_CLIENT_ID,
        ClientCredential::secret(ids::CONFIDENTIAL_CLIENT_SECRET),
    )
    .authority(emu.authority())?
    .known_authorities(emu.known_authorities())
    .http_client(http)
    .token_cache(cache.clone())
    .build()?;
    cca.acquire_token_for_client([ids::APP_SCOPE]).await?;
    let signed_in: Value = serde_json::from_str(&cache.serialize())?;
    let environment = environment_of(&signed_in).ok_or("no access token after sign-in")?;

    let dir = std::env::temp_dir().join(format!("msal-vs-python-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let ca_path = dir.join("ca.pem");
    std::fs::write(&ca_path, emu.ca_pem())?;
    let token_requests_before = emu.count("POST", "/oauth2/v2.0/token");

    println!(
        "{:>8} {:>9} | {:>22} | {:>22} | {:>22} | {:>22} | {:>20}",
        "tokens",
        "file",
        "deserialize MB/s",
        "serialize MB/s",
        "client hit ns",
        "silent hit ns",
        "peak RSS MiB"
    );
    let mut results = Vec::new();
    // For profiling a load: `MSAL_VS_PYTHON_KEEP=1` keeps the cache files.
    let keep = std::env::var_os("MSAL_VS_PYTHON_KEEP").is_some();
    for &size in sizes {
        let padded = padded_cache(&signed_in, &environment, size);
        cache.deserialize(&padded)?;
        let json = cache.serialize();
        drop(padded);
        let cache_path = dir.join(format!("cache-{size}.json"));
        std::fs::write(&cache_path, &json)?;

        let repeats = repeats_for(json.len());
        let (deserialize_s, serialize_s) = {
            let mut time = Command::new(std::env::current_exe()?);
            time.arg("--time").arg(&cache_path).arg(repeats.to_string());
            let out = output_of(time).await?;
            let mut seconds = out.split_whitespace().map(str::parse::<f64>);
            match (seconds.next(), seconds.next()) {
                (Some(d), Some(s)) => (d?, s?),
                _ => return Err(format!("unexpected timings: {out:?}").into()),
            }
        };
        let ours = Measured {
            deserialize_s,
            serialize_s,
            client_hit_ns: {
                let start = Instant::now();
                for _ in 0..HIT_ITERATIONS {
                    std::hint::black_box(cca.acquire_token_for_client([ids::APP_SCOPE]).await?);
                }
                start.elapsed().as_nanos() as f64 / f64::from(HIT_ITERATIONS)
            },
            silent_hit_ns: {
                let account = pca
                    .get_accounts()
                    .await?
                    .into_iter()
                    .find(|a| a.username == ids::USER_UPN)
                    .ok_or("the signed-in account is missing")?;
                let start = Instant::now();
                for _ in 0..HIT_ITERATIONS {
                    std::hint::black_box(
                        pca.acquire_token_silent([ids::USER_SCOPE], &account)
                            .await?,
                    );
                }
                start.elapsed().as_nanos() as f64 / f64::from(HIT_ITERATIONS)
            },
            peak_rss_kib: {
                let mut ours = Command::new(std::env::current_exe()?);
                ours.arg("--rss").arg(&cache_path);
                rss_of(ours).await?
            },
        };
        let theirs = python_side(python, script, &cache_path, &ca_path, &emu, repeats).await?;
        let mb = json.len() as f64 / 1e6;
        println!(
            "{:>8} {:>6.1} MB | {} | {} | {} | {} | {}",
            size,
            mb,
            versus(mb / ours.deserialize_s, mb / theirs.deserialize_s, true),
            versus(mb / ours.serialize_s, mb / theirs.serialize_s, true),
            versus(ours.client_hit_ns, theirs.client_hit_ns, false),
            versus(ours.silent_hit_ns, theirs.silent_hit_ns, false),
            versus(
                ours.peak_rss_kib / 1024.0,
                theirs.peak_rss_kib / 1024.0,
                false
            ),
        );
        if keep {
            println!("kept {}", cache_path.display());
        } else {
            std::fs::remove_file(&cache_path)?;
        }
        results.push((size, mb, ours, theirs));
    }
    if !keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let extra = emu.count("POST", "/oauth2/v2.0/token") - token_requests_before;
    if extra != 0 {
        return Err(format!("{extra} token requests: a hit was not a hit").into());
    }
    report_targets(&results);
    Ok(())
}

/// `ours / theirs`, with how many times better ours is.
fn versus(ours: f64, theirs: f64, higher_is_better: bool) -> String {
    let factor = if higher_is_better {
        ours / theirs
    } else {
        theirs / ours
    };
    format!("{ours:>7.1} / {theirs:>7.1} {factor:>5.1}x")
}

/// The issue's targets, judged on this run.
fn report_targets(results: &[(usize, f64, Measured, Measured)]) {
    let mut failed = 0;
    let mut judge = |ok: bool, what: String| {
        println!("{} {what}", if ok { "✓" } else { "✗" });
        failed += usize::from(!ok);
    };
    for (size, mb, ours, theirs) in results {
        let silent = theirs.silent_hit_ns / ours.silent_hit_ns;
        judge(
            silent >= 100.0,
            format!("{size} tokens: silent hit {silent:.0}x MSAL Python (target ≥ 100x)"),
        );
        let de = theirs.deserialize_s / ours.deserialize_s;
        judge(
            de >= 1.5,
            format!(
                "{size} tokens: deserialize {:.0} MB/s, {de:.2}x MSAL Python (target ≥ 1.5x)",
                mb / ours.deserialize_s
            ),
        );
        let ser = theirs.serialize_s / ours.serialize_s;
        judge(
            ser >= 4.0,
            format!("{size} tokens: serialize {ser:.1}x MSAL Python (target ≥ 4x)"),
        );
    }
    if let (Some(small), Some(large)) = (results.first(), results.last())
        && large.0 >= 200_000
    {
        judge(
            large.2.peak_rss_kib <= large.3.peak_rss_kib,
            format!(
                "{} tokens: peak RSS {:.0} MiB, MSAL Python {:.0} MiB (target: no more)",
                large.0,
                large.2.peak_rss_kib / 1024.0,
                large.3.peak_rss_kib / 1024.0
            ),
        );
        for (what, s, l) in [
            ("client hit", small.2.client_hit_ns, large.2.client_hit_ns),
            ("silent hit", small.2.silent_hit_ns, large.2.silent_hit_ns),
        ] {
            judge(
                l <= 1.5 * s,
                format!(
                    "flat: {what} at {} tokens is {:.2}x the hit at {} (target ≤ 1.5x)",
                    large.0,
                    l / s,
                    small.0
                ),
            );
        }
    }
    println!("{failed} target(s) not met");
}

/// Many repeats for small files (a load of 20 tokens takes about 0.1 ms, where one slow run
/// says nothing), few for large ones (a 200k-token load takes about a second in either library).
fn repeats_for(bytes: usize) -> usize {
    match bytes {
        0..=1_000_000 => 200,
        1_000_001..=10_000_000 => 20,
        10_000_001..=100_000_000 => 5,
        _ => 3,
    }
}

/// The fastest of at least `repeats` runs, going on until a second has passed: a small file's
/// runs take microseconds, and a best-of over a few milliseconds is only as good as the
/// machine's quietest few milliseconds. `bench_sizes.py` measures the same way.
fn best_of(repeats: usize, mut f: impl FnMut() -> Result<(), BoxError>) -> Result<f64, BoxError> {
    let mut best = f64::INFINITY;
    let began = Instant::now();
    let mut done = 0;
    while done < repeats || began.elapsed() < MIN_TIMING {
        let start = Instant::now();
        f()?;
        best = best.min(start.elapsed().as_secs_f64());
        done += 1;
    }
    Ok(best)
}

/// How long `best_of` keeps timing, at least.
const MIN_TIMING: std::time::Duration = std::time::Duration::from_secs(1);

async fn python_side(
    python: &str,
    script: &str,
    cache_path: &Path,
    ca_path: &Path,
    emu: &Emulator,
    repeats: usize,
) -> Result<Measured, BoxError> {
    let mut time = Command::new(python);
    time.arg(script)
        .arg("time")
        .arg(cache_path)
        .arg(emu.authority())
        .arg(ca_path)
        .args([
            ids::PUBLIC_CLIENT_ID,
            ids::CONFIDENTIAL_CLIENT_ID,
            ids::CONFIDENTIAL_CLIENT_SECRET,
            ids::USER_UPN,
            ids::USER_SCOPE,
            ids::APP_SCOPE,
        ])
        .arg(HIT_ITERATIONS.to_string())
        .arg(repeats.to_string())
        // requests prefers these over `verify=`.
        .env("REQUESTS_CA_BUNDLE", ca_path)
        .env("CURL_CA_BUNDLE", ca_path);
    let out = output_of(time).await?;
    let numbers: Value = serde_json::from_str(out.trim())?;
    let field = |name: &str| {
        numbers[name]
            .as_f64()
            .ok_or_else(|| format!("MSAL Python printed no {name}: {out}"))
    };
    let mut rss = Command::new(python);
    rss.arg(script).arg("rss").arg(cache_path);
    Ok(Measured {
        deserialize_s: field("deserialize_s")?,
        serialize_s: field("serialize_s")?,
        client_hit_ns: field("client_hit_ns")?,
        silent_hit_ns: field("silent_hit_ns")?,
        peak_rss_kib: rss_of(rss).await?,
    })
}

/// A child that prints its peak resident set in KiB.
async fn rss_of(command: Command) -> Result<f64, BoxError> {
    Ok(output_of(command).await?.trim().parse()?)
}

/// Runs a child on a blocking thread (Python talks to the emulator, which runs on this runtime).
async fn output_of(mut command: Command) -> Result<String, BoxError> {
    let program = command.get_program().to_owned();
    let out = tokio::task::spawn_blocking(move || command.output()).await??;
    if !out.status.success() {
        return Err(format!(
            "{program:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// The environment (host) the emulator's tokens were cached under.
fn environment_of(cache: &Value) -> Option<String> {
    cache["AccessToken"]
        .as_object()?
        .values()
        .find_map(|at| at["environment"].as_str().map(str::to_owned))
}

/// A token-sized secret (real access tokens are 1-2 KB JWTs).
fn secret(kind: &str, i: usize) -> String {
    format!("eyJ0eXAiOiJKV1Qi.{kind}.{}.{i:08}", "x".repeat(1_150))
}

/// The signed-in cache plus `size - 2` more access tokens: half app tokens of the same
/// confidential client in other tenants, half other users' tokens of the public client (each
/// with its account and refresh token), so both hits are probed among `size` tokens.
fn padded_cache(signed_in: &Value, env: &str, size: usize) -> String {
    let mut cache = signed_in.clone();
    let section = |cache: &mut Value, name: &str| -> Map<String, Value> {
        cache[name].as_object().cloned().unwrap_or_default()
    };
    let (mut ats, mut rts, mut accounts) = (
        section(&mut cache, "AccessToken"),
        section(&mut cache, "RefreshToken"),
        section(&mut cache, "Account"),
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (cached_at, expires_on) = (now.to_string(), (now + 3_600).to_string());
    for i in 0..size.saturating_sub(2) {
        let realm = format!("{i:08x}-2b34-4da1-9baa-8bc8c9d6a490");
        if i % 2 == 0 {
            let client = ids::CONFIDENTIAL_CLIENT_ID;
            let target = ids::APP_SCOPE;
            ats.insert(
                format!("-{env}-accesstoken-{client}-{realm}-{target}"),
                json!({"credential_type": "AccessToken", "secret": secret("app", i),
                    "home_account_id": null, "environment": env, "client_id": client,
                    "target": target, "realm": realm, "token_type": "Bearer",
                    "cached_at": cached_at, "expires_on": expires_on,
                    "extended_expires_on": expires_on}),
            );
        } else {
            let client = ids::PUBLIC_CLIENT_ID;
            let target = ids::USER_SCOPE;
            let home = format!("{i:08x}-b784-51a3-b4de-b7401e7c5c67.{realm}");
            ats.insert(
                format!(
                    "{home}-{env}-accesstoken-{client}-{realm}-{}",
                    target.to_lowercase()
                ),
                json!({"credential_type": "AccessToken", "secret": secret("user", i),
                    "home_account_id": home, "environment": env, "client_id": client,
                    "target": target, "realm": realm, "token_type": "Bearer",
                    "cached_at": cached_at, "expires_on": expires_on,
                    "extended_expires_on": expires_on}),
            );
            rts.insert(
                format!("{home}-{env}-refreshtoken-{client}--{}", target.to_lowercase()),
                json!({"credential_type": "RefreshToken", "secret": format!("0.AAAA{i:08}{}", "r".repeat(500)),
                    "home_account_id": home, "environment": env, "client_id": client,
                    "target": target, "last_modification_time": cached_at}),
            );
            accounts.insert(
                format!("{home}-{env}-{realm}"),
                json!({"home_account_id": home, "environment": env, "realm": realm,
                    "local_account_id": format!("{i:08x}-b784-51a3-b4de-b7401e7c5c67"),
                    "username": format!("user{i}@contoso.example"), "authority_type": "MSSTS",
                    "account_source": "password", "last_modification_time": cached_at}),
            );
        }
    }
    cache["AccessToken"] = Value::Object(ats);
    cache["RefreshToken"] = Value::Object(rts);
    cache["Account"] = Value::Object(accounts);
    cache.to_string()
}
