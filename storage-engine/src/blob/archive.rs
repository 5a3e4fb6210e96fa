//! The archive tier's store: objects appended to segment files under their own root (another disk,
//! in production), in frames of at most one chunk each, zstd-compressed unless that does not
//! shrink them, each frame with a CRC32C of what it stores. An [`ArchiveRef`] says where one
//! object's frames are; the metadata keeps it with the version.
//!
//! Each writer holds a segment of its own while it writes, so concurrent writers never interleave
//! and a writer that fails (or is dropped) truncates its segment back to where it began. A crash in
//! the middle of a write leaves bytes past the segment's last committed object: segments are
//! only ever appended to by the process that opened them, and a restart starts new ones, so those
//! bytes are dead space, never read, reclaimed with the segment.
//!
//! Frame: magic `FRN1`, flags (bit 0: zstd), raw length u32, stored length u32, CRC32C u32 (all
//! big-endian), then the stored bytes.

use crate::base::error::{EngineError, Result};
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

const MAGIC: &[u8; 4] = b"FRN1";
const HEADER: usize = 17;
const ZSTD: u8 = 1;

/// Where an archived object's bytes are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveRef {
    pub segment: u64,
    /// Offset of its first frame in the segment.
    pub offset: u64,
    /// The object's size.
    pub size: u64,
    /// Raw bytes per frame (the last may hold fewer).
    pub chunk: u32,
    /// Bytes each frame takes in the segment, header included.
    pub frames: Vec<u32>,
}

impl ArchiveRef {
    /// Bytes the object takes in its segment.
    pub fn stored(&self) -> u64 {
        self.frames.iter().map(|&f| f as u64).sum()
    }
}

#[derive(Clone, Debug)]
pub struct ArchiveOptions {
    /// zstd level (1 fast … 19 small; 3 is zstd's default).
    pub level: i32,
    /// Raw bytes per frame: what a ranged read decompresses at the least.
    pub chunk: usize,
    /// A segment that has grown past this takes no new objects.
    pub segment_bytes: u64,
    /// Several gateways share the archive root: segment names are drawn at random rather than
    /// counted, a segment takes new objects only for `SHARED_REUSE` after it was made, and
    /// compaction leaves alone segments written to within `settle` (another gateway's, perhaps
    /// still open).
    pub shared: bool,
    pub settle: std::time::Duration,
}

/// On a shared archive root, how long a segment keeps taking new objects after it was made.
const SHARED_REUSE: std::time::Duration = std::time::Duration::from_secs(600);

impl Default for ArchiveOptions {
    fn default() -> Self {
        ArchiveOptions {
            level: 3,
            chunk: 1 << 20,
            segment_bytes: 1 << 30,
            shared: false,
            settle: crate::blob::hot::SHARED_SETTLE,
        }
    }
}

struct Segment {
    id: u64,
    file: File,
    len: u64,
    made: std::time::Instant,
}

struct Pool {
    next_id: u64,
    /// Segments open for appending and not in use by a writer.
    idle: Vec<Segment>,
    /// Segments this process may still append to (idle or being written): never compacted.
    open: std::collections::HashSet<u64>,
}

/// The archive root. Cheap to clone.
#[derive(Clone)]
pub struct ArchiveStore {
    root: PathBuf,
    options: ArchiveOptions,
    pool: Arc<Mutex<Pool>>,
}

fn segment_name(id: u64) -> String {
    format!("{id:016x}.seg")
}

impl ArchiveStore {
    pub fn open(root: &Path, options: ArchiveOptions) -> Result<ArchiveStore> {
        let dir = root.join("segments");
        fs::create_dir_all(&dir)?;
        let mut next_id = 0;
        for entry in fs::read_dir(&dir)? {
            let name = entry?.file_name();
            let id = name.to_str().and_then(|n| n.strip_suffix(".seg")).and_then(|n| u64::from_str_radix(n, 16).ok());
            if let Some(id) = id {
                next_id = next_id.max(id + 1);
            }
        }
        Ok(ArchiveStore {
            root: root.to_owned(),
            options,
            pool: Arc::new(Mutex::new(Pool { next_id, idle: Vec::new(), open: Default::default() })),
        })
    }

