//! A data directory written by the engine before the metadata store trait (commit cb223e3) must
//! open unchanged. The fixture was made by `write_fixture` at that commit; the test copies it into a
//! scratch directory (opening it recovers and may rewrite) and reads everything back.

use firn_storage::model::website::WebsiteConfig;
use firn_storage::{
    AccessKey, Acl, BucketName, Engine, EngineConfig, ListQuery, ObjectKey, ObjectMeta, UploadListQuery, VersionQuery,
    Versioning, WriteCondition,
};
use std::io::Read;
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/data-v1")
}

fn bucket(name: &str) -> BucketName {
    BucketName::parse(name).unwrap()
}

fn key(k: &str) -> ObjectKey {
    ObjectKey::parse(k).unwrap()
}

/// 20 KiB: above the inline limit, so it lives in a file.
fn large() -> Vec<u8> {
    (0..20_480u32).map(|i| (i % 251) as u8).collect()
}

fn put(e: &Engine, b: &BucketName, k: &str, data: &[u8], acl: Option<Acl>) -> String {
    let mut w = e.new_blob().unwrap();
    w.write(data).unwrap();
    let meta = ObjectMeta {
        owner: "owner-id".into(),
        user_meta: vec![("color".into(), "blue".into())],
        tags: vec![("t".into(), "1".into())],
        acl,
        ..Default::default()
    };
    e.put_object(b, &key(k), w.finish().unwrap(), meta, None, &WriteCondition::default()).unwrap().version_id
}

fn read(e: &Engine, b: &BucketName, k: &str, version: Option<&str>) -> Vec<u8> {
    let rec = match version {
        Some(v) => e.object_version(b, &key(k), v).unwrap(),
        None => e.object(b, &key(k)).unwrap(),
    };
    let mut out = Vec::new();
    e.reader(b, &rec, 0, rec.size).unwrap().read_to_end(&mut out).unwrap();
    out
}

/// Writes the fixture; run with `--ignored` only to make it again, at a commit whose format it should show.
#[test]
#[ignore]
fn write_fixture() {
    let dir = fixture();
    let _ = std::fs::remove_dir_all(&dir);
    let e = Engine::open(&EngineConfig::new(&dir)).unwrap();
    let plain = bucket("plain");
    e.create_bucket(&plain, "owner-id", "us-east-1").unwrap();
    put(&e, &plain, "small.txt", b"hello, firn", None);
    put(&e, &plain, "dir/large.bin", &large(), Some(Acl::canned("public-read", "owner-id", "owner-id").unwrap()));
    e.set_quota(&plain, Some(1 << 20)).unwrap();
    e.set_bucket_acl(&plain, &Acl::canned("public-read", "owner-id", "owner-id").unwrap()).unwrap();
    let site = WebsiteConfig { index_suffix: Some("index.html".into()), ..Default::default() };
    e.set_website(&plain, Some(&site)).unwrap();

    let versioned = bucket("versioned");
    e.create_bucket(&versioned, "owner-id", "eu-west-1").unwrap();
    put(&e, &versioned, "k", b"null version", None);
    e.set_versioning(&versioned, Versioning::Enabled).unwrap();
    let v1 = put(&e, &versioned, "k", b"version one", None);
    e.delete_object(&versioned, &key("k"), None, "owner-id").unwrap();
    let up = e.create_upload(&versioned, &key("mp"), ObjectMeta::default(), None).unwrap();
    let mut w = e.new_blob().unwrap();
    w.write(b"part one").unwrap();
    e.put_part(&versioned, &key("mp"), &up.upload_id, 1, w.finish().unwrap(), None).unwrap();
    let key = AccessKey { access_key: "AKFIXTURE".into(), secret_key: "fixture-secret".into(), created_ms: 1 };
    e.users().create("alice", key).unwrap();
    drop(e);
    std::fs::write(dir.join("ids.txt"), format!("{v1}\n{}\n", up.upload_id)).unwrap();
}

#[test]
fn a_directory_written_before_the_store_trait_opens_unchanged() {
    let scratch = tempfile::tempdir().unwrap();
    copy_dir(&fixture(), scratch.path());
    let ids = std::fs::read_to_string(scratch.path().join("ids.txt")).unwrap();
    let (v1, upload_id) = ids.split_once('\n').map(|(a, b)| (a.to_owned(), b.trim().to_owned())).unwrap();
    let e = Engine::open(&EngineConfig::new(scratch.path())).unwrap();

    let names: Vec<String> = e.list_buckets().unwrap().into_iter().map(|b| b.name).collect();
    assert_eq!(names, ["plain", "versioned"]);
    let plain = bucket("plain");
    assert_eq!(read(&e, &plain, "small.txt", None), b"hello, firn");
    assert_eq!(read(&e, &plain, "dir/large.bin", None), large());
    let small = e.object(&plain, &self::key("small.txt")).unwrap();
    assert_eq!(small.meta.user_meta, [("color".to_owned(), "blue".to_owned())]);
    assert_eq!(small.meta.tags, [("t".to_owned(), "1".to_owned())]);
    let listed = e.list_objects(&plain, &ListQuery { max_keys: 10, ..Default::default() }).unwrap();
    assert_eq!(listed.objects.iter().map(|o| o.key.as_str()).collect::<Vec<_>>(), ["dir/large.bin", "small.txt"]);
    assert_eq!(e.quota(&plain).unwrap(), Some(1 << 20));
    let brec = e.bucket(&plain).unwrap();
    assert_eq!(e.bucket_acl(&brec).unwrap(), Acl::canned("public-read", "owner-id", "owner-id").unwrap());
    let large_rec = e.object(&plain, &self::key("dir/large.bin")).unwrap();
    assert_eq!(e.version_acl(&plain, &large_rec).unwrap().grants.len(), 2);
    assert_eq!(e.website(&plain).unwrap().unwrap().index_suffix.as_deref(), Some("index.html"));
    assert_eq!(e.usage(&plain).objects, 2);

    let versioned = bucket("versioned");
    assert_eq!(e.bucket(&versioned).unwrap().versioning, Versioning::Enabled);
    assert!(e.object(&versioned, &self::key("k")).unwrap().delete_marker);
    assert_eq!(read(&e, &versioned, "k", Some(&v1)), b"version one");
    assert_eq!(read(&e, &versioned, "k", Some("null")), b"null version");
    let versions = e.list_versions(&versioned, &VersionQuery { max_keys: 10, ..Default::default() }).unwrap();
    assert_eq!(versions.entries.len(), 3);
    let uploads = e.list_uploads(&versioned, &UploadListQuery { max_uploads: 10, ..Default::default() }).unwrap();
    assert_eq!(uploads.uploads.len(), 1);
    let (parts, _) = e.list_parts(&upload_id, 0, 10).unwrap();
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].size, 8);
    let (alice, secret) = e.users().by_access_key("AKFIXTURE").unwrap().unwrap();
    assert_eq!((alice.name.as_str(), secret.as_str()), ("alice", "fixture-secret"));

    // And it goes on working: a write after the upgrade reads back.
    put(&e, &plain, "after", b"new", None);
    assert_eq!(read(&e, &plain, "after", None), b"new");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
