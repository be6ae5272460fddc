//! The `Cache-Status` response header (RFC 9211).

/// What the cache did for one request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[must_use]
pub struct CacheStatus {
    hit: bool,
    fwd: Option<&'static str>,
    fwd_status: Option<u16>,
    ttl: Option<i64>,
    stored: bool,
    collapsed: bool,
    detail: Option<String>,
}

impl CacheStatus {
    /// Served from the cache without going forward.
    pub fn hit(ttl_secs: i64) -> Self {
        Self { hit: true, ttl: Some(ttl_secs), ..Self::default() }
    }
    /// Went forward to the origin: `uri-miss`, `vary-miss`, `miss`, `stale`, `method`, `bypass`,
    /// `request`.
    pub fn forward(why: &'static str) -> Self {
        Self { fwd: Some(why), ..Self::default() }
    }
    /// Marks a stale hit that also went forward (stale-if-error, stale-while-revalidate).
    pub fn and_forward(mut self, why: &'static str) -> Self {
        self.fwd = Some(why);
        self
    }
    /// The origin's status.
    pub fn fwd_status(mut self, status: u16) -> Self {
        self.fwd_status = Some(status);
        self
    }
    /// The remaining freshness, in seconds (negative when stale).
    pub fn ttl(mut self, secs: i64) -> Self {
        self.ttl = Some(secs);
        self
    }
    /// The response was stored.
    pub fn stored(mut self, stored: bool) -> Self {
        self.stored = stored;
        self
    }
    /// The request waited for another one's origin fetch.
    pub fn collapsed(mut self, collapsed: bool) -> Self {
        self.collapsed = collapsed;
        self
    }
    /// A short explanation.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// The header value.
    ///
    /// ```
    /// use edgecache::core::http::CacheStatus;
    /// assert_eq!(CacheStatus::hit(42).header(), "edgecache; hit; ttl=42");
    /// assert_eq!(CacheStatus::forward("uri-miss").fwd_status(200).stored(true).header(), "edgecache; fwd=uri-miss; fwd-status=200; stored");
    /// ```
    #[must_use]
    pub fn header(&self) -> String {
        let mut out = String::from("edgecache");
        if self.hit {
            out.push_str("; hit");
        }
        if let Some(fwd) = self.fwd {
            out.push_str("; fwd=");
            out.push_str(fwd);
        }
        if let Some(status) = self.fwd_status {
            out.push_str(&format!("; fwd-status={status}"));
        }
        if let Some(ttl) = self.ttl {
            out.push_str(&format!("; ttl={ttl}"));
        }
        if self.stored {
            out.push_str("; stored");
        }
        if self.collapsed {
            out.push_str("; collapsed");
        }
        if let Some(detail) = &self.detail {
            let token = detail.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
            if token {
                out.push_str(&format!("; detail={detail}"));
            } else {
                out.push_str(&format!("; detail=\"{}\"", detail.replace(['"', '\\'], "")));
            }
        }
        out
    }
}
