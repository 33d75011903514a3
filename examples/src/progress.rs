//! Progress of a push on stderr, out of the way of the result on stdout.
//! On a terminal: a bar per layer being uploaded (bytes, rate, ETA) and a
//! total, drawn by indicatif. Elsewhere (CI logs): a plain line every few
//! seconds and one at each layer's end, no escape codes. With `--quiet`:
//! nothing. Log lines (`-v`) are written between redraws, so they do not
//! tear the bars.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ecrkit::push::{BlobEvent, ImageProgress};
use ecrkit::registry::UploadState;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::output::{human_size, mib, short_digest};

/// The bars on screen, if any: log lines and errors clear or suspend them.
static BARS: Mutex<Option<MultiProgress>> = Mutex::new(None);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A display callback that panicked leaves its state usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Sets up `-v` logging on stderr: `RUST_LOG` if set, else `error` with
/// `--quiet`, ecrkit's warnings by default, then `info`, `debug` and
/// `trace` of everything.
///
/// `RUST_LOG` takes `target=level` directives (`warn,ecrkit::registry=debug`),
/// tracing-subscriber's `Targets`: the span and field filters of its
/// `EnvFilter` would compile a regular-expression engine into the program
/// for what nobody types at a push.
pub fn init_logging(verbose: u8, quiet: bool) {
    use tracing::level_filters::LevelFilter;
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let level = match (quiet, verbose) {
        (true, _) => LevelFilter::ERROR,
        // The dependencies' warnings (aws-config's for each credentials
        // source that had nothing) repeat what the one error line says.
        (false, 0) => LevelFilter::ERROR,
        (false, 1) => LevelFilter::INFO,
        (false, 2) => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    };
    let mut filter = Targets::new().with_default(level);
    if !quiet && verbose == 0 {
        filter = filter.with_target("ecrkit", LevelFilter::WARN);
    }
    let mut unreadable = None;
    if let Ok(directives) = std::env::var("RUST_LOG") {
        match directives.parse::<Targets>() {
            Ok(chosen) => filter = chosen,
            Err(e) => unreadable = Some((directives, e)),
        }
    }
    let log = tracing_subscriber::fmt::layer()
        .with_writer(|| LogLine(Vec::new()))
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(verbose >= 2);
    tracing_subscriber::registry().with(log).with(filter).init();
    if let Some((directives, e)) = unreadable {
        tracing::warn!("RUST_LOG={directives:?} is not read ({e}); logging as the flags say");
    }
}

/// One formatted log event, written to stderr when dropped: between two
/// redraws of the bars when they are on screen.
struct LogLine(Vec<u8>);

impl Write for LogLine {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LogLine {
    fn drop(&mut self) {
        let write = || {
            let _ = std::io::stderr().lock().write_all(&self.0);
        };
        match lock(&BARS).as_ref() {
            Some(bars) => bars.suspend(write),
            None => write(),
        }
    }
}

/// Takes the bars off the screen (before an error is printed).
pub fn clear_bars() {
    if let Some(bars) = lock(&BARS).take() {
        let _ = bars.clear();
    }
}

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Bars on a terminal.
    Bars,
    /// Plain lines, every `interval` and at each layer's end.
    Lines {
        /// Between two progress lines.
        interval: Duration,
    },
    /// Nothing.
    Off,
}

impl Style {
    /// Bars if stderr is a terminal, lines otherwise; nothing if `quiet`.
    pub fn detect(quiet: bool, interval: Duration) -> Style {
        if quiet {
            Style::Off
        } else if std::io::stderr().is_terminal() {
            Style::Bars
        } else {
            Style::Lines { interval }
        }
    }
}

/// Where a blob stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobState {
    /// Its digest (or a name, for a layer whose digest is not known yet).
    pub digest: String,
    /// Its size.
    pub size: u64,
    /// Bytes the service acknowledged (through the registry: sent).
    pub acked: u64,
    /// Through the registry, the offset the registry acknowledged (its
    /// bytes go out before they are acknowledged, a chunk at a time).
    pub committed: Option<u64>,
    /// Its upload, once started (through the registry, its URL).
    pub upload_id: Option<String>,
    /// Whether the repository has it (it was there, or its upload finished).
    pub done: bool,
    /// Whether it was there before the push.
    pub present: bool,
}

