//! `eddy::fs::File`: chunked reads and writes larger than the buffer,
//! seeking (also after read-ahead), write errors surfacing later, set_len,
//! sync, clones, std conversions, and cancellation of a read in flight.

use std::io::SeekFrom;
use std::path::PathBuf;
use std::pin::pin;
use std::task::{Context, Poll};

use eddy::fs::{File, OpenOptions};
use eddy::io::{AsyncReadExt, AsyncWriteExt};
use futures_lite::AsyncSeekExt;

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("eddy-file-{name}-{}", std::process::id()))
}

/// Deterministic bytes that differ at every offset of a small period.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[eddy::test]
async fn a_file_larger_than_the_buffer_round_trips_byte_exact() {
    let path = temp_path("large");
    let data = pattern(300_000);
    let mut file = File::create(&path).await.unwrap();
    file.set_max_buf_size(64 * 1024);
    file.write_all(&data).await.unwrap();
    file.sync_all().await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), data);

    let mut file = File::open(&path).await.unwrap();
    file.set_max_buf_size(10_000);
    let mut back = Vec::new();
    file.read_to_end(&mut back).await.unwrap();
    assert!(back == data, "read back differs");
    std::fs::remove_file(&path).unwrap();
}

#[eddy::test]
async fn seeks_from_start_end_and_current_including_after_read_ahead() {
    let path = temp_path("seek");
    std::fs::write(&path, b"0123456789").unwrap();
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .await
        .unwrap();
    let mut two = [0; 2];
    // This read fetches the whole file into the buffer; the logical position is 2.
    file.read_exact(&mut two).await.unwrap();
    assert_eq!(&two, b"01");
    assert_eq!(file.seek(SeekFrom::Current(0)).await.unwrap(), 2);
    assert_eq!(file.seek(SeekFrom::Current(3)).await.unwrap(), 5);
    file.read_exact(&mut two).await.unwrap();
    assert_eq!(&two, b"56");
    assert_eq!(file.seek(SeekFrom::End(-1)).await.unwrap(), 9);
    file.read_exact(&mut two[..1]).await.unwrap();
    assert_eq!(two[0], b'9');
    assert_eq!(file.seek(SeekFrom::Start(1)).await.unwrap(), 1);
    file.read_exact(&mut two[..1]).await.unwrap();
    // A write after read-ahead goes to the logical position (2), not the
    // OS position past the buffered bytes.
    file.write_all(b"XY").await.unwrap();
    file.flush().await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"01XY456789");
    let err = file.seek(SeekFrom::Current(-100)).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("seek"), "{err}");
    std::fs::remove_file(&path).unwrap();
}

#[eddy::test]
async fn a_write_error_surfaces_on_flush() {
    // Writing to a read-only file descriptor fails on the pool; the write
    // itself was reported done, the failure shows on flush.
    let path = temp_path("ro");
    std::fs::write(&path, b"x").unwrap();
    let mut file = File::open(&path).await.unwrap();
    assert_eq!(file.write(b"data").await.unwrap(), 4);
    let err = file.flush().await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("write {}: ", path.display())),
        "{err}"
    );
    // Reported once.
    file.flush().await.unwrap();
    std::fs::remove_file(&path).unwrap();
}

#[eddy::test]
async fn set_len_sync_data_metadata_and_try_clone() {
    let path = temp_path("setlen");
    let mut file = File::create(&path).await.unwrap();
    file.write_all(b"hello").await.unwrap();
    file.set_len(2).await.unwrap();
    file.sync_data().await.unwrap();
    assert_eq!(file.metadata().await.unwrap().len(), 2);
    let mut clone = file.try_clone().await.unwrap();
    clone.write_all(b"++").await.unwrap();
    clone.flush().await.unwrap();
    // Shared position: the clone wrote at 5 (the original's position).
    assert_eq!(std::fs::read(&path).unwrap(), b"he\0\0\0++");
    std::fs::remove_file(&path).unwrap();
}

