//! The blob stores: the hot tier's files (and inline blobs), the archive tier's compressed
//! segments, and the garbage queue that deletes a blob once no record refers to it (and no reader
//! holds it). Uses `base`, `model` and `meta`.

pub(crate) mod archive;
pub(crate) mod archive_ledger;
pub(crate) mod gc;
pub(crate) mod hot;
