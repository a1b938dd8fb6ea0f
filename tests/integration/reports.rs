//! The reports of one failing run (issue 14): the HTML report parsed as a browser would (every failing
//! check, each IdP verdict, nothing loaded from anywhere), the HAR file (every exchange, no token), and the
//! HTML, Markdown, JSON and HAR outputs agreeing on every verdict. One run of the `scimtest` binary, shared:
//! the bundled server in Entra's mode with a fault that breaks Entra's group push (so Entra is NOT READY) and
//! one the generated filter checks find, answering errors with the Authorization header
//! it was sent (so the token is in answers the reports must hide).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use scimtest::server::{Fault, ServerConfig};
use scraper::{Html, Selector};
use serde_json::Value;

use crate::util::{Instrumented, Seen};

const TOKEN: &str = "reports-secret-token-5f1c9a";

struct Run {
    dir: PathBuf,
    /// Every request the server saw.
    seen: Vec<Seen>,
    stderr: String,
}

impl Run {
    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.dir.join(file)).unwrap_or_else(|e| panic!("read {file}: {e}\n{}", self.stderr))
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.read("report.json")).expect("the JSON report parses")
    }
    fn har(&self) -> Value {
        serde_json::from_str(&self.read("run.har")).expect("the HAR file parses as JSON")
    }
    fn html(&self) -> Html {
        Html::parse_document(&self.read("report.html"))
    }
}

fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("scimtest-reports-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let rt = crate::util::runtime();
        let server = rt.block_on(Instrumented::start_echoing(ServerConfig {
            token: Some(TOKEN.into()),
            mode: scimtest::selftest::server_mode_for("entra"),
            faults: [Fault::RejectUnknownSchemaUrn, Fault::AndOrPrecedence].into_iter().collect(),
            ..ServerConfig::default()
        }));
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_scimtest"))
            .current_dir(&dir)
            .args(["run", "--url", &server.base_url, "--profile", "rfc,entra,okta", "--cases", "200"])
            .args(["--json", "report.json", "--markdown", "summary.md", "--html", "report.html", "--har", "run.har"])
            .args(["--regressions", "regressions", "--format", "terse", "--color", "never"])
            .env("SCIM_TOKEN", TOKEN)
            .env_remove("SCIM_BASE_URL")
            .env_remove("SCIM_PROFILE")
            .output()
            .expect("run the scimtest binary");
        let seen = server.log.lock().unwrap().clone();
        rt.block_on(server.shutdown());
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "a failing run exits 1\n{stderr}");
        Run { dir, seen, stderr }
    })
}

fn select<'a>(html: &'a Html, selector: &str) -> Vec<scraper::ElementRef<'a>> {
    html.select(&Selector::parse(selector).unwrap()).collect()
}

fn attr<'a>(e: &scraper::ElementRef<'a>, name: &str) -> &'a str {
    e.value().attr(name).unwrap_or_else(|| panic!("`{name}` on {}", e.html()))
}

/// `not_ready` (JSON) and `NOT READY` (HTML, Markdown) are the same verdict.
fn same(verdict: &str) -> String {
    verdict.to_ascii_lowercase().replace(' ', "_")
}