#[eddy::test]
async fn into_std_and_from_std_keep_the_logical_position() {
    let path = temp_path("std");
    std::fs::write(&path, b"abcdef").unwrap();
    let mut file = File::open(&path).await.unwrap();
    let mut one = [0; 1];
    file.read_exact(&mut one).await.unwrap();
    let mut std_file = file.into_std().await;
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut std_file, &mut rest).unwrap();
    assert_eq!(rest, "bcdef");
    std::io::Seek::seek(&mut std_file, SeekFrom::Start(4)).unwrap();
    let mut file = File::from_std(std_file);
    let mut tail = Vec::new();
    file.read_to_end(&mut tail).await.unwrap();
    assert_eq!(tail, b"ef");
    assert!(file.try_into_std().is_ok());
    std::fs::remove_file(&path).unwrap();
}

#[eddy::test]
async fn a_dropped_read_future_does_not_corrupt_later_reads() {
    let path = temp_path("cancel");
    let data = pattern(50_000);
    std::fs::write(&path, &data).unwrap();
    let mut file = File::open(&path).await.unwrap();
    file.set_max_buf_size(4096);
    let mut got = Vec::new();
    let mut chunk = [0; 1000];
    for _ in 0..20 {
        // Start a read, poll it once (the chunk goes to the pool), drop it.
        {
            let mut read = pin!(file.read(&mut chunk));
            let waker = std::task::Waker::noop();
            if let Poll::Ready(n) = read.as_mut().poll(&mut Context::from_waker(waker)) {
                got.extend_from_slice(&chunk[..n.unwrap()]);
            }
        }
        let n = file.read(&mut chunk).await.unwrap();
        got.extend_from_slice(&chunk[..n]);
    }
    file.read_to_end(&mut got).await.unwrap();
    assert!(got == data, "bytes lost or repeated after cancelled reads");
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn many_files_in_parallel_on_the_multi_thread_runtime() {
    let rt = eddy::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async {
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                eddy::spawn(async move {
                    let path = temp_path(&format!("par{i}"));
                    let data = pattern(20_000 + i * 1000);
                    let mut file = File::create(&path).await.unwrap();
                    file.set_max_buf_size(3000);
                    file.write_all(&data).await.unwrap();
                    file.flush().await.unwrap();
                    let mut back = Vec::new();
                    File::open(&path)
                        .await
                        .unwrap()
                        .read_to_end(&mut back)
                        .await
                        .unwrap();
                    assert!(back == data);
                    std::fs::remove_file(&path).unwrap();
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
}

#[eddy::test]
async fn inherent_read_to_end_appends_after_existing_bytes_and_read_ahead() {
    let path = temp_path("rte");
    let data = pattern(100_000);
    std::fs::write(&path, &data).unwrap();
    let mut file = File::open(&path).await.unwrap();
    file.set_max_buf_size(7000);
    let mut first = [0; 10];
    // Leaves read-ahead in the file's buffer.
    file.read_exact(&mut first).await.unwrap();
    let mut out = b"prefix".to_vec();
    let n = file.read_to_end(&mut out).await.unwrap();
    assert_eq!(n, data.len() - 10);
    assert_eq!(&out[..6], b"prefix");
    assert!(out[6..] == data[10..]);
    std::fs::remove_file(&path).unwrap();
}

#[eddy::test]
async fn a_dropped_read_to_end_loses_no_bytes() {
    let path = temp_path("rte-cancel");
    // Many small chunks: the first poll cannot finish them all.
    let data = pattern(2_000_000);
    std::fs::write(&path, &data).unwrap();
    let mut file = File::open(&path).await.unwrap();
    file.set_max_buf_size(1000);
    let mut out = Vec::new();
    {
        let mut read = pin!(file.read_to_end(&mut out));
        let waker = std::task::Waker::noop();
        assert!(
            read.as_mut()
                .poll(&mut Context::from_waker(waker))
                .is_pending()
        );
    }
    assert!(out.is_empty(), "buf keeps its contents (empty)");
    // The generic AsyncReadExt path picks up the chunk in flight.
    file.set_max_buf_size(1 << 20);
    let mut rest = Vec::new();
    AsyncReadExt::read_to_end(&mut file, &mut rest)
        .await
        .unwrap();
    assert!(rest == data);
    std::fs::remove_file(&path).unwrap();
}
