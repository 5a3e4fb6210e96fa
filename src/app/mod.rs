//! The running server's state: its configuration, its metrics and their history, and the `App`
//! every request and worker shares (engine, users, parsed policies). Uses `wire`, `auth` and `access`.

pub mod config;
pub mod history;
pub mod metrics;
pub mod state;
