//! HTTP/1.1 with Node's `http` shape: [`create_server`] and the client
//! calls [`get`] / [`request`] (plus `_async` twins). Both sides speak
//! keep-alive, `Content-Length` and chunked bodies, parsed by `httparse`.
//! The server streams request bodies ([`Request::on_data`]); the client
//! reads a response body whole (up to [`MAX_RESPONSE_BODY`]).

mod body;
mod client;
mod header;
mod server;

pub(crate) use client::Agent;
pub use client::{
    ClientResponse, MAX_RESPONSE_BODY, get, get_async, request, request_async, request_with_timeout,
};
pub use server::{
    DEFAULT_HEADERS_TIMEOUT, DEFAULT_KEEP_ALIVE_TIMEOUT, MAX_BODY, Request, Response, Server,
    create_server,
};

/// The largest request or response head (16 KiB, as Node): a server answers
/// `431` beyond it.
pub const MAX_HEAD_SIZE: usize = 16 * 1024;
/// The most headers a message may carry (more gets `431`).
pub const MAX_HEADERS: usize = 100;

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The reason phrase for a status code.
fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}