    fn segment_path(&self, id: u64) -> PathBuf {
        self.root.join("segments").join(segment_name(id))
    }

    fn pool(&self) -> std::sync::MutexGuard<'_, Pool> {
        self.pool.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A segment for one writer: an idle one with room, or a new one.
    fn take_segment(&self) -> Result<Segment> {
        let mut pool = self.pool();
        while let Some(seg) = pool.idle.pop() {
            if !self.options.shared {
                return Ok(seg);
            }
            // On a shared archive another gateway's compaction may have taken it.
            if seg.made.elapsed() < SHARED_REUSE && self.segment_path(seg.id).exists() {
                return Ok(seg);
            }
            // Past its time for new objects: sealed, so that compaction may take it.
            pool.open.remove(&seg.id);
        }
        let (id, file) = loop {
            let id = if self.options.shared {
                // Random (below 2^63), so that gateways never pick the same; create_new checks.
                uuid::Uuid::new_v4().as_u64_pair().0 >> 1
            } else {
                pool.next_id += 1;
                pool.next_id - 1
            };
            match OpenOptions::new().create_new(true).append(true).open(self.segment_path(id)) {
                Ok(file) => break (id, file),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e.into()),
            }
        };
        pool.open.insert(id);
        drop(pool);
        // The new name must survive a crash before anything in it is committed.
        File::open(self.root.join("segments"))?.sync_all()?;
        Ok(Segment { id, file, len: 0, made: std::time::Instant::now() })
    }

    fn give_back(&self, seg: Segment) {
        let mut pool = self.pool();
        let reusable = !self.options.shared || seg.made.elapsed() < SHARED_REUSE;
        if seg.len < self.options.segment_bytes && reusable {
            pool.idle.push(seg);
        } else {
            pool.open.remove(&seg.id);
        }
    }

    /// Closes the idle segments to new objects, so that compaction may take them.
    pub fn seal(&self) {
        let mut pool = self.pool();
        let sealed: Vec<u64> = pool.idle.drain(..).map(|s| s.id).collect();
        for id in sealed {
            pool.open.remove(&id);
        }
    }

    /// Segments no writer of this process appends to any more, with their sizes; with
    /// `settled`, on a shared archive, only those nobody has written to for a while.
    pub fn sealed_segments(&self, settled: bool) -> Result<Vec<(u64, u64)>> {
        let all = self.segments()?;
        let pool = self.pool();
        let mut sealed: Vec<(u64, u64)> = all.into_iter().filter(|(id, _)| !pool.open.contains(id)).collect();
        drop(pool);
        if self.options.shared && settled {
            // Another gateway's open segment is written to within SHARED_REUSE of being made.
            sealed.retain(|(id, _)| !crate::blob::hot::recently_modified(&self.segment_path(*id), self.options.settle));
        }
        Ok(sealed)
    }

    /// Deletes a segment nothing refers to any more.
    pub fn remove_segment(&self, id: u64) -> Result<()> {
        match fs::remove_file(self.segment_path(id)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
        File::open(self.root.join("segments"))?.sync_all()?;
        Ok(())
    }

    /// Starts writing one object.
    pub fn writer(&self) -> Result<ArchiveWriter> {
        let seg = self.take_segment()?;
        Ok(ArchiveWriter {
            store: self.clone(),
            start: seg.len,
            seg: Some(seg),
            buf: Vec::with_capacity(self.options.chunk),
            frames: Vec::new(),
            size: 0,
        })
    }

    /// Writes all of `from` as one object, fsynced; returns where it went.
    pub fn copy_in(&self, mut from: impl Read) -> Result<ArchiveRef> {
        let mut w = self.writer()?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = from.read(&mut buf)?;
            if n == 0 {
                break;
            }
            w.write(&buf[..n])?;
        }
        w.finish()
    }

    /// A reader over bytes `start..end` of an archived object.
    pub fn reader(&self, r: &ArchiveRef, start: u64, end: u64) -> ArchiveReader {
        let path = self.segment_path(r.segment);
        ArchiveReader {
            // Opened now: a segment compaction deletes later stays readable through this handle.
            file: File::open(&path).ok(),
            path,
            r: r.clone(),
            pos: start,
            end: end.min(r.size),
            frame: None,
        }
    }

    /// Every segment with its size on disk, for scrub, compaction and the operator.
    pub fn segments(&self) -> Result<Vec<(u64, u64)>> {
        let mut out = Vec::new();
        for entry in fs::read_dir(self.root.join("segments"))? {
            let entry = entry?;
            let name = entry.file_name();
            if let Some(id) =
                name.to_str().and_then(|n| n.strip_suffix(".seg")).and_then(|n| u64::from_str_radix(n, 16).ok())
            {
                out.push((id, entry.metadata()?.len()));
            }
        }
        out.sort_unstable();
        Ok(out)
    }
}

