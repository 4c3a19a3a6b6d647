//! The `eddy::io` helpers over real sockets: `read_exact` at end-of-file,
//! `copy`, buffered line reading and writing.

use std::io;

use eddy::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use eddy::net::UnixStream;
use futures_lite::StreamExt;

fn run<F: Future>(f: F) -> F::Output {
    eddy::runtime::Builder::new_current_thread()
        .build()
        .expect("build runtime")
        .block_on(f)
}

#[test]
fn read_exact_at_eof_is_unexpected_eof() {
    run(async {
        let (mut a, mut b) = UnixStream::pair()?;
        a.write_all(b"abc").await?;
        drop(a);
        let mut buf = [0u8; 4];
        let err = b.read_exact(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        Ok::<(), io::Error>(())
    })
    .unwrap();
}

#[test]
fn copy_moves_everything_between_sockets() {
    run(async {
        let (mut src_w, src_r) = UnixStream::pair()?;
        let (dst_w, mut dst_r) = UnixStream::pair()?;
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        let expected = data.clone();
        let producer = eddy::spawn(async move {
            src_w.write_all(&data).await?;
            src_w.close().await
        });
        let pump = eddy::spawn(async move {
            let (mut r, mut w) = (src_r, dst_w);
            let n = eddy::io::copy(&mut r, &mut w).await?;
            w.close().await?;
            Ok::<_, io::Error>(n)
        });
        let mut got = Vec::new();
        dst_r.read_to_end(&mut got).await?;
        producer.await.expect("producer")?;
        assert_eq!(pump.await.expect("pump")?, expected.len() as u64);
        assert_eq!(got, expected);
        Ok::<(), io::Error>(())
    })
    .unwrap();
}

#[test]
fn buffered_lines_over_a_socket() {
    run(async {
        let (a, b) = UnixStream::pair()?;
        let writer = eddy::spawn(async move {
            let mut w = BufWriter::new(a);
            for i in 0..100 {
                w.write_all(format!("line {i}\n").as_bytes()).await?;
            }
            w.flush().await?;
            w.close().await
        });
        let mut lines = BufReader::new(b).lines();
        let mut n = 0;
        while let Some(line) = lines.next().await {
            assert_eq!(line?, format!("line {n}"));
            n += 1;
        }
        assert_eq!(n, 100);
        writer.await.expect("writer")?;
        Ok::<(), io::Error>(())
    })
    .unwrap();
}

#[test]
fn split_any_stream_with_io_split() {
    run(async {
        let (a, b) = UnixStream::pair()?;
        let (mut r, mut w) = eddy::io::split(a);
        w.write_all(b"via io::split").await?;
        let mut b_buf = [0u8; 13];
        (&b).read_exact(&mut b_buf).await?;
        (&b).write_all(&b_buf).await?;
        let mut back = [0u8; 13];
        r.read_exact(&mut back).await?;
        assert_eq!(&back, b"via io::split");
        Ok::<(), io::Error>(())
    })
    .unwrap();
}
