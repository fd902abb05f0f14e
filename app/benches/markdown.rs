//! How long a message's formatting takes (`app::markdown::to_html`): a
//! 4,000-character message (the longest there is) of everyday chat
//! Markdown, and one of hostile nesting, rendered many times; the mean and
//! the slowest 1% per message. Run by `make bench`; the target is under a
//! millisecond per message.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Renders of each message timed.
const RUNS: usize = 5_000;

/// `piece` repeated up to 4,000 characters.
fn message_of(piece: &str) -> String {
    piece.chars().cycle().take(4_000).collect()
}

fn time(what: &str, text: &str) {
    for _ in 0..200 {
        black_box(app::markdown::to_html(black_box(text)));
    }
    let mut each: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            black_box(app::markdown::to_html(black_box(text)));
            started.elapsed()
        })
        .collect();
    each.sort();
    let mean = each.iter().sum::<Duration>() / RUNS as u32;
    let p99 = each[RUNS * 99 / 100];
    println!(
        "| {what} | {} | {:.1} | {:.1} | {} |",
        text.chars().count(),
        mean.as_secs_f64() * 1e6,
        p99.as_secs_f64() * 1e6,
        if p99 < Duration::from_millis(1) { "yes" } else { "NO" }
    );
}

fn main() {
    println!("| Message | characters | mean µs | p99 µs | under 1 ms |");
    println!("|---|---:|---:|---:|---:|");
    let everyday = "**Heads up:** the *deploy* is at `15:00`, see [the plan](https://example.com/plan?x=1).\n\
                    > last time it took ~~an hour~~ ten minutes\n\n- check the logs\n- ping @mark\n\n\
                    ```\ncargo build --release\n```\n";
    time("everyday formatting", &message_of(everyday));
    time("plain text", &message_of("just words typed into a chat box, nothing else at all; "));
    time("nested emphasis", &message_of("*_"));
    time("open brackets and links", &message_of("[[x](javascript:alert(1)) <b>"));
    time("deep quotes and lists", &message_of("> - > - "));
}
