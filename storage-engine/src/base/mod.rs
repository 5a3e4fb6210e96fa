//! The bottom layer: validated names, storage classes, the metadata key encodings, the injectable
//! clock and the engine's one error type. Uses nothing else of the crate.

pub(crate) mod clock;
pub(crate) mod error;
pub(crate) mod keys;
pub(crate) mod names;
pub(crate) mod storage_class;
