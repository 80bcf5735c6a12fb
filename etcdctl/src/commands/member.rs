//! `etcdctl member list|add|remove|update`.

use std::io::Write;

use etcd_client::models::Member;
use etcd_client::Error;

use crate::cli::{Command, Matches};
use crate::context::{go_quote, Ctx};
use crate::error::{Exit, EXIT_BAD_ARGS};

/// The group's definition.
pub const DEF: Command = Command::group(
    "member",
    "member add, remove and list subcommands",
    &[
        Command::leaf("list", "enumerate existing cluster members", " ", &[]),
        Command::leaf(
            "add",
            "add a new member to the etcd cluster",
            "<name> <peerURL>",
            &[],
        ),
        Command::leaf(
            "remove",
            "remove an existing member from the etcd cluster",
            "<memberID>",
            &[],
        ),
        Command::leaf(
            "update",
            "update an existing member in the etcd cluster",
            "<memberID> <peerURLs>",
            &[],
        ),
    ],
);

/// Runs subcommand `sub`.
pub async fn run(ctx: &mut Ctx, sub: &str, m: &Matches) -> Result<(), Exit> {
    match sub {
        "list" => list(ctx, m).await,
        "add" => add(ctx, m).await,
        "remove" => remove(ctx, m).await,
        "update" => update(ctx, m).await,
        other => unreachable!("member has no subcommand {other:?}"),
    }
}

fn fail(ctx: &mut Ctx, message: &dyn std::fmt::Display) -> Exit {
    ctx.fail_plain(EXIT_BAD_ARGS, message)
}

/// The text the reference's members API gives for a failed call: the server's
/// message for the statuses it decodes (`with_message`), otherwise
/// `unexpected status code N`; transport errors as they are.
fn error_text(e: &Error, with_message: &[u16]) -> String {
    match e {
        Error::Http { status, message } if with_message.contains(status) => message.clone(),
        Error::Http { status, .. } => format!("unexpected status code {status}"),
        other => other.to_string(),
    }
}

/// Members in id order (numerically, as the server sorts them).
pub fn sort_by_id(members: &mut [Member]) {
    members.sort_by_key(|m| u64::from_str_radix(&m.id, 16).unwrap_or(u64::MAX));
}

async fn list(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    if !m.args.is_empty() {
        return Err(fail(ctx, &"No arguments accepted"));
    }
    let client = ctx.client().await?;
    let mut members = client
        .members()
        .list()
        .await
        .map_err(|e| fail(ctx, &error_text(&e, &[])))?;
    let leader = client.members().leader().await.map_err(|e| {
        let msg = format!("Failed to get leader:  {}", error_text(&e, &[]));
        fail(ctx, &msg)
    })?;
    sort_by_id(&mut members);
    let mut text = String::new();
    for m in &members {
        if m.name.is_empty() {
            text.push_str(&format!(
                "{}[unstarted]: peerURLs={}\n",
                m.id,
                m.peer_urls.join(",")
            ));
        } else {
            text.push_str(&format!(
                "{}: name={} peerURLs={} clientURLs={} isLeader={}\n",
                m.id,
                m.name,
                m.peer_urls.join(","),
                m.client_urls.join(","),
                m.id == leader.id
            ));
        }
    }
    let _ = write!(ctx.out(), "{text}");
    Ok(())
}

/// `member add NAME PEER_URL`, then the environment for starting the member.
async fn add(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    let [name, url] = m.args.as_slice() else {
        return Err(fail(ctx, &"Provide a name and a single member peerURL"));
    };
    let client = ctx.client().await?;
    let urls = peer_urls(&[url.as_str()]).map_err(|e| fail(ctx, &e))?;
    let added = client
        .members()
        .add(urls)
        .await
        .map_err(|e| fail(ctx, &error_text(&e, &[409])))?;
    let _ = writeln!(
        ctx.out(),
        "Added member named {name} with ID {} to cluster",
        added.id
    );
    let mut members = client
        .members()
        .list()
        .await
        .map_err(|e| fail(ctx, &error_text(&e, &[])))?;
    sort_by_id(&mut members);
    let mut conf = Vec::new();
    for memb in &members {
        let n = if memb.id == added.id {
            name
        } else {
            &memb.name
        };
        for u in &memb.peer_urls {
            conf.push(format!("{n}={u}"));
        }
    }
    let _ = write!(
        ctx.out(),
        "\nETCD_NAME={}\nETCD_INITIAL_CLUSTER={}\nETCD_INITIAL_CLUSTER_STATE=\"existing\"\n",
        go_quote(name),
        go_quote(&conf.join(","))
    );
    Ok(())
}

