//! The hot tier: one file per blob under `blobs/xx/`, written through `tmp/` so a blob is either
//! whole and fsynced under its final name or absent.

use crate::error::Result;
use crate::record::Extent;
use md5::{Digest, Md5};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
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

    pub(crate) fn new_writer(&self) -> BlobWriter {
        BlobWriter {
            tmp_dir: self.root.join("tmp"),
            small: Vec::new(),
            file: None,
            guard: TmpGuard(None),
            id: uuid::Uuid::new_v4().as_u128(),
            size: 0,
            md5: Md5::new(),
            crc: 0,
            done: false,
        }
    }

    /// Moves a staged blob under its final name and makes the rename durable. Inline blobs have
    /// no file: their bytes go into the metadata with the commit.
    pub(crate) fn install(&self, staged: &mut StagedBlob) -> Result<()> {
        if staged.inline.is_some() {
            return Ok(());
        }
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

/// Blobs up to this size are kept in the metadata store rather than in files: a small PUT then
/// costs one (group-committed) metadata flush instead of a file fsync, a rename and a directory fsync.
pub const INLINE_MAX: usize = 16 << 10;

/// Receives an object's bytes, hashing them (MD5 for the ETag, CRC32C for the extent) as they
/// pass. Bytes stay in memory until they outgrow [`INLINE_MAX`], then go to a temporary file.
pub struct BlobWriter {
    tmp_dir: PathBuf,
    small: Vec<u8>,
    file: Option<File>,
    guard: TmpGuard,
    id: u128,
    size: u64,
    md5: Md5,
    crc: u32,
    done: bool,
}

impl BlobWriter {
    pub fn write(&mut self, data: &[u8]) -> Result<()> {
        assert!(!self.done, "writer used after finish");
        self.md5.update(data);
        self.crc = crc32c::crc32c_append(self.crc, data);
        self.size += data.len() as u64;
        if self.file.is_none() && self.small.len() + data.len() <= INLINE_MAX {
            self.small.extend_from_slice(data);
            return Ok(());
        }
        if self.file.is_none() {
            let path = self.tmp_dir.join(format!("{:032x}", self.id));
            let mut file = OpenOptions::new().write(true).create_new(true).open(&path)?;
            self.guard = TmpGuard(Some(path));
            file.write_all(&std::mem::take(&mut self.small))?;
            self.file = Some(file);
        }
        self.file.as_mut().expect("created above").write_all(data)?;
        Ok(())
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Flushes the data to stable storage. Dropping the result instead of committing it removes the file.
    pub fn finish(mut self) -> Result<StagedBlob> {
        self.done = true;
        let inline = match self.file.take() {
            Some(file) => {
                file.sync_all()?;
                None
            }
            None => Some(std::mem::take(&mut self.small)),
        };
        Ok(StagedBlob {
            id: self.id,
            size: self.size,
            md5: self.md5.clone().finalize().into(),
            crc32c: self.crc,
            guard: TmpGuard(self.guard.0.take()),
            inline,
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
    /// The bytes of a small blob, stored in the metadata instead of a file.
    pub(crate) inline: Option<Vec<u8>>,
}

impl StagedBlob {
    /// Its bytes, from memory or from the temporary file, before it is installed.
    pub(crate) fn open(&self) -> Result<Box<dyn io::Read + Send>> {
        match (&self.inline, &self.guard.0) {
            (Some(bytes), _) => Ok(Box::new(io::Cursor::new(bytes.clone()))),
            (None, Some(path)) => Ok(Box::new(File::open(path)?)),
            (None, None) => Err(crate::EngineError::Corrupt("staged blob already installed".into())),
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn md5(&self) -> [u8; 16] {
        self.md5
    }

    pub(crate) fn extent(&self) -> Extent {
        Extent { blob: self.id, offset: 0, len: self.size, crc32c: self.crc32c, inline: self.inline.is_some() }
    }
}
