//! The hot tier: one file per blob under `blobs/xx/`, written through `tmp/` so a blob is either
//! whole and fsynced under its final name or absent.

use crate::error::{EngineError, Result};
use crate::record::{Extent, ObjectRecord};
use md5::{Digest, Md5};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug)]
pub(crate) struct HotTier {
    root: PathBuf,
}

impl HotTier {
    pub(crate) fn open(root: &Path) -> Result<Self> {
        fs::create_dir_all(root.join("blobs"))?;
        let tmp = root.join("tmp");
        // Anything left in tmp/ is an upload that never committed.
        if tmp.exists() {
            fs::remove_dir_all(&tmp)?;
        }
        fs::create_dir_all(&tmp)?;
        Ok(HotTier { root: root.to_owned() })
    }

    fn dir_of(&self, id: u128) -> PathBuf {
        self.root.join("blobs").join(format!("{:02x}", (id >> 120) as u8))
    }

    pub(crate) fn blob_path(&self, id: u128) -> PathBuf {
        self.dir_of(id).join(format!("{id:032x}"))
    }

    pub(crate) fn new_writer(&self) -> Result<BlobWriter> {
        let id = uuid::Uuid::new_v4().as_u128();
        let tmp_path = self.root.join("tmp").join(format!("{id:032x}"));
        let file = OpenOptions::new().write(true).create_new(true).open(&tmp_path)?;
        Ok(BlobWriter { file: Some(file), guard: TmpGuard(Some(tmp_path)), id, size: 0, md5: Md5::new(), crc: 0 })
    }

    /// Moves a staged blob under its final name and makes the rename durable.
    pub(crate) fn install(&self, staged: &mut StagedBlob) -> Result<()> {
        let dir = self.dir_of(staged.id);
        fs::create_dir_all(&dir)?;
        let from = staged.guard.0.take().expect("staged blob installed twice");
        fs::rename(&from, self.blob_path(staged.id))?;
        File::open(&dir)?.sync_all()?;
        Ok(())
    }

    pub(crate) fn remove(&self, id: u128) -> Result<()> {
        match fs::remove_file(self.blob_path(id)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// Every blob id present on disk, for the start-up orphan sweep.
    pub(crate) fn all_blob_ids(&self) -> Result<Vec<u128>> {
        let mut ids = Vec::new();
        for dir in fs::read_dir(self.root.join("blobs"))? {
            for entry in fs::read_dir(dir?.path())? {
                let name = entry?.file_name();
                if let Some(id) = name.to_str().and_then(|n| u128::from_str_radix(n, 16).ok()) {
                    ids.push(id);
                }
            }
        }
        Ok(ids)
    }
}

/// Removes a temporary file when dropped, unless it was installed.
struct TmpGuard(Option<PathBuf>);

impl Drop for TmpGuard {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = fs::remove_file(p);
        }
    }
}

/// Receives an object's bytes, hashing them (MD5 for the ETag, CRC32C for the extent) as they pass.
pub struct BlobWriter {
    file: Option<File>,
    guard: TmpGuard,
    id: u128,
    size: u64,
    md5: Md5,
    crc: u32,
}

impl BlobWriter {
    pub fn write(&mut self, data: &[u8]) -> Result<()> {
        self.md5.update(data);
        self.crc = crc32c::crc32c_append(self.crc, data);
        self.file.as_mut().expect("writer used after finish").write_all(data)?;
        self.size += data.len() as u64;
        Ok(())
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Flushes the data to stable storage. Dropping the result instead of committing it removes the file.
    pub fn finish(mut self) -> Result<StagedBlob> {
        let file = self.file.take().expect("writer finished twice");
        file.sync_all()?;
        drop(file);
        Ok(StagedBlob {
            id: self.id,
            size: self.size,
            md5: self.md5.clone().finalize().into(),
            crc32c: self.crc,
            guard: TmpGuard(self.guard.0.take()),
        })
    }
}

/// A complete, fsynced blob that no metadata refers to yet.
pub struct StagedBlob {
    pub(crate) id: u128,
    size: u64,
    md5: [u8; 16],
    crc32c: u32,
    guard: TmpGuard,
}

impl StagedBlob {
    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn md5(&self) -> [u8; 16] {
        self.md5
    }

    pub(crate) fn extent(&self) -> Extent {
        Extent { blob: self.id, offset: 0, len: self.size, crc32c: self.crc32c }
    }
}

/// Reads a byte range of an object across its extents.
pub struct ObjectReader {
    hot: HotTier,
    extents: Vec<Extent>,
    /// Index into `extents` and offset within it of the next byte to read.
    index: usize,
    within: u64,
    remaining: u64,
    file: Option<File>,
    /// CRC32C of the current extent so far, when it is being read from its first byte.
    crc: Option<u32>,
}

impl ObjectReader {
    pub(crate) fn new(hot: HotTier, rec: &ObjectRecord, start: u64, end: u64) -> Self {
        let mut index = 0;
        let mut skip = start;
        while index < rec.extents.len() && skip >= rec.extents[index].len {
            skip -= rec.extents[index].len;
            index += 1;
        }
        ObjectReader {
            hot,
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
                let mut f = File::open(self.hot.blob_path(ext.blob)).map_err(|e| {
                    io::Error::new(e.kind(), EngineError::Corrupt(format!("blob {:032x}: {e}", ext.blob)))
                })?;
                f.seek(SeekFrom::Start(ext.offset + self.within))?;
                self.file = Some(f);
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
