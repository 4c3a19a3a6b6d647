//! The command line: `delayserver [--host 127.0.0.1] [--port 8080]
//! [--max-delay MS] [--quiet]`, parsed with clap.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use clap::Parser;

/// An HTTP server answering `GET /{delay_ms}/{message}` with the message
/// after delay_ms milliseconds.
#[derive(Debug, Parser)]
#[command(name = "delayserver", version, about)]
pub(crate) struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub(crate) host: IpAddr,

    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    pub(crate) port: u16,

    /// Longest delay a request may ask for, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 60_000)]
    pub(crate) max_delay: u64,

    /// Do not log requests.
    #[arg(long)]
    pub(crate) quiet: bool,
}

impl Args {
    /// The address to bind.
    pub(crate) fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }

    /// The delay cap.
    pub(crate) fn max_delay(&self) -> Duration {
        Duration::from_millis(self.max_delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let args = Args::try_parse_from(["delayserver"]).unwrap();
        assert_eq!(args.addr(), "127.0.0.1:8080".parse().unwrap());
        assert_eq!(args.max_delay(), Duration::from_secs(60));
        assert!(!args.quiet);
    }

    #[test]
    fn every_option() {
        let args = Args::try_parse_from([
            "delayserver",
            "--host",
            "::1",
            "--port",
            "0",
            "--max-delay",
            "250",
            "--quiet",
        ])
        .unwrap();
        assert_eq!(args.addr(), "[::1]:0".parse().unwrap());
        assert_eq!(args.max_delay(), Duration::from_millis(250));
        assert!(args.quiet);
    }

    #[test]
    fn bad_values_are_errors() {
        assert!(Args::try_parse_from(["delayserver", "--port", "70000"]).is_err());
        assert!(Args::try_parse_from(["delayserver", "--host", "nowhere"]).is_err());
        assert!(Args::try_parse_from(["delayserver", "--max-delay", "-1"]).is_err());
    }
}
