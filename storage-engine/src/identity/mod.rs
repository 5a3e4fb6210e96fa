//! Who may do what, as stored: the user directory with its access keys, and the ACLs of buckets
//! and object versions. Uses `base`, `model`, `meta` and `bucket`.

pub(crate) mod acls;
pub(crate) mod users;
