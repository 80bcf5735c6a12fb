//! `etcd-server`: flags → configuration → a running member until SIGINT or
//! SIGTERM. Everything else lives in the library.

use etcd_server::app::now_nanos;
use etcd_server::config::{self, Config, Outcome};
use etcd_server::logging;
use etcd_server::server::{self, Options};
use etcd_server::tls::{self, Listener, ServerTls};
use std::process::ExitCode;
use tokio::net::TcpListener;

/// jemalloc rather than glibc's malloc: at 64 connections writing, the
/// server did 12% more writes/s with it and its p99 was 13% lower, for 71 MiB
/// of RSS after 100k keys instead of 58 (see the workspace Cargo.toml).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn timestamp() -> String {
    logging::timestamp(now_nanos())
}

fn main() -> ExitCode {
    match config::from_args(std::env::args().skip(1), std::env::vars()) {
        Err(e) => {
            eprint!("{}", e.render(&timestamp));
            ExitCode::from(e.exit_code)
        }
        Ok(Outcome::Help { usage, flags }) => {
            eprint!("{usage}");
            print!("{flags}");
            ExitCode::SUCCESS
        }
        Ok(Outcome::Version(text)) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Ok(Outcome::Run(cfg)) => run(cfg),
    }
}

fn run(cfg: Config) -> ExitCode {
    for line in &cfg.notices {
        eprintln!("{} {line}", timestamp());
    }
    logging::init(cfg.log_level.as_str());
    tracing::info!(target: "etcdmain", "etcd Version: {}", etcd_server::cluster::SERVER_VERSION);
    tracing::info!(target: "etcdmain", "Git SHA: Not provided (built with cargo)");
    tracing::info!(target: "etcdmain", "Rust implementation {}", env!("CARGO_PKG_VERSION"));
    for line in &cfg.startup_notices {
        eprintln!("{} {line}", timestamp());
    }
    let fresh = !cfg.force_new_cluster && !cfg.member_dir().join(server::IDENTITY_FILE).exists();
    if fresh {
        if let Err(e) = cfg.verify_bootstrap() {
            eprint!("{}", e.render(&timestamp));
            return ExitCode::from(e.exit_code);
        }
    }
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    // One worker more than there are CPUs: the raft log syncs inline on a
    // worker (see raft/inline_io.rs), which takes that worker out for the
    // sync; the others still have every CPU. `TOKIO_WORKER_THREADS` wins.
    if std::env::var_os("TOKIO_WORKER_THREADS").is_none() {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        builder.worker_threads(cpus + 1);
    }
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!(
                "{} C | etcdmain: cannot start the runtime: {e}",
                timestamp()
            );
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(start(cfg)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{} C | etcdmain: {e}", timestamp());
            ExitCode::from(1)
        }
    }
}

/// Binds every URL of `urls`; an `https://` one gets `tls` (which
/// [`tls::setup`] made sure of).
async fn bind(urls: &[config::Url], tls: Option<&ServerTls>) -> Result<Vec<Listener>, String> {
    let mut out = Vec::new();
    for url in urls {
        if url.is_unix() {
            return Err(format!(
                "URL {url}: unix socket listeners are not supported by etcd-server"
            ));
        }
        let addr = url.host_port();
        let tcp = TcpListener::bind(addr)
            .await
            .map_err(|e| format!("listen tcp {addr}: {e}"))?;
        let tls = if url.is_tls() { tls.cloned() } else { None };
        out.push(Listener { tcp, tls });
    }
    Ok(out)
}

async fn start(cfg: Config) -> Result<(), String> {
    let strings = |urls: &[config::Url]| urls.iter().map(|u| u.to_string()).collect::<Vec<_>>();
    let setup = tls::setup(
        &cfg.peer_tls,
        &cfg.listen_peer_urls,
        &cfg.client_tls,
        &cfg.listen_client_urls,
    )?;
    tls::set_outbound(setup.outbound.clone());
    let options = Options {
        name: cfg.name.clone(),
        data_dir: cfg.data_dir.clone(),
        wal_dir: cfg.wal_dir.clone(),
        peer_listeners: bind(&cfg.listen_peer_urls, setup.peer.as_ref()).await?,
        client_listeners: bind(&cfg.listen_client_urls, setup.client.as_ref()).await?,
        advertise_client_urls: strings(&cfg.advertise_client_urls),
        initial_advertise_peer_urls: strings(&cfg.initial_advertise_peer_urls),
        initial_cluster: cfg.initial_cluster.clone(),
        initial_cluster_token: cfg.initial_cluster_token.clone(),
        join_existing: cfg.initial_cluster_state == etcd_server::config::ClusterState::Existing,
        heartbeat_interval: cfg.heartbeat_interval,
        election_timeout: cfg.election_timeout,
        snapshot_count: cfg.effective_snapshot_count(),
        force_new_cluster: cfg.force_new_cluster,
    };
    server::run(options, shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}

/// SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
