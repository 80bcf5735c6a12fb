//! The store's writes, each a faithful model of the reference's operation:
//! the same checks in the same order, the same errors, causes and indexes, and
//! the same counters (quirks included, see spec members-stats.md §6).

use super::event::{Event, Sink};
use super::node::{Expiry, Node};
use super::stats::Counter;
use super::{path, view, Store, READ_ONLY};
use crate::error::Error;
use etcd_client::json::lossy;
use etcd_client::time::NANOS_PER_SEC;
use etcd_client::{Action, ErrorCode};
use std::borrow::Cow;
use std::sync::Arc;

/// Expirations before 2000-01-01 make a created node permanent (the reference
/// treats them as a serialisation accident; a TTL whose `now + ttl` overflows
/// lands here).
const MIN_EXPIRE: i64 = 946_684_800 * NANOS_PER_SEC;

/// `now + ttl` with the reference's 64-bit wrap-around arithmetic.
fn expiration(now: i64, ttl: u64) -> i64 {
    now.wrapping_add((ttl as i64).wrapping_mul(NANOS_PER_SEC))
}

/// The expiration of a node being created: none without TTL, and none when it
/// falls before [`MIN_EXPIRE`].
fn expiry_for_create(now: i64, ttl: Option<u64>) -> Expiry {
    match ttl.map(|t| expiration(now, t)) {
        Some(e) if e >= MIN_EXPIRE => e,
        _ => 0,
    }
}

/// The expiration of a node being updated: the reference skips the
/// [`MIN_EXPIRE`] check here, so an overflowing TTL gives a past expiration
/// and the node goes at the next expiry.
fn expiry_for_update(now: i64, ttl: Option<u64>) -> Expiry {
    ttl.map_or(0, |t| expiration(now, t))
}

/// `None` when the node matches, else the cause of error 101.
fn compare(node: &Node, prev_value: &[u8], prev_index: u64) -> Option<String> {
    let index_ok = prev_index == 0 || node.modified == prev_index;
    let value_ok = prev_value.is_empty() || node.value() == prev_value;
    let values = || format!("[{} != {}]", lossy(prev_value), lossy(node.value()));
    let indexes = || format!("[{} != {}]", prev_index, node.modified);
    match (value_ok, index_ok) {
        (true, true) => None,
        (false, true) => Some(values()),
        (true, false) => Some(indexes()),
        (false, false) => Some(format!("{} {}", values(), indexes())),
    }
}

fn set_expiration_fields(event: &mut Event, expire: Expiry, now: i64) {
    let (expiration, ttl) = view::expiration_fields(expire, now);
    event.node.expiration = expiration;
    event.node.ttl = ttl;
}

impl Store {
    fn fail<T>(&self, counter: Counter, err: Error) -> Result<T, Error> {
        self.stats.inc(counter);
        Err(err)
    }

    fn read_only_error(&self) -> Error {
        Error::new(ErrorCode::ROOT_READ_ONLY, "/", self.index)
    }