/// Writes one object into a segment. `finish` makes it durable and says where it is; dropping the
/// writer instead takes its bytes back out of the segment.
pub struct ArchiveWriter {
    store: ArchiveStore,
    seg: Option<Segment>,
    /// Where this object starts in the segment.
    start: u64,
    buf: Vec<u8>,
    frames: Vec<u32>,
    size: u64,
}

impl ArchiveWriter {
    pub fn write(&mut self, mut data: &[u8]) -> Result<()> {
        let chunk = self.store.options.chunk;
        while !data.is_empty() {
            let take = (chunk - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            self.size += take as u64;
            if self.buf.len() == chunk {
                self.flush_frame()?;
            }
        }
        Ok(())
    }

    fn flush_frame(&mut self) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let compressed = zstd::bulk::compress(&self.buf, self.store.options.level)?;
        let (flags, stored): (u8, &[u8]) =
            if compressed.len() < self.buf.len() { (ZSTD, &compressed) } else { (0, &self.buf) };
        let mut header = [0u8; HEADER];
        header[..4].copy_from_slice(MAGIC);
        header[4] = flags;
        header[5..9].copy_from_slice(&(self.buf.len() as u32).to_be_bytes());
        header[9..13].copy_from_slice(&(stored.len() as u32).to_be_bytes());
        header[13..17].copy_from_slice(&crc32c::crc32c(stored).to_be_bytes());
        let seg = self.seg.as_mut().expect("writer in use");
        seg.file.write_all(&header)?;
        seg.file.write_all(stored)?;
        let framed = (HEADER + stored.len()) as u32;
        seg.len += framed as u64;
        self.frames.push(framed);
        self.buf.clear();
        Ok(())
    }

    /// Writes what is left, fsyncs the segment and returns where the object is.
    pub fn finish(mut self) -> Result<ArchiveRef> {
        self.flush_frame()?;
        let seg = self.seg.take().expect("finished once");
        seg.file.sync_data()?;
        let r = ArchiveRef {
            segment: seg.id,
            offset: self.start,
            size: self.size,
            chunk: self.store.options.chunk as u32,
            frames: std::mem::take(&mut self.frames),
        };
        self.store.give_back(seg);
        Ok(r)
    }
}

impl Drop for ArchiveWriter {
    fn drop(&mut self) {
        if let Some(mut seg) = self.seg.take() {
            // Not finished: take the partial object back out, so the segment holds only whole ones.
            if seg.file.set_len(self.start).is_ok() {
                seg.len = self.start;
                self.store.give_back(seg);
            }
        }
    }
}

/// Reads a byte range of an archived object, one frame at a time, checking each frame's CRC32C.
pub struct ArchiveReader {
    path: PathBuf,
    file: Option<File>,
    r: ArchiveRef,
    pos: u64,
    end: u64,
    /// The frame decoded last: its index and raw bytes.
    frame: Option<(usize, Vec<u8>)>,
}

fn corrupt(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, EngineError::Corrupt(what))
}

