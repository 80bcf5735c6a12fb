//! The client's endpoint handling: failover, one-shot requests, timeouts, sync, the request hook, TLS errors.

use super::*;

fn refused(url: &str, port: u16) -> String {
    assert_eq!(url, format!("http://127.0.0.1:{port}"));
    format!("dial tcp 127.0.0.1:{port}: connect: connection refused")
}

async fn get(c: &Client) -> Result<Response> {
    c.keys().get("/api_fo/k").send().await
}

#[test]
fn failover_and_one_shot() {
    let rt = runtime();
    let ours = Server::start();
    let ((d1, p1), (d2, p2), (d3, p3)) = (dead_url(), dead_url(), dead_url());
    rt.block_on(async {
        let eps = [d1.clone(), ours.url(), d2.clone()];
        let c = Client::new(eps.clone()).expect("client");
        let set = c.keys().set("/api_fo/k", "v").send().await;
        set.expect("set fails over");
        assert_eq!(val(&get(&c).await.expect("get")), Some("v"));
        assert_eq!(c.endpoints(), eps);

        let c = Client::new([&d1, &d2, &d3]).expect("client");
        let e = get(&c).await.expect_err("all dead");
        let Error::ClusterUnavailable(v) = &e else {
            panic!("{e:?}")
        };
        assert_eq!(v.len(), 3);
        let mut want = String::from("client: etcd cluster is unavailable or misconfigured");
        for (i, (url, port)) in [(&d1, p1), (&d2, p2), (&d3, p3)].into_iter().enumerate() {
            let (address, detail) = (format!("127.0.0.1:{port}"), "connection refused".into());
            assert_eq!(&v[i].endpoint, url);
            assert_eq!(v[i].kind, Kind::Connect { address, detail });
            assert_eq!(v[i].to_string(), refused(url, port));
            want += &format!("; error #{i}: {}\n", refused(url, port));
        }
        assert_eq!(e.to_string(), want);
        assert!(e.is_unavailable());

        let c = Client::new([d1.clone(), ours.url()]).expect("client");
        match c.keys().get("/api_fo/k").one_shot().send().await {
            Err(Error::Endpoint(e)) => assert_eq!(e.to_string(), refused(&d1, p1)),
            other => panic!("one_shot must not fail over: {other:?}"),
        }
        // As in the reference client, a failed one-shot pins the next endpoint.
        let again = c.keys().get("/api_fo/k").one_shot().send().await;
        assert_eq!(val(&again.expect("next endpoint")), Some("v"));
    });
}

#[test]
fn request_and_total_timeouts() {
    let rt = runtime();
    let ours = Server::start();
    let (dead, port) = dead_url();
    // Accepts connections (into the kernel's backlog) and never answers.
    let hang = TcpListener::bind("127.0.0.1:0").expect("bind");
    let hang_url = format!("http://{}", hang.local_addr().expect("addr"));
    let short = Duration::from_millis(300);
    let build = |eps: [&str; 2]| {
        let c = Client::builder().endpoints(eps).request_timeout(short);
        c.build().expect("client")
    };
    rt.block_on(async {
        let c = build([&hang_url, &ours.url()]);
        let start = Instant::now();
        c.keys()
            .set("/api_fo/k", "v")
            .send()
            .await
            .expect("moves on");
        assert!(start.elapsed() >= short, "{:?}", start.elapsed());
        let c = build([&hang_url, &dead]);
        match get(&c).await {
            Err(Error::ClusterUnavailable(v)) if v.len() == 2 => {
                assert_eq!((&v[0].endpoint, &v[0].kind), (&hang_url, &Kind::Timeout));
                let text = format!("client: endpoint {hang_url} exceeded header timeout");
                assert_eq!(v[0].to_string(), text);
                assert_eq!(v[1].to_string(), refused(&dead, port));
            }
            other => panic!("{other:?}"),
        }
        let c = Client::builder().endpoint(&hang_url).total_timeout(short);
        let c = c
            .request_timeout(Duration::from_secs(5))
            .build()
            .expect("client");
        let start = Instant::now();
        let e = c
            .keys()
            .set("/api_fo/k", "w")
            .send()
            .await
            .expect_err("late");
        assert!(matches!(e, Error::Timeout), "{e:?}");
        assert_eq!(e.to_string(), "context deadline exceeded");
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "{:?}",
            start.elapsed()
        );
    });
    drop(hang);
}

#[test]
fn sync_keeps_given_endpoints() {
    let rt = runtime();
    let ours = Server::start();
    rt.block_on(async {
        let c = Client::builder().endpoint(ours.url()).sync_endpoints(true);
        let c = c.connect().await.expect("connect");
        assert_eq!(c.endpoints(), [ours.url()]);
        let local = format!("http://localhost:{}", ours.client_port);
        let (dead, _) = dead_url();
        let c = Client::builder()
            .endpoints([&dead, &local])
            .sync_endpoints(true);
        let c = c.connect().await.expect("connect");
        let want = [ours.url(), dead, local];
        assert_eq!(c.endpoints(), want);
        assert_eq!(c.sync().await.expect("sync"), want);
        c.keys().set("/api_sync/k", "v").send().await.expect("set");
    });
}

