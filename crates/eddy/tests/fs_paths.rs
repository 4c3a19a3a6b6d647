//! The path functions of `eddy::fs`: each works, and each failure names the
//! path (and keeps the error kind).

use std::io::ErrorKind;
use std::path::PathBuf;

use eddy::fs;

/// A fresh directory for one test, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("eddy-fs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[eddy::test]
async fn write_read_and_read_to_string_round_trip() {
    let dir = TempDir::new("roundtrip");
    let path = dir.0.join("a.txt");
    fs::write(&path, "héllo").await.unwrap();
    assert_eq!(fs::read(&path).await.unwrap(), "héllo".as_bytes());
    assert_eq!(fs::read_to_string(&path).await.unwrap(), "héllo");
    fs::write(&path, [0xff, 0xfe]).await.unwrap();
    let err = fs::read_to_string(&path).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert!(err.to_string().contains("a.txt"), "{err}");
}

#[eddy::test]
async fn copy_rename_and_remove_file() {
    let dir = TempDir::new("copy");
    let (a, b, c) = (dir.0.join("a"), dir.0.join("b"), dir.0.join("c"));
    fs::write(&a, "12345").await.unwrap();
    assert_eq!(fs::copy(&a, &b).await.unwrap(), 5);
    fs::rename(&b, &c).await.unwrap();
    assert!(!b.exists());
    assert_eq!(std::fs::read(&c).unwrap(), b"12345");
    fs::remove_file(&c).await.unwrap();
    assert!(!c.exists());
}

#[eddy::test]
async fn directories_are_created_and_removed() {
    let dir = TempDir::new("dirs");
    let deep = dir.0.join("x/y/z");
    fs::create_dir_all(&deep).await.unwrap();
    assert!(fs::metadata(&deep).await.unwrap().is_dir());
    fs::create_dir(dir.0.join("x/y/w")).await.unwrap();
    fs::remove_dir(dir.0.join("x/y/w")).await.unwrap();
    let err = fs::remove_dir(dir.0.join("x")).await.unwrap_err();
    assert!(err.to_string().contains("remove directory"), "{err}");
    fs::remove_dir_all(dir.0.join("x")).await.unwrap();
    assert!(!dir.0.join("x").exists());
}

#[eddy::test]
async fn metadata_symlink_metadata_and_canonicalize() {
    let dir = TempDir::new("meta");
    let target = dir.0.join("target");
    let link = dir.0.join("link");
    fs::write(&target, "1234").await.unwrap();
    std::os::unix::fs::symlink(&target, &link).unwrap();
    assert_eq!(fs::metadata(&link).await.unwrap().len(), 4);
    assert!(
        fs::symlink_metadata(&link)
            .await
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let canonical = fs::canonicalize(dir.0.join("./link")).await.unwrap();
    assert_eq!(canonical, std::fs::canonicalize(&target).unwrap());
}

#[eddy::test]
async fn missing_paths_name_the_path_and_keep_the_kind() {
    let dir = TempDir::new("missing");
    let missing = dir.0.join("nope/deeper");
    let shown = missing.display().to_string();
    let errors = [
        ("read", fs::read(&missing).await.unwrap_err()),
        ("read", fs::read_to_string(&missing).await.unwrap_err()),
        ("write", fs::write(&missing, "x").await.unwrap_err()),
        ("remove file", fs::remove_file(&missing).await.unwrap_err()),
        (
            "remove directory",
            fs::remove_dir(&missing).await.unwrap_err(),
        ),
        ("metadata", fs::metadata(&missing).await.unwrap_err()),
        (
            "symlink metadata",
            fs::symlink_metadata(&missing).await.unwrap_err(),
        ),
        (
            "canonicalize",
            fs::canonicalize(&missing).await.unwrap_err(),
        ),
        (
            "create directory",
            fs::create_dir(&missing).await.unwrap_err(),
        ),
        ("read directory", fs::read_dir(&missing).await.unwrap_err()),
        ("open", fs::File::open(&missing).await.unwrap_err()),
    ];
    for (op, err) in errors {
        assert_eq!(err.kind(), ErrorKind::NotFound, "{op}: {err}");
        let message = err.to_string();
        assert!(
            message.starts_with(&format!("{op} {shown}: ")),
            "{message:?} should start with {op:?} and the path"
        );
        assert!(message.contains("os error 2"), "{message}");
    }
    let err = fs::copy(&missing, dir.0.join("to")).await.unwrap_err();
    assert!(
        err.to_string().contains(&shown) && err.to_string().contains("/to"),
        "{err}"
    );
    let err = fs::rename(&missing, dir.0.join("to")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(
        err.to_string().starts_with(&format!("rename {shown} to ")),
        "{err}"
    );
}

#[test]
fn works_on_the_multi_thread_runtime_with_many_concurrent_calls() {
    let dir = TempDir::new("concurrent");
    let rt = eddy::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let root = dir.0.clone();
    rt.block_on(async move {
        let tasks: Vec<_> = (0..32)
            .map(|i| {
                let path = root.join(format!("f{i}"));
                eddy::spawn(async move {
                    let body = format!("file number {i}").repeat(100);
                    fs::write(&path, &body).await.unwrap();
                    assert_eq!(fs::read_to_string(&path).await.unwrap(), body);
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 32);
}
