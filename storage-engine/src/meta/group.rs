//! Group commit: many writers, one flush. Tickets are handed out after a commit; a flush makes
//! durable every ticket below the count it saw when it started, so a caller waits for the first
//! flush that starts after its own commit, and callers arriving during a flush share the next one.

use crate::base::error::Result;
use std::sync::{Condvar, Mutex};

#[derive(Default)]
pub(crate) struct GroupCommit {
    state: Mutex<GroupState>,
    flushed: Condvar,
}

#[derive(Default)]
struct GroupState {
    next_ticket: u64,
    durable_below: u64,
    flushing: bool,
}

impl GroupCommit {
    /// Returns once a `flush` that started after this call has succeeded.
    pub(crate) fn sync(&self, flush: impl Fn() -> Result<()>) -> Result<()> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let ticket = st.next_ticket;
        st.next_ticket += 1;
        loop {
            if ticket < st.durable_below {
                return Ok(());
            }
            if !st.flushing {
                st.flushing = true;
                let covers = st.next_ticket;
                drop(st);
                let result = flush();
                st = self.state.lock().unwrap_or_else(|p| p.into_inner());
                st.flushing = false;
                if result.is_ok() {
                    st.durable_below = covers;
                }
                self.flushed.notify_all();
                result?;
                continue;
            }
            st = self.flushed.wait(st).unwrap_or_else(|p| p.into_inner());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn concurrent_callers_share_flushes() {
        let group = Arc::new(GroupCommit::default());
        let flushes = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (group, flushes) = (group.clone(), flushes.clone());
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        group
                            .sync(|| {
                                flushes.fetch_add(1, Ordering::SeqCst);
                                std::thread::sleep(std::time::Duration::from_micros(200));
                                Ok(())
                            })
                            .unwrap();
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        let n = flushes.load(Ordering::SeqCst);
        assert!(n < 400, "{n} flushes for 400 syncs: callers waiting together share one");
    }

    #[test]
    fn a_failed_flush_is_reported_and_the_next_caller_flushes_again() {
        let group = GroupCommit::default();
        let err = group.sync(|| Err(crate::EngineError::Meta("disk gone".into())));
        assert!(err.is_err());
        let calls = AtomicUsize::new(0);
        group
            .sync(|| {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok(())
            })
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
