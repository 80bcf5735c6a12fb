//! Single-threaded benchmarks of the v2 store, plus a memory-per-key report.
//!
//! Run with `cargo bench -p etcd-server --bench store`.
//!
//! Layout: every pre-filled key sits in ONE directory, `/1/bench/<8-digit i>`
//! (`/1/bench/00001234`, 17 bytes of internal path), each with a 256-byte
//! value, so the 1M-key store has a single directory of 1M children (the
//! worst case for one hash table, and the layout of a flat key space).
//!
//! What each benchmark measures (`Throughput::Elements`, so criterion prints
//! operations per second; "n" is the pre-filled size, 10k or 1M):
//!
//! - `set`: `Set` overwriting an existing key, cycling over all n keys.
//! - `get`: `get` of an existing key (not recursive, not sorted), cycling.
//! - `set_scattered`, `get_scattered`: the same, but cycling over the keys in
//!   steps of 104729 keys. The plain cycle visits keys in creation order, so
//!   their values (allocated in that order) are read nearly sequentially and
//!   the hardware prefetches them; the scattered cycle defeats that, as random
//!   client access would (the hash table slots are scattered in both cases).
//! - `cas`: successful `CompareAndSwap` by `prevIndex` (no `prevValue`), cycling.
//! - `delete`: `Delete` of an existing key. Only the delete is timed: keys are
//!   deleted in chunks of at most n/10 consecutive keys, then put back untimed,
//!   so the store holds between 0.9n and n keys while it is measured.
//! - `create_in_order`: `POST` (`Create` with `unique`) into `/1/bench`, the
//!   directory holding the n keys. Timed in chunks of at most n/10 creates; the
//!   created keys are deleted again, untimed, after each chunk.
//! - `expire_1000_keys`: one `Expire` command removing 1000 keys that carry a TTL (set
//!   untimed beforehand in `/1/bench`, all expiring at the same instant);
//!   throughput is per expired key.
//! - `snapshot_100k`: `save`, `restore`, and `save` + `restore` of a 100k-key
//!   store (same layout). Only the operation is timed: dropping the produced
//!   bytes / store happens outside the measurement.
//!
//! Every command goes through `Store::apply` with `NoWatchers`, so the event
//! construction and the 1000-event history are included, as in the server.
//!
//! Memory: before the benchmarks (only under `cargo bench`, and with a filter
//! only if it contains `memory`), the binary builds a 1M-key store with `Set`s
//! and prints the growth of its resident set (`/proc/self/statm`) per key,
//! minus the key bytes (the 17-byte internal path) and the 256 value bytes.

use criterion::{Criterion, Throughput};
use etcd_server::store::{Command, NoWatchers, Store};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// A fixed "now" (Unix nanoseconds) for every command.
const NOW: i64 = 1_795_237_800_000_000_000;
const NANOS_PER_SEC: i64 = 1_000_000_000;
/// The directory of the pre-filled keys (and of the in-order creates).
const DIR: &str = "/1/bench";
/// Prefix of the pre-filled keys: `/1/bench/00001234`.
const KEY_PREFIX: &str = "/1/bench/";
/// Prefix of the keys with a TTL of the expiry benchmark: `/1/bench/t00000123`.
const TTL_PREFIX: &str = "/1/bench/t";
const VALUE_LEN: usize = 256;
/// Keys removed by one `Expire` in the expiry benchmark.
const EXPIRE_BATCH: usize = 1000;
/// Step of the scattered cycle: a prime (so coprime with 10k and 1M) far
/// larger than a cache line's worth of neighbouring keys.
const SCATTER_STRIDE: usize = 104_729;
/// Keys of the snapshot benchmark's store.
const SNAPSHOT_KEYS: usize = 100_000;
/// Keys of the memory measurement.
const MEMORY_KEYS: usize = 1_000_000;

fn value() -> Vec<u8> {
    (0..VALUE_LEN).map(|i| b'a' + (i % 26) as u8).collect()
}

/// Writes `prefix` followed by `i` as 8 decimal digits into `buf` (cheaper
/// than `format!`, so the key's construction barely shows in the timings).
fn write_key(buf: &mut String, prefix: &str, i: usize) {
    let mut digits = [b'0'; 8];
    let mut v = i;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
    buf.clear();
    buf.push_str(prefix);
    buf.push_str(std::str::from_utf8(&digits).expect("ASCII digits"));
}

