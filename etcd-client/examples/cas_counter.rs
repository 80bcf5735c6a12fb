//! A counter shared by many processes, incremented with compare-and-swap on
//! the key's modified index: no increment is ever lost, however many run at once.
//!
//! ```text
//! cargo run -p etcd-client --example cas_counter -- http://127.0.0.1:2379 /counter 100
//! ```

use etcd_client::{Client, Error, ErrorCode};

/// Adds one to the counter at `key` and returns the new value.
async fn increment(client: &Client, key: &str) -> Result<u64, Error> {
    loop {
        // Read the current value and the index it was written at.
        let (value, index) = match client.keys().get(key).quorum(true).send().await {
            Ok(r) => {
                let v = r.node.value.as_deref().unwrap_or("0").parse().unwrap_or(0);
                (v, Some(r.node.modified_index))
            }
            Err(Error::Api(e)) if e.code == ErrorCode::KEY_NOT_FOUND => (0, None),
            Err(e) => return Err(e),
        };
        let next = value + 1;
        let write = match index {
            Some(i) => client
                .keys()
                .compare_and_swap(key, next.to_string())
                .prev_index(i),
            None => client.keys().create(key, next.to_string()),
        };
        match write.send().await {
            Ok(_) => return Ok(next),
            // Someone else won the race: read again and retry.
            Err(Error::Api(e))
                if e.code == ErrorCode::TEST_FAILED || e.code == ErrorCode::NODE_EXIST => {}
            Err(e) => return Err(e),
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let endpoints = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:2379".to_owned());
    let key = args.next().unwrap_or_else(|| "/counter".to_owned());
    let times: u64 = args.next().map_or(Ok(10), |n| n.parse())?;
    let client = Client::new(endpoints.split(','))?;
    let mut last = 0;
    for _ in 0..times {
        last = increment(&client, &key).await?;
    }
    println!("{key} = {last}");
    Ok(())
}