#[test]
fn the_html_report_shows_every_failing_check_each_idp_verdict_and_loads_nothing() {
    let run = run();
    let json = run.json();
    let html = run.html();
    let failing: Vec<(&str, &str)> = json["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "failed" || r["status"] == "blocked")
        .map(|r| (r["name"].as_str().unwrap(), r["status"].as_str().unwrap()))
        .collect();
    assert!(failing.len() >= 2, "the run fails: {failing:?}");
    let cards: BTreeMap<&str, &str> =
        select(&html, "article.failure").iter().map(|a| (attr(a, "data-check"), attr(a, "data-status"))).collect();
    assert_eq!(cards, failing.iter().copied().collect::<BTreeMap<_, _>>(), "one card per failing check");
    // Each card: the requirement, expected versus observed, and a curl line when there was an exchange.
    for card in select(&html, "article.failure") {
        assert!(card.select(&Selector::parse("p.req").unwrap()).next().is_some(), "{}", card.html());
        let generated = card.select(&Selector::parse(".counterexample").unwrap()).next().is_some();
        assert!(generated || card.select(&Selector::parse("table.problems td").unwrap()).next().is_some());
    }
    // A generated counterexample with its seed, as the JSON report has it.
    let seeds: Vec<&str> =
        json["results"].as_array().unwrap().iter().filter_map(|r| r["failure"]["generated"]["seed"].as_str()).collect();
    assert!(!seeds.is_empty(), "the fault is found by a generated check");
    let shown: Vec<String> = select(&html, "code.seed").iter().map(|c| c.text().collect()).collect();
    assert_eq!(shown, seeds);
    // Each identity provider's verdict, at the top.
    let idps: BTreeMap<&str, String> =
        select(&html, "#readiness .idp").iter().map(|d| (attr(d, "data-idp"), same(attr(d, "data-verdict")))).collect();
    let expected: BTreeMap<&str, String> = json["readiness"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["profile"].as_str().unwrap(), r["verdict"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(idps, expected);
    assert_eq!(idps.get("entra").map(String::as_str), Some("not_ready"), "{idps:?}");
    assert!(idps.contains_key("okta"), "{idps:?}");
    // RFC sections are linked.
    assert!(
        select(&html, "a[href]").iter().any(|a| attr(a, "href").starts_with("https://www.rfc-editor.org/rfc/rfc764")),
        "RFC links"
    );
    // Nothing is loaded: no element fetches anything, URLs only on plain links, no CSS import or url().
    for element in select(&html, "*") {
        let tag = element.value().name();
        for (name, value) in element.value().attrs() {
            match name {
                "src" | "srcset" | "data" | "action" | "formaction" | "poster" | "background" | "manifest" => {
                    panic!("<{tag} {name}=\"{value}\"> loads something")
                }
                "href" => assert!(
                    tag == "a" && (value.starts_with('#') || value.starts_with("https://")),
                    "<{tag} href=\"{value}\">"
                ),
                _ => assert!(!value.contains("://") || name.starts_with("data-") || name == "id", "<{tag} {name}>"),
            }
        }
    }
    let styles: String = select(&html, "style").iter().flat_map(|s| s.text()).collect();
    assert!(!styles.contains("url(") && !styles.contains("@import"), "{styles}");
    let script: String = select(&html, "script").iter().flat_map(|s| s.text()).collect();
    assert!(!script.contains("fetch(") && !script.contains("XMLHttpRequest") && !script.contains("://"));
    // The search box and the filters.
    assert_eq!(select(&html, "input#search[type=search]").len(), 1);
    assert_eq!(select(&html, "input.level-filter").len(), 3);
    let options: Vec<String> =
        select(&html, "#idp-filter option").iter().map(|o| attr(o, "value").to_string()).collect();
    assert!(options.iter().any(|o| o == "entra") && options.iter().any(|o| o == "okta"), "{options:?}");
    assert!(!run.read("report.html").contains(TOKEN), "the token is never in the report");
}

#[test]
fn the_har_file_holds_every_exchange_of_the_run_and_no_token() {
    let run = run();
    let text = run.read("run.har");
    assert!(!text.contains(TOKEN), "the token is hidden");
    let har = run.har();
    assert_eq!(har["log"]["version"], "1.2");
    let entries = har["log"]["entries"].as_array().unwrap();
    let path_of = |url: &str| reqwest::Url::parse(url).unwrap().path().to_string();
    let mut logged: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut markers = 0;
    for e in entries {
        let request = &e["request"];
        for field in ["method", "url", "headers", "queryString", "httpVersion"] {
            assert!(!request[field].is_null(), "request.{field} in {e}");
        }
        assert!(e["startedDateTime"].as_str().is_some_and(|t| t.ends_with('Z')), "{e}");
        assert!(e["response"]["status"].as_u64().is_some() && e["timings"]["wait"].as_f64().is_some(), "{e}");
        let auth = request["headers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case("authorization")));
        // The run's own credential is the marker; checks that send a wrong one on purpose show theirs.
        if let Some(auth) = auth.and_then(|a| a["value"].as_str()) {
            assert!(!auth.contains(TOKEN), "{e}");
            markers += usize::from(auth == "Bearer $SCIM_TOKEN");
        }
        *logged
            .entry((request["method"].as_str().unwrap().into(), path_of(request["url"].as_str().unwrap())))
            .or_default() += 1;
    }
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    for s in &run.seen {
        *seen.entry((s.method.clone(), s.path.clone())).or_default() += 1;
    }
    assert!(markers > entries.len() / 2, "{markers} of {} entries carry `Bearer $SCIM_TOKEN`", entries.len());
    // Every request the run sent is an entry, the pre-flight's probes too: they come first.
    assert_eq!(logged, seen, "the HAR's requests and the server's log");
    assert_eq!(entries.len(), run.seen.len());
    let first: Vec<(&str, &str)> = entries[..2]
        .iter()
        .map(|e| (e["request"]["method"].as_str().unwrap(), e["request"]["url"].as_str().unwrap()))
        .collect();
    assert!(
        first[0].0 == "GET" && first[0].1.ends_with("/ServiceProviderConfig") && first[1].1.ends_with("/Users?count=1"),
        "the pre-flight's probes first: {first:?}"
    );
    assert!(entries.iter().any(|e| e["response"]["status"] == 201), "passing checks' exchanges too");
}

#[test]
fn the_html_markdown_json_and_har_outputs_agree_on_every_verdict_and_hold_no_token() {
    let run = run();
    let json = run.json();
    let html = run.html();
    let markdown = run.read("summary.md");
    let har = run.har();
    for file in ["report.json", "summary.md", "report.html", "run.har"] {
        assert!(!run.read(file).contains(TOKEN), "{file} holds the token");
    }
    // The run's verdict, and its wording.
    let verdict = json["verdict"].as_str().unwrap();
    assert_eq!(verdict, "fail");
    assert_eq!(attr(&select(&html, "#verdict")[0], "data-verdict"), verdict);
    assert!(markdown.starts_with("## scimtest: ❌ FAIL\n"), "{markdown}");
    let words = markdown.lines().find_map(|l| l.strip_prefix("**Verdict:** ")).expect("the Markdown verdict line");
    let banner: String = select(&html, "#verdict")[0].text().collect();
    assert_eq!(banner, words);
    assert_eq!(har["log"]["comment"].as_str(), Some(format!("scimtest: {words}").as_str()));
    // The readiness matrix (three profiles) and the conflicts: the same columns and checks as the JSON.
    let columns = json["matrix"]["columns"].as_array().unwrap();
    assert_eq!(columns.len(), 3, "{}", json["matrix"]);
    let heads: Vec<String> = select(&html, "#matrix thead th").iter().skip(1).map(|h| h.text().collect()).collect();
    let want: Vec<String> = columns.iter().map(|c| c["display_name"].as_str().unwrap().to_string()).collect();
    assert_eq!(heads.iter().map(|h| h.split(" — ").next().unwrap().to_string()).collect::<Vec<_>>(), want);
    assert_eq!(select(&html, "#matrix tbody tr").len(), json["matrix"]["rows"].as_array().unwrap().len());
    let conflicts: Vec<&str> =
        json["conflicts"].as_array().unwrap().iter().map(|c| c["check"].as_str().unwrap()).collect();
    let shown: Vec<&str> = select(&html, "#conflicts tr.conflict").iter().map(|t| attr(t, "data-check")).collect();
    assert_eq!(shown, conflicts);
    // Every check's outcome: the JSON report and the HTML report's list of checks.
    let results: Vec<(String, String)> = json["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap().into(), r["status"].as_str().unwrap().into()))
        .collect();
    let rows: Vec<(String, String)> = select(&html, "#checks tr")
        .iter()
        .map(|r| (attr(r, "data-check").into(), attr(r, "data-status").into()))
        .collect();
    assert_eq!(rows, results);
    // Each identity provider's verdict: JSON, HTML and the Markdown table.
    for r in json["readiness"].as_array().unwrap() {
        let (name, v) = (r["profile"].as_str().unwrap(), r["verdict"].as_str().unwrap());
        let card = select(&html, &format!("#readiness .idp[data-idp=\"{name}\"]"));
        assert_eq!(same(attr(&card[0], "data-verdict")), v, "{name}");
        let row = markdown.lines().find(|l| l.contains(&format!("(`{name}`) |"))).expect("a Markdown row per IdP");
        let shown = row.split(" | ").nth(1).unwrap();
        assert_eq!(same(shown.trim_start_matches(['✅', '❌', ' '])), v, "{row}");
    }
    // The root causes, in fix order.
    let causes: Vec<(u64, String, String)> = json["root_causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_u64().unwrap(), c["level"].as_str().unwrap().into(), c["title"].as_str().unwrap().into()))
        .collect();
    assert!(!causes.is_empty());
    let html_causes: Vec<(u64, String)> = select(&html, "#causes tbody tr")
        .iter()
        .map(|r| (attr(r, "data-cause").parse().unwrap(), attr(r, "data-level").to_string()))
        .collect();
    assert_eq!(html_causes, causes.iter().map(|(id, level, _)| (*id, level.clone())).collect::<Vec<_>>());
    for (id, level, title) in causes.iter().take(10) {
        let cell = title.replace('\\', "\\\\").replace('|', "\\|").replace(['\n', '\r'], " ");
        assert!(markdown.contains(&format!("| {id} | {level} | {cell} |")), "cause {id} in the Markdown");
        let row = select(&html, &format!("#cause-{id}"));
        assert!(row[0].text().collect::<String>().contains(title.as_str()), "cause {id} in the HTML");
    }
    // The counts per level.
    for level in ["MUST", "SHOULD", "MAY"] {
        let c = &json["summary"][level];
        let numbers = [&c["passed"], &c["failed"], &c["blocked"], &c["skipped"]].map(|n| n.as_u64().unwrap());
        let md = format!("| {level} | {} | {} | {} | {} |", numbers[0], numbers[1], numbers[2], numbers[3]);
        assert!(markdown.contains(&md), "{md} in {markdown}");
        let row = select(&html, &format!("#counts tr[data-level=\"{level}\"] td"));
        let cells: Vec<u64> =
            row.iter().skip(1).take(4).map(|td| td.text().collect::<String>().parse().unwrap()).collect();
        assert_eq!(cells, numbers, "{level}");
    }
    // The HAR file has the exchange of every failing check, with the status the reports judged.
    let entries: Vec<(String, String, u64)> = har["log"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["request"]["method"].as_str().unwrap().into(),
                e["request"]["url"].as_str().unwrap().into(),
                e["response"]["status"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut judged = 0;
    for r in json["results"].as_array().unwrap() {
        let Some(transcript) = r["failure"]["exchange"]["transcript"].as_str() else { continue };
        let mut lines = transcript.lines();
        let (method, url) = lines.next().unwrap().trim_start_matches("> ").split_once(' ').unwrap();
        let status = lines.find_map(|l| l.strip_prefix("< ")?.split(' ').next()?.parse::<u64>().ok());
        let Some(status) = status else { continue };
        assert!(
            entries.iter().any(|(m, u, s)| m == method && u == url && *s == status),
            "{} failed on {method} {url} → {status}, which the HAR file lacks",
            r["name"]
        );
        judged += 1;
    }
    assert!(judged > 0, "failing exchanges were compared");
}

/// `selftest` runs `rfc` on the strict server and the IdP profiles on the compat one, in two groups: its
/// report files still cover both, as one run (the compat group's used to overwrite the strict group's).
#[test]
fn selftest_writes_one_set_of_reports_covering_both_server_modes() {
    let dir = std::env::temp_dir().join(format!("scimtest-selftest-reports-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_scimtest"))
        .current_dir(&dir)
        .args(["selftest", "--profile", "rfc,okta", "--no-generated", "--color", "never"])
        .args(["--json", "r.json", "--html", "r.html", "--markdown", "r.md", "--har", "r.har", "--junit", "r.xml"])
        .env_remove("SCIM_BASE_URL")
        .env_remove("SCIM_PROFILE")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run the scimtest binary");
    let out = child.wait_with_output().unwrap();
    let shown = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{shown}");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}\n{shown}"));
    // selftest gets its tokens from the bundled server (serve --oauth): no JWT (`eyJ`, a base64url JSON
    // header) nor its client secret (`selftest-secret-<pid>-…`) is written.
    for f in ["r.json", "r.html", "r.md", "r.har", "r.xml"] {
        assert!(!read(f).contains("eyJ") && !read(f).contains("selftest-secret-"), "{f} holds a token or secret");
    }

    // JSON: both columns, rfc first; records of both profiles; the target names each group's mode.
    let json: Value = serde_json::from_str(&read("r.json")).unwrap();
    let columns: Vec<&str> =
        json["matrix"]["columns"].as_array().unwrap().iter().map(|c| c["profile"].as_str().unwrap()).collect();
    assert_eq!(columns, ["rfc", "okta"], "{}", json["matrix"]);
    let results = json["results"].as_array().unwrap();
    for profile in ["rfc", "okta"] {
        let n = results.iter().filter(|r| r["name"].as_str().unwrap().starts_with(&format!("{profile}::"))).count();
        assert!(n > 10, "{n} results of {profile}");
    }
    let target = json["target"].as_str().unwrap();
    for (mode, profile) in [("strict", "rfc"), ("compat", "okta")] {
        for how in ["client credentials (RFC 6749 §4.4)", "a JWT client assertion signed as Entra (RFC 7523)"] {
            assert!(target.contains(&format!("{mode} mode, {how}: {profile}")), "{target}");
        }
    }
    assert_eq!(json["verdict"], "pass");
    let readiness: Vec<&str> =
        json["readiness"].as_array().unwrap().iter().map(|r| r["profile"].as_str().unwrap()).collect();
    assert_eq!(readiness, ["okta"]);

    // HTML: both verdicts in the matrix, Okta's readiness card, every check of both groups.
    let html = Html::parse_document(&read("r.html"));
    let heads: Vec<String> = select(&html, "#matrix thead th").iter().skip(1).map(|h| h.text().collect()).collect();
    assert_eq!(heads, ["rfc — PASS", "Okta — READY"]);
    assert_eq!(attr(&select(&html, "#readiness .idp[data-idp=\"okta\"]")[0], "data-verdict"), "READY");
    assert_eq!(select(&html, "#checks tr").len(), results.len());

    // Markdown: the matrix with both columns.
    let markdown = read("r.md");
    assert!(markdown.contains("| step | `rfc` | Okta (`okta`) |"), "{markdown}");

    // HAR: exchanges with the four servers (two modes, two ways of getting a token: four ports), each
    // starting with pre-flight's token request, then its first probe.
    let har: Value = serde_json::from_str(&read("r.har")).unwrap();
    let mut first_by_port: BTreeMap<u16, Vec<String>> = BTreeMap::new();
    for e in har["log"]["entries"].as_array().unwrap() {
        let url = reqwest::Url::parse(e["request"]["url"].as_str().unwrap()).unwrap();
        first_by_port.entry(url.port().unwrap()).or_default().push(url.path().to_string());
    }
    assert_eq!(first_by_port.len(), 4, "{first_by_port:?}");
    for paths in first_by_port.values() {
        assert_eq!(paths[0], "/oauth2/token", "{paths:?}");
        assert!(paths[1].ends_with("/ServiceProviderConfig"), "{paths:?}");
    }
    // The console: each group's summary, then one verdict for all of them.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let combined = stdout
        .split("=== both server modes and both ways of getting a token together\n")
        .nth(1)
        .expect("the combined verdict");
    let checks = results.iter().filter(|r| r["status"] == "passed").count();
    assert_eq!(
        combined,
        format!("verdict: PASS: every MUST requirement holds\nscimtest: {checks} passed, 0 failed, 0 skipped\n")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The pre-flight's probes go into the exchange log the HAR file is written from, with the credential as
/// the marker and the token hidden wherever the server echoes it (an answer header, the body), already in
/// the log itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_preflight_probes_are_logged_for_the_har_file_without_the_token() {
    use axum::http::HeaderMap;
    use axum::response::IntoResponse;
    let echo = |headers: HeaderMap| async move {
        let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        let body = serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": 0,
            "Resources": [],
            "detail": format!("you sent {auth}"),
        });
        ([("content-type", "application/scim+json"), ("x-seen-authorization", auth.as_str())], body.to_string())
            .into_response()
    };
    let app = axum::Router::new().fallback(echo);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let base = format!("http://{}/scim/v2", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let mut config = scimtest::client::ClientConfig::new(&base);
    config.credential = scimtest::client::Credential::Bearer(TOKEN.into());
    let log = std::sync::Arc::new(scimtest::runner::report::ExchangeLog::default());
    scimtest::runner::preflight::preflight(&config, false, Some(log.clone())).await.expect("pre-flight passes");
    server.abort();
    // Written as is: no second hiding, so what is checked is what the log holds.
    let har = scimtest::runner::report::to_har(&log, "PASS", &|text| text.to_string());
    assert!(!har.to_string().contains(TOKEN), "the token is in the log: {har:#}");
    let entries = har["log"]["entries"].as_array().unwrap();
    let urls: Vec<&str> = entries.iter().map(|e| e["request"]["url"].as_str().unwrap()).collect();
    assert_eq!(urls, [format!("{base}/ServiceProviderConfig"), format!("{base}/Users?count=1")]);
    for e in entries {
        let header = |side: &str, name: &str| {
            let named = |h: &&Value| h["name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(name));
            e[side]["headers"].as_array().unwrap().iter().find(named).map(|h| h["value"].clone())
        };
        assert_eq!(header("request", "authorization"), Some("Bearer $SCIM_TOKEN".into()), "{e}");
        assert_eq!(header("response", "x-seen-authorization"), Some("Bearer [hidden]".into()), "{e}");
        assert_eq!(e["response"]["status"], 200);
        assert!(e["response"]["content"]["text"].as_str().unwrap().contains("you sent Bearer [hidden]"), "{e}");
    }
}
