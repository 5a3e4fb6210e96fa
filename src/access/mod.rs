//! Authorization: bucket policies (the IAM language S3 takes) and the one access decision that
//! weighs them with ACLs, Block Public Access and Object Ownership. Pure; uses `wire` and `auth`.

pub mod decision;
pub mod policy;
