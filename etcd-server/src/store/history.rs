//! The last 1000 events, for watchers that start from a past `waitIndex`.

use super::event::Event;
use crate::error::Error;
use etcd_client::{Action, ErrorCode};
use std::collections::VecDeque;
use std::sync::Arc;

/// How many events the reference keeps.
pub const HISTORY_CAPACITY: usize = 1000;

#[derive(Debug, Clone)]
pub struct History {
    events: VecDeque<Arc<Event>>,
    capacity: usize,
    /// Index of the oldest event kept (0 before the first event).
    pub(crate) start_index: u64,
    /// Index of the newest event (0 before the first event).
    pub(crate) last_index: u64,
}

impl Default for History {
    fn default() -> Self {
        History::with_capacity(HISTORY_CAPACITY)
    }
}

impl History {
    pub fn with_capacity(capacity: usize) -> Self {
        History {
            events: VecDeque::with_capacity(capacity),
            capacity,
            start_index: 0,
            last_index: 0,
        }
    }

    pub fn push(&mut self, event: Arc<Event>) {
        if self.events.len() == self.capacity {
            self.events.pop_front();
        }
        self.last_index = event.index();
        self.events.push_back(event);
        self.start_index = self.events.front().map_or(0, |e| e.index());
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<Event>> {
        self.events.iter()
    }

    /// The first event at or after `index` that a watcher on `key` sees, `None`
    /// when there is none yet, or error 401 when `index` is older than the
    /// oldest event kept (its `index` field is left 0 for the caller to set).
    ///
    /// Matching is the reference's: the key itself; with `recursive` any key
    /// below it (hidden keys included: the reference does not filter them here);
    /// and a deleted or expired directory whose key is a string prefix of `key`.
    /// Refresh events are skipped.
    pub fn scan(
        &self,
        key: &str,
        recursive: bool,
        index: u64,
    ) -> Result<Option<Arc<Event>>, Error> {
        if index < self.start_index {
            return Err(Error::new(
                ErrorCode::EVENT_INDEX_CLEARED,
                format!(
                    "the requested history has been cleared [{}/{}]",
                    self.start_index, index
                ),
                0,
            ));
        }
        if index > self.last_index || self.events.is_empty() {
            return Ok(None);
        }
        let dir_prefix = if key.ends_with('/') {
            key.to_owned()
        } else {
            format!("{key}/")
        };
        let offset = (index - self.start_index) as usize;
        for event in self.events.iter().skip(offset) {
            if event.refresh {
                continue;
            }
            let node_key = event.node.key.as_str();
            let mut hit = node_key == key || (recursive && node_key.starts_with(&dir_prefix));
            if matches!(event.action, Action::Delete | Action::Expire) {
                if let Some(prev) = &event.prev_node {
                    hit |= prev.dir && key.starts_with(prev.key.as_str());
                }
            }
            if hit {
                return Ok(Some(event.clone()));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use etcd_client::Node;

    fn ev(action: Action, key: &str, index: u64) -> Arc<Event> {
        Arc::new(Event::new(action, key, index, index))
    }

    #[test]
    fn window_of_capacity_events() {
        let mut h = History::with_capacity(3);
        assert_eq!(h.scan("/a", false, 1).unwrap(), None);
        for i in 1..=5 {
            h.push(ev(Action::Set, "/a", i));
        }
        assert_eq!((h.start_index, h.last_index, h.len()), (3, 5, 3));
        let err = h.scan("/a", false, 2).unwrap_err();
        assert_eq!(err.code, ErrorCode::EVENT_INDEX_CLEARED);
        assert_eq!(err.cause, "the requested history has been cleared [3/2]");
        assert_eq!(h.scan("/a", false, 3).unwrap().unwrap().index(), 3);
        assert_eq!(h.scan("/a", false, 5).unwrap().unwrap().index(), 5);
        assert_eq!(h.scan("/a", false, 6).unwrap(), None);
    }

    #[test]
    fn matching_rules() {
        let mut h = History::default();
        h.push(ev(Action::Set, "/1/w/x", 1));
        h.push(ev(Action::Set, "/1/w", 2));
        h.push(ev(Action::Set, "/1/wx", 3));
        h.push(ev(Action::Set, "/1/w/_h", 4));
        let mut refresh = Event::new(Action::Set, "/1/r", 5, 5);
        refresh.refresh = true;
        h.push(Arc::new(refresh));
        let mut del = Event::new(Action::Delete, "/1/d", 6, 6);
        del.prev_node = Some(Node {
            key: "/1/d".into(),
            dir: true,
            ..Node::default()
        });
        h.push(Arc::new(del));
        h.push(ev(Action::Set, "/1/r", 7));

        let first =
            |key: &str, rec: bool, idx: u64| h.scan(key, rec, idx).unwrap().map(|e| e.index());
        assert_eq!(first("/1/w", false, 1), Some(2));
        assert_eq!(first("/1/w", true, 1), Some(1));
        // Recursive scans match by "key/" prefix, never a sibling sharing letters.
        assert_eq!(first("/1/w", true, 3), Some(4));
        // Refresh events are skipped.
        assert_eq!(first("/1/r", false, 5), Some(7));
        // A deleted directory reaches keys below it, by plain string prefix.
        assert_eq!(first("/1/d/x/y", false, 1), Some(6));
        assert_eq!(first("/1/dx", false, 1), Some(6));
        assert_eq!(first("/1/none", false, 1), None);
    }
}
