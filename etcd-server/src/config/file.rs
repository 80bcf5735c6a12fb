//! `--config-file`: a YAML file whose keys are the flag names, read as the
//! reference reads it (YAML turned into JSON, then decoded into its Go
//! config struct: strict types, unknown keys ignored, keys matched without
//! regard to case, the first type error reported).

use serde_norway::Value;

use super::{parse_urls, ConfigError, Level, LogLine, Output, Settings};
use crate::flags::{self, go_quote};
use crate::tls::TlsInfo;

/// The Go type of each key this server reads.
#[derive(Clone, Copy)]
enum Ty {
    Str,
    Uint,
    Uint64,
    Bool,
}

const KEYS: &[(&str, Ty)] = &[
    ("name", Ty::Str),
    ("data-dir", Ty::Str),
    ("wal-dir", Ty::Str),
    ("snapshot-count", Ty::Uint64),
    ("heartbeat-interval", Ty::Uint),
    ("election-timeout", Ty::Uint),
    ("max-request-bytes", Ty::Uint),
    ("listen-peer-urls", Ty::Str),
    ("listen-client-urls", Ty::Str),
    ("initial-advertise-peer-urls", Ty::Str),
    ("advertise-client-urls", Ty::Str),
    ("initial-cluster", Ty::Str),
    ("initial-cluster-state", Ty::Str),
    ("initial-cluster-token", Ty::Str),
    ("enable-v2", Ty::Bool),
    ("force-new-cluster", Ty::Bool),
    ("log-level", Ty::Str),
    ("cors", Ty::Str),
];

/// The keys of a `client-transport-security` or `peer-transport-security`
/// mapping (the reference's `securityConfig`) and their Go types.
const SECURITY_KEYS: &[(&str, Ty)] = &[
    ("cert-file", Ty::Str),
    ("key-file", Ty::Str),
    ("client-cert-auth", Ty::Bool),
    ("trusted-ca-file", Ty::Str),
    ("auto-tls", Ty::Bool),
];

impl Ty {
    /// The type's name in Go's decoding errors.
    fn go_name(self) -> &'static str {
        match self {
            Ty::Str => "string",
            Ty::Uint => "uint",
            Ty::Uint64 => "uint64",
            Ty::Bool => "bool",
        }
    }
}

/// Go's JSON type error: `what` could not go into `strukt.field`.
fn type_error(what: &str, strukt: &str, field: &str, ty: &str) -> String {
    format!(
        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {what} into Go struct field {strukt}.{field} of type {ty}"
    )
}

/// Reads a `client-transport-security`/`peer-transport-security` value
/// (`section`) into `tls`; the first type error, in Go's words.
fn read_security(
    section: &str,
    v: &Value,
    tls: &mut TlsInfo,
    ignored: &mut Vec<LogLine>,
) -> Result<(), String> {
    let map = match v {
        Value::Null => return Ok(()),
        Value::Mapping(map) => map,
        other => {
            return Err(type_error(
                json_kind(other),
                "configYAML",
                section,
                "embed.securityConfig",
            ))
        }
    };
    let mut first_error = FirstError::default();
    for (k, v) in map {
        let Some(raw) = k.as_str() else {
            continue;
        };
        let key = raw.to_ascii_lowercase();
        let Some(&(name, ty)) = SECURITY_KEYS.iter().find(|(n, _)| *n == key) else {
            continue;
        };
        if v.is_null() {
            continue;
        }
        let field = format!("{section}.{name}");
        match (name, decode(v, ty)) {
            (_, Err(what)) => {
                first_error.note(
                    raw,
                    type_error(&what, "securityConfig", &field, ty.go_name()),
                );
            }
            ("cert-file", Ok(Val::Str(s))) => tls.cert_file = s,
            ("key-file", Ok(Val::Str(s))) => tls.key_file = s,
            ("trusted-ca-file", Ok(Val::Str(s))) => tls.trusted_ca_file = s,
            ("client-cert-auth", Ok(Val::Bool(b))) => tls.client_cert_auth = b,
            ("auto-tls", Ok(Val::Bool(true))) => ignored.push(LogLine::new(
                Level::Warning,
                "etcdmain",
                format!(
                    "config file key {} is not supported by etcd-server; ignored",
                    go_quote(&field)
                ),
            )),
            _ => {}
        }
    }
    first_error.0.map_or(Ok(()), |(_, e)| Err(e))
}

