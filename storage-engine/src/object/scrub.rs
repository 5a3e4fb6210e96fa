//! Scrub: reads every stored version in full and checks each extent against its CRC32C.

use crate::base::error::{EngineError, Result};
use crate::meta::Keyspace;
use crate::model::record::{self, ObjectRecord};
use crate::object::reader::Stores;
use std::io::Read;

/// One damaged version found by a scrub.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Damage {
    pub bucket: String,
    pub key: String,
    pub version_id: String,
    pub reason: String,
}

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScrubReport {
    pub versions: u64,
    pub bytes: u64,
    pub damaged: Vec<Damage>,
}

/// Verifies every version. `progress` is called after each one with the running totals.
pub(crate) fn scrub(stores: &Stores, mut progress: impl FnMut(&ScrubReport)) -> Result<ScrubReport> {
    let mut report = ScrubReport::default();
    let mut buf = vec![0u8; 1 << 20];
    for item in stores.meta.iter(Keyspace::Versions) {
        let (k, v) = item?;
        let rec: ObjectRecord = record::decode(&v)?;
        if rec.delete_marker {
            continue;
        }
        let bucket = crate::base::keys::bucket_of(&k).unwrap_or_default();
        let mut read = 0u64;
        // Archived versions: the archive copy itself, every frame checked.
        let outcome = match crate::object::reader::open_version(stores, bucket, &rec, (0, rec.size), true) {
            Ok(mut reader) => loop {
                match reader.read(&mut buf) {
                    Ok(0) => break Ok(()),
                    Ok(n) => read += n as u64,
                    Err(e) => break Err(e.to_string()),
                }
            },
            // Deleted or overwritten since the scan read it: nothing left to check.
            Err(EngineError::Superseded) => continue,
            Err(e) => Err(e.to_string()),
        };
        report.versions += 1;
        report.bytes += read;
        if let Err(reason) = outcome {
            report.damaged.push(Damage {
                bucket: crate::base::keys::bucket_of(&k).unwrap_or_default().to_owned(),
                key: rec.key.clone(),
                version_id: rec.version_id.clone(),
                reason,
            });
        }
        progress(&report);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use crate::{BucketName, Engine, EngineConfig, ObjectKey, ObjectMeta, WriteCondition};
    use std::io::{Read, Seek, SeekFrom, Write};

    #[test]
    fn corruption_is_an_error_on_read_and_found_by_scrub() {
        let dir = tempfile::tempdir().unwrap();
        let e = Engine::open(&EngineConfig::new(dir.path().to_owned())).unwrap();
        let b = BucketName::parse("bkt").unwrap();
        e.create_bucket(&b, "me", "r").unwrap();
        for (k, data) in [("good", vec![1u8; 5000]), ("bad", vec![2u8; 300_000])] {
            let mut w = e.new_blob().unwrap();
            w.write(&data).unwrap();
            let k = ObjectKey::parse(k).unwrap();
            e.put_object(&b, &k, w.finish().unwrap(), ObjectMeta::default(), None, &WriteCondition::default()).unwrap();
        }
        let bad = e.object(&b, &ObjectKey::parse("bad").unwrap()).unwrap();
        let mut f = std::fs::OpenOptions::new().write(true).open(e.hot().blob_path(bad.extents[0].blob)).unwrap();
        f.seek(SeekFrom::Start(1234)).unwrap();
        f.write_all(&[9]).unwrap();
        drop(f);

        let mut out = Vec::new();
        let err = e.reader(&b, &bad, 0, bad.size).unwrap().read_to_end(&mut out).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        let report = e.scrub(|_| {}).unwrap();
        assert_eq!(report.versions, 2);
        assert_eq!(report.damaged.len(), 1);
        assert_eq!((report.damaged[0].bucket.as_str(), report.damaged[0].key.as_str()), ("bkt", "bad"));
    }
}