/// The path of a command, to rewrite it in place between iterations.
fn path_mut(cmd: &mut Command) -> &mut String {
    match cmd {
        Command::Set { path, .. }
        | Command::Create { path, .. }
        | Command::Update { path, .. }
        | Command::CompareAndSwap { path, .. }
        | Command::Delete { path, .. }
        | Command::CompareAndDelete { path, .. } => path,
        Command::Expire => unreachable!("Expire has no path"),
    }
}

fn set_cmd(ttl: Option<u64>) -> Command {
    Command::Set {
        path: String::with_capacity(32),
        value: value(),
        dir: false,
        ttl,
        refresh: false,
    }
}

fn delete_cmd() -> Command {
    Command::Delete {
        path: String::with_capacity(32),
        dir: false,
        recursive: false,
    }
}

/// Applies a command that must succeed with an event; returns its index.
fn apply(store: &mut Store, cmd: &Command, now: i64) -> u64 {
    store
        .apply(cmd, now, &mut NoWatchers)
        .expect("command applies")
        .expect("command has an event")
        .index()
}

/// Sets keys `0..n` under [`KEY_PREFIX`]; `on_index(i, index)` sees each
/// key's modified index.
fn fill(store: &mut Store, n: usize, mut on_index: impl FnMut(usize, u64)) {
    let mut cmd = set_cmd(None);
    for i in 0..n {
        write_key(path_mut(&mut cmd), KEY_PREFIX, i);
        on_index(i, apply(store, &cmd, NOW));
    }
}

/// A pre-filled store and the modified index of each of its keys (for
/// `prevIndex`), kept up to date by every benchmark that writes.
struct Fixture {
    store: Store,
    n: usize,
    modified: Vec<u64>,
    /// Next key of the cycling benchmarks.
    cursor: usize,
    /// Next key of the scattered cycle.
    scatter: usize,
    /// Re-setting keys after the delete benchmark.
    reset: Command,
}

impl Fixture {
    fn new(n: usize) -> Fixture {
        let mut store = Store::new();
        let mut modified = vec![0; n];
        fill(&mut store, n, |i, idx| modified[i] = idx);
        Fixture {
            store,
            n,
            modified,
            cursor: 0,
            scatter: 0,
            reset: set_cmd(None),
        }
    }

    /// The next key of the cycle.
    fn next(&mut self) -> usize {
        let i = self.cursor;
        self.cursor = if i + 1 == self.n { 0 } else { i + 1 };
        i
    }

    /// The next key of the scattered cycle: steps of [`SCATTER_STRIDE`] keys,
    /// which visit every key once per n steps, but never two keys allocated
    /// near each other in a row.
    fn next_scattered(&mut self) -> usize {
        let i = self.scatter;
        self.scatter = (i + SCATTER_STRIDE) % self.n;
        i
    }

    /// Sets key `i` again (untimed bookkeeping).
    fn put_back(&mut self, i: usize) {
        write_key(path_mut(&mut self.reset), KEY_PREFIX, i);
        self.modified[i] = apply(&mut self.store, &self.reset, NOW);
    }
}

