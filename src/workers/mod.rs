//! Background work: the lifecycle loop and the delivery of restore notifications. Uses `app`.

pub mod lifecycle;
pub mod notify;