/// `member remove ID`: checks the id against the member list first.
async fn remove(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    let [id] = m.args.as_slice() else {
        return Err(fail(ctx, &"Provide a single member ID"));
    };
    let client = ctx.client().await?;
    let mut members = client.members().list().await.map_err(|e| {
        let msg = format!(
            "Error while verifying ID against known members: {}",
            error_text(&e, &[])
        );
        fail(ctx, &msg)
    })?;
    sort_by_id(&mut members);
    let mut found = false;
    for memb in &members {
        found |= memb.id == *id;
        if memb.name == *id {
            let _ = write!(
                ctx.err(),
                "Found a member named {}; if this is correct, please use its ID, eg:\n\tetcdctl member remove {}\n\
                 For more details, read the documentation at https://github.com/etcd-io/etcd/blob/master/Documentation/runtime-configuration.md#remove-a-member\n\n",
                memb.name, memb.id
            );
        }
    }
    if !found {
        let msg = format!("Couldn't find a member in the cluster with an ID of {id}.");
        return Err(fail(ctx, &msg));
    }
    match client.members().remove(id).await {
        // The reference's client takes 410 (already removed) as success.
        Ok(()) | Err(Error::Http { status: 410, .. }) => {}
        Err(e) => {
            // No newline at the end, as in the reference.
            let text = error_text(&e, &[]);
            let _ = write!(
                ctx.err(),
                "Received an error trying to remove member {id}: {text}"
            );
            return Err(Exit(EXIT_BAD_ARGS));
        }
    }
    let _ = writeln!(ctx.out(), "Removed member {id} from cluster");
    Ok(())
}

/// `member update ID URL[,URL...]`.
async fn update(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    let [id, list] = m.args.as_slice() else {
        let msg = "Provide an ID and a list of comma separated peerURL (0xabcd http://example.com,http://example1.com)";
        return Err(fail(ctx, &msg));
    };
    let client = ctx.client().await?;
    let given: Vec<&str> = list.split(',').collect();
    let urls = peer_urls(&given).map_err(|e| fail(ctx, &e))?;
    client
        .members()
        .update(id, urls)
        .await
        .map_err(|e| fail(ctx, &error_text(&e, &[404, 409])))?;
    let _ = writeln!(ctx.out(), "Updated member with ID {id} in cluster");
    Ok(())
}

