//! One router: turns method, host, path and query into a typed operation (`route`) that also names
//! what it needs (`op`): its `s3:` action and where the right to it comes from.

mod op;
mod query;
mod route;

pub use op::{Access, Op, Scope};
pub use query::Query;
pub use route::{not_served, route, website_route, Route};