/// The type error Go reports: the reference turns the YAML into JSON with
/// its keys sorted and reports the earliest error in that text, so the
/// error under the smallest key wins.
#[derive(Default)]
struct FirstError(Option<(String, String)>);

impl FirstError {
    fn note(&mut self, key: &str, message: String) {
        if self.0.as_ref().map_or(true, |(k, _)| key < k.as_str()) {
            self.0 = Some((key.to_owned(), message));
        }
    }
}

/// A decoded value.
enum Val {
    Str(String),
    Num(u64),
    Bool(bool),
}

/// Reads `path` into `st` (which holds the defaults), like the reference's
/// `configFromFile`. On success `st.notices` ends with the reference's
/// `Loading server configuration from ...` line.
pub(super) fn load(path: &str, st: &mut Settings) -> Result<(), ConfigError> {
    let loading = LogLine::new(
        Level::Info,
        "etcdmain",
        format!(
            "Loading server configuration from {}. Other configuration command line flags and environment variables will be ignored if provided.",
            go_quote(path)
        ),
    );
    let mut ignored = Vec::new();
    let result = read(path, st, &mut ignored);
    st.notices.push(loading);
    st.notices.extend(ignored);
    match result {
        Ok(()) => Ok(()),
        Err(Failure::Verifying(message)) => Err(ConfigError::verifying(
            std::mem::take(&mut st.notices),
            message,
        )),
        Err(Failure::Exit(mut e)) => {
            // The reference exits before logging the "Loading" line.
            st.notices.pop();
            let mut output: Vec<Output> = std::mem::take(&mut st.notices)
                .into_iter()
                .map(Output::Log)
                .collect();
            output.append(&mut e.output);
            e.output = output;
            Err(e)
        }
    }
}

enum Failure {
    /// Returned to the reference's `error verifying flags`.
    Verifying(String),
    /// The reference exits on the spot.
    Exit(ConfigError),
}

