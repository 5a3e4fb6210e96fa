//! Test support shared by the engine's and the daemon's tests. No test code of its own.

pub mod pg;