    /// Records an applied event: history, then watchers (refreshes stay quiet).
    fn commit(&mut self, event: Event, sink: &mut dyn Sink) -> Arc<Event> {
        let event = Arc::new(event);
        self.history.push(event.clone());
        if !event.refresh {
            sink.changed(&event);
        }
        event
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn set(
        &mut self,
        path: &str,
        value: &[u8],
        dir: bool,
        ttl: Option<u64>,
        refresh: bool,
        now: i64,
        sink: &mut dyn Sink,
    ) -> Result<Arc<Event>, Error> {
        let path = path::clean(path);
        // The previous node is recorded by `create_node` when it replaces a
        // file (a directory is refused there), so nothing is rendered for a
        // write that fails.
        let value: Cow<[u8]> = match self.lookup(&path) {
            Ok(node) if refresh => Cow::Owned(node.value().to_vec()),
            Ok(_) => Cow::Borrowed(value),
            Err(e) if e.code == ErrorCode::KEY_NOT_FOUND && !refresh => Cow::Borrowed(value),
            Err(e) => return self.fail(Counter::SetsFail, e),
        };
        let expire = expiry_for_create(now, ttl);
        match self.create_node(&path, dir, &value, false, true, expire, Action::Set, now) {
            Ok(mut event) => {
                event.refresh = refresh;
                self.stats.inc(Counter::SetsSuccess);
                Ok(self.commit(event, sink))
            }
            Err(e) => self.fail(Counter::SetsFail, e),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn create(
        &mut self,
        path: &str,
        value: &[u8],
        dir: bool,
        ttl: Option<u64>,
        unique: bool,
        now: i64,
        sink: &mut dyn Sink,
    ) -> Result<Arc<Event>, Error> {
        let expire = expiry_for_create(now, ttl);
        match self.create_node(path, dir, value, unique, false, expire, Action::Create, now) {
            Ok(event) => {
                self.stats.inc(Counter::CreateSuccess);
                Ok(self.commit(event, sink))
            }
            Err(e) => self.fail(Counter::CreateFail, e),
        }
    }

    /// The reference's `internalCreate`: creates missing parent directories,
    /// then the node; `replace` lets it replace a file (never a directory).
    #[allow(clippy::too_many_arguments)]
    fn create_node(
        &mut self,
        path: &str,
        dir: bool,
        value: &[u8],
        unique: bool,
        replace: bool,
        expire: Expiry,
        action: Action,
        now: i64,
    ) -> Result<Event, Error> {
        let current = self.index;
        let next = current + 1;
        let path = if unique {
            Cow::Owned(path::clean(&format!("{path}/{next:020}")).into_owned())
        } else {
            path::clean(path)
        };
        if READ_ONLY.contains(&path.as_ref()) {
            return Err(self.read_only_error());
        }
        let (dir_path, name) = path::split(&path);
        let parent = match walk_dirs(&mut self.root, dir_path, next, current) {
            Ok(parent) => parent,
            Err(e) => {
                // The reference counts a failed walk as a failed set as well.
                self.stats.inc(Counter::SetsFail);
                return Err(e);
            }
        };
        let mut event = Event::new(action, &path, next, next);
        let node = if dir {
            event.node.dir = true;
            Node::dir(name, next, expire)
        } else {
            event.node.value = Some(lossy(value).into_owned());
            Node::file(name, value, next, expire)
        };
        let mut replaced_expire = 0;
        match parent.get_mut(name) {
            Some(existing) => {
                if !replace {
                    return Err(Error::new(ErrorCode::NODE_EXIST, path.as_ref(), current));
                }
                if existing.is_dir() {
                    return Err(Error::new(ErrorCode::NOT_FILE, path.as_ref(), current));
                }
                let old = std::mem::replace(existing, node);
                replaced_expire = old.expire;
                event.prev_node = Some(view::repr(&old, &path, false, false, now));
            }
            None => {
                parent.insert(node);
            }
        }
        self.ttl.remove(replaced_expire, &path);
        if expire != 0 {
            self.ttl.insert(expire, &path);
            set_expiration_fields(&mut event, expire, now);
        }
        self.index = next;
        Ok(event)
    }

    pub(super) fn update(
        &mut self,
        path: &str,
        value: &[u8],
        ttl: Option<u64>,
        refresh: bool,
        now: i64,
        sink: &mut dyn Sink,
    ) -> Result<Arc<Event>, Error> {
        let path = path::clean(path);
        if READ_ONLY.contains(&path.as_ref()) {
            // The reference counts this refusal as a successful update.
            return self.fail(Counter::UpdateSuccess, self.read_only_error());
        }
        let current = self.index;
        let next = current + 1;
        let (event, value) = match self.lookup(&path) {
            Err(e) => return self.fail(Counter::UpdateFail, e),
            Ok(node) if node.is_dir() && !value.is_empty() => {
                let err = Error::new(ErrorCode::NOT_FILE, path.as_ref(), current);
                return self.fail(Counter::UpdateSuccess, err);
            }
            Ok(node) => {
                let value = if refresh {
                    node.value().to_vec()
                } else {
                    value.to_vec()
                };
                let mut event = Event::new(Action::Update, &path, next, node.created);
                event.prev_node = Some(view::repr(node, &path, false, false, now));
                if node.is_dir() {
                    event.node.dir = true;
                } else {
                    event.node.value = Some(lossy(&value).into_owned());
                }
                (event, value)
            }
        };
        let expire = expiry_for_update(now, ttl);
        self.write_node(&path, &value, next, expire);
        let mut event = event;
        set_expiration_fields(&mut event, expire, now);
        event.refresh = refresh;
        self.index = next;
        self.stats.inc(Counter::UpdateSuccess);
        Ok(self.commit(event, sink))
    }

    /// Writes a value (files only) and replaces the expiration of the node at
    /// `path`, keeping the expiry index in step.
    fn write_node(&mut self, path: &str, value: &[u8], index: u64, expire: Expiry) {
        let node = self.lookup_mut(path).expect("checked by the caller");
        node.write(value, index);
        let old = std::mem::replace(&mut node.expire, expire);
        self.ttl.remove(old, path);
        self.ttl.insert(expire, path);
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn compare_and_swap(
        &mut self,
        path: &str,
        prev_value: &[u8],
        prev_index: u64,
        value: &[u8],
        ttl: Option<u64>,
        refresh: bool,
        now: i64,
        sink: &mut dyn Sink,
    ) -> Result<Arc<Event>, Error> {
        let path = path::clean(path);
        if READ_ONLY.contains(&path.as_ref()) {
            // Counted as a success by the reference.
            return self.fail(Counter::CompareAndSwapSuccess, self.read_only_error());
        }
        let current = self.index;
        let next = current + 1;
        let (mut event, value) = match self.lookup(&path) {
            Err(e) => return self.fail(Counter::CompareAndSwapFail, e),
            Ok(node) if node.is_dir() => {
                let err = Error::new(ErrorCode::NOT_FILE, path.as_ref(), current);
                return self.fail(Counter::CompareAndSwapFail, err);
            }
            Ok(node) => {
                if let Some(cause) = compare(node, prev_value, prev_index) {
                    let err = Error::new(ErrorCode::TEST_FAILED, cause, current);
                    return self.fail(Counter::CompareAndSwapFail, err);
                }
                let value = if refresh {
                    node.value().to_vec()
                } else {
                    value.to_vec()
                };
                let mut event = Event::new(Action::CompareAndSwap, &path, next, node.created);
                event.prev_node = Some(view::repr(node, &path, false, false, now));
                event.node.value = Some(lossy(&value).into_owned());
                (event, value)
            }
        };
        let expire = expiry_for_update(now, ttl);
        self.write_node(&path, &value, next, expire);
        set_expiration_fields(&mut event, expire, now);
        event.refresh = refresh;
        self.index = next;
        self.stats.inc(Counter::CompareAndSwapSuccess);
        Ok(self.commit(event, sink))
    }

    pub(super) fn delete(
        &mut self,
        path: &str,
        dir: bool,
        recursive: bool,
        now: i64,
        sink: &mut dyn Sink,
    ) -> Result<Arc<Event>, Error> {
        let path = path::clean(path);
        if READ_ONLY.contains(&path.as_ref()) {
            // Counted as a success by the reference.
            return self.fail(Counter::DeleteSuccess, self.read_only_error());
        }
        let dir = dir || recursive;
        let current = self.index;
        let next = current + 1;
        let event = match self.lookup(&path) {
            Err(e) => return self.fail(Counter::DeleteFail, e),
            Ok(node) => {
                if let Some(children) = node.children() {
                    if !dir {
                        let err = Error::new(ErrorCode::NOT_FILE, path.as_ref(), current);
                        return self.fail(Counter::DeleteFail, err);
                    }
                    if !children.is_empty() && !recursive {
                        let err = Error::new(ErrorCode::DIR_NOT_EMPTY, path.as_ref(), current);
                        return self.fail(Counter::DeleteFail, err);
                    }
                }
                removal_event(Action::Delete, node, &path, next, now)
            }
        };
        let event = Arc::new(event);
        self.remove_subtree(&path, &event, sink);
        self.index = next;
        self.stats.inc(Counter::DeleteSuccess);
        self.history.push(event.clone());
        sink.changed(&event);
        Ok(event)
    }

    pub(super) fn compare_and_delete(
        &mut self,
        path: &str,
        prev_value: &[u8],
        prev_index: u64,
        now: i64,
        sink: &mut dyn Sink,
    ) -> Result<Arc<Event>, Error> {
        let path = path::clean(path);
        let current = self.index;
        let next = current + 1;
        let event = match self.lookup(&path) {
            Err(e) => return self.fail(Counter::CompareAndDeleteFail, e),
            // The reference counts both refusals below as successes.
            Ok(node) if node.is_dir() => {
                let err = Error::new(ErrorCode::NOT_FILE, path.as_ref(), current);
                return self.fail(Counter::CompareAndDeleteSuccess, err);
            }
            Ok(node) => {
                if let Some(cause) = compare(node, prev_value, prev_index) {
                    let err = Error::new(ErrorCode::TEST_FAILED, cause, current);
                    return self.fail(Counter::CompareAndDeleteSuccess, err);
                }
                removal_event(Action::CompareAndDelete, node, &path, next, now)
            }
        };
        let event = Arc::new(event);
        self.remove_subtree(&path, &event, sink);
        self.index = next;
        self.stats.inc(Counter::CompareAndDeleteSuccess);
        self.history.push(event.clone());
        sink.changed(&event);
        Ok(event)
    }

    /// Removes every node whose expiration is at or before `now`, earliest
    /// first (ties by path), one `expire` event and one index each. Nodes
    /// inside an expired directory go with it, without events of their own.
    pub(super) fn expire(&mut self, now: i64, sink: &mut dyn Sink) -> usize {
        let mut expired = 0;
        while let Some((_, path)) = self.ttl.first_expired(now) {
            let next = self.index + 1;
            let node = self
                .lookup(&path)
                .expect("the expiry index only holds live nodes");
            let event = Arc::new(removal_event(Action::Expire, node, &path, next, now));
            self.index = next;
            self.remove_subtree(&path, &event, sink);
            self.stats.inc(Counter::ExpireCount);
            self.history.push(event.clone());
            sink.changed(&event);
            expired += 1;
        }
        expired
    }

    /// Takes the node at `path` and its subtree out of the tree without a
    /// change: no index, no event, no history entry, no counter. Only for
    /// rewriting a copy of the state (a backup drops the old cluster's
    /// membership records); never for a replicated command. Returns whether
    /// the node existed.
    pub fn forget(&mut self, path: &str) -> bool {
        let path = path::clean(path).into_owned();
        if path == "/" || self.lookup(&path).is_err() {
            return false;
        }
        let (dir_path, name) = path::split(&path);
        let parent = self
            .lookup_mut(dir_path)
            .and_then(Node::children_mut)
            .expect("the parent of a live node is a directory");
        let node = parent.remove(name).expect("looked up above");
        let ttl = &mut self.ttl;
        let mut buf = path.clone();
        visit_removed(&node, &mut buf, &mut |p, n| ttl.remove(n.expire, p));
        true
    }

    /// Takes the node at `path` out of the tree with its subtree, drops their
    /// expirations and reports each removed path (children first) to `sink`.
    fn remove_subtree(&mut self, path: &str, event: &Arc<Event>, sink: &mut dyn Sink) {
        let (dir_path, name) = path::split(path);
        let parent = self
            .lookup_mut(dir_path)
            .and_then(Node::children_mut)
            .expect("the parent of a live node is a directory");
        let node = parent.remove(name).expect("checked by the caller");
        let report = sink.wants_removed();
        if !report && self.ttl.is_empty() {
            return;
        }
        let ttl = &mut self.ttl;
        let mut buf = path.to_owned();
        visit_removed(&node, &mut buf, &mut |p, n| {
            ttl.remove(n.expire, p);
            if report {
                sink.removed(event, p);
            }
        });
    }
}

/// The event of a delete, compare-and-delete or expire: the node's key and
/// indexes without its value, and the node as it was.
fn removal_event(action: Action, node: &Node, path: &str, index: u64, now: i64) -> Event {
    let mut event = Event::new(action, path, index, node.created);
    event.node.dir = node.is_dir();
    event.prev_node = Some(view::repr(node, path, false, false, now));
    event
}

/// Calls `f` for every node of the subtree rooted at `node` (whose path is in
/// `buf`), children before their directory.
fn visit_removed(node: &Node, buf: &mut String, f: &mut dyn FnMut(&str, &Node)) {
    if let Some(children) = node.children() {
        for child in children.iter() {
            let len = buf.len();
            buf.push('/');
            buf.push_str(child.name());
            visit_removed(child, buf, f);
            buf.truncate(len);
        }
    }
    f(buf, node);
}

/// Walks to the directory `dir_path`, creating missing directories with index
/// `next`; a file on the way is error 104 with its path as the cause.
fn walk_dirs<'a>(
    root: &'a mut Node,
    dir_path: &str,
    next: u64,
    current: u64,
) -> Result<&'a mut super::node::Children, Error> {
    let mut node = root;
    let mut end = 0;
    for comp in path::components(dir_path) {
        let comp_end = end + 1 + comp.len();
        let children = node
            .children_mut()
            .expect("the walk only descends into directories");
        let child = children.get_or_insert_dir(comp, next);
        if !child.is_dir() {
            return Err(Error::new(
                ErrorCode::NOT_DIR,
                &dir_path[..comp_end],
                current,
            ));
        }
        node = child;
        end = comp_end;
    }
    Ok(node.children_mut().expect("walked to a directory"))
}
