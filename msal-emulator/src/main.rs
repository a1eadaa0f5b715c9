//! `msal-emulator`: runs the emulator until Ctrl-C and prints how to reach it.

use std::path::PathBuf;
use std::process::ExitCode;

use msal_emulator::{Emulator, EmulatorConfig, ids};

const HELP: &str = "\
msal-emulator: a local Microsoft Entra ID and managed-identity emulator for testing MSAL apps

USAGE:
    msal-emulator [--port PORT] [--http-port PORT] [--ca-out FILE]

OPTIONS:
    --port PORT        https port on 127.0.0.1 (default: any free port)
    --http-port PORT   plain-http managed-identity port (default: any free port)
    --ca-out FILE      where to write the CA certificate PEM (default: msal-emulator-ca.pem in
                       the temp directory)
    -h, --help         print this help

Runs until Ctrl-C. Every identity and secret printed is a fake test value.";

struct Args {
    port: u16,
    http_port: u16,
    ca_out: PathBuf,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut args = Args {
        port: 0,
        http_port: 0,
        ca_out: std::env::temp_dir().join("msal-emulator-ca.pem"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => {
                args.port = value("--port")?
                    .parse()
                    .map_err(|e| format!("--port: {e}"))?
            }
            "--http-port" => {
                args.http_port = value("--http-port")?
                    .parse()
                    .map_err(|e| format!("--http-port: {e}"))?;
            }
            "--ca-out" => args.ca_out = PathBuf::from(value("--ca-out")?),
            other => return Err(format!("unknown argument {other:?}; see --help")),
        }
    }
    Ok(Some(args))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let config = EmulatorConfig::default()
        .port(args.port)
        .http_port(args.http_port);
    let emulator = match Emulator::start(config).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = std::fs::write(&args.ca_out, emulator.ca_pem()) {
        eprintln!("error: writing {}: {e}", args.ca_out.display());
        return ExitCode::FAILURE;
    }
    let cfg = emulator.config();
    println!("msal-emulator is running (Ctrl-C to stop)");
    println!("base URL            {}", emulator.base_url());
    println!("CA certificate      {}", args.ca_out.display());
    println!("authority           {}", emulator.authority());
    // The line newcomers miss: without it the app asks login.microsoftonline.com about 127.0.0.1.
    println!(
        "known authorities   {} (the app's builder must list them)",
        emulator.known_authorities().join(", ")
    );
    println!(
        "user                {} / {}",
        ids::USER_UPN,
        ids::USER_PASSWORD
    );
    println!("public client       {}", ids::PUBLIC_CLIENT_ID);
    println!(
        "confidential client {} secret {}",
        ids::CONFIDENTIAL_CLIENT_ID,
        ids::CONFIDENTIAL_CLIENT_SECRET
    );
    println!(
        "OBO middle tier     {} secret {}",
        ids::OBO_CLIENT_ID,
        ids::OBO_CLIENT_SECRET
    );
    println!(
        "client cert SHA-1   {}",
        emulator.client_certificate_thumbprint()
    );
    println!("IMDS                {}", emulator.imds_url());
    println!(
        "App Service         {} (X-IDENTITY-HEADER {})",
        emulator.app_service_url(),
        cfg.app_service_identity_header
    );
    println!(
        "Azure ML            {} (secret {})",
        emulator.machine_learning_url(),
        cfg.ml_secret
    );
    println!("Cloud Shell         {}", emulator.cloud_shell_url());
    println!(
        "Azure Arc           {} (keys in {})",
        emulator.arc_url(),
        emulator.arc_key_dir().display()
    );
    println!(
        "Service Fabric      {} (Secret {}, thumbprint {})",
        emulator.service_fabric_url(),
        cfg.service_fabric_secret,
        emulator.service_fabric_thumbprint()
    );
    let _ = tokio::signal::ctrl_c().await;
    emulator.shutdown().await;
    ExitCode::SUCCESS
}
