//! Background work: the lifecycle loop, the delivery of restore notifications, and the history's
//! clock. Uses `app`.

pub mod history;
pub mod lifecycle;
pub mod notify;
