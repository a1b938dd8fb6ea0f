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
    for e in entries {
        let request = &e["request"];
        for field in ["method", "url", "headers", "queryString", "httpVersion"] {
            assert!(!request[field].is_null(), "request.{field} in {e}");
        }
        assert!(e["startedDateTime"].as_str().is_some_and(|t| t.ends_with('Z')), "{e}");
        assert!(e["response"]["status"].as_u64().is_some() && e["timings"]["wait"].as_f64().is_some(), "{e}");
        let auth = request["headers"].as_array().unwrap().iter().find(|h| h["name"] == "authorization");
        if let Some(auth) = auth {
            assert_eq!(auth["value"], "Bearer $SCIM_TOKEN", "a fixed marker, never the token");
        }
        *logged
            .entry((request["method"].as_str().unwrap().into(), path_of(request["url"].as_str().unwrap())))
            .or_default() += 1;
    }
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    for s in &run.seen {
        *seen.entry((s.method.clone(), s.path.clone())).or_default() += 1;
    }
    // Every request the run's client sent is an entry; only pre-flight's few probes (GETs, sent before
    // the run's client exists) are not.
    for (request, n) in &seen {
        let in_har = logged.get(request).copied().unwrap_or(0);
        if request.0 == "GET" {
            assert!(in_har <= *n, "{request:?}: {in_har} entries, {n} requests");
        } else {
            assert_eq!(in_har, *n, "{request:?}");
        }
    }
    assert!(logged.keys().all(|k| seen.contains_key(k)), "no entry the server did not see");
    let missing = run.seen.len() - entries.len();
    assert!(missing <= 8, "{missing} requests not in the HAR file (pre-flight sends a few)");
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
