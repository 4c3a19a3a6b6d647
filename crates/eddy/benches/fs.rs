//! Reading a 100 MiB file: `std::fs::read` on a plain thread (the
//! baseline), Eddy's `fs::read` and `File` + `read_to_end`, and tokio's
//! same two, in the same run. The file is written once and stays in the
//! page cache, so this measures the runtime's overhead, not the disk.
//!
//! Run: `cargo bench -p eddy --bench fs` (add `-- --quick` on a busy
//! machine).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const SIZE: usize = 100 * 1024 * 1024;

fn bench_file() -> PathBuf {
    let path = std::env::temp_dir().join(format!("eddy-bench-fs-{}", std::process::id()));
    let data: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, data).expect("write the benchmark file");
    path
}

fn read_100_mib(c: &mut Criterion) {
    let path = bench_file();
    let mut group = c.benchmark_group("read_100_mib");
    group.throughput(Throughput::Bytes(SIZE as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));

    group.bench_function("std_fs_read_plain_thread", |b| {
        b.iter(|| black_box(std::fs::read(&path).unwrap().len()))
    });

    let eddy_rt = eddy::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    group.bench_function("eddy_fs_read", |b| {
        b.iter(|| eddy_rt.block_on(async { black_box(eddy::fs::read(&path).await.unwrap().len()) }))
    });
    group.bench_function("eddy_file_read_to_end", |b| {
        b.iter(|| {
            eddy_rt.block_on(async {
                // File's own read_to_end (appends on the pool, no copy).
                let mut file = eddy::fs::File::open(&path).await.unwrap();
                let mut buf = Vec::new();
                file.read_to_end(&mut buf).await.unwrap();
                black_box(buf.len())
            })
        })
    });

    group.bench_function("eddy_file_generic_read_to_end", |b| {
        b.iter(|| {
            eddy_rt.block_on(async {
                // futures' AsyncReadExt::read_to_end over File::poll_read.
                let mut file = eddy::fs::File::open(&path).await.unwrap();
                let mut buf = Vec::new();
                eddy::io::AsyncReadExt::read_to_end(&mut file, &mut buf)
                    .await
                    .unwrap();
                black_box(buf.len())
            })
        })
    });

    let tokio_rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    group.bench_function("tokio_fs_read", |b| {
        b.iter(|| {
            tokio_rt.block_on(async { black_box(tokio::fs::read(&path).await.unwrap().len()) })
        })
    });
    group.bench_function("tokio_file_read_to_end", |b| {
        b.iter(|| {
            tokio_rt.block_on(async {
                use tokio::io::AsyncReadExt;
                let mut file = tokio::fs::File::open(&path).await.unwrap();
                let mut buf = Vec::new();
                file.read_to_end(&mut buf).await.unwrap();
                black_box(buf.len())
            })
        })
    });
    group.finish();
    let _ = std::fs::remove_file(&path);
}

criterion_group!(benches, read_100_mib);
criterion_main!(benches);