impl ArchiveReader {
    /// Whether its segment was there when it was made (a reader whose segment is gone fails on
    /// its first read).
    pub fn is_open(&self) -> bool {
        self.file.is_some()
    }

    fn load(&mut self, index: usize) -> io::Result<()> {
        let offset = self.r.offset + self.r.frames[..index].iter().map(|&f| f as u64).sum::<u64>();
        let framed = self.r.frames[index] as usize;
        if self.file.is_none() {
            self.file = Some(File::open(&self.path)?);
        }
        let file = self.file.as_mut().expect("opened above");
        file.seek(SeekFrom::Start(offset))?;
        let mut bytes = vec![0u8; framed];
        file.read_exact(&mut bytes).map_err(|e| corrupt(format!("{}: frame {index}: {e}", self.path.display())))?;
        let name = self.path.display();
        if framed < HEADER || &bytes[..4] != MAGIC {
            return Err(corrupt(format!("{name}: frame {index}: bad header")));
        }
        let raw_len = u32::from_be_bytes(bytes[5..9].try_into().expect("4 bytes")) as usize;
        let stored_len = u32::from_be_bytes(bytes[9..13].try_into().expect("4 bytes")) as usize;
        let crc = u32::from_be_bytes(bytes[13..17].try_into().expect("4 bytes"));
        let stored = &bytes[HEADER..];
        if stored_len != stored.len() || crc32c::crc32c(stored) != crc {
            return Err(corrupt(format!("{name}: frame {index}: checksum mismatch")));
        }
        let raw = if bytes[4] & ZSTD != 0 {
            zstd::bulk::decompress(stored, raw_len).map_err(|e| corrupt(format!("{name}: frame {index}: {e}")))?
        } else {
            stored.to_vec()
        };
        if raw.len() != raw_len {
            return Err(corrupt(format!("{name}: frame {index}: {} bytes, not {raw_len}", raw.len())));
        }
        self.frame = Some((index, raw));
        Ok(())
    }
}

