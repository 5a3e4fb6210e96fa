//! Tiering: the lifecycle worker and what it does (expirations, transitions to the archive tier),
//! restores from the archive tier and the compaction of its segments. Uses everything below
//! `engine`.

pub(crate) mod apply;
pub(crate) mod compaction;
pub(crate) mod notifications;
pub(crate) mod report;
pub(crate) mod restore;
pub(crate) mod worker;
