//! Logging set-up: `tracing` to stderr, filtered by `RUST_LOG` / `--log`.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; later calls (tests) are ignored.
pub fn init(filter: &str) {
    let filter = EnvFilter::try_new(without_message_text(filter)).unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).try_init();
}

/// The Socket.IO crates' debug logs quote whole packets, message text
/// included, and Confab never logs what people write: they stay at `info`
/// unless the filter names them on purpose.
fn without_message_text(filter: &str) -> String {
    let mut filter = filter.trim().to_owned();
    for target in ["socketioxide", "engineioxide"] {
        if !filter.contains(target) {
            if !filter.is_empty() {
                filter.push(',');
            }
            filter.push_str(target);
            filter.push_str("=info");
        }
    }
    filter
}

#[cfg(test)]
mod tests {
    use super::without_message_text;

    #[test]
    fn socket_io_packets_stay_out_of_debug_logs() {
        assert_eq!(without_message_text("debug"), "debug,socketioxide=info,engineioxide=info");
        assert_eq!(without_message_text(""), "socketioxide=info,engineioxide=info");
        assert_eq!(
            without_message_text("info,socketioxide=trace"),
            "info,socketioxide=trace,engineioxide=info",
            "asked for on purpose"
        );
    }
}
