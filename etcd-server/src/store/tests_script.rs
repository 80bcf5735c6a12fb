//! The script runner of the store's tests: spec transcripts replayed against
//! a fresh store (indexes renumbered, first user write = 4).
//!
//! A script is run by [`run`], one step per line (blank lines and `#`
//! comments are skipped):
//!
//! * `METHOD KEY QUERY` followed by `STATUS BODY`: one request and its exact
//!   answer. `~STATUS` compares listings after sorting every `nodes` array by
//!   key (unsorted listings have no defined order); a body of `*` is not
//!   compared. The root is `/`; query values are raw (not URL-decoded).
//! * `counters a+1 b+1` (optional, right after an answer or an `expire`): the
//!   store counters that step changed (`counters` alone: none changed).
//! * `advance MS`: moves the clock; `expire`: runs an expiry sweep.
//! * `index N`: the store index is N.
//! * `event KEY SINCE` followed by a JSON line: the first event at or after
//!   index SINCE that a watcher on KEY sees in the history.

use super::testkit::Harness;
use super::KEYS_PREFIX;
use etcd_client::json;
use serde_json::Value;

/// Sorts every `nodes` array of a JSON body by key.
fn canon(body: &str) -> String {
    fn sort(v: &mut Value) {
        if let Some(obj) = v.as_object_mut() {
            for child in obj.values_mut() {
                sort(child);
            }
            if let Some(Value::Array(nodes)) = obj.get_mut("nodes") {
                nodes.sort_by_key(|n| n["key"].as_str().unwrap_or_default().to_owned());
            }
        }
    }
    let mut v: Value = serde_json::from_str(body).expect("JSON body");
    sort(&mut v);
    v.to_string()
}

/// The counters of `/v2/stats/store` as a JSON object.
pub(super) fn counters(h: &Harness) -> serde_json::Map<String, Value> {
    match serde_json::to_value(h.store.stats(0)).expect("stats") {
        Value::Object(m) => m,
        other => panic!("stats not an object: {other}"),
    }
}

/// The counters that changed between `before` and now, as sorted `name+N`.
pub(super) fn changed(h: &Harness, before: &serde_json::Map<String, Value>) -> Vec<String> {
    let mut out: Vec<String> = counters(h)
        .iter()
        .filter_map(|(k, v)| {
            let d = v.as_u64()? as i64 - before[k].as_u64()? as i64;
            (d != 0).then(|| format!("{k}{d:+}"))
        })
        .collect();
    out.sort();
    out
}

/// Runs a script on a fresh store (see [`run`]).
pub(super) fn script(steps: &str) -> usize {
    run(&mut Harness::new(), steps)
}

/// Runs a script (see the module comment); returns the number of checked
/// request/answer pairs.
pub(super) fn run(h: &mut Harness, script: &str) -> usize {
    let mut lines = script
        .lines()
        .enumerate()
        .map(|(n, l)| (n + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .peekable();
    let mut checked = 0;
    while let Some((n, line)) = lines.next() {
        let mut words = line.splitn(3, ' ');
        let verb = words.next().unwrap_or_default();
        let arg = words.next().unwrap_or_default();
        let rest = words.next().unwrap_or_default();
        let before = counters(h);
        match verb {
            "advance" => h.advance(arg.parse::<i64>().expect("ms") * 1_000_000),
            "expire" => h.expire(),
            "index" => assert_eq!(h.store.index(), arg.parse::<u64>().unwrap(), "line {n}"),
            "event" => {
                let since = rest.parse().expect("event index");
                let path = format!("{KEYS_PREFIX}{arg}");
                let e = h.store.scan_history(&path, false, since).unwrap();
                let e = e.unwrap_or_else(|| panic!("line {n}: no event"));
                let got = String::from_utf8(json::to_vec(&e.to_response(KEYS_PREFIX, true)));
                let (m, want) = lines.next().expect("event JSON");
                assert_eq!(got.unwrap(), want, "line {m}: {line}");
            }
            "GET" | "PUT" | "POST" | "DELETE" => {
                let (m, want) = lines
                    .next()
                    .unwrap_or_else(|| panic!("line {n}: no answer"));
                let (status, body) = want.split_once(' ').expect("STATUS BODY");
                let a = h.req(verb, arg, rest);
                let any_order = status.starts_with('~');
                let status: u16 = status.trim_start_matches('~').parse().expect("status");
                let (got, want) = match body {
                    "*" => (String::new(), String::new()),
                    _ if any_order => (canon(&a.body), canon(body)),
                    _ => (a.body.clone(), body.to_owned()),
                };
                assert_eq!((a.status, got), (status, want), "line {m}: {line}");
                checked += 1;
            }
            _ => panic!("line {n}: unknown step {line:?}"),
        }
        if let Some(&(m, next)) = lines.peek() {
            if let Some(list) = next.strip_prefix("counters") {
                lines.next();
                let mut want: Vec<&str> = list.split_whitespace().collect();
                want.sort_unstable();
                assert_eq!(changed(h, &before), want, "line {m}: counters after {line}");
            }
        }
    }
    checked
}

// The script runner itself must catch mismatches.

#[test]
#[should_panic(expected = "line 3: GET /a")]
fn runner_catches_a_wrong_body() {
    run(&mut Harness::new(), "\nGET /a\n404 {}\n");
}

#[test]
#[should_panic(expected = "counters after GET /a")]
fn runner_catches_wrong_counters() {
    run(
        &mut Harness::new(),
        "GET /a\n404 *\ncounters getsSuccess+1\n",
    );
}

#[test]
#[should_panic(expected = "event /a 4")]
fn runner_catches_a_wrong_event() {
    run(
        &mut Harness::new(),
        "PUT /a value=1\n201 *\nevent /a 4\n{}\n",
    );
}