impl Read for ArchiveReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.end || buf.is_empty() {
            return Ok(0);
        }
        let chunk = self.r.chunk as u64;
        let index = (self.pos / chunk) as usize;
        if index >= self.r.frames.len() {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "archived object shorter than its record"));
        }
        if self.frame.as_ref().is_none_or(|(i, _)| *i != index) {
            self.load(index)?;
        }
        let (_, raw) = self.frame.as_ref().expect("loaded above");
        let within = (self.pos - index as u64 * chunk) as usize;
        let n = buf.len().min(raw.len() - within).min((self.end - self.pos) as usize);
        buf[..n].copy_from_slice(&raw[within..within + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(dir: &Path, chunk: usize, segment_bytes: u64) -> ArchiveStore {
        ArchiveStore::open(dir, ArchiveOptions { level: 3, chunk, segment_bytes, ..Default::default() }).unwrap()
    }

    fn text(len: usize) -> Vec<u8> {
        (0..)
            .flat_map(|i: u32| format!("2026-12-04T03:{:02}:00Z GET /logs/{i} 200\n", i % 60).into_bytes())
            .take(len)
            .collect()
    }

    fn noise(len: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    fn put(s: &ArchiveStore, data: &[u8]) -> ArchiveRef {
        let mut w = s.writer().unwrap();
        // In uneven pieces, as a body arrives.
        for piece in data.chunks(777) {
            w.write(piece).unwrap();
        }
        w.finish().unwrap()
    }

    fn read(s: &ArchiveStore, r: &ArchiveRef, start: u64, end: u64) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        s.reader(r, start, end).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn objects_of_every_size_read_back_whole_and_in_ranges() {
        let dir = tempfile::tempdir().unwrap();
        let chunk = 4096;
        let s = store(dir.path(), chunk, 1 << 30);
        for len in [0, 1, chunk - 1, chunk, chunk + 1, 3 * chunk + chunk / 2] {
            for data in [text(len), noise(len, len as u64)] {
                let r = put(&s, &data);
                assert_eq!(r.size, len as u64);
                assert_eq!(r.frames.len(), len.div_ceil(chunk));
                assert_eq!(read(&s, &r, 0, r.size).unwrap(), data, "{len} bytes");
                for (a, b) in
                    [(0, 1), (chunk as u64 - 1, chunk as u64 + 1), (1, len as u64), (len as u64 / 2, len as u64)]
                {
                    let (a, b) = (a.min(len as u64), b.min(len as u64));
                    assert_eq!(read(&s, &r, a, b).unwrap(), &data[a as usize..b as usize], "{len} bytes, {a}..{b}");
                }
            }
        }
    }

    #[test]
    fn text_shrinks_and_noise_is_stored_raw() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path(), 64 << 10, 1 << 30);
        let logs = put(&s, &text(1 << 20));
        assert!(logs.stored() * 5 < logs.size, "log text compresses: {} of {}", logs.stored(), logs.size);
        let random = put(&s, &noise(1 << 20, 7));
        let overhead = random.frames.len() as u64 * HEADER as u64;
        assert_eq!(random.stored(), random.size + overhead, "incompressible frames are kept as they are");
    }

    #[test]
    fn corruption_is_an_error_never_data() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path(), 4096, 1 << 30);
        let data = text(10_000);
        let r = put(&s, &data);
        let path = s.segment_path(r.segment);
        let mut bytes = fs::read(&path).unwrap();
        let second_frame = r.offset as usize + r.frames[0] as usize + HEADER + 10;
        bytes[second_frame] ^= 0x40;
        fs::write(&path, bytes).unwrap();
        assert_eq!(read(&s, &r, 0, 4096).unwrap(), &data[..4096], "the first frame is intact");
        let err = read(&s, &r, 0, r.size).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn a_dropped_writer_leaves_nothing_and_writers_never_interleave() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path(), 4096, 1 << 30);
        let kept = put(&s, &text(5000));
        let before = s.segments().unwrap();
        let mut w = s.writer().unwrap();
        w.write(&noise(20_000, 1)).unwrap();
        drop(w);
        assert_eq!(s.segments().unwrap(), before, "the partial object was taken back out");
        // Two writers at once get segments of their own.
        let mut a = s.writer().unwrap();
        let mut b = s.writer().unwrap();
        a.write(&text(9000)).unwrap();
        b.write(&noise(9000, 2)).unwrap();
        a.write(b"tail").unwrap();
        let (ra, rb) = (a.finish().unwrap(), b.finish().unwrap());
        assert_ne!(ra.segment, rb.segment);
        let mut want = text(9000);
        want.extend_from_slice(b"tail");
        assert_eq!(read(&s, &ra, 0, ra.size).unwrap(), want);
        assert_eq!(read(&s, &rb, 0, rb.size).unwrap(), noise(9000, 2));
        assert_eq!(read(&s, &kept, 0, kept.size).unwrap(), text(5000));
    }

    #[test]
    fn segments_roll_over_and_a_reopened_store_starts_new_ones() {
        let dir = tempfile::tempdir().unwrap();
        let refs: Vec<(ArchiveRef, Vec<u8>)> = {
            let s = store(dir.path(), 4096, 20_000);
            (0..6).map(|i| noise(9000, i)).map(|d| (put(&s, &d), d)).collect()
        };
        let segments: std::collections::BTreeSet<u64> = refs.iter().map(|(r, _)| r.segment).collect();
        assert!(segments.len() >= 2, "full segments take no more objects: {segments:?}");
        // A crash mid-write leaves bytes past the last object; the reopened store never appends there.
        let last = refs.last().unwrap().0.segment;
        let mut f = OpenOptions::new().append(true).open(dir.path().join("segments").join(segment_name(last))).unwrap();
        f.write_all(b"half a frame").unwrap();
        let s = store(dir.path(), 4096, 20_000);
        let fresh = put(&s, b"after the restart");
        assert!(fresh.segment > *segments.iter().max().unwrap());
        for (r, d) in &refs {
            assert_eq!(&read(&s, r, 0, r.size).unwrap(), d);
        }
    }
}
