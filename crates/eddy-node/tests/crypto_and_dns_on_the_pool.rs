//! crypto and dns run on the pool and give Node's answers.

use std::cell::RefCell;
use std::rc::Rc;

use eddy_node::crypto;

#[test]
fn known_answers() {
    let got = Rc::new(RefCell::new(Vec::new()));
    let g = got.clone();
    eddy_node::run(move || {
        let g1 = g.clone();
        crypto::hash("sha256", "abc", move |d| {
            g1.borrow_mut().push(crypto::to_hex(&d.unwrap()))
        });
        let g2 = g.clone();
        // RFC 7914 test vector: PBKDF2-HMAC-SHA256("passwd", "salt", 1, 64).
        crypto::pbkdf2("passwd", "salt", 1, 64, "sha256", move |k| {
            g2.borrow_mut().push(crypto::to_hex(&k.unwrap()[..8]))
        });
        let g3 = g.clone();
        crypto::random_bytes(16, move |b| {
            g3.borrow_mut().push(b.unwrap().len().to_string())
        });
        let g4 = g.clone();
        crypto::hash("md4", "x", move |r| {
            g4.borrow_mut().push(r.unwrap_err().code().to_owned())
        });
        let g5 = g.clone();
        eddy_node::dns::lookup("localhost", move |a| {
            g5.borrow_mut()
                .push(format!("dns {}", !a.unwrap().is_empty()))
        });
    })
    .unwrap();
    let mut got = got.borrow().clone();
    got.sort();
    let mut want = vec![
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".to_owned(),
        "55ac046e56e3089f".to_owned(),
        "16".to_owned(),
        "ERR_CRYPTO_INVALID_DIGEST".to_owned(),
        "dns true".to_owned(),
    ];
    want.sort();
    assert_eq!(got, want);
}