fn read(path: &str, st: &mut Settings, ignored: &mut Vec<LogLine>) -> Result<(), Failure> {
    let bytes = std::fs::read(path).map_err(|e| Failure::Verifying(go_io_error(path, &e)))?;
    let doc = if bytes.iter().all(u8::is_ascii_whitespace) {
        Doc::Null
    } else {
        serde_norway::from_slice(&bytes).map_err(|e| Failure::Verifying(yaml_error(&e)))?
    };
    let map = match doc {
        Doc::Null => return Ok(()),
        Doc::Map(map) => map,
        Doc::Other(kind) => {
            return Err(Failure::Verifying(format!(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {kind} into Go value of type embed.configYAML"
            )))
        }
    };

    let mut first_error = FirstError::default();
    let mut urls: [(&str, Option<String>); 4] = [
        ("listen-peer-urls", None),
        ("initial-advertise-peer-urls", None),
        ("listen-client-urls", None),
        ("advertise-client-urls", None),
    ];
    let mut cors = None;
    // A key given twice: the last one wins (no error, unlike serde_norway's
    // own mappings).
    for (k, v) in &map {
        let Some(raw) = k.as_str() else { continue };
        let key = raw.to_ascii_lowercase();
        let security = match key.as_str() {
            "client-transport-security" => Some(&mut st.client_tls),
            "peer-transport-security" => Some(&mut st.peer_tls),
            _ => None,
        };
        if let Some(tls) = security {
            if let Err(e) = read_security(&key, v, tls, ignored) {
                first_error.note(raw, e);
            }
            continue;
        }
        let Some(&(name, ty)) = KEYS.iter().find(|(n, _)| *n == key) else {
            let reference = flags::REFERENCE_ONLY_FLAGS.contains(&key.as_str());
            if reference && meaningful(v) {
                ignored.push(LogLine::new(
                    Level::Warning,
                    "etcdmain",
                    format!(
                        "config file key {} is not supported by etcd-server; ignored",
                        go_quote(&key)
                    ),
                ));
            }
            continue;
        };
        if v.is_null() {
            continue;
        }
        let val = match decode(v, ty) {
            Ok(val) => val,
            Err(what) => {
                first_error.note(raw, type_error(&what, "configYAML", name, ty.go_name()));
                continue;
            }
        };
        st.set.insert(name.to_owned());
        match (name, val) {
            ("name", Val::Str(s)) => st.name = s,
            ("data-dir", Val::Str(s)) => st.data_dir = s,
            ("wal-dir", Val::Str(s)) => st.wal_dir = s,
            ("initial-cluster", Val::Str(s)) => st.initial_cluster = s,
            ("initial-cluster-state", Val::Str(s)) => st.initial_cluster_state = s,
            ("initial-cluster-token", Val::Str(s)) => st.initial_cluster_token = s,
            ("log-level", Val::Str(s)) => st.log_level = s,
            ("cors", Val::Str(s)) => cors = Some(s),
            ("snapshot-count", Val::Num(n)) => st.snapshot_count = n,
            ("heartbeat-interval", Val::Num(n)) => st.heartbeat_ms = n,
            ("election-timeout", Val::Num(n)) => st.election_ms = n,
            ("max-request-bytes", Val::Num(n)) => st.max_request_bytes = n,
            ("enable-v2", Val::Bool(b)) => st.enable_v2 = b,
            ("force-new-cluster", Val::Bool(b)) => st.force_new_cluster = b,
            (url_key, Val::Str(s)) => {
                if let Some(slot) = urls.iter_mut().find(|(k, _)| *k == url_key) {
                    slot.1 = Some(s);
                }
            }
            _ => {}
        }
    }
    if let Some((_, e)) = first_error.0 {
        return Err(Failure::Verifying(e));
    }

    for (key, value) in urls {
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            continue;
        };
        let list = parse_urls(&value).map_err(|e| {
            Failure::Exit(ConfigError {
                output: vec![Output::Text(format!(
                    "unexpected error setting up {key}: {e}\n"
                ))],
                exit_code: 1,
            })
        })?;
        match key {
            "listen-peer-urls" => st.listen_peer_urls = list,
            "initial-advertise-peer-urls" => st.initial_advertise_peer_urls = list,
            "listen-client-urls" => st.listen_client_urls = list,
            _ => st.advertise_client_urls = list,
        }
    }
    if let Some(value) = cors.filter(|v| !v.is_empty()) {
        st.cors = if value == "*" {
            vec!["*".to_owned()]
        } else {
            let list = parse_urls(&value).map_err(|e| {
                // The reference panics here.
                Failure::Exit(ConfigError {
                    output: vec![Output::Log(LogLine::new(
                        Level::Critical,
                        "pkg/flags",
                        format!("new UniqueURLs should never fail: {e}"),
                    ))],
                    exit_code: 2,
                })
            })?;
            list.iter().map(ToString::to_string).collect()
        };
    }
    if st.initial_cluster_state.is_empty() {
        st.initial_cluster_state = "new".to_owned();
    }
    Ok(())
}

/// The top of the file: a mapping is kept as a list of entries, so that a
/// repeated key is not an error (the reference's YAML parser takes the last).
enum Doc {
    Null,
    Map(Vec<(Value, Value)>),
    Other(&'static str),
}

impl<'de> serde::Deserialize<'de> for Doc {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Doc, D::Error> {
        d.deserialize_any(DocVisitor)
    }
}

struct DocVisitor;

impl<'de> serde::de::Visitor<'de> for DocVisitor {
    type Value = Doc;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a YAML document")
    }

