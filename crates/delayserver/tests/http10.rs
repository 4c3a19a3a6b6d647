//! HTTP/1.0 clients: the connection closes after each response unless the
//! client asks for `Connection: keep-alive`.

mod util;

use util::{Client, server};

#[test]
fn http10_closes_after_the_response() {
    let server = server();
    let mut client = Client::connect(server.local_addr());
    client.send("GET /5/old HTTP/1.0\r\n\r\n");
    let response = client.response();
    assert_eq!((response.status, response.text()), (200, "old"));
    assert_eq!(response.header("Connection"), Some("close"));
    client.assert_closed();
}

#[test]
fn http10_keep_alive_is_honoured_and_announced() {
    let server = server();
    let mut client = Client::connect(server.local_addr());
    for word in ["one", "two", "three"] {
        client.send(format!(
            "GET /0/{word} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
        ));
        let response = client.response();
        assert_eq!(response.text(), word);
        assert_eq!(response.header("Connection"), Some("keep-alive"));
    }
    client.send("GET /0/bye HTTP/1.0\r\n\r\n");
    assert_eq!(client.response().text(), "bye");
    client.assert_closed();
}
