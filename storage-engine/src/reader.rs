//! Reading an object: a byte range across its extents, from hot-tier files or, for small blobs,
//! from the metadata store, each whole extent checked against its CRC32C on the way.

use crate::error::EngineError;
use crate::hot::HotTier;
use crate::keys;
use crate::meta::{Keyspace, Meta};
use crate::record::{Extent, ObjectRecord};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

/// Reads a byte range of an object across its extents.
pub struct ObjectReader {
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

impl ObjectReader {
    pub(crate) fn new(hot: HotTier, meta: Meta, rec: &ObjectRecord, start: u64, end: u64) -> Self {
        let mut index = 0;
        let mut skip = start;
        while index < rec.extents.len() && skip >= rec.extents[index].len {
            skip -= rec.extents[index].len;
            index += 1;
        }
        ObjectReader {
            hot,
            meta,
            extents: rec.extents.clone(),
            index,
            within: skip,
            remaining: end.saturating_sub(start),
            file: None,
            crc: None,
        }
    }
}

impl Read for ObjectReader {
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
