//! The web console: a second listener of the same process where people sign in with their keys
//! and see and use Firn in a browser. It is a client of the S3 layer, not a second server: every
//! action is an S3 request run in-process as the signed-in user (`call`), so the same access
//! decision and the same handlers answer it. It adds sessions, CSRF tokens and pages.
//!
//! `routes` guards and dispatches; `pages/` holds one module per part of the console; `layout`
//! the frame and formatting; `chart` SVG charts; `session` and `throttle` sign-in state; `explain` turns S3 errors
//! into sentences; `assets` the embedded stylesheet and script.

pub mod assets;
pub mod call;
pub mod chart;
pub mod explain;
pub mod form;
pub mod layout;
pub mod pages;
pub mod respond;
pub mod routes;
pub mod session;
pub mod signed;
pub mod state;
pub mod throttle;
