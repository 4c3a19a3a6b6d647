//! Whole-file reads: `fs::read`, `fs::read_to_string` and
//! `File::read_to_end` size the vector once from the file's metadata (no
//! reallocation, no oversized capacity), stay byte-exact for files large
//! enough to get the huge-page hint, still work when the size is unknown
//! (procfs), and name the path in their errors.

use std::path::PathBuf;

use eddy::fs::File;
use eddy::io::AsyncReadExt;
use futures_lite::AsyncSeekExt;

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("eddy-whole-{name}-{}", std::process::id()))
}

/// Deterministic bytes that differ at every offset of a small period.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

/// 20 MiB plus a ragged tail: several 2 MiB huge pages and chunks.
const LARGE: usize = 20 * 1024 * 1024 + 12_345;

#[eddy::test]
async fn read_is_byte_exact_and_sized_once() {
    let path = temp_path("read");
    let data = pattern(LARGE);
    std::fs::write(&path, &data).unwrap();
    let got = eddy::fs::read(&path).await.unwrap();
    assert!(got == data, "content differs");
    assert_eq!(got.capacity(), LARGE + 1, "reserved once, exactly");
    std::fs::remove_file(&path).unwrap();
}

#[eddy::test]
async fn read_to_end_reserves_the_rest_once_and_keeps_read_ahead_first() {
    let path = temp_path("rte");
    let data = pattern(LARGE);
    std::fs::write(&path, &data).unwrap();

    let mut file = File::open(&path).await.unwrap();
    let mut all = Vec::new();
    assert_eq!(file.read_to_end(&mut all).await.unwrap(), LARGE);
    assert!(all == data, "content differs");
    assert_eq!(all.capacity(), LARGE + 1, "no reallocation on the way");

    // After a seek and a small read (which leaves read-ahead in the file's
    // buffer), the rest still comes back in order.
    let mut file = File::open(&path).await.unwrap();
    file.seek(std::io::SeekFrom::Start(1000)).await.unwrap();
    let mut head = [0u8; 10];
    file.read_exact(&mut head).await.unwrap();
    assert_eq!(head, data[1000..1010]);
    let mut rest = vec![9u8];
    let n = file.read_to_end(&mut rest).await.unwrap();
    assert_eq!(n, LARGE - 1010);
    assert_eq!(rest[0], 9);
    assert!(rest[1..] == data[1010..], "content differs");
    std::fs::remove_file(&path).unwrap();
}

#[eddy::test]
async fn files_without_a_known_size_are_read_whole() {
    // procfs reports size 0 for files that do have content.
    let status = eddy::fs::read_to_string("/proc/self/status").await.unwrap();
    assert!(status.contains("Pid:"), "{status}");
    let mut file = File::open("/proc/self/status").await.unwrap();
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).await.unwrap();
    assert!(String::from_utf8(bytes).unwrap().contains("Pid:"));
}

#[eddy::test]
async fn read_to_string_rejects_invalid_utf8_naming_the_path() {
    let path = temp_path("utf8");
    std::fs::write(&path, [b'o', b'k', 0xff, 0xfe]).unwrap();
    let err = eddy::fs::read_to_string(&path).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert!(err.to_string().contains(&*path.to_string_lossy()), "{err}");
    std::fs::remove_file(&path).unwrap();
}
