//! Tiering: the lifecycle worker and what it does (`apply`: expirations, transitions to the
//! archive tier), restores from the archive tier with their notification queue, the compaction of
//! its segments and the operator's report on it. Uses everything below `engine`.

pub(crate) mod apply;
pub(crate) mod compaction;
pub(crate) mod notifications;
pub(crate) mod report;
pub(crate) mod restore;
pub(crate) mod worker;
