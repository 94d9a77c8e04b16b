//! What the client shows: progress bars on stderr (only when it is a terminal), tables and
//! sizes on stdout, or JSON with `--json`.

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;
use std::io::IsTerminal;

/// A progress bar with bytes, speed and ETA; hidden when stderr is not a terminal.
#[derive(Clone)]
pub struct Progress(ProgressBar);

impl Progress {
    pub fn bar(name: &str, total: u64) -> Self {
        let bar = ProgressBar::with_draw_target(Some(total), draw_target());
        let style = ProgressStyle::with_template(
            "{msg:20!} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(name.to_owned());
        Self(bar)
    }

    pub fn inc(&self, n: u64) {
        self.0.inc(n);
    }

    pub fn set_position(&self, n: u64) {
        self.0.set_position(n);
    }

    /// A line above the bar (shown only where the bar is).
    pub fn note(&self, text: &str) {
        if !self.0.is_hidden() {
            self.0.println(text);
        }
    }

    pub fn finish(&self) {
        self.0.finish_and_clear();
    }

    pub fn abandon(&self) {
        self.0.abandon();
    }
}

fn draw_target() -> ProgressDrawTarget {
    if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
}

/// Prints `value` as pretty JSON.
pub fn json(value: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

/// A byte count for people.
pub fn size(bytes: &Value) -> String {
    match bytes.as_i64() {
        Some(n) if n >= 0 => HumanBytes(n.unsigned_abs()).to_string(),
        Some(n) => format!("-{}", HumanBytes(n.unsigned_abs())),
        None => String::from("?"),
    }
}

/// A text cell of a JSON value (strings without quotes).
pub fn cell(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Prints rows as left-aligned columns under `headers`.
pub fn table(headers: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                let pad = widths[i].saturating_sub(cell.chars().count());
                text.push_str(cell);
                text.push_str(&" ".repeat(pad + 2));
            }
        }
        println!("{}", text.trim_end());
    };
    line(headers.iter().map(|h| (*h).to_owned()).collect());
    for row in rows {
        line(row.clone());
    }
}

/// A bar of `width` characters for `part` of `whole`.
pub fn share_bar(part: i64, whole: i64, width: usize) -> String {
    let filled = if whole > 0 {
        ((part.max(0) as f64 / whole as f64) * width as f64).round() as usize
    } else {
        0
    };
    let filled = filled.min(width);
    format!("{}{}", "█".repeat(filled), "·".repeat(width - filled))
}
