//! The client against a scripted HTTP server: the cases a real server cannot be
//! made to produce on demand (idle long-poll closes, 5xx answers, resets).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use etcd_client::{Client, EndpointErrorKind, Error, ErrorCode, WatchEvent};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_stream::StreamExt;

/// One scripted answer: status, extra headers, body. `None` drops the
/// connection without answering.
type Reply = Option<(u16, Vec<(&'static str, String)>, String)>;

/// Serves `replies` in order, one per connection, recording each request line.
async fn scripted(replies: Vec<Reply>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        for reply in replies {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = sock.read(&mut chunk).await.unwrap();
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let text = String::from_utf8_lossy(&buf).into_owned();
            log.lock()
                .unwrap()
                .push(text.lines().next().unwrap_or_default().to_owned());
            let Some((status, headers, body)) = reply else {
                drop(sock);
                continue;
            };
            let mut head = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            head.push_str(&body);
            sock.write_all(head.as_bytes()).await.unwrap();
            sock.shutdown().await.ok();
        }
    });
    (url, seen)
}

fn event(action: &str, key: &str, index: u64) -> String {
    format!(
        r#"{{"action":"{action}","node":{{"key":"{key}","value":"v{index}","modifiedIndex":{index},"createdIndex":{index}}}}}"#
    )
}

fn idx(i: u64) -> Vec<(&'static str, String)> {
    vec![("X-Etcd-Index", i.to_string())]
}

#[tokio::test]
async fn stream_pins_its_start_and_survives_idle_closes_and_resets() {
    let (url, seen) = scripted(vec![
        // The first poll is closed idle: the stream must resume after index 10.
        Some((200, idx(10), String::new())),
        // A dropped connection: retried from the same index.
        None,
        Some((200, idx(10), event("set", "/k", 11))),
        Some((200, idx(11), event("delete", "/k", 12))),
    ])
    .await;
    let client = Client::new([url]).unwrap();
    let mut stream = client.keys().watch("/k").stream();
    let mut got = Vec::new();
    for _ in 0..2 {
        let ev = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("event in time")
            .expect("stream open")
            .expect("no error");
        match ev {
            WatchEvent::Change(r) => got.push(r.node.modified_index),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(got, [11, 12]);
    assert_eq!(stream.next_index(), Some(13));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            "GET /v2/keys/k?recursive=false&wait=true&waitIndex=0 HTTP/1.1",
            "GET /v2/keys/k?recursive=false&wait=true&waitIndex=11 HTTP/1.1",
            "GET /v2/keys/k?recursive=false&wait=true&waitIndex=11 HTTP/1.1",
            "GET /v2/keys/k?recursive=false&wait=true&waitIndex=12 HTTP/1.1",
        ]
    );
}

#[tokio::test]
async fn one_shot_wait_retries_an_idle_close() {
    let (url, seen) = scripted(vec![
        Some((200, idx(7), String::new())),
        Some((200, idx(7), event("set", "/d/x", 8))),
    ])
    .await;
    let client = Client::new([url]).unwrap();
    let r = client
        .keys()
        .watch("/d")
        .recursive(true)
        .wait_index(8)
        .send()
        .await
        .unwrap();
    assert_eq!(r.node.key, "/d/x");
    assert_eq!(r.headers.etcd_index, 7);
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn server_errors_fail_over_and_keep_each_answer() {
    let no_quorum = r#"{"errorCode":300,"message":"Raft Internal Error","cause":"etcdserver: request timed out","index":0}"#;
    let (a, _) = scripted(vec![Some((500, vec![], no_quorum.to_owned()))]).await;
    let (b, _) = scripted(vec![Some((502, vec![], "bad".to_owned()))]).await;
    let client = Client::new([a.clone(), b.clone()]).unwrap();
    let err = client.keys().set("/x", "1").send().await.unwrap_err();
    let Error::ClusterUnavailable(errors) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(errors.len(), 2);
    match &errors[0].kind {
        EndpointErrorKind::NoLeader(Some(api)) => {
            assert_eq!(api.code, ErrorCode::RAFT_INTERNAL);
            assert_eq!(api.cause, "etcdserver: request timed out");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(errors[1].kind, EndpointErrorKind::ServerError(502));
    assert_eq!(
        err.to_string(),
        format!(
            "client: etcd cluster is unavailable or misconfigured; error #0: client: etcd member {a} has no leader\n; error #1: client: etcd member {b} returns server error [Bad Gateway]\n"
        )
    );
}

#[tokio::test]
async fn a_failing_endpoint_is_skipped_and_the_next_one_pinned() {
    let (bad, bad_seen) = scripted(vec![Some((503, vec![], String::new()))]).await;
    let ok_body = event("set", "/x", 5);
    let (good, good_seen) = scripted(vec![
        Some((201, idx(5), ok_body.clone())),
        Some((201, idx(5), ok_body)),
    ])
    .await;
    let client = Client::new([bad, good]).unwrap();
    client.keys().set("/x", "1").send().await.unwrap();
    // The second call goes straight to the endpoint that answered.
    client.keys().set("/x", "1").send().await.unwrap();
    assert_eq!(bad_seen.lock().unwrap().len(), 1);
    assert_eq!(good_seen.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn one_shot_requests_report_their_own_endpoint_error() {
    let (bad, _) = scripted(vec![Some((503, vec![], String::new()))]).await;
    let (good, good_seen) = scripted(vec![]).await;
    let client = Client::new([bad.clone(), good]).unwrap();
    let err = client
        .keys()
        .mkdir("/d")
        .one_shot()
        .send()
        .await
        .unwrap_err();
    match err {
        Error::Endpoint(e) => {
            assert_eq!(e.endpoint, bad);
            assert_eq!(e.kind, EndpointErrorKind::NoLeader(None));
        }
        other => panic!("{other:?}"),
    }
    assert!(good_seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn undecodable_answers_are_errors_not_panics() {
    let (url, _) = scripted(vec![
        Some((200, idx(1), "{not json".to_owned())),
        Some((418, vec![], "teapot".to_owned())),
    ])
    .await;
    let client = Client::new([url]).unwrap();
    let e = client.keys().get("/x").send().await.unwrap_err();
    assert!(
        matches!(e, Error::Decode { ref body, .. } if body == "{not json"),
        "{e:?}"
    );
    let e = client.keys().get("/x").send().await.unwrap_err();
    assert!(
        matches!(e, Error::UnexpectedStatus { status: 418, .. }),
        "{e:?}"
    );
}
