//! Disk faults: a full disk and a read-only one give 5xx S3 errors, corrupt nothing, and the
//! server recovers when the fault goes away. Needs root (it mounts a small tmpfs); skipped otherwise.

use super::harness::{bytes, code, status, Server};
use std::path::{Path, PathBuf};
use std::process::Command;

struct Mount(PathBuf);

impl Mount {
    /// A tmpfs of `mib` MiB, or None when this process may not mount.
    fn tmpfs(mib: u32) -> Option<(tempfile::TempDir, Mount)> {
        let is_root = Command::new("id").arg("-u").output().ok().is_some_and(|o| o.stdout.starts_with(b"0\n"));
        if !is_root {
            eprintln!("SKIP disk fault tests: they need root to mount a tmpfs");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("SKIP disk fault tests: mount failed");
            return None;
        }
        let m = Mount(dir.path().to_owned());
        Some((dir, m))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn full_disk_is_507_and_recovers() {
    let Some((_dir, mount)) = Mount::tmpfs(48) else { return };
    let data = mount.path().join("data");
    let server = Server::start_with(&[("FIRN_DATA_DIR", data.to_str().unwrap())]);
    let s3 = server.client();
    s3.create_bucket().bucket("full").send().await.unwrap();
    let mut stored = 0;
    let err = loop {
        let body = bytes(1 << 20, stored);
        match s3.put_object().bucket("full").key(format!("k{stored}")).body(body.into()).send().await {
            Ok(_) => stored += 1,
            Err(e) => break e,
        }
        assert!(stored < 100, "a 48 MiB disk cannot take 100 MiB");
    };
    assert_eq!((code(&err).as_str(), status(&err)), ("InsufficientStorage", 507));
    assert!(stored > 5, "stored {stored} objects before the disk filled");
    // Everything acknowledged is intact.
    for i in 0..stored {
        let got = s3.get_object().bucket("full").key(format!("k{i}")).send().await.unwrap();
        assert_eq!(got.body.collect().await.unwrap().into_bytes().to_vec(), bytes(1 << 20, i), "k{i}");
    }
    let failed = s3.head_object().bucket("full").key(format!("k{stored}")).send().await;
    assert!(failed.is_err(), "the failed upload left nothing behind");
    // Space returns: writes work again.
    for i in 0..4 {
        s3.delete_object().bucket("full").key(format!("k{i}")).send().await.unwrap();
    }
    s3.put_object().bucket("full").key("after").body(bytes(1 << 20, 99).into()).send().await.unwrap();
}

/// Makes `dir` read-only (or writable again) with a bind mount over itself. The metadata files
/// stay writable: a read-only remount of a whole filesystem is refused while they are open.
fn set_read_only(dir: &Path, ro: bool) {
    let run = |args: &[&str]| {
        let ok = Command::new("mount").args(args).arg(dir).arg(dir).status().unwrap().success();
        assert!(ok, "mount {args:?}");
    };
    if ro {
        run(&["--bind"]);
        let ok = Command::new("mount").args(["-o", "remount,bind,ro"]).arg(dir).status().unwrap().success();
        assert!(ok, "remount ro");
    } else {
        assert!(Command::new("umount").arg(dir).status().unwrap().success(), "umount bind");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn read_only_data_is_503_and_recovers() {
    let Some((_dir, mount)) = Mount::tmpfs(32) else { return };
    let data = mount.path().join("data");
    let server = Server::start_with(&[("FIRN_DATA_DIR", data.to_str().unwrap())]);
    let s3 = server.client();
    s3.create_bucket().bucket("rodisk").send().await.unwrap();
    s3.put_object().bucket("rodisk").key("before").body(bytes(50_000, 1).into()).send().await.unwrap();
    set_read_only(&data.join("hot"), true);
    let err = s3.put_object().bucket("rodisk").key("during").body(bytes(50_000, 2).into()).send().await.unwrap_err();
    set_read_only(&data.join("hot"), false);
    assert_eq!((code(&err).as_str(), status(&err)), ("ServiceUnavailable", 503), "{err:?}");
    let got = s3.get_object().bucket("rodisk").key("before").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().to_vec(), bytes(50_000, 1), "reads still work");
    assert!(s3.head_object().bucket("rodisk").key("during").send().await.is_err());
    s3.put_object().bucket("rodisk").key("after").body(bytes(50_000, 3).into()).send().await.unwrap();
}