#[derive(Default)]
struct State {
    blobs: Vec<BlobState>,
    /// Bytes acknowledged when this push started (resumed uploads).
    resumed: u64,
    /// When the first upload started.
    first_start: Option<Instant>,
    /// Whether the plan line was printed.
    announced: bool,
    /// Whether the display ended.
    finished: bool,
    /// Uploads being resumed, by blob: their ids are known before they start.
    resuming: HashMap<String, String>,
    bars: HashMap<String, ProgressBar>,
    total: Option<ProgressBar>,
}

impl State {
    fn find(&mut self, digest: &str) -> Option<&mut BlobState> {
        self.blobs.iter_mut().find(|b| b.digest == digest)
    }

    /// (bytes acknowledged, bytes to send, blobs done, blobs to upload),
    /// over the blobs this push uploads.
    fn totals(&self) -> (u64, u64, usize, usize) {
        let uploads = self.blobs.iter().filter(|b| !b.present);
        let (mut acked, mut size, mut done, mut count) = (0, 0, 0, 0);
        for b in uploads {
            acked += b.acked;
            size += b.size;
            done += usize::from(b.done);
            count += 1;
        }
        (acked, size, done, count)
    }

    fn plan_line(&self, words: &Words, label: &str) -> String {
        let (_, size, _, count) = self.totals();
        let present = self.blobs.iter().filter(|b| b.present).count();
        format!(
            "{} {label}: {count} blob(s) to {} ({} MiB), {present} already in {}",
            words.verb,
            words.action,
            mib(size),
            words.place
        )
    }

    fn progress_line(&self, words: &Words) -> String {
        let (acked, size, done, count) = self.totals();
        let elapsed = self.first_start.map_or(0.0, |t| t.elapsed().as_secs_f64());
        let sent = acked.saturating_sub(self.resumed) as f64;
        let rate = if elapsed > 0.0 { sent / elapsed } else { 0.0 };
        let percent = acked.saturating_mul(100).checked_div(size).unwrap_or(100);
        let eta = if rate > 0.0 {
            format!(", ETA {:.0} s", size.saturating_sub(acked) as f64 / rate)
        } else {
            String::new()
        };
        format!(
            "progress: {} of {} MiB ({percent}%), {done} of {count} blob(s) {}, {:.1} MiB/s{eta}",
            mib(acked),
            mib(size),
            words.done,
            rate / 1_048_576.0
        )
    }
}

/// The words a display says of its transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Words {
    /// The command (`push`).
    pub verb: &'static str,
    /// What happens to a blob (`upload`).
    pub action: &'static str,
    /// A blob once sent (`uploaded`).
    pub done: &'static str,
    /// Where a blob that is not sent already is (`the repository`).
    pub place: &'static str,
}

/// A push's words.
pub const PUSH: Words = Words {
    verb: "push",
    action: "upload",
    done: "uploaded",
    place: "the repository",
};

/// The display of one transfer (a push, pull or copy).
#[derive(Clone)]
pub struct Display {
    inner: Arc<Inner>,
}

struct Inner {
    style: Style,
    words: Words,
    label: String,
    state: Mutex<State>,
    multi: Option<MultiProgress>,
    ticker: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Called with every blob's state after an upload starts, a part is
    /// acknowledged or a blob finishes (the push journal).
    on_change: Mutex<Option<ChangeFn>>,
}

impl BlobState {
    /// The bytes its upload continues from: what the service acknowledged.
    pub fn acknowledged(&self) -> u64 {
        self.committed.unwrap_or(self.acked)
    }
}

/// What [`Display::on_change`] calls.
pub type ChangeFn = Arc<dyn Fn(&[BlobState]) + Send + Sync>;

fn present_line(words: &Words, digest: &str) -> String {
    format!(
        "present  {}  (already in {})",
        label_of(digest),
        words.place
    )
}

/// How a blob is named on screen: a short digest, or (for a layer file
/// whose digest is not known yet) its name, cut to the column's width.
fn label_of(key: &str) -> String {
    if key.starts_with("sha256:") {
        return short_digest(key).to_owned();
    }
    let name = key.rsplit('/').next().unwrap_or(key);
    match name.char_indices().nth(19) {
        Some((cut, _)) => name[..cut].to_owned(),
        None => name.to_owned(),
    }
}

fn layer_style() -> ProgressStyle {
    ProgressStyle::with_template(
        "{prefix:19} [{wide_bar}] {bytes:>10} / {total_bytes:<10} {binary_bytes_per_sec:>12}  ETA {eta:>3}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ")
}

