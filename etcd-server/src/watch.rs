//! The watch hub: this member's watchers, fed by the store's applied events.
//!
//! Watchers are not replicated state: each member has its own hub, and the
//! store (which every member holds identically) keeps the event history that
//! answers a past `waitIndex`. The hub delivers exactly as the reference does
//! (spec watch.md):
//!
//! - a watcher on `K` gets events on `K`; a recursive one also events below
//!   `K`, except keys with a `_`-prefixed component below `K`;
//! - when a directory is deleted or expires, every watcher registered exactly
//!   on a node inside it gets the directory's event; a stream watcher on the
//!   removed node itself gets that event twice;
//! - refreshes wake nobody; a long-poll watcher is done after one event; a
//!   stream watcher whose buffer (100 events) overflows is dropped, which ends
//!   its stream so the client can resume from its last index.
//!
//! Registration must not race with applying: callers hold the store (read)
//! while calling [`WatchHub::watch`] and hold it (write) while the store
//! reports to [`WatchHub::sink`], so no event falls between the history scan
//! and the registration.

use crate::error::Error;
use crate::store::{path, Event, Sink, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::mpsc;

/// Events a watcher may have pending before it is dropped (the reference's
/// channel size).
pub const WATCHER_BUFFER: usize = 100;

#[derive(Debug)]
struct Entry {
    id: u64,
    recursive: bool,
    stream: bool,
    since: u64,
    tx: mpsc::Sender<Arc<Event>>,
}

#[derive(Debug, Default)]
struct Inner {
    by_key: HashMap<String, Vec<Entry>>,
    count: usize,
    next_id: u64,
}

impl Inner {
    fn remove(&mut self, key: &str, id: u64) {
        if let Some(list) = self.by_key.get_mut(key) {
            let before = list.len();
            list.retain(|e| e.id != id);
            self.count -= before - list.len();
            if list.is_empty() {
                self.by_key.remove(key);
            }
        }
    }

    /// The reference's `notifyWatchers`: offers `event` to the watchers
    /// registered exactly at `at`.
    fn notify_at(&mut self, event: &Arc<Event>, at: &str, deleted: bool) {
        let Some(list) = self.by_key.get_mut(at) else {
            return;
        };
        let key = event.node.key.as_str();
        let original = key == at;
        if !original && path::is_hidden_below(at, key) {
            return;
        }
        let before = list.len();
        list.retain(|w| {
            let interested = (w.recursive || original || deleted) && event.index() >= w.since;
            if !interested {
                return true;
            }
            // A full buffer or a gone receiver drops the watcher; a delivered
            // long poll is done.
            w.tx.try_send(event.clone()).is_ok() && w.stream
        });
        self.count -= before - list.len();
        if list.is_empty() {
            self.by_key.remove(at);
        }
    }
}

/// This member's watchers. Cheap to clone; clones share the watchers.
#[derive(Debug, Clone, Default)]
pub struct WatchHub {
    inner: Arc<Mutex<Inner>>,
    /// Watch requests since the process started, the refused ones included
    /// (`etcd_debugging_store_watch_requests_total`).
    requests: Arc<std::sync::atomic::AtomicU64>,
}

/// One watch: events arrive through [`Watcher::next`]. Dropping it (the client
/// went away) unregisters it at once.
#[derive(Debug)]
pub struct Watcher {
    rx: mpsc::Receiver<Arc<Event>>,
    key: String,
    id: u64,
    hub: Arc<Mutex<Inner>>,
    /// The store index when the watch started (the answer's `X-Etcd-Index`).
    pub start_index: u64,
}

impl Watcher {
    /// The next event; `None` when the watcher was dropped by the hub (its
    /// buffer overflowed) or, for a watch answered from history, after that
    /// one event.
    pub async fn next(&mut self) -> Option<Arc<Event>> {
        self.rx.recv().await
    }

    /// The next event if one is already waiting.
    pub fn try_next(&mut self) -> Option<Arc<Event>> {
        self.rx.try_recv().ok()
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        lock(&self.hub).remove(&self.key, self.id);
    }
}

fn lock(m: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    // A panic while holding the lock leaves the maps consistent (every
    // mutation is a single retain/insert), so a poisoned lock is still usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl WatchHub {
    pub fn new() -> WatchHub {
        WatchHub::default()
    }

    /// Number of registered watchers (`watchers` in `/v2/stats/store`).
    pub fn count(&self) -> usize {
        lock(&self.inner).count
    }

    /// Watch requests since the process started, as the reference counts
    /// them: every call of [`WatchHub::watch`], answered or refused.
    pub fn requests(&self) -> u64 {
        self.requests.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Starts a watch on `key` (an internal store path). `wait_index` 0 means
    /// "from the next change". A matching event already in the history is
    /// delivered at once and, as in the reference, such a watch (stream or
    /// not) is not registered for later events; error 401 when `wait_index`
    /// is older than the history.
    pub fn watch(
        &self,
        store: &Store,
        key: &str,
        recursive: bool,
        stream: bool,
        wait_index: u64,
    ) -> Result<Watcher, Error> {
        self.requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let key = path::clean(key).into_owned();
        let since = if wait_index == 0 {
            store.index() + 1
        } else {
            wait_index
        };
        let past = store.scan_history(&key, recursive, since)?;
        let (tx, rx) = mpsc::channel(WATCHER_BUFFER);
        let mut inner = lock(&self.inner);
        let id = inner.next_id;
        inner.next_id += 1;
        if let Some(event) = past {
            tx.try_send(event).expect("a new channel has room");
        } else {
            inner.by_key.entry(key.clone()).or_default().push(Entry {
                id,
                recursive,
                stream,
                since,
                tx,
            });
            inner.count += 1;
        }
        Ok(Watcher {
            rx,
            key,
            id,
            hub: self.inner.clone(),
            start_index: store.index(),
        })
    }

    /// Ends every registered watcher (its stream or long poll ends without
    /// an event). Called when an installed snapshot replaced the store: the
    /// events it skipped were never offered to the watchers, so their
    /// clients must ask again, and are then answered from the new store's
    /// history (or told with 401 that it was cleared). Call with the store
    /// locked for writing, so no watch registers in between.
    pub fn end_all(&self) {
        let mut inner = lock(&self.inner);
        inner.by_key.clear();
        inner.count = 0;
    }

    /// A [`Sink`] to pass to [`Store::apply`]: it holds the hub's lock until
    /// dropped.
    pub fn sink(&self) -> HubSink<'_> {
        HubSink {
            inner: lock(&self.inner),
        }
    }
}

/// Routes the store's reports to the watchers (see [`WatchHub::sink`]).
#[derive(Debug)]
pub struct HubSink<'a> {
    inner: MutexGuard<'a, Inner>,
}

impl Sink for HubSink<'_> {
    fn wants_removed(&self) -> bool {
        self.inner.count > 0
    }

    fn removed(&mut self, event: &Arc<Event>, path: &str) {
        self.inner.notify_at(event, path, true);
    }

    fn changed(&mut self, event: &Arc<Event>) {
        if self.inner.count == 0 {
            return;
        }
        // Watchers at "/", then at every prefix of the key, then the key.
        let key = event.node.key.clone();
        self.inner.notify_at(event, "/", false);
        for (i, _) in key.match_indices('/').skip(1) {
            self.inner.notify_at(event, &key[..i], false);
        }
        if key != "/" {
            self.inner.notify_at(event, &key, false);
        }
    }
}

#[cfg(test)]
mod tests;
