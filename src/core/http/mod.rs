//! HTTP caching decisions for the edge, on plain data: what may be stored and for how long,
//! how stored responses are encoded, conditional requests, `Cache-Status`, cache keys.

mod conditional;
mod date;
mod directives;
mod headers;
mod key;
mod policy;
mod range;
mod revalidation;
mod status;
mod stored;
mod variants;

pub use conditional::{entity_tags, not_modified, NOT_MODIFIED_HEADERS};
pub use date::{format_http_date, parse_http_date};
pub use directives::Directives;
pub use headers::{end_to_end, fill_headers, header, set_header, HeaderList, EDGE_ONLY};
pub use key::{after_scheme, cache_key};
pub use policy::{decide, Decision, EdgePolicy, Lifetime};
pub use range::{select_range, RangeAnswer};
pub use status::CacheStatus;
pub use stored::{NotAResponse, StoredResponse, UnencodableResponse};
