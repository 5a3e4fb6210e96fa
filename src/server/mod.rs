//! The server: listeners and connections, the request pipeline (authenticate, authorize,
//! dispatch, log, count) and the process's file-descriptor limit. The top: uses everything.

pub mod fd_limit;
pub mod listener;
pub mod pipeline;
