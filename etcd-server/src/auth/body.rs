//! Request bodies of the auth API, decoded as Go's `encoding/json` decodes
//! them into the reference's structs: only the first JSON value counts
//! (trailing bytes are ignored), object keys match field names exactly or
//! else case-insensitively, a later duplicate key wins, `null` leaves a
//! string or struct alone and clears a list, unknown keys are skipped, and
//! any type mismatch makes the whole body invalid. Invalid UTF-8 inside
//! strings becomes U+FFFD.

use etcd_client::models::{Permissions, Role, RwPermission, User};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// A JSON value with object keys kept in document order.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Bool,
    Number,
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_none<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Value, E> {
                Ok(Value::Bool)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Value, E> {
                Ok(Value::Number)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Value, E> {
                Ok(Value::Number)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Value, E> {
                Ok(Value::Number)
            }
            fn visit_str<E>(self, s: &str) -> Result<Value, E> {
                Ok(Value::String(s.to_owned()))
            }
            fn visit_string<E>(self, s: String) -> Result<Value, E> {
                Ok(Value::String(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
                let mut items = Vec::new();
                while let Some(v) = seq.next_element()? {
                    items.push(v);
                }
                Ok(Value::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
                let mut entries = Vec::new();
                while let Some((k, v)) = map.next_entry()? {
                    entries.push((k, v));
                }
                Ok(Value::Object(entries))
            }
        }
        d.deserialize_any(V)
    }
}

/// The body could not be decoded: the reference answers 400 `Invalid JSON
/// in request body.`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidJson;

type Decoded = Result<(), InvalidJson>;

/// The first JSON value of `body`.
fn first_value(body: &[u8]) -> Result<Value, InvalidJson> {
    let text = etcd_client::json::lossy_as_decoded(body);
    let mut values = serde_json::Deserializer::from_str(&text).into_iter::<Value>();
    match values.next() {
        Some(Ok(v)) => Ok(v),
        _ => Err(InvalidJson),
    }
}

/// Go's case folding of a key for field matching: ASCII letters, plus the
/// Kelvin sign and the long s, which fold to `k` and `s`.
fn fold(c: char) -> char {
    match c {
        '\u{212A}' => 'k',
        '\u{017F}' => 's',
        c => c.to_ascii_lowercase(),
    }
}

/// The field a key sets: an exact match first, else a case-insensitive one
/// (Go's; the members API's bodies use it too).
pub(crate) fn field(fields: &[&'static str], key: &str) -> Option<&'static str> {
    let folded_eq = |f: &str| key.chars().map(fold).eq(f.chars().map(fold));
    fields
        .iter()
        .find(|f| **f == key)
        .or_else(|| fields.iter().find(|f| folded_eq(f)))
        .copied()
}

/// Walks an object (`null` changes nothing), handing each known key's value
/// to `set`. Every entry is visited even after an error, as Go does.
fn object(
    v: &Value,
    fields: &[&'static str],
    mut set: impl FnMut(&str, &Value) -> Decoded,
) -> Decoded {
    match v {
        Value::Null => Ok(()),
        Value::Object(entries) => {
            let mut result = Ok(());
            for (k, v) in entries {
                if let Some(f) = field(fields, k) {
                    result = result.and(set(f, v));
                }
            }
            result
        }
        _ => Err(InvalidJson),
    }
}

fn string(v: &Value, out: &mut String) -> Decoded {
    match v {
        Value::Null => Ok(()),
        Value::String(s) => {
            s.clone_into(out);
            Ok(())
        }
        _ => Err(InvalidJson),
    }
}

/// A `[]string`: `null` clears it; a `null` element is an empty string.
fn strings(v: &Value, out: &mut Option<Vec<String>>) -> Decoded {
    match v {
        Value::Null => {
            *out = None;
            Ok(())
        }
        Value::Array(items) => {
            let mut list = Vec::with_capacity(items.len());
            let mut result = Ok(());
            for item in items {
                let mut s = String::new();
                result = result.and(string(item, &mut s));
                list.push(s);
            }
            *out = Some(list);
            result
        }
        _ => Err(InvalidJson),
    }
}

fn rw_permission(v: &Value, out: &mut RwPermission) -> Decoded {
    object(v, &["read", "write"], |f, v| match f {
        "read" => strings(v, &mut out.read),
        _ => strings(v, &mut out.write),
    })
}

fn permissions(v: &Value, out: &mut Permissions) -> Decoded {
    object(v, &["kv"], |_, v| rw_permission(v, &mut out.kv))
}

/// A `*Permissions`: `null` clears it, an object fills it (creating it).
fn optional_permissions(v: &Value, out: &mut Option<Permissions>) -> Decoded {
    match v {
        Value::Null => {
            *out = None;
            Ok(())
        }
        Value::Object(_) => permissions(v, out.get_or_insert_with(Permissions::default)),
        _ => Err(InvalidJson),
    }
}

/// Decodes a `PUT /v2/auth/users/<name>` body.
///
/// # Errors
///
/// [`InvalidJson`] when the body is not JSON or does not fit.
pub fn user(body: &[u8]) -> Result<User, InvalidJson> {
    let v = first_value(body)?;
    let mut u = User::default();
    let mut password = String::new();
    let (mut grant, mut revoke) = (None, None);
    object(
        &v,
        &["user", "password", "roles", "grant", "revoke"],
        |f, v| match f {
            "user" => string(v, &mut u.user),
            "password" => string(v, &mut password),
            "roles" => strings(v, &mut u.roles),
            "grant" => strings(v, &mut grant),
            _ => strings(v, &mut revoke),
        },
    )?;
    u.password = (!password.is_empty()).then_some(password);
    u.grant = grant.unwrap_or_default();
    u.revoke = revoke.unwrap_or_default();
    Ok(u)
}

/// Decodes a `PUT /v2/auth/roles/<name>` body.
///
/// # Errors
///
/// [`InvalidJson`] when the body is not JSON or does not fit.
pub fn role(body: &[u8]) -> Result<Role, InvalidJson> {
    let v = first_value(body)?;
    let mut r = Role::default();
    object(
        &v,
        &["role", "permissions", "grant", "revoke"],
        |f, v| match f {
            "role" => string(v, &mut r.role),
            "permissions" => permissions(v, &mut r.permissions),
            "grant" => optional_permissions(v, &mut r.grant),
            _ => optional_permissions(v, &mut r.revoke),
        },
    )?;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(v: &[&str]) -> Option<Vec<String>> {
        Some(v.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn users() {
        let u = user(br#"{"user":"bob","password":"pw","roles":["a"]}"#).unwrap();
        assert_eq!(
            (u.user.as_str(), u.password.as_deref()),
            ("bob", Some("pw"))
        );
        assert_eq!(u.roles, list(&["a"]));
        // Keys match case-insensitively; a later key wins; trailing bytes are ignored.
        let u = user(br#"{"USER":"x","PassWord":"p","user":"Case"} trailing"#).unwrap();
        assert_eq!(
            (u.user.as_str(), u.password.as_deref()),
            ("Case", Some("p"))
        );
        let u = user(br#"{"user":"a","roles":[],"grant":["r"],"revoke":null}"#).unwrap();
        assert_eq!(
            (u.roles, u.grant, u.revoke),
            (Some(vec![]), vec!["r".to_string()], vec![])
        );
        // A null element is an empty string; an empty password is no password.
        let u = user(br#"{"user":"a","password":"","roles":["x",null]}"#).unwrap();
        assert_eq!((u.password, u.roles), (None, list(&["x", ""])));
        // `null` is a valid body that sets nothing.
        assert_eq!(user(b"null"), Ok(User::default()));
        for bad in [
            &b""[..],
            b"   ",
            b"{bad",
            b"[1]",
            b"\"x\"",
            br#"{"user":5}"#,
            br#"{"roles":"a"}"#,
            br#"{"roles":[1]}"#,
        ] {
            assert_eq!(
                user(bad),
                Err(InvalidJson),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn roles() {
        let r = role(br#"{"role":"fooRW","permissions":{"kv":{"read":["/foo/*"],"write":null}}}"#)
            .unwrap();
        assert_eq!(r.role, "fooRW");
        assert_eq!(r.permissions.kv.read, list(&["/foo/*"]));
        assert_eq!(r.permissions.kv.write, None);
        assert_eq!((r.grant, r.revoke), (None, None));
        // An empty grant object is a grant (with null lists).
        let r = role(br#"{"role":"g","grant":{"kv":{}}}"#).unwrap();
        assert_eq!(r.grant, Some(Permissions::default()));
        let r = role(br#"{"Role":"g","REVOKE":{"KV":{"Write":["/w"]}},"unknown":[1,{"a":2}]}"#)
            .unwrap();
        assert_eq!(r.role, "g");
        assert_eq!(r.revoke.unwrap().kv.write, list(&["/w"]));
        assert_eq!(role(br#"{"role":"g","grant":null}"#).unwrap().grant, None);
        for bad in [
            &br#"{"role":5}"#[..],
            br#"{"permissions":[]}"#,
            br#"{"grant":"x"}"#,
        ] {
            assert_eq!(role(bad), Err(InvalidJson));
        }
    }

    #[test]
    fn folding() {
        assert_eq!(field(&["kv"], "\u{212A}V"), Some("kv"));
        assert_eq!(field(&["user", "roles"], "ROLES"), Some("roles"));
        assert_eq!(field(&["user"], "users"), None);
        // Field names with capitals fold too; an exact match comes first.
        assert_eq!(field(&["peerURLs"], "PEERURLſ"), Some("peerURLs"));
        assert_eq!(field(&["a", "A"], "A"), Some("A"));
    }
}
