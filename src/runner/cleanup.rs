//! Cleanup and URL safety: the registry of what a run created, the paths it may delete (one resource by
//! one segment, whatever the server answered), the sweep of the run prefix, and the listing of what
//! earlier runs left behind (`scimtest clean`).

use std::sync::Mutex;

use serde_json::Value;

use super::report::Cleanup;
use crate::client::{Client, ClientConfig, Exchange, Request};
use crate::exit::Exit;
use crate::suite::{self, Step};

/// Resources this run created, deleted at the end (paths relative to the base URL).
#[derive(Debug, Default)]
pub struct Registry {
    paths: Mutex<Vec<String>>,
}

impl Registry {
    pub fn add(&self, path: String) {
        let mut paths = self.paths.lock().expect("registry lock");
        if !paths.contains(&path) {
            paths.push(path);
        }
    }

    pub(super) fn remove(&self, path: &str) {
        self.paths.lock().expect("registry lock").retain(|p| p != path);
    }

    /// Deletes everything registered: groups first (so member removals don't churn), then the rest.
    pub async fn clean(&self, client: &Client) -> (usize, usize, Vec<String>) {
        let paths: Vec<String> = std::mem::take(&mut *self.paths.lock().expect("registry lock"));
        delete_all(client, paths).await
    }

    pub fn len(&self) -> usize {
        self.paths.lock().expect("registry lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One page of `collection` whose `name` attribute starts with `prefix` (the server's filter asks for it,
/// but each name is checked here: the filter is not trusted), as (id, name), with how many resources the
/// server listed on the page. `Err` when the listing failed.
pub(super) async fn listed_page(
    client: &Client,
    collection: &str,
    name: &str,
    prefix: &str,
    start: usize,
) -> Result<(Vec<(String, String)>, usize), String> {
    let mut request = Request::new(reqwest::Method::GET, collection);
    request.query = vec![
        ("filter".into(), format!("{name} sw \"{prefix}\"")),
        ("startIndex".into(), start.to_string()),
        ("count".into(), "100".into()),
        ("attributes".into(), name.into()),
    ];
    let ex = client.send(&request).await;
    let body = ex.json().filter(|_| ex.status == Some(200)).ok_or_else(|| {
        format!(
            "GET {collection} answered {}",
            ex.status.map_or(ex.error.clone().unwrap_or_default(), |s| s.to_string())
        )
    })?;
    let resources = body.get("Resources").and_then(Value::as_array).cloned().unwrap_or_default();
    let matching = resources
        .iter()
        .filter_map(|r| {
            let found = crate::schema::get_ci(r.as_object()?, name)?.1.as_str()?;
            let id = r.get("id")?.as_str()?;
            found.starts_with(prefix).then(|| (id.to_string(), found.to_string()))
        })
        .collect();
    Ok((matching, resources.len()))
}

/// The ids of `collection` whose `name` starts with the run prefix and a `-` (the first page: what is left
/// after a run's cleanup is small). `None` when the listing failed.
pub(super) async fn listed_with_prefix(
    client: &Client,
    collection: &str,
    name: &str,
    prefix: &str,
) -> Option<Vec<String>> {
    let (page, _) = listed_page(client, collection, name, &format!("{prefix}-"), 1).await.ok()?;
    Some(page.into_iter().map(|(id, _)| id).collect())
}

/// Deletes each path, groups first (so member removals don't churn). Returns (deleted, already gone, and
/// each refusal as `DELETE <path>: <answer>`).
pub async fn delete_all(client: &Client, paths: Vec<String>) -> (usize, usize, Vec<String>) {
    let (groups, users): (Vec<String>, Vec<String>) = paths.into_iter().partition(|p| p.starts_with("/Groups/"));
    let (mut deleted, mut gone, mut failed) = (0, 0, Vec::new());
    // Groups first, all of them answered before any user is deleted; within each, several DELETEs in
    // flight, so a remote endpoint's latency is paid per batch, not per resource.
    for batch in [groups, users] {
        let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(DELETES_IN_FLIGHT));
        let mut set = tokio::task::JoinSet::new();
        for (i, path) in batch.into_iter().enumerate() {
            let (client, permits) = (client.clone(), permits.clone());
            set.spawn(async move {
                let _permit = permits.acquire_owned().await;
                let ex = client.send(&Request::new(reqwest::Method::DELETE, &path)).await;
                (i, path, ex.status, ex.error)
            });
        }
        let mut answers = Vec::new();
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok(answer) => answers.push(answer),
                Err(e) => failed.push(format!("a DELETE did not finish: {e}")),
            }
        }
        // In the order they were registered, whatever order they were answered in.
        answers.sort_by_key(|a| a.0);
        for (_, path, status, error) in answers {
            match status {
                Some(s) if (200..300).contains(&s) => deleted += 1,
                Some(404) => gone += 1,
                _ => failed
                    .push(format!("DELETE {path}: {}", status.map_or(error.unwrap_or_default(), |s| s.to_string()))),
            }
        }
    }
    (deleted, gone, failed)
}