fn total_style() -> ProgressStyle {
    ProgressStyle::with_template(
        "{prefix:19} [{wide_bar}] {bytes:>10} / {total_bytes:<10} {binary_bytes_per_sec:>12}  ETA {eta:>3}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("## ")
}

impl Display {
    /// A display for a push described by `label` (`demo/app:v1`). Lines
    /// mode starts its ticker on the current tokio runtime.
    pub fn new(style: Style, label: impl Into<String>) -> Display {
        Display::with_words(style, PUSH, label)
    }

    /// A display of a transfer that `words` describe.
    pub fn with_words(style: Style, words: Words, label: impl Into<String>) -> Display {
        let multi = (style == Style::Bars).then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10));
            *lock(&BARS) = Some(multi.clone());
            multi
        });
        let display = Display {
            inner: Arc::new(Inner {
                style,
                words,
                label: label.into(),
                state: Mutex::new(State::default()),
                multi,
                ticker: Mutex::new(None),
                on_change: Mutex::new(None),
            }),
        };
        if let Style::Lines { interval } = style {
            let weak = Arc::downgrade(&display.inner);
            let ticker = tokio::spawn(async move {
                let mut tick =
                    tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
                loop {
                    tick.tick().await;
                    let Some(inner) = weak.upgrade() else { break };
                    let state = lock(&inner.state);
                    if state.first_start.is_some() {
                        eprintln!("{}", state.progress_line(&inner.words));
                    }
                }
            });
            *lock(&display.inner.ticker) = Some(ticker);
        }
        display
    }

    /// Calls `f` with every blob's state after each upload start,
    /// acknowledged part and finished blob.
    pub fn on_change(self, f: ChangeFn) -> Self {
        *lock(&self.inner.on_change) = Some(f);
        self
    }

    /// A blob event from the library.
    pub fn on_image(&self, p: ImageProgress) {
        self.on(
            &p.digest,
            &p.event,
            p.progress.bytes_sent,
            p.progress.bytes_total,
        );
    }

    /// A blob event: `sent` bytes acknowledged of `total`.
    pub fn on(&self, digest: &str, event: &BlobEvent, sent: u64, total: Option<u64>) {
        let inner = &self.inner;
        let mut state = lock(&inner.state);
        let size = total.unwrap_or(0);
        match event {
            BlobEvent::Present | BlobEvent::Queued => {
                let present = *event == BlobEvent::Present;
                let upload_id = state.resuming.get(digest).cloned();
                state.blobs.push(BlobState {
                    digest: digest.to_owned(),
                    size,
                    acked: sent,
                    committed: None,
                    upload_id,
                    done: present,
                    present,
                });
                if !present {
                    state.resumed += sent;
                }
                // In lines mode they follow the plan line (`announce`).
                if present && inner.multi.is_some() {
                    self.line(present_line(&inner.words, digest));
                }
            }
            BlobEvent::Started { upload_id } => {
                if state.first_start.is_none() {
                    state.first_start = Some(Instant::now());
                    self.announce(&mut state);
                }
                if let Some(blob) = state.find(digest) {
                    blob.upload_id = Some(upload_id.clone());
                    blob.acked = sent;
                }
                if let Some(multi) = &inner.multi {
                    let (acked, to_send, done, count) = state.totals();
                    // A bar joins the display before it ticks: one that
                    // ticked alone would draw where the display cannot clear.
                    let total = state.total.get_or_insert_with(|| {
                        let bar = ProgressBar::new(to_send)
                            .with_style(total_style())
                            .with_position(acked);
                        let bar = multi.add(bar);
                        bar.enable_steady_tick(Duration::from_millis(200));
                        bar
                    });
                    total.set_prefix(format!("total {done}/{count} blobs"));
                    let bar = ProgressBar::new(size)
                        .with_style(layer_style())
                        .with_prefix(label_of(digest))
                        .with_position(sent);
                    let bar = match &state.total {
                        Some(total) => multi.insert_before(total, bar),
                        None => multi.add(bar),
                    };
                    bar.enable_steady_tick(Duration::from_millis(200));
                    state.bars.insert(digest.to_owned(), bar);
                }
            }
            BlobEvent::Part => {
                if let Some(blob) = state.find(digest) {
                    blob.acked = sent.max(blob.acked);
                }
                if let Some(bar) = state.bars.get(digest) {
                    bar.set_position(sent);
                }
                self.update_total(&state);
            }
            BlobEvent::Finished => {
                if let Some(blob) = state.find(digest) {
                    blob.acked = blob.size;
                    blob.done = true;
                }
                if let Some(bar) = state.bars.remove(digest) {
                    bar.finish_and_clear();
                    if let Some(multi) = &inner.multi {
                        multi.remove(&bar);
                    }
                }
                self.update_total(&state);
                self.line(format!(
                    "{} {}  {}",
                    inner.words.done,
                    label_of(digest),
                    human_size(size)
                ));
            }
            _ => {}
        }
        if matches!(
            event,
            BlobEvent::Started { .. } | BlobEvent::Part | BlobEvent::Finished
        ) && let Some(f) = lock(&inner.on_change).clone()
        {
            f(&state.blobs);
        }
    }

    /// Lines mode: the plan, then the blobs the repository has, once.
    fn announce(&self, state: &mut State) {
        if state.announced || !matches!(self.inner.style, Style::Lines { .. }) {
            return;
        }
        state.announced = true;
        eprintln!("{}", state.plan_line(&self.inner.words, &self.inner.label));
        for blob in state.blobs.iter().filter(|b| b.present) {
            eprintln!("{}", present_line(&self.inner.words, &blob.digest));
        }
    }

    fn update_total(&self, state: &State) {
        if let Some(total) = &state.total {
            let (acked, size, done, count) = state.totals();
            // A pull or copy learns its blobs as they start.
            total.set_length(size);
            total.set_position(acked);
            total.set_prefix(format!("total {done}/{count} blobs"));
        }
    }

    /// A line above the bars, or on its own.
    fn line(&self, text: String) {
        match (&self.inner.multi, self.inner.style) {
            (Some(multi), _) => {
                let _ = multi.println(text);
            }
            (None, Style::Lines { .. }) => eprintln!("{text}"),
            _ => {}
        }
    }

    /// Tells the display which uploads a push resumes (blob digest →
    /// upload id, bytes), so that it can report them before they start.
    pub fn with_uploads(self, resuming: &HashMap<String, (String, u64)>) -> Self {
        lock(&self.inner.state).resuming = resuming
            .iter()
            .map(|(digest, (id, _))| (digest.clone(), id.clone()))
            .collect();
        self
    }

    /// Forgets a blob's upload (the service no longer has it).
    pub fn forget_upload(&self, digest: &str) {
        let mut state = lock(&self.inner.state);
        state.resuming.remove(digest);
        if let Some(blob) = state.find(digest) {
            blob.upload_id = None;
        }
    }

    /// The blobs the repository has now: present before, or uploaded.
    pub fn done(&self) -> Vec<String> {
        lock(&self.inner.state)
            .blobs
            .iter()
            .filter(|b| b.done)
            .map(|b| b.digest.clone())
            .collect()
    }

    /// The uploads that stopped partway: (digest, upload id, bytes
    /// acknowledged), for the command that resumes them.
    pub fn unfinished(&self) -> Vec<(String, String, u64)> {
        lock(&self.inner.state)
            .blobs
            .iter()
            .filter(|b| !b.done && b.acknowledged() > 0)
            .filter_map(|b| Some((b.digest.clone(), b.upload_id.clone()?, b.acknowledged())))
            .collect()
    }

    /// A registry upload's new state (its URL, the offset acknowledged).
    pub fn on_upload_state(&self, upload: &UploadState) {
        let Some(digest) = &upload.digest else {
            return;
        };
        let mut state = lock(&self.inner.state);
        let Some(blob) = state.find(digest) else {
            return;
        };
        blob.upload_id = Some(upload.location.clone());
        blob.committed = Some(upload.offset);
        if let Some(f) = lock(&self.inner.on_change).clone() {
            f(&state.blobs);
        }
    }

    /// Ends the display (once; later calls do nothing): bars off the
    /// screen, the ticker stopped; in lines mode the plan if no upload
    /// started, and a last progress line if one did.
    pub fn finish(&self) {
        if let Some(ticker) = lock(&self.inner.ticker).take() {
            ticker.abort();
        }
        let mut state = lock(&self.inner.state);
        if std::mem::replace(&mut state.finished, true) {
            return;
        }
        if !state.blobs.is_empty() {
            self.announce(&mut state);
        }
        if let Some(total) = state.total.take() {
            total.finish_and_clear();
        }
        for (_, bar) in state.bars.drain() {
            bar.finish_and_clear();
        }
        if let Some(multi) = &self.inner.multi {
            let _ = multi.clear();
            lock(&BARS).take();
        }
        if matches!(self.inner.style, Style::Lines { .. }) && state.first_start.is_some() {
            eprintln!("{}", state.progress_line(&self.inner.words));
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(ticker) = lock(&self.ticker).take() {
            ticker.abort();
        }
    }
}
