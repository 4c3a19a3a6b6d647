//! Key derivation, hashing and random bytes on the thread pool (Node's
//! `crypto.pbkdf2`, `crypto.scrypt`, `crypto.randomBytes`, and
//! `createHash(...).digest()` as one call), all from the RustCrypto crates.

use sha2::{Digest, Sha256, Sha512};

use crate::Error;
use crate::work::queue_work;

fn unknown_digest(name: &str) -> Error {
    Error::new(
        "ERR_CRYPTO_INVALID_DIGEST",
        format!("Invalid digest: {name}"),
    )
}

/// Derives `key_len` bytes with PBKDF2-HMAC (`digest`: `"sha256"` or
/// `"sha512"`).
///
/// ```
/// eddy_node::run(|| {
///     eddy_node::crypto::pbkdf2("pw", "salt", 1000, 32, "sha256", |key| {
///         assert_eq!(key.unwrap().len(), 32);
///     });
/// })?;
/// # Ok::<(), eddy_node::Error>(())
/// ```
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn pbkdf2(
    password: impl Into<Vec<u8>>,
    salt: impl Into<Vec<u8>>,
    iterations: u32,
    key_len: usize,
    digest: &str,
    cb: impl FnOnce(Result<Vec<u8>, Error>) + 'static,
) {
    let (password, salt, digest) = (password.into(), salt.into(), digest.to_ascii_lowercase());
    queue_work(
        move || {
            if iterations == 0 {
                return Err(Error::new("ERR_OUT_OF_RANGE", "iterations must be >= 1"));
            }
            let mut key = vec![0; key_len];
            match digest.as_str() {
                "sha256" => pbkdf2::pbkdf2_hmac::<Sha256>(&password, &salt, iterations, &mut key),
                "sha512" => pbkdf2::pbkdf2_hmac::<Sha512>(&password, &salt, iterations, &mut key),
                other => return Err(unknown_digest(other)),
            }
            Ok(key)
        },
        cb,
    );
}

/// Derives `key_len` bytes with scrypt, Node's defaults (N = 16384, r = 8,
/// p = 1).
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn scrypt(
    password: impl Into<Vec<u8>>,
    salt: impl Into<Vec<u8>>,
    key_len: usize,
    cb: impl FnOnce(Result<Vec<u8>, Error>) + 'static,
) {
    let (password, salt) = (password.into(), salt.into());
    queue_work(
        move || {
            let params = scrypt::Params::new(14, 8, 1, key_len.max(10))
                .map_err(|e| Error::new("ERR_CRYPTO_INVALID_SCRYPT_PARAMS", e.to_string()))?;
            let mut key = vec![0; key_len];
            scrypt::scrypt(&password, &salt, &params, &mut key)
                .map_err(|e| Error::new("ERR_CRYPTO_INVALID_KEYLEN", e.to_string()))?;
            Ok(key)
        },
        cb,
    );
}

/// `len` bytes from the OS's secure random source.
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn random_bytes(len: usize, cb: impl FnOnce(Result<Vec<u8>, Error>) + 'static) {
    queue_work(
        move || {
            let mut bytes = vec![0; len];
            getrandom::getrandom(&mut bytes)
                .map_err(|e| Error::new("ERR_CRYPTO_RANDOM", e.to_string()))?;
            Ok(bytes)
        },
        cb,
    );
}

/// The digest of `data` (`algorithm`: `"sha256"` or `"sha512"`).
///
/// # Panics
/// If called outside a running loop.
#[track_caller]
pub fn hash(
    algorithm: &str,
    data: impl Into<Vec<u8>>,
    cb: impl FnOnce(Result<Vec<u8>, Error>) + 'static,
) {
    let (algorithm, data) = (algorithm.to_ascii_lowercase(), data.into());
    queue_work(
        move || match algorithm.as_str() {
            "sha256" => Ok(Sha256::digest(&data).to_vec()),
            "sha512" => Ok(Sha512::digest(&data).to_vec()),
            other => Err(unknown_digest(other)),
        },
        cb,
    );
}

/// Lower-case hex of `bytes` (Node's `digest('hex')`).
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