    fn visit_unit<E>(self) -> Result<Doc, E> {
        Ok(Doc::Null)
    }

    fn visit_none<E>(self) -> Result<Doc, E> {
        Ok(Doc::Null)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Doc, E> {
        Ok(Doc::Other("bool"))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Doc, E> {
        Ok(Doc::Other("number"))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Doc, E> {
        Ok(Doc::Other("number"))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Doc, E> {
        Ok(Doc::Other("number"))
    }

    fn visit_str<E>(self, _: &str) -> Result<Doc, E> {
        Ok(Doc::Other("string"))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Doc, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(Doc::Other("array"))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Doc, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry::<Value, Value>()? {
            entries.push(entry);
        }
        Ok(Doc::Map(entries))
    }
}

/// Decodes one value into a Go type; the error is what Go's JSON decoder
/// names in `cannot unmarshal <what> into ...`.
fn decode(v: &Value, ty: Ty) -> Result<Val, String> {
    match (ty, v) {
        (Ty::Str, Value::String(s)) => Ok(Val::Str(s.clone())),
        (Ty::Bool, Value::Bool(b)) => Ok(Val::Bool(*b)),
        // YAML 1.1 booleans, which the reference's YAML parser reads as such.
        (Ty::Bool, Value::String(s)) => match s.as_str() {
            "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Ok(Val::Bool(true)),
            "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Ok(Val::Bool(false)),
            _ => Err("string".to_owned()),
        },
        (Ty::Uint | Ty::Uint64, Value::Number(n)) => {
            if let Some(u) = n.as_u64() {
                return Ok(Val::Num(u));
            }
            if let Some(i) = n.as_i64() {
                return Err(format!("number {i}"));
            }
            match n.as_f64() {
                Some(f) if f >= 0.0 && f.fract() == 0.0 && f < 18_446_744_073_709_551_616.0 => {
                    Ok(Val::Num(f as u64))
                }
                Some(f) => Err(format!("number {f}")),
                None => Err("number".to_owned()),
            }
        }
        (_, other) => Err(json_kind(other).to_owned()),
    }
}

/// The JSON kind Go's decoder names for a value.
fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Sequence(_) => "array",
        Value::Mapping(_) => "object",
        Value::Tagged(t) => json_kind(&t.value),
    }
}

/// Whether an unsupported key holds anything but an empty or zero value.
fn meaningful(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Sequence(s) => s.iter().any(meaningful),
        Value::Mapping(m) => m.values().any(meaningful),
        Value::Tagged(t) => meaningful(&t.value),
    }
}

/// A YAML syntax error in the reference's words. Its parser reports a
/// parser error (as opposed to a scanner error) one line early; so does this.
fn yaml_error(e: &serde_norway::Error) -> String {
    const PARSER_ERRORS: &[&str] = &[
        "did not find expected ',' or",
        "did not find expected key",
        "did not find expected node content",
        "did not find expected '-' indicator",
        "did not find expected <document start>",
    ];
    let text = e.to_string();
    let message = text.split(" at line ").next().unwrap_or(&text);
    match e.location() {
        Some(loc) => {
            let mut line = loc.line();
            if PARSER_ERRORS.iter().any(|p| message.starts_with(p)) {
                line = line.saturating_sub(1);
            }
            format!("error converting YAML to JSON: yaml: line {line}: {message}")
        }
        None => format!("error converting YAML to JSON: yaml: {message}"),
    }
}

/// Go's `ioutil.ReadFile` error text.
pub(crate) fn go_io_error(path: &str, e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound => format!("open {path}: no such file or directory"),
        ErrorKind::PermissionDenied => format!("open {path}: permission denied"),
        ErrorKind::IsADirectory => format!("read {path}: is a directory"),
        _ => format!("open {path}: {e}"),
    }
}
