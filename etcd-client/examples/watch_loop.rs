//! Watches a directory forever and prints every change, surviving idle
//! long-poll closes, server restarts, failover between endpoints and cleared
//! history.
//!
//! ```text
//! cargo run -p etcd-client --example watch_loop -- http://127.0.0.1:2379 /config
//! ```

use etcd_client::{Client, WatchEvent};
use tokio_stream::StreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let endpoints = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:2379".to_owned());
    let key = args.next().unwrap_or_else(|| "/".to_owned());
    let client = Client::new(endpoints.split(','))?;

    let mut events = client
        .keys()
        .watch(key.as_str())
        .recursive(true)
        .resync_on_cleared(true)
        .stream();
    println!("watching {key} on {endpoints}");
    while let Some(event) = events.next().await {
        match event? {
            WatchEvent::Change(r) => println!(
                "[{}] {} {} = {}",
                r.node.modified_index,
                r.action,
                r.node.key,
                r.node.value.as_deref().unwrap_or("")
            ),
            WatchEvent::Resynced {
                current,
                missed_from,
                resume_index,
            } => {
                println!("history cleared: changes {missed_from}..{resume_index} were skipped");
                if let Some(now) = current {
                    println!(
                        "current state at index {}: {:?}",
                        now.headers.etcd_index, now.node
                    );
                }
            }
            other => println!("{other:?}"),
        }
    }
    Ok(())
}
