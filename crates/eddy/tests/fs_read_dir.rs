//! `read_dir`: every entry listed once (more than one batch), through both
//! `next_entry` and the `Stream` impl; entries' types and metadata.

use std::collections::BTreeSet;
use std::path::PathBuf;

use futures_lite::StreamExt;

fn temp_dir(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("eddy-readdir-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).unwrap();
    path
}

#[eddy::test]
async fn lists_every_entry_once_across_batches() {
    let dir = temp_dir("many");
    let expected: BTreeSet<String> = (0..100).map(|i| format!("entry-{i:03}")).collect();
    for name in &expected {
        std::fs::write(dir.join(name), name).unwrap();
    }
    let mut entries = eddy::fs::read_dir(&dir).await.unwrap();
    let mut seen = BTreeSet::new();
    while let Some(entry) = entries.next_entry().await.unwrap() {
        assert_eq!(entry.path(), dir.join(entry.file_name()));
        let name = entry.file_name().into_string().unwrap();
        assert!(seen.insert(name), "listed twice");
    }
    assert_eq!(seen, expected);
    // The end stays the end.
    assert!(entries.next_entry().await.unwrap().is_none());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[eddy::test]
async fn the_stream_yields_entries_with_types_and_metadata() {
    let dir = temp_dir("stream");
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::fs::write(dir.join("file"), "12345").unwrap();
    let entries: Vec<_> = eddy::fs::read_dir(&dir)
        .await
        .unwrap()
        .collect::<Vec<_>>()
        .await;
    assert_eq!(entries.len(), 2);
    for entry in entries {
        let entry = entry.unwrap();
        let file_type = entry.file_type().await.unwrap();
        match entry.file_name().to_str().unwrap() {
            "sub" => assert!(file_type.is_dir()),
            "file" => {
                assert!(file_type.is_file());
                assert_eq!(entry.metadata().await.unwrap().len(), 5);
            }
            other => panic!("unexpected entry {other}"),
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[eddy::test]
async fn an_empty_directory_lists_nothing() {
    let dir = temp_dir("empty");
    let mut entries = eddy::fs::read_dir(&dir).await.unwrap();
    assert!(entries.next_entry().await.unwrap().is_none());
    std::fs::remove_dir_all(&dir).unwrap();
}