/// Runs the per-operation benchmarks on a store pre-filled with `n` keys. The
/// store is built once, lazily (so a filter that skips the whole group does
/// not pay for it), and shared by the group's benchmarks, each of which
/// leaves it with the same keys.
fn bench_store(c: &mut Criterion, label: &str, n: usize, samples: usize, measure: Duration) {
    let mut fixture: Option<Fixture> = None;
    let chunk_max = (n / 10).max(1);

    let mut g = c.benchmark_group(format!("store_{label}"));
    g.sample_size(samples)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(measure)
        .throughput(Throughput::Elements(1));

    let mut cmd = set_cmd(None);
    g.bench_function("set", |b| {
        let fx = fixture.get_or_insert_with(|| Fixture::new(n));
        b.iter(|| {
            let i = fx.next();
            write_key(path_mut(&mut cmd), KEY_PREFIX, i);
            fx.modified[i] = apply(&mut fx.store, black_box(&cmd), NOW);
        })
    });

    let mut path = String::with_capacity(32);
    g.bench_function("get", |b| {
        let fx = fixture.get_or_insert_with(|| Fixture::new(n));
        b.iter(|| {
            let i = fx.next();
            write_key(&mut path, KEY_PREFIX, i);
            black_box(fx.store.get(black_box(&path), false, false, NOW)).expect("key exists");
        })
    });

    g.bench_function("set_scattered", |b| {
        let fx = fixture.get_or_insert_with(|| Fixture::new(n));
        b.iter(|| {
            let i = fx.next_scattered();
            write_key(path_mut(&mut cmd), KEY_PREFIX, i);
            fx.modified[i] = apply(&mut fx.store, black_box(&cmd), NOW);
        })
    });

    g.bench_function("get_scattered", |b| {
        let fx = fixture.get_or_insert_with(|| Fixture::new(n));
        b.iter(|| {
            let i = fx.next_scattered();
            write_key(&mut path, KEY_PREFIX, i);
            black_box(fx.store.get(black_box(&path), false, false, NOW)).expect("key exists");
        })
    });

    let mut cas = Command::CompareAndSwap {
        path: String::with_capacity(32),
        prev_value: Vec::new(),
        prev_index: 0,
        value: value(),
        ttl: None,
        refresh: false,
    };
    g.bench_function("cas", |b| {
        let fx = fixture.get_or_insert_with(|| Fixture::new(n));
        b.iter(|| {
            let i = fx.next();
            if let Command::CompareAndSwap {
                path, prev_index, ..
            } = &mut cas
            {
                write_key(path, KEY_PREFIX, i);
                *prev_index = fx.modified[i];
            }
            fx.modified[i] = apply(&mut fx.store, black_box(&cas), NOW);
        })
    });

    let mut del = delete_cmd();
    g.bench_function("delete", |b| {
        let fx = fixture.get_or_insert_with(|| Fixture::new(n));
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            let mut left = iters as usize;
            let mut keys = Vec::with_capacity(left.min(chunk_max));
            while left > 0 {
                let chunk = left.min(chunk_max);
                keys.clear();
                keys.extend((0..chunk).map(|_| fx.next()));
                let start = Instant::now();
                for &i in &keys {
                    write_key(path_mut(&mut del), KEY_PREFIX, i);
                    black_box(apply(&mut fx.store, black_box(&del), NOW));
                }
                timed += start.elapsed();
                for &i in &keys {
                    fx.put_back(i);
                }
                left -= chunk;
            }
            timed
        })
    });

    let post = Command::Create {
        path: DIR.to_owned(),
        value: value(),
        dir: false,
        ttl: None,
        unique: true,
    };
    g.bench_function("create_in_order", |b| {
        let fx = fixture.get_or_insert_with(|| Fixture::new(n));
        let mut created = Vec::new();
        let mut del = delete_cmd();
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            let mut left = iters as usize;
            while left > 0 {
                let chunk = left.min(chunk_max);
                created.clear();
                created.reserve(chunk);
                let start = Instant::now();
                for _ in 0..chunk {
                    created.push(apply(&mut fx.store, black_box(&post), NOW));
                }
                timed += start.elapsed();
                for &index in &created {
                    let path = path_mut(&mut del);
                    path.clear();
                    path.push_str(DIR);
                    path.push_str(&format!("/{index:020}"));
                    apply(&mut fx.store, &del, NOW);
                }
                left -= chunk;
            }
            timed
        })
    });

    let mut ttl_set = set_cmd(Some(1));
    g.throughput(Throughput::Elements(EXPIRE_BATCH as u64));
    g.bench_function(format!("expire_{EXPIRE_BATCH}_keys"), |b| {
        let fx = fixture.get_or_insert_with(|| Fixture::new(n));
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                for k in 0..EXPIRE_BATCH {
                    write_key(path_mut(&mut ttl_set), TTL_PREFIX, k);
                    apply(&mut fx.store, &ttl_set, NOW);
                }
                assert_eq!(fx.store.ttl_count(), EXPIRE_BATCH);
                let start = Instant::now();
                let out = fx
                    .store
                    .apply(
                        black_box(&Command::Expire),
                        NOW + 2 * NANOS_PER_SEC,
                        &mut NoWatchers,
                    )
                    .expect("expire applies");
                timed += start.elapsed();
                black_box(out);
                assert_eq!(fx.store.ttl_count(), 0);
            }
            timed
        })
    });
    g.finish();

    // Every benchmark left the store with its n keys (and nothing else below
    // /1/bench): the root, /0, /1, /1/bench and the keys.
    if let Some(fx) = &fixture {
        assert_eq!(fx.store.node_count(), n + 4);
    }
}

fn bench_10k(c: &mut Criterion) {
    bench_store(c, "10k", 10_000, 20, Duration::from_secs(2));
}

fn bench_1m(c: &mut Criterion) {
    bench_store(c, "1M", 1_000_000, 10, Duration::from_secs(3));
}

