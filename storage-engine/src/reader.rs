//! Reading an object: a byte range across its extents, from hot-tier files or, for small blobs,
//! from the metadata store, each whole extent checked against its CRC32C on the way; or, for an
//! archived version, from the archive tier (GLACIER_IR) or its restored copy.

use crate::archive::{ArchiveRef, ArchiveStore};
use crate::error::{EngineError, Result};
use crate::hot::HotTier;
use crate::keys;
use crate::meta::{Keyspace, Meta};
use crate::record::{needs_restore, Extent, ObjectRecord, RestoreRecord};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

/// A byte range of one object version, wherever its bytes are.
pub struct ObjectReader(Box<dyn Read + Send>);

impl ObjectReader {
    pub(crate) fn new(inner: impl Read + Send + 'static) -> ObjectReader {
        ObjectReader(Box::new(inner))
    }
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

/// Reads a byte range across hot extents.
pub(crate) struct ExtentReader {
    hot: HotTier,
    /// Where inline blobs live: blob id → bytes.
    meta: Meta,
    extents: Vec<Extent>,
    /// Index into `extents` and offset within it of the next byte to read.
    index: usize,
    within: u64,
    remaining: u64,
    file: Option<Box<dyn Read + Send>>,
    /// CRC32C of the current extent so far, when it is being read from its first byte.
    crc: Option<u32>,
}

impl ExtentReader {
    pub(crate) fn new(hot: HotTier, meta: Meta, extents: &[Extent], start: u64, end: u64) -> Self {
        let mut index = 0;
        let mut skip = start;
        while index < extents.len() && skip >= extents[index].len {
            skip -= extents[index].len;
            index += 1;
        }
        ExtentReader {
            hot,
            meta,
            extents: extents.to_vec(),
            index,
            within: skip,
            remaining: end.saturating_sub(start),
            file: None,
            crc: None,
        }
    }
}

impl Read for ExtentReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.remaining > 0 {
            let Some(ext) = self.extents.get(self.index) else {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "object shorter than its record"));
            };
            if self.within >= ext.len {
                self.index += 1;
                self.within = 0;
                self.file = None;
                continue;
            }
            if self.file.is_none() {
                let corrupt = |what: String| EngineError::Corrupt(format!("blob {:032x}: {what}", ext.blob));
                let start = ext.offset + self.within;
                if ext.inline {
                    let bytes = self
                        .meta
                        .get(Keyspace::Inline, keys::blob_key(ext.blob))
                        .map_err(|e| io::Error::other(corrupt(e.to_string())))?
                        .ok_or_else(|| {
                            io::Error::new(io::ErrorKind::NotFound, corrupt("inline bytes missing".into()))
                        })?;
                    let mut cursor = io::Cursor::new(bytes);
                    cursor.set_position(start);
                    self.file = Some(Box::new(cursor));
                } else {
                    let mut f = File::open(self.hot.blob_path(ext.blob))
                        .map_err(|e| io::Error::new(e.kind(), corrupt(e.to_string())))?;
                    f.seek(SeekFrom::Start(start))?;
                    self.file = Some(Box::new(f));
                }
                // Only a read of the whole extent can be checked against its CRC.
                self.crc = (self.within == 0).then_some(0);
            }
            let want = buf.len().min((ext.len - self.within).min(self.remaining) as usize);
            let n = self.file.as_mut().expect("opened above").read(&mut buf[..want])?;
            if n == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "blob file truncated"));
            }
            self.within += n as u64;
            self.remaining -= n as u64;
            if let Some(crc) = &mut self.crc {
                *crc = crc32c::crc32c_append(*crc, &buf[..n]);
                // Checked before the extent's last bytes are handed out: corruption is an error, never data.
                if self.within == ext.len && *crc != ext.crc32c {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        EngineError::Corrupt(format!("blob {:032x}: checksum mismatch", ext.blob)),
                    ));
                }
            }
            return Ok(n);
        }
        Ok(0)
    }
}

/// Opens bytes `start..end` of a version wherever they are: the hot tier, the archive tier
/// (GLACIER_IR, or any archived version when `raw` asks for the archive copy itself, as scrub does)
/// or an archived version's restored copy. An archived version that needs a restore and has no
/// restored copy is InvalidObjectState.
pub(crate) fn open_version(
    meta: &Meta,
    hot: &HotTier,
    archive: &ArchiveStore,
    bucket: &str,
    rec: &ObjectRecord,
    (start, end): (u64, u64),
    raw: bool,
) -> Result<ObjectReader> {
    let vkey = keys::version_key(bucket, &rec.key, rec.seq);
    let Some(aref) = meta.get_record::<ArchiveRef>(Keyspace::Archived, &vkey)? else {
        return Ok(ObjectReader::new(ExtentReader::new(hot.clone(), meta.clone(), &rec.extents, start, end)));
    };
    if raw || !needs_restore(&rec.meta.storage_class) {
        return Ok(ObjectReader::new(archive.reader(&aref, start, end)));
    }
    match meta.get_record::<RestoreRecord>(Keyspace::Restores, &vkey)? {
        Some(r) if r.completed_ms.is_some() => {
            Ok(ObjectReader::new(ExtentReader::new(hot.clone(), meta.clone(), &r.extents, start, end)))
        }
        _ => Err(EngineError::InvalidObjectState(rec.meta.storage_class.clone())),
    }
}
