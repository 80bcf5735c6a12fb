//! openraft's storage interface over [`LogStore`]: each call runs the
//! store's blocking file work ([`blocking`]) and maps I/O errors to raft's
//! storage errors. Durability itself is the parent module's (its docs).

use super::{LogReader, LogStore};
use crate::raft::inline_io::blocking;
use crate::raft::typ::{Entry, LogId, LogState, StorageError, Vote};
use crate::raft::TypeConfig;
use openraft::storage::{LogFlushed, RaftLogStorage};
use openraft::{ErrorSubject, ErrorVerb, OptionalSend};
use std::io;

fn write_err(e: io::Error) -> StorageError {
    StorageError::from_io_error(ErrorSubject::Logs, ErrorVerb::Write, e)
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogReader;

    async fn get_log_state(&mut self) -> Result<LogState, StorageError> {
        let st = self.shared.read_state();
        Ok(LogState {
            last_purged_log_id: st.meta.last_purged,
            last_log_id: st.last_log_id(),
        })
    }

    async fn get_log_reader(&mut self) -> LogReader {
        LogReader {
            shared: self.shared.clone(),
        }
    }

    async fn save_vote(&mut self, vote: &Vote) -> Result<(), StorageError> {
        let shared = self.shared.clone();
        let vote = *vote;
        blocking(move || shared.save_vote(&vote))
            .await
            .map_err(|e| StorageError::from_io_error(ErrorSubject::Vote, ErrorVerb::Write, e))
    }

    async fn read_vote(&mut self) -> Result<Option<Vote>, StorageError> {
        Ok(self.shared.read_state().meta.vote)
    }

    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError> {
        self.shared.save_committed(committed).map_err(write_err)
    }

    async fn read_committed(&mut self) -> Result<Option<LogId>, StorageError> {
        Ok(self.shared.read_state().committed)
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<TypeConfig>,
    ) -> Result<(), StorageError>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let entries: Vec<Entry> = entries.into_iter().collect();
        let shared = self.shared.clone();
        let res = blocking(move || shared.append(&entries)).await;
        match res {
            Ok(()) => {
                callback.log_io_completed(Ok(()));
                Ok(())
            }
            Err(e) => {
                callback.log_io_completed(Err(io::Error::new(e.kind(), e.to_string())));
                Err(write_err(e))
            }
        }
    }

    async fn truncate(&mut self, log_id: LogId) -> Result<(), StorageError> {
        let shared = self.shared.clone();
        blocking(move || shared.truncate(log_id.index))
            .await
            .map_err(write_err)
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), StorageError> {
        let shared = self.shared.clone();
        blocking(move || shared.purge(log_id))
            .await
            .map_err(write_err)
    }
}
