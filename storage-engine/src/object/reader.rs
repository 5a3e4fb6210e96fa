//! Reading an object: a byte range across its extents, from hot-tier files or, for small blobs,
//! from the metadata store, each whole extent checked against its CRC32C on the way; or, for an
//! archived version, from the archive tier (GLACIER_IR) or its restored copy.

use crate::base::error::{EngineError, Result};
use crate::base::keys;
use crate::blob::archive::{ArchiveRef, ArchiveStore};
use crate::blob::gc::{Pinned, Pins};
use crate::blob::hot::HotTier;
use crate::meta::{Keyspace, Meta};
use crate::model::record::{Extent, ObjectRecord, RestoreRecord};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

/// A byte range of one object version, wherever its bytes are. It keeps the hot blobs it reads
/// pinned, so that a commit releasing them meanwhile does not take them away mid-read.
pub struct ObjectReader {
    inner: Box<dyn Read + Send>,
    _pinned: Option<Pinned>,
}

impl ObjectReader {
    pub(crate) fn new(inner: impl Read + Send + 'static) -> ObjectReader {
        ObjectReader { inner: Box::new(inner), _pinned: None }
    }
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
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

impl ExtentReader {
    /// Opens the current extent at the current offset (an inline blob's bytes are read from the
    /// metadata now). NotFound when its blob is gone.
    fn open_current(&mut self, ext: &Extent) -> io::Result<()> {
        let corrupt = |what: String| EngineError::Corrupt(format!("blob {:032x}: {what}", ext.blob));
        let start = ext.offset + self.within;
        if ext.inline {
            let bytes = self
                .meta
                .get(Keyspace::Inline, keys::blob_key(ext.blob))
                .map_err(|e| io::Error::other(corrupt(e.to_string())))?
                .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, corrupt("inline bytes missing".into())))?;
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
        Ok(())
    }