/// The reference etcdctl's `--debug` lines for this sequence (etcdctl.md §5),
/// `{E}` standing for the endpoint.
const DEBUG_LINES: &[&str] = &[
    "GET {E}/v2/members",
    "PUT {E}/v2/keys/dbg/k -d \"value=v\"",
    "GET {E}/v2/keys/dbg/k?quorum=false&recursive=false&sorted=false",
    "GET {E}/v2/keys/dbg/k?quorum=true&recursive=false&sorted=true",
    "GET {E}/v2/keys/dbg?quorum=false&recursive=true&sorted=true",
    "POST {E}/v2/keys/dbg/q -d \"value=v\"",
    "PUT {E}/v2/keys/dbg/k?prevValue=v -d \"ttl=10&value=v2\"",
    "PUT {E}/v2/keys/dbg/k?prevExist=true -d \"value=v3\"",
    "PUT {E}/v2/keys/dbg/d?dir=true&prevExist=false -d \"\"",
    "PUT {E}/v2/keys/dbg/d2?dir=true -d \"\"",
    "PUT {E}/v2/keys/dbg/d2?dir=true&prevExist=true -d \"ttl=5\"",
    "DELETE {E}/v2/keys/dbg/k?prevValue=v3",
    "DELETE {E}/v2/keys/dbg?recursive=true",
    "DELETE {E}/v2/keys/dbg?dir=true",
    "GET {E}/v2/members",
    "GET {E}/v2/members/leader",
    "PUT {E}/v2/keys/dbg/sp%20ace -d \"value=a+b%26c%3Dd\"",
    "PUT {E}/v2/keys/dbg/sp%20ace -d \"ttl=5&value=v\"",
    "GET {E}/v2/keys/dbg/sp%20ace?quorum=false&recursive=false&sorted=false",
];

/// Sends a keys request that must succeed.
macro_rules! send {
    ($req:expr) => {
        $req.send().await.expect(stringify!($req))
    };
}

#[test]
fn request_hook_sees_what_etcdctl_debug_prints() {
    let rt = runtime();
    let ours = Server::start();
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = seen.clone();
    let c = Client::builder().endpoint(ours.url()).sync_endpoints(true);
    let c = c.on_request(move |r| {
        let mut line = format!("{} {}", r.method, r.url);
        if let Some(b) = r.body {
            line += &format!(" -d \"{}\"", String::from_utf8_lossy(b));
        }
        sink.lock().unwrap().push(line);
    });
    rt.block_on(async {
        let c = c.connect().await.expect("connect");
        let k = c.keys();
        send!(k.set("/dbg/k", "v"));
        send!(k.get("/dbg/k"));
        send!(k.get("/dbg/k").quorum(true).sorted(true));
        send!(k.get("/dbg").recursive(true).sorted(true));
        send!(k.create_in_order("/dbg/q", "v"));
        send!(k.compare_and_swap("/dbg/k", "v2").ttl(10).prev_value("v"));
        send!(k.update("/dbg/k", "v3"));
        send!(k.mkdir("/dbg/d"));
        send!(k.set_dir("/dbg/d2"));
        send!(k.update_dir("/dbg/d2").ttl(5));
        send!(k.compare_and_delete("/dbg/k").prev_value("v3"));
        send!(k.delete("/dbg").recursive(true));
        let e = k.rmdir("/dbg").send().await.expect_err("gone");
        assert_eq!(e.code(), Some(ErrorCode::KEY_NOT_FOUND));
        c.members().list().await.expect("members");
        c.members().leader().await.expect("leader");
        send!(k.set("/dbg/sp ace", "a b&c=d"));
        let r = send!(k.set("dbg/sp ace", "v").ttl(5));
        assert_eq!(r.node.key, "/dbg/sp ace");
        let r = send!(k.get("/dbg/sp ace"));
        assert_eq!((r.node.key.as_str(), r.node.ttl), ("/dbg/sp ace", 5));
    });
    let url = ours.url();
    let want: Vec<String> = DEBUG_LINES.iter().map(|l| l.replace("{E}", &url)).collect();
    assert_eq!(*seen.lock().unwrap(), want);
}

#[test]
fn tls_material_errors() {
    let https = || Client::builder().endpoint("https://127.0.0.1:1");
    match https().ca_file("/nonexistent/api-ca.pem").build() {
        Err(Error::Tls(m)) => assert!(m.contains("/nonexistent/api-ca.pem"), "{m}"),
        other => panic!("{other:?}"),
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let junk = dir.path().join("ca.pem");
    std::fs::write(&junk, "not a certificate\n").expect("write");
    let e = https().ca_file(&junk).build();
    assert!(matches!(e, Err(Error::Tls(_))), "{e:?}");
    let (cert, key) = (dir.path().join("c.pem"), dir.path().join("nokey.pem"));
    std::fs::write(&cert, "x").expect("write");
    let e = https().client_cert_files(&cert, &key).build();
    let missing_key = matches!(&e, Err(Error::Tls(m)) if m.contains("nokey.pem"));
    assert!(missing_key, "{e:?}");
}
