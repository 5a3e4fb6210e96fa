//! The console's pages and actions, one module per part of it.

pub mod api;
pub mod archive;
pub mod browse;
pub mod buckets;
pub mod object;
pub mod overview;
pub mod settings;
pub mod signin;
pub mod users;