/// The reference client's `types.NewURLs`: each URL trimmed, parsed with
/// Go's rules, checked (scheme, `host:port`, no path), then sorted.
pub fn peer_urls(given: &[&str]) -> Result<Vec<String>, String> {
    if given.is_empty() {
        return Err("no valid URLs given".into());
    }
    let mut urls = given
        .iter()
        .map(|u| peer_url(u.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    urls.sort();
    Ok(urls)
}

/// The parts of a URL that the checks look at.
struct GoUrl {
    scheme: String,
    /// `None` for an opaque URL (`http:host`).
    host: Option<String>,
    path: String,
    /// The URL as Go prints it back.
    text: String,
}

fn peer_url(raw: &str) -> Result<String, String> {
    let u = parse_go_url(raw).map_err(|why| format!("parse {}: {why}", go_quote(raw)))?;
    if !matches!(u.scheme.as_str(), "http" | "https" | "unix" | "unixs") {
        return Err(format!(
            "URL scheme must be http, https, unix, or unixs: {raw}"
        ));
    }
    if !has_host_port(u.host.as_deref().unwrap_or("")) {
        return Err(format!(
            "URL address does not have the form \"host:port\": {raw}"
        ));
    }
    if !u.path.is_empty() {
        return Err(format!("URL must not contain a path: {raw}"));
    }
    Ok(u.text)
}

/// Go's `url.Parse`, as far as peer URLs need it.
fn parse_go_url(raw: &str) -> Result<GoUrl, String> {
    if raw.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err("net/url: invalid control character in URL".into());
    }
    let without_fragment = raw.split('#').next().unwrap_or_default();
    let (scheme, rest) = split_scheme(without_fragment)?;
    let rest = rest.split('?').next().unwrap_or_default();
    let text = match &scheme {
        Some(s) => format!("{s}{}", &raw[s.len()..]),
        None => raw.to_owned(),
    };
    let scheme = scheme.unwrap_or_default();
    if !rest.starts_with('/') {
        if !scheme.is_empty() {
            return Ok(GoUrl {
                scheme,
                host: None,
                path: String::new(),
                text,
            });
        }
        if rest.split('/').next().unwrap_or_default().contains(':') {
            return Err("first path segment in URL cannot contain colon".into());
        }
    }
    let (host, path) = match rest.strip_prefix("//") {
        Some(auth) if !scheme.is_empty() || !rest.starts_with("///") => {
            let end = auth.find('/').unwrap_or(auth.len());
            let authority = &auth[..end];
            let host = authority.rsplit('@').next().unwrap_or_default();
            check_host(host)?;
            (Some(host.to_owned()), auth[end..].to_owned())
        }
        _ => (None, rest.to_owned()),
    };
    Ok(GoUrl {
        scheme,
        host,
        path,
        text,
    })
}

/// Go's `getScheme`: the lower-cased scheme, if any, and the rest.
fn split_scheme(raw: &str) -> Result<(Option<String>, &str), String> {
    for (i, c) in raw.char_indices() {
        match c {
            'a'..='z' | 'A'..='Z' => {}
            '0'..='9' | '+' | '-' | '.' if i > 0 => {}
            ':' if i == 0 => return Err("missing protocol scheme".into()),
            ':' => return Ok((Some(raw[..i].to_ascii_lowercase()), &raw[i + 1..])),
            _ => break,
        }
    }
    Ok((None, raw))
}

/// Go's `parseHost` checks: a bracketed IPv6 literal or a valid `:port`,
/// and no character that needs escaping in a host.
fn check_host(host: &str) -> Result<(), String> {
    let port = if host.starts_with('[') {
        let Some(end) = host.find(']') else {
            return Err("missing ']' in host".into());
        };
        &host[end + 1..]
    } else {
        host.rfind(':').map_or("", |i| &host[i..])
    };
    let valid_port =
        port.is_empty() || (port.starts_with(':') && port[1..].bytes().all(|b| b.is_ascii_digit()));
    if !valid_port {
        return Err(format!("invalid port {} after host", go_quote(port)));
    }
    let allowed = |c: char| {
        c.is_ascii_alphanumeric() || !c.is_ascii() || "-_.~$&'()*+,;=:[]<>\"%".contains(c)
    };
    if let Some(bad) = host.chars().find(|&c| !allowed(c)) {
        return Err(format!(
            "invalid character {} in host name",
            go_quote(&bad.to_string())
        ));
    }
    Ok(())
}

/// Go's `net.SplitHostPort` succeeds: `host:port` with exactly one colon
/// outside brackets, or `[v6]:port`.
fn has_host_port(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[') {
        return match inner.find(']') {
            Some(end) => inner[end + 1..].starts_with(':') && !inner[end + 2..].contains(':'),
            None => false,
        };
    }
    host.matches(':').count() == 1 && !host.contains('[') && !host.contains(']')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_urls_are_checked_like_the_reference() {
        let err = |u: &str| peer_urls(&[u]).unwrap_err();
        assert_eq!(
            peer_urls(&[" http://b:2 ", "HTTP://a:1"]).unwrap(),
            ["http://a:1", "http://b:2"]
        );
        assert_eq!(
            err("not a url"),
            "URL scheme must be http, https, unix, or unixs: not a url"
        );
        assert_eq!(
            err("http://h:1/"),
            "URL must not contain a path: http://h:1/"
        );
        assert_eq!(
            err("http://h"),
            "URL address does not have the form \"host:port\": http://h"
        );
        assert_eq!(
            err("HTTP://127.0.0.1:1,http://127.0.0.1:2"),
            "URL address does not have the form \"host:port\": HTTP://127.0.0.1:1,http://127.0.0.1:2"
        );
        assert_eq!(
            err("127.0.0.1:1"),
            "parse \"127.0.0.1:1\": first path segment in URL cannot contain colon"
        );
        assert_eq!(err(":1"), "parse \":1\": missing protocol scheme");
        assert_eq!(
            err("http://h:abc"),
            "parse \"http://h:abc\": invalid port \":abc\" after host"
        );
        assert_eq!(
            err("http:h:1"),
            "URL address does not have the form \"host:port\": http:h:1"
        );
        assert_eq!(
            err("ftp://h:1"),
            "URL scheme must be http, https, unix, or unixs: ftp://h:1"
        );
        assert_eq!(
            peer_urls(&["http://[::1]:2380"]).unwrap(),
            ["http://[::1]:2380"]
        );
        assert_eq!(peer_urls(&["unix://h:1"]).unwrap(), ["unix://h:1"]);
        assert_eq!(peer_urls(&[]).unwrap_err(), "no valid URLs given");
    }

    #[test]
    fn members_sort_by_numeric_id() {
        let mk = |id: &str| Member {
            id: id.into(),
            ..Member::default()
        };
        let mut list = vec![
            mk("c92c4c35a19fb462"),
            mk("2f49033e49f015e"),
            mk("70a3c1decd07e820"),
        ];
        sort_by_id(&mut list);
        let ids: Vec<&str> = list.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(
            ids,
            ["2f49033e49f015e", "70a3c1decd07e820", "c92c4c35a19fb462"]
        );
    }
}