/// DELETE requests a cleanup keeps in flight at once.
const DELETES_IN_FLIGHT: usize = 8;

/// `scimtest clean`: lists what earlier runs left behind and, with `delete`, deletes it. Returns the exit
/// code: 0 when nothing is left or all of it was deleted, 1 when something could not be deleted, 2 when the
/// endpoint cannot be listed.
pub fn clean(config: ClientConfig, delete: bool) -> Exit {
    let client = match Client::new(config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}\n  fix: pass the SCIM base URL, e.g. --url https://example.com/scim/v2");
            return Exit::Usage;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return Exit::Usage;
        }
    };
    let found = match runtime.block_on(leftovers(&client)) {
        Ok(found) => found,
        Err(e) => {
            eprintln!("error: cannot list what earlier runs left: {e}");
            return Exit::Usage;
        }
    };
    for l in &found {
        println!("{}  {}", l.path, l.name);
    }
    if found.is_empty() {
        println!("nothing left by earlier scimtest runs");
        return Exit::Pass;
    }
    if !delete {
        println!("{} resources left by earlier scimtest runs; run again with --delete to delete them", found.len());
        return Exit::Pass;
    }
    let total = found.len();
    let (deleted, gone, failed) = runtime.block_on(delete_all(&client, found.into_iter().map(|l| l.path).collect()));
    for f in &failed {
        eprintln!("could not delete: {f}");
    }
    println!("deleted {} of {total}", deleted + gone);
    if failed.is_empty() { Exit::Pass } else { Exit::Fail }
}

