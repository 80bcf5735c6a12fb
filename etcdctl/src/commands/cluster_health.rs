//! `etcdctl cluster-health`: check every member's health.

use std::io::Write;
use std::time::Duration;

use etcd_client::models::Member;
use etcd_client::{Client, EndpointErrorKind, Error};

use crate::cli::{Command, Flag, Matches};
use crate::commands::member::sort_by_id;
use crate::context::{go_quote, Ctx};
use crate::endpoints;
use crate::error::{report, Exit, EXIT_BAD_FEATURE, EXIT_SERVER_ERROR};

/// The command's definition.
pub const DEF: Command = Command::leaf(
    "cluster-health",
    "check the health of the etcd cluster",
    " ",
    &[Flag::bool(
        &["forever", "f"],
        "forever check the health every 10 second until CTRL+C",
    )],
);

/// How long `--forever` waits between two rounds.
const PERIOD: Duration = Duration::from_secs(10);

/// The reference lists members without a total deadline.
const NO_DEADLINE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// The reference's dial timeout for the health checks (capped by `--total-timeout`).
const DIAL_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs the command.
pub async fn run(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    if !m.bool("forever") {
        return check(ctx, false).await;
    }
    // SIGINT ends `--forever` with success, whatever it is doing.
    tokio::select! {
        result = check(ctx, true) => result,
        _ = interrupted() => Ok(()),
    }
}

async fn interrupted() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// The members, listed once from the given endpoints: the reference uses a
/// client without the sync and without a total deadline here.
async fn list_members(ctx: &mut Ctx) -> Result<Vec<Member>, Exit> {
    if let Err(e) = endpoints::check_tls_files(&ctx.global) {
        return Err(report(ctx.err(), EXIT_SERVER_ERROR, &e));
    }
    let (no_sync, total) = (ctx.global.no_sync, ctx.global.total_timeout);
    ctx.global.no_sync = true;
    ctx.global.total_timeout = NO_DEADLINE;
    let client = ctx.client().await;
    (ctx.global.no_sync, ctx.global.total_timeout) = (no_sync, total);
    let client = client?;
    match client.members().list().await {
        Ok(mut list) => {
            sort_by_id(&mut list);
            Ok(list)
        }
        Err(e) => {
            let _ = writeln!(
                ctx.out(),
                "cluster may be unhealthy: failed to list members"
            );
            Err(ctx.fail(EXIT_SERVER_ERROR, &e))
        }
    }
}

/// Checks each member's `/health`: once, or every 10 s with `forever`.
async fn check(ctx: &mut Ctx, forever: bool) -> Result<(), Exit> {
    let members = list_members(ctx).await?;
    let total = ctx.global.total_timeout;
    let dial = if total.is_zero() {
        DIAL_TIMEOUT
    } else {
        total.min(DIAL_TIMEOUT)
    };
    loop {
        let mut healthy = 0;
        for member in &members {
            if check_member(ctx, member, dial).await {
                healthy += 1;
            }
        }
        let verdict = match healthy {
            n if n == members.len() => "healthy",
            0 => "unavailable",
            _ => "degraded",
        };
        let _ = writeln!(ctx.out(), "cluster is {verdict}");
        if !forever {
            return if healthy == members.len() {
                Ok(())
            } else {
                Err(Exit(EXIT_BAD_FEATURE))
            };
        }
        let _ = write!(ctx.out(), "\nnext check after 10 second...\n\n");
        let _ = ctx.out().flush();
        tokio::time::sleep(PERIOD).await;
    }
}

/// Checks one member's client URLs in turn until one answers; prints the
/// reference's line(s) and says whether the member is healthy.
async fn check_member(ctx: &mut Ctx, member: &Member, dial: Duration) -> bool {
    let id = &member.id;
    if member.client_urls.is_empty() {
        let _ = writeln!(
            ctx.out(),
            "member {id} is unreachable: no available published client urls"
        );
        return false;
    }
    for url in &member.client_urls {
        match health(ctx, url, dial).await {
            Ok(true) => {
                let _ = writeln!(
                    ctx.out(),
                    "member {id} is healthy: got healthy result from {url}"
                );
                return true;
            }
            Ok(false) => {
                let _ = writeln!(
                    ctx.out(),
                    "member {id} is unhealthy: got unhealthy result from {url}"
                );
                return false;
            }
            Err(why) => {
                let _ = writeln!(
                    ctx.out(),
                    "failed to check the health of member {id} on {url}: {why}"
                );
            }
        }
    }
    let _ = writeln!(
        ctx.out(),
        "member {id} is unreachable: [{}] are all unreachable",
        member.client_urls.join(" ")
    );
    false
}

/// `GET <url>/health` with a client of its own (no credentials, no debug
/// lines, the global TLS files), as the reference's plain HTTP client does.
async fn health(ctx: &Ctx, url: &str, dial: Duration) -> Result<bool, String> {
    let g = &ctx.global;
    let mut b = Client::builder().endpoint(url).request_timeout(dial);
    if let Some(ca) = &g.ca_file {
        b = b.ca_file(ca);
    }
    if let (Some(cert), Some(key)) = (&g.cert_file, &g.key_file) {
        b = b.client_cert_files(cert, key);
    }
    let get = format!("Get {}", go_quote(&format!("{url}/health")));
    let client = b.build().map_err(|e| format!("{get}: {e}"))?;
    let e = match client.health().await {
        Ok(h) => return Ok(h.is_healthy()),
        Err(e) => e,
    };
    // The one endpoint's own error, as Go's HTTP client reports it.
    let endpoint = match &e {
        Error::Endpoint(one) => Some(one),
        Error::ClusterUnavailable(list) if list.len() == 1 => list.first(),
        _ => None,
    };
    Err(match endpoint {
        Some(one) if one.kind == EndpointErrorKind::Timeout => {
            format!("{get}: dial tcp {}: i/o timeout", host_port(url))
        }
        Some(one) => format!("{get}: {one}"),
        None => e.to_string(),
    })
}

/// `host:port` of a URL, with the scheme's default port when none is given.
fn host_port(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let authority = rest.split('/').next().unwrap_or_default();
    let authority = authority.rsplit('@').next().unwrap_or_default();
    let has_port = match authority.rfind(']') {
        Some(end) => authority[end..].contains(':'),
        None => authority.contains(':'),
    };
    if has_port {
        authority.to_owned()
    } else {
        let port = if scheme == "https" { 443 } else { 80 };
        format!("{authority}:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_adds_the_default_port() {
        assert_eq!(host_port("http://127.0.0.1:2379"), "127.0.0.1:2379");
        assert_eq!(host_port("http://etcd/"), "etcd:80");
        assert_eq!(host_port("https://[::1]"), "[::1]:443");
        assert_eq!(host_port("https://u:p@[::1]:1/x"), "[::1]:1");
    }
}
