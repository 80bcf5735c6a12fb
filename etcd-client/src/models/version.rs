//! Wire types of `/version` and `/health`.

use serde::{Deserialize, Serialize};

/// The body of `GET /version`: `{"etcdserver":"3.4.23","etcdcluster":"3.4.0"}`.
///
/// Sent as `application/json` without a trailing newline, also when the v2 API is
/// disabled. Only GET is allowed (HEAD too gets 405).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    /// Version of the server binary (`etcdserver`).
    #[serde(rename = "etcdserver")]
    pub etcd_server: String,
    /// Version the cluster runs at (`etcdcluster`); `not_decided` until the
    /// members have agreed on one.
    #[serde(rename = "etcdcluster")]
    pub etcd_cluster: String,
}

/// The body of `GET /health`: `{"health":"true"}` or `{"health":"false"}`.
///
/// `health` is a **string**, not a boolean. Both answers are sent as
/// `text/plain; charset=utf-8`: 200 `{"health":"true"}` without a trailing newline
/// when the member has a leader and a quorum read works, otherwise 503
/// `{"health":"false"}` **with** a trailing newline (written by Go's `http.Error`,
/// plus `X-Content-Type-Options: nosniff`). etcd 3.4 sends no `reason`; later
/// versions add `"reason":".."`, which decodes into [`Health::reason`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// `"true"` or `"false"`.
    pub health: String,
    /// Why the member is unhealthy (etcd ≥ 3.5 only); omitted when empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

impl Health {
    /// Whether the member reported itself healthy (`"health":"true"`).
    pub fn is_healthy(&self) -> bool {
        self.health == "true"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn enc<T: Serialize>(v: &T) -> String {
        String::from_utf8(json::to_vec(v)).unwrap()
    }

    #[test]
    fn version_body() {
        let body = r#"{"etcdserver":"3.4.23","etcdcluster":"3.4.0"}"#;
        let v: Version = serde_json::from_str(body).unwrap();
        assert_eq!(v.etcd_server, "3.4.23");
        assert_eq!(v.etcd_cluster, "3.4.0");
        assert_eq!(enc(&v), body);
    }

    #[test]
    fn health_bodies() {
        let ok: Health = serde_json::from_str(r#"{"health":"true"}"#).unwrap();
        assert!(ok.is_healthy());
        assert_eq!(ok.reason, "");
        assert_eq!(enc(&ok), r#"{"health":"true"}"#);
        // The 503 body carries a trailing newline.
        let bad: Health = serde_json::from_str("{\"health\":\"false\"}\n").unwrap();
        assert!(!bad.is_healthy());
        assert_eq!(enc(&bad), r#"{"health":"false"}"#);
        // A boolean is not what the reference sends.
        assert!(serde_json::from_str::<Health>(r#"{"health":true}"#).is_err());
    }

    #[test]
    fn health_reason_of_newer_servers() {
        let h: Health =
            serde_json::from_str(r#"{"health":"false","reason":"RAFT NO LEADER"}"#).unwrap();
        assert!(!h.is_healthy());
        assert_eq!(h.reason, "RAFT NO LEADER");
        assert_eq!(enc(&h), r#"{"health":"false","reason":"RAFT NO LEADER"}"#);
    }
}
