//! Hash routes of the page. Pure: [`Route::parse`] reads `location.hash`;
//! the `use_route` hook in `components::knowledge` follows `hashchange`.
//!
//! Only fragments starting with `#/` are routes. Anything else (empty, a
//! share link's `#v2.…`, a plain anchor) is [`Route::Home`], left for
//! whoever owns it: the router never rewrites a fragment it does not know.

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// The paste and the diagnosis (and any fragment that is not `#/…`).
    Home,
    /// `#/causes`: the knowledge base index (`?q=` pre-fills the search).
    Causes { query: String },
    /// `#/causes/<id>`: one cause's page (the id may be unknown).
    Cause(String),
    /// `#/collect`: the diagnosis page with the collector panel open.
    Collect,
}

pub const CAUSES: &str = "#/causes";
pub const COLLECT: &str = "#/collect";
pub const HOME: &str = "#/";

/// The link to a cause's page.
pub fn cause_href(id: &str) -> String {
    format!("{CAUSES}/{}", encode(id))
}

/// The link to the index with a search.
pub fn search_href(query: &str) -> String {
    format!("{CAUSES}?q={}", encode(query))
}

impl Route {
    pub fn parse(hash: &str) -> Route {
        let Some(path) = hash.strip_prefix("#/") else {
            return Route::Home;
        };
        let (path, query) = match path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path, None),
        };
        let path = path.trim_end_matches('/');
        if path == "causes" {
            let q = query
                .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("q=")))
                .map(decode)
                .unwrap_or_default();
            return Route::Causes { query: q };
        }
        if let Some(id) = path.strip_prefix("causes/") {
            return Route::Cause(decode(id));
        }
        if path == "collect" {
            return Route::Collect;
        }
        Route::Home
    }

    /// Shown instead of the diagnosis page.
    pub fn is_knowledge_base(&self) -> bool {
        matches!(self, Route::Causes { .. } | Route::Cause(_))
    }
}

/// Percent-encode what a fragment should not carry raw.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'(' | b')' | b':')
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decode `%XX` (and `+` as a space); bad escapes stay as they are.
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(Route::parse(""), Route::Home);
        assert_eq!(Route::parse("#"), Route::Home);
        assert_eq!(Route::parse("#/"), Route::Home);
        assert_eq!(
            Route::parse("#v1.eNqrVkrLz1eyUkpKLFKqBQApvQVx"),
            Route::Home
        );
        assert_eq!(Route::parse("#paste"), Route::Home);
        assert_eq!(
            Route::parse("#/causes"),
            Route::Causes {
                query: String::new()
            }
        );
        assert_eq!(
            Route::parse("#/causes/"),
            Route::Causes {
                query: String::new()
            }
        );
        assert_eq!(
            Route::parse("#/causes/socket_permission"),
            Route::Cause("socket_permission".into())
        );
        assert_eq!(Route::parse("#/collect"), Route::Collect);
        assert_eq!(Route::parse("#/nope"), Route::Home);
    }

    #[test]
    fn hrefs_round_trip() {
        for q in [
            "(13: Permission denied)",
            "prematurely closed",
            "a&b=c%d+e/f#g",
            "é ☃",
            "%zz",
        ] {
            assert_eq!(
                Route::parse(&search_href(q)),
                Route::Causes { query: q.into() },
                "{q}"
            );
        }
        assert_eq!(cause_href("upstream_down"), "#/causes/upstream_down");
        assert_eq!(
            Route::parse(&cause_href("<img src=x>")),
            Route::Cause("<img src=x>".into())
        );
        assert_eq!(
            Route::parse("#/causes?q=100%25%2"),
            Route::Causes {
                query: "100%%2".into()
            }
        );
    }
}
