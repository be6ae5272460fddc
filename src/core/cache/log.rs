//! The invalidation log: one KV record per applied invalidation, listed newest first, each
//! expiring after the log TTL.

use crate::core::clock::Millis;
use crate::core::keys::Scope;

/// Hard: covered entries are gone. Soft: they are only served stale while being refreshed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Gone at once.
    #[default]
    Hard,
    /// Stale from now on (within each entry's stale-while-revalidate window).
    Soft,
}

/// An invalidation to apply: what, how hard, who asked.
///
/// ```
/// use edgecache::core::{Invalidation, Mode};
/// let purge = Invalidation::tag("articles").and_key("home").soft().by("django").id("msg_1");
/// assert_eq!(purge.mode(), Mode::Soft);
/// assert_eq!(purge.scopes().len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Invalidation {
    pub(crate) scopes: Vec<Scope>,
    pub(crate) mode: Mode,
    pub(crate) actor: String,
    pub(crate) request_id: Option<String>,
}

impl Invalidation {
    /// Invalidates the given scopes.
    pub fn of(scopes: impl IntoIterator<Item = Scope>) -> Self {
        Self { scopes: scopes.into_iter().collect(), mode: Mode::Hard, actor: "api".into(), request_id: None }
    }
    /// Every version of one key.
    pub fn key(key: impl Into<String>) -> Self {
        Self::of([Scope::Key(key.into())])
    }
    /// Every entry with a tag.
    pub fn tag(tag: impl Into<String>) -> Self {
        Self::of([Scope::Tag(tag.into())])
    }
    /// Every key under a prefix ending in `/` or `:`.
    pub fn prefix(prefix: impl Into<String>) -> Self {
        Self::of([Scope::Prefix(prefix.into())])
    }
    /// Everything in the key space.
    pub fn everything() -> Self {
        Self::of([Scope::Everything])
    }
    /// Adds a key.
    pub fn and_key(mut self, key: impl Into<String>) -> Self {
        self.scopes.push(Scope::Key(key.into()));
        self
    }
    /// Adds a tag.
    pub fn and_tag(mut self, tag: impl Into<String>) -> Self {
        self.scopes.push(Scope::Tag(tag.into()));
        self
    }
    /// Adds a prefix.
    pub fn and_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.scopes.push(Scope::Prefix(prefix.into()));
        self
    }
    /// Makes it soft.
    pub fn soft(mut self) -> Self {
        self.mode = Mode::Soft;
        self
    }
    /// Sets the mode.
    pub fn mode_of(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }
    /// Who asked (logged).
    pub fn by(mut self, actor: impl Into<String>) -> Self {
        self.actor = actor.into();
        self
    }
    /// The request's id (a `webhook-id`; logged).
    pub fn id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = Some(request_id.into());
        self
    }
    /// The scopes.
    #[must_use]
    pub fn scopes(&self) -> &[Scope] {
        &self.scopes
    }
    /// The mode.
    #[must_use]
    pub fn mode(&self) -> Mode {
        self.mode
    }
}

/// What the log keeps of one applied invalidation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct LogRecord {
    /// When it was applied.
    pub at: Millis,
    /// What it covered.
    pub scopes: Vec<Scope>,
    /// Hard or soft.
    pub mode: Mode,
    /// Who asked.
    pub actor: String,
    /// The request's id, if it had one.
    pub request_id: Option<String>,
    /// For version bumps: the new managed version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_version: Option<u64>,
}

/// The outcome of an applied invalidation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Applied {
    /// The record as logged.
    pub record: LogRecord,
    /// KV writes the stamps took.
    pub writes: usize,
    /// Whether the log record was written (the invalidation holds either way).
    pub logged: bool,
}

/// A page of the log, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogPage {
    /// Records, newest first.
    pub records: Vec<LogRecord>,
    /// Continue from here.
    pub cursor: Option<String>,
}