    /// Opens the first extent the range reads and checks that the blobs of the others are there:
    /// false when one is gone. Called with the blobs pinned, what it finds stays until read; the
    /// first extent costs nothing more than its first read would have.
    fn open_and_check(&mut self) -> Result<bool> {
        let gone = |e: &io::Error| e.kind() == io::ErrorKind::NotFound;
        let (mut left, mut within) = (self.remaining, self.within);
        for i in self.index..self.extents.len() {
            let ext = self.extents[i].clone();
            if left == 0 {
                break;
            }
            left = left.saturating_sub(ext.len.saturating_sub(within));
            within = 0;
            if ext.len == 0 {
                continue;
            }
            let present = if i == self.index {
                match self.open_current(&ext) {
                    Ok(()) => true,
                    Err(e) if gone(&e) => false,
                    Err(e) => return Err(e.into()),
                }
            } else if ext.inline {
                self.meta.contains(Keyspace::Inline, keys::blob_key(ext.blob))?
            } else {
                self.hot.blob_path(ext.blob).exists()
            };
            if !present {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

impl Read for ExtentReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.remaining > 0 {
            let Some(ext) = self.extents.get(self.index).cloned() else {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "object shorter than its record"));
            };
            if self.within >= ext.len {
                self.index += 1;
                self.within = 0;
                self.file = None;
                continue;
            }
            if self.file.is_none() {
                self.open_current(&ext)?;
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

/// Where a version's bytes are read from: the hot tier (its own extents or a restored copy's,
/// pinned) or the archive tier.
pub(crate) struct Stores<'a> {
    pub meta: &'a Meta,
    pub hot: &'a HotTier,
    pub archive: &'a ArchiveStore,
    pub pins: &'a Pins,
}

/// Opens bytes `start..end` of a version wherever they are: the hot tier, the archive tier
/// (GLACIER_IR, or any archived version when `raw` asks for the archive copy itself, as scrub does)
/// or an archived version's restored copy. An archived version that needs a restore and has no
/// restored copy is InvalidObjectState. `Superseded` when a commit released the bytes `rec` names
/// after `rec` was read: the caller reads the record again.
pub(crate) fn open_version(
    s: &Stores,
    bucket: &str,
    rec: &ObjectRecord,
    (start, end): (u64, u64),
    raw: bool,
) -> Result<ObjectReader> {
    let vkey = keys::version_key(bucket, &rec.key, rec.seq);
    // Pins first, then the bytes opened (the first extent) or looked for (the rest): what is there
    // once pinned stays until read. A blob already gone was collected after a commit released it,
    // unless the record still names it: then it is damage, which the read reports as before.
    let hot = |extents: &[Extent], still: &dyn Fn() -> Result<bool>| -> Result<ObjectReader> {
        let pinned = s.pins.pin(extents.iter().map(|e| e.blob));
        let mut inner = ExtentReader::new(s.hot.clone(), s.meta.clone(), extents, start, end);
        if !inner.open_and_check()? && !still()? {
            return Err(EngineError::Superseded);
        }
        Ok(ObjectReader { inner: Box::new(inner), _pinned: Some(pinned) })
    };
    let Some(aref) = s.meta.get_record::<ArchiveRef>(Keyspace::Archived, &vkey)? else {
        return hot(&rec.extents, &|| {
            let now = s.meta.get_record::<ObjectRecord>(Keyspace::Versions, &vkey)?;
            Ok(now.is_some_and(|now| now.extents == rec.extents))
        });
    };
    if raw || !rec.meta.storage_class.needs_restore() {
        let reader = s.archive.reader(&aref, start, end);
        // Compaction may have moved the version and deleted the segment since the ref was read.
        if !reader.is_open() && s.meta.get_record::<ArchiveRef>(Keyspace::Archived, &vkey)?.as_ref() != Some(&aref) {
            return Err(EngineError::Superseded);
        }
        return Ok(ObjectReader::new(reader));
    }
    match s.meta.get_record::<RestoreRecord>(Keyspace::Restores, &vkey)? {
        Some(r) if r.completed_ms.is_some() => hot(&r.extents, &|| {
            let now = s.meta.get_record::<RestoreRecord>(Keyspace::Restores, &vkey)?;
            Ok(now.is_some_and(|now| now.completed_ms.is_some() && now.extents == r.extents))
        }),
        _ => Err(EngineError::InvalidObjectState(rec.meta.storage_class.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use crate::{BucketName, Engine, EngineConfig, EngineError, ObjectKey, ObjectMeta, ObjectRecord, WriteCondition};
    use std::io::Read;

    fn put(e: &Engine, b: &BucketName, k: &ObjectKey, data: &[u8]) -> ObjectRecord {
        let mut w = e.new_blob().unwrap();
        w.write(data).unwrap();
        e.put_object(b, k, w.finish().unwrap(), ObjectMeta::default(), None, &WriteCondition::default()).unwrap()
    }

    fn read(e: &Engine, b: &BucketName, rec: &ObjectRecord) -> crate::Result<Vec<u8>> {
        let mut out = Vec::new();
        e.reader(b, rec, 0, rec.size)?.read_to_end(&mut out)?;
        Ok(out)
    }

    /// A small (inline) and a large (file) version, each overwritten and deleted around a read.
    #[test]
    fn a_reader_opened_before_a_release_reads_the_whole_version_and_one_opened_after_is_told_to_reread() {
        let dir = tempfile::tempdir().unwrap();
        let e = Engine::open(&EngineConfig::new(dir.path().to_owned())).unwrap();
        let b = BucketName::parse("bkt").unwrap();
        e.create_bucket(&b, "me", "us-east-1").unwrap();
        for (name, len) in [("small", 4096), ("large", 3 << 20)] {
            let k = ObjectKey::parse(name).unwrap();
            let old: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let rec = put(&e, &b, &k, &old);
            // Opened, then overwritten and the old bytes' release collected: still read whole.
            let mut reader = e.reader(&b, &rec, 0, rec.size).unwrap();
            put(&e, &b, &k, b"new");
            let mut got = Vec::new();
            reader.read_to_end(&mut got).unwrap();
            assert!(got == old, "{name}: the pinned version reads whole");
            drop(reader);
            // Its record read before an overwrite, opened after: told to read the record again.
            let rec = e.object(&b, &k).unwrap();
            put(&e, &b, &k, b"newer");
            assert!(matches!(read(&e, &b, &rec), Err(EngineError::Superseded)), "{name}");
            // Unpinned now, the first overwrite's blob went with the next collection.
            assert_eq!(e.stats().gc_queue, 0, "{name}: nothing left queued");
            let rec = e.object(&b, &k).unwrap();
            e.delete_object(&b, &k, None, "me").unwrap();
            assert!(matches!(read(&e, &b, &rec), Err(EngineError::Superseded)), "{name}: deleted");
        }
    }
}
