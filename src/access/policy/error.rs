//! Why a policy was refused.

/// Why a policy was refused: the message of a 400 MalformedPolicy.
#[derive(Debug, PartialEq)]
pub struct PolicyError(pub String);

impl PolicyError {
    pub fn new(msg: impl Into<String>) -> Self {
        PolicyError(msg.into())
    }
}