/// `save`, `restore` and both, of a 100k-key store; only the operation itself
/// is timed (freeing its output is not).
fn bench_snapshot(c: &mut Criterion) {
    let mut built: Option<(Store, Vec<u8>)> = None;
    let mut g = c.benchmark_group("snapshot_100k");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Elements(SNAPSHOT_KEYS as u64));
    let build = |b: &mut Option<(Store, Vec<u8>)>| {
        b.get_or_insert_with(|| {
            let mut store = Store::new();
            fill(&mut store, SNAPSHOT_KEYS, |_, _| {});
            let bytes = store.save();
            println!(
                "snapshot: {SNAPSHOT_KEYS} keys of {VALUE_LEN}-byte values save to {} bytes",
                bytes.len()
            );
            (store, bytes)
        });
    };

    g.bench_function("save", |b| {
        build(&mut built);
        let (store, _) = built.as_ref().expect("built");
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let bytes = black_box(store.save());
                timed += start.elapsed();
                drop(bytes);
            }
            timed
        })
    });
    g.bench_function("restore", |b| {
        build(&mut built);
        let (_, bytes) = built.as_ref().expect("built");
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let store = black_box(Store::restore(black_box(bytes)).expect("restores"));
                timed += start.elapsed();
                drop(store);
            }
            timed
        })
    });
    g.bench_function("save_restore", |b| {
        build(&mut built);
        let (store, _) = built.as_ref().expect("built");
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let bytes = store.save();
                let copy = black_box(Store::restore(&bytes).expect("restores"));
                timed += start.elapsed();
                drop((bytes, copy));
            }
            timed
        })
    });
    g.finish();
}

/// Resident set size of this process, from `/proc/self/statm` (pages of 4 KiB).
fn rss_bytes() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Builds a 1M-key store with `Set`s (nothing else big is alive yet) and
/// prints how much the resident set grew per key beyond the key and value
/// bytes. Then does the same for a copy restored from a snapshot (its tables
/// are sized once, with no growth on the way).
fn memory_report() {
    let key_bytes = KEY_PREFIX.len() + 8;
    let per_key = |delta: usize| delta as f64 / MEMORY_KEYS as f64 - (key_bytes + VALUE_LEN) as f64;
    let mib = |b: usize| b as f64 / (1024.0 * 1024.0);

    let Some(before) = rss_bytes() else {
        println!("memory: /proc/self/statm unavailable, not measured");
        return;
    };
    let mut store = Store::new();
    fill(&mut store, MEMORY_KEYS, |_, _| {});
    let after = rss_bytes().expect("statm");
    let delta = after.saturating_sub(before);
    println!(
        "memory: {:.0} bytes/key beyond key+value bytes (RSS delta {:.1} MiB for 1M keys, \
         key bytes {key_bytes}, value bytes {VALUE_LEN})",
        per_key(delta),
        mib(delta),
    );

    let bytes = store.save();
    let before = rss_bytes().expect("statm");
    let copy = Store::restore(&bytes).expect("restores");
    let after = rss_bytes().expect("statm");
    let delta = after.saturating_sub(before);
    println!(
        "memory (store restored from a snapshot): {:.0} bytes/key beyond key+value bytes \
         (RSS delta {:.1} MiB for 1M keys)",
        per_key(delta),
        mib(delta),
    );
    assert_eq!(copy.node_count(), store.node_count());
}

/// Criterion's options that take a value (criterion 0.5), to tell a filter
/// argument from an option's value.
const VALUE_OPTIONS: [&str; 19] = [
    "-c",
    "--color",
    "-s",
    "--save-baseline",
    "-b",
    "--baseline",
    "--baseline-lenient",
    "--format",
    "--profile-time",
    "--load-baseline",
    "--sample-size",
    "--warm-up-time",
    "--measurement-time",
    "--nresamples",
    "--noise-threshold",
    "--confidence-level",
    "--significance-level",
    "--plotting-backend",
    "--output-format",
];

/// The memory report runs under `cargo bench` (which passes `--bench`), not in
/// criterion's test mode (`cargo test --benches`), `--list` or
/// `--profile-time`, and, when a filter is given, only if it mentions
/// `memory` (`cargo bench -p etcd-server --bench store -- memory` runs the
/// report alone).
fn memory_report_wanted(args: &[String]) -> bool {
    let mut bench = false;
    let mut filter = None;
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--bench" => bench = true,
            "--list" | "--profile-time" => return false,
            a if VALUE_OPTIONS.contains(&a) => {
                it.next();
            }
            a if a.starts_with('-') => {}
            a => filter = Some(a.to_owned()),
        }
    }
    bench && filter.map_or(true, |f| f.contains("memory"))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if memory_report_wanted(&args) {
        memory_report();
    }
    let mut c = Criterion::default().configure_from_args();
    bench_10k(&mut c);
    bench_1m(&mut c);
    bench_snapshot(&mut c);
    c.final_summary();
}