/// Whether `name` is one a scimtest run gives: `scimtest-` and a six-hex-digit run tag, then `-`.
pub(super) fn made_by_a_run(name: &str) -> bool {
    name.strip_prefix("scimtest-")
        .and_then(|rest| rest.get(..7))
        .is_some_and(|tag| tag.ends_with('-') && tag[..6].bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A resource an earlier run left behind: its path and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    pub path: String,
    pub name: String,
}

/// The users and groups earlier scimtest runs left behind (named `scimtest-<run tag>-…`), found by
/// listing and checked name by name (the server's filter is not trusted), up to 2,000 of each.
pub async fn leftovers(client: &Client) -> Result<Vec<Leftover>, String> {
    let mut found = Vec::new();
    for (collection, attribute) in [("/Groups", "displayName"), ("/Users", "userName")] {
        let mut start = 1;
        while start <= 2000 {
            let (page, listed) = listed_page(client, collection, attribute, "scimtest-", start).await?;
            for (id, name) in page {
                if let Some(path) = resource_path(collection, &id).filter(|_| made_by_a_run(&name))
                    && !found.iter().any(|l: &Leftover| l.path == path)
                {
                    found.push(Leftover { path, name });
                }
            }
            if listed < 100 {
                break;
            }
            start += listed;
        }
    }
    Ok(found)
}

/// Deletes the users and groups whose name starts with the run prefix and a `-` (every name a run gives
/// does): what the run created but could not register (a create whose answer was lost). The server's
/// filter is not trusted: a resource is deleted only if its own `userName` or `displayName` starts so.
/// Returns (deleted, problems).
pub async fn sweep(client: &Client, run_prefix: &str) -> (usize, Vec<String>) {
    let (mut deleted, mut problems) = (0, Vec::new());
    for (collection, name) in [("/Groups", "displayName"), ("/Users", "userName")] {
        // Each id once: a server that still lists what it deleted must not loop the sweep.
        let mut tried = std::collections::HashSet::new();
        // A few pages at most: what is left over after the registry's cleanup is small.
        for _ in 0..10 {
            let found: Vec<String> = listed_with_prefix(client, collection, name, run_prefix)
                .await
                .unwrap_or_default()
                .into_iter()
                .filter(|id| tried.insert(id.clone()))
                .collect();
            if found.is_empty() {
                break;
            }
            let before = deleted;
            for id in found {
                let Some(path) = resource_path(collection, &id) else {
                    problems
                        .push(format!("{collection}: the id `{id}` cannot be put in a URL path; delete it by hand"));
                    continue;
                };
                let ex = client.send(&Request::new(reqwest::Method::DELETE, &path)).await;
                match ex.status {
                    Some(s) if (200..300).contains(&s) || s == 404 => deleted += 1,
                    _ => problems.push(format!(
                        "DELETE {path}: {}",
                        ex.status.map_or(ex.error.unwrap_or_default(), |s| s.to_string())
                    )),
                }
            }
            if deleted == before {
                break;
            }
        }
    }
    (deleted, problems)
}

/// Whether a path segment is empty, `.` or `..` (also percent-encoded): URL parsers resolve those, so
/// `/Users/..` would reach something else than a user.
pub(super) fn dot_segment(segment: &str) -> bool {
    let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
    decoded.is_empty() || decoded == "." || decoded == ".."
}

/// `/Users/<id>` for an id the server gave, percent-encoded into one path segment; `None` when it cannot
/// be one. What the run deletes is always such a path: a hostile id never aims a DELETE elsewhere.
pub fn resource_path(collection: &str, id: &str) -> Option<String> {
    let encoded = crate::client::percent_encode(id, crate::client::SEGMENT_SAFE);
    (!dot_segment(&encoded)).then(|| format!("{collection}/{encoded}"))
}

/// The whole cleanup of a run: what the registry holds, then (unless the run was read-only and created
/// nothing) a sweep of the run prefix. Returns (deleted, already gone, failures).
pub async fn clean_up(registry: &Registry, client: &Client, run_prefix: &str, read_only: bool) -> Cleanup {
    let (deleted, gone, mut failed) = registry.clean(client).await;
    if read_only {
        return Cleanup { deleted, gone, failed, still_listed: Vec::new() };
    }
    let (swept, problems) = sweep(client, run_prefix).await;
    failed.extend(problems);
    // Verified: what the server still lists after answering every DELETE.
    let mut still_listed = Vec::new();
    for (collection, name) in [("/Groups", "displayName"), ("/Users", "userName")] {
        for id in listed_with_prefix(client, collection, name, run_prefix).await.unwrap_or_default() {
            still_listed.push(format!("{collection}/{id}"));
        }
    }
    Cleanup { deleted: deleted + swept, gone, failed, still_listed }
}

/// `%XX` sequences decoded (invalid ones kept as they are).
pub(super) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The resource a location names, as a path relative to the base URL (`/Users/abc`): its path must be
/// the base's path, a collection and exactly one segment — which is decoded and encoded again, so it stays
/// one segment. Anything else (another path, `Users/x/Users/victim`, a dot segment) names nothing.
pub(super) fn relative(location: &str, base: &str) -> Option<String> {
    // Dot segments are refused before the URL parser resolves them away.
    let lower = location.to_ascii_lowercase();
    let path = lower.split(['?', '#']).next().unwrap_or_default();
    if path.split('/').any(|seg| matches!(seg.replace("%2e", ".").as_str(), "." | "..")) {
        return None;
    }
    let base = reqwest::Url::parse(base).ok()?;
    let url = base.join(location).ok()?;
    let rest = url.path().strip_prefix(base.path().trim_end_matches('/'))?;
    let (collection, id) = ["/Users", "/Groups"]
        .iter()
        .find_map(|c| rest.strip_prefix(c).and_then(|r| r.strip_prefix('/')).map(|id| (*c, id)))?;
    if id.contains('/') {
        return None;
    }
    resource_path(collection, &percent_decode(id))
}

/// The resource a PUT names, when the path names one (`/Users/<one segment>`), not a collection.
pub(super) fn put_target(path: &str) -> Option<String> {
    let (collection, id) = ["/Users/", "/Groups/"].iter().find_map(|c| path.strip_prefix(c).map(|id| (c, id)))?;
    (!id.contains('/') && !dot_segment(id)).then(|| format!("{collection}{id}"))
}

/// Registers what an exchange created and forgets what it deleted.
pub(super) fn track(registry: &Registry, step: &Step, path: &str, ex: &Exchange, base: &str) {
    let Some(status) = ex.status else { return };
    match step.method {
        suite::Method::Delete if (200..300).contains(&status) || status == 404 => registry.remove(path),
        suite::Method::Post | suite::Method::Put if status == 201 => {
            let body = ex.json();
            let id = body.as_ref().and_then(|b| b.get("id")).and_then(Value::as_str);
            let target = path.split('?').next().unwrap_or(path).trim_end_matches('/');
            // What the run will delete is derived so that no answer can aim it elsewhere: a PUT that
            // created names its resource itself (never a collection); a POST's resource is the collection
            // and the answer's id as one encoded segment, the Location only when there is no id.
            let created = if step.method == suite::Method::Put {
                put_target(target)
            } else {
                match (target.rsplit('/').next(), id) {
                    (Some(kind @ ("Users" | "Groups")), Some(id)) => resource_path(&format!("/{kind}"), id),
                    _ => ex.header("location").and_then(|l| relative(l, base)),
                }
            };
            if let Some(p) = created {
                registry.add(p);
            }
        }
        suite::Method::Post if path.ends_with("/Bulk") => {
            let ops = ex.json().and_then(|b| b.get("Operations").cloned());
            for op in ops.as_ref().and_then(Value::as_array).into_iter().flatten() {
                let method = op.get("method").and_then(Value::as_str).unwrap_or_default();
                let ok =
                    op.get("status").and_then(|s| s.as_str().map(str::to_string).or(s.as_u64().map(|n| n.to_string())));
                let location = op.get("location").and_then(Value::as_str).and_then(|l| relative(l, base));
                match (method.to_ascii_uppercase().as_str(), ok.as_deref(), location) {
                    ("POST", Some("201"), Some(l)) => registry.add(l),
                    ("DELETE", Some(s), Some(l)) if s.starts_with('2') => registry.remove(&l),
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_run_deletes_is_always_one_resource_by_one_segment() {
        let base = "https://scim.example.com/v2";
        // A Location must be the base, a collection and one segment; the segment is re-encoded.
        assert_eq!(relative("https://scim.example.com/v2/Users/abc", base).as_deref(), Some("/Users/abc"));
        assert_eq!(relative("/v2/Groups/a%20b", base).as_deref(), Some("/Groups/a%20b"));
        assert_eq!(relative("https://scim.example.com/v2/Users/x%2Fy", base).as_deref(), Some("/Users/x%2Fy"));
        for hostile in [
            "https://scim.example.com/v2/Users/../Users/canary",
            "https://scim.example.com/v2/Users/%2e%2e",
            "https://scim.example.com/v2/Groups/x/Users/victim",
            "https://scim.example.com/other/Users/abc",
            "https://scim.example.com/v2/Users/",
            "https://scim.example.com/v2/Users",
        ] {
            assert_eq!(relative(hostile, base), None, "{hostile}");
        }
        // An id becomes one encoded segment, or nothing.
        assert_eq!(resource_path("/Users", "a/b?c").as_deref(), Some("/Users/a%2Fb%3Fc"));
        assert_eq!(resource_path("/Users", ".."), None);
        assert_eq!(resource_path("/Users", ""), None);
        // A PUT that created names its resource; a collection is never registered.
        assert_eq!(put_target("/Users/abc").as_deref(), Some("/Users/abc"));
        assert_eq!(put_target("/Users"), None);
        assert_eq!(put_target("/Users/a/b"), None);
        assert_eq!(percent_decode("a%2Fb%zz%4"), "a/b%zz%4");
    }
}
