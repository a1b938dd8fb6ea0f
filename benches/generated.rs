//! Generated checks per second against the bundled server (in process, over loopback HTTP):
//! `cargo bench --bench generated`. The target: ≥ 1,000 filters and ≥ 500 PATCH sequences
//! within 10 s.

use scimtest::client::ClientConfig;
use scimtest::runner::property::PropertyConfig;
use scimtest::runner::report::Outcome;
use scimtest::runner::{RunConfig, check};
use scimtest::selftest::server_mode_for;
use scimtest::server::{ServerConfig, spawn};

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    for profile in ["rfc", "entra", "okta"] {
        let (filters, patches) = (2000, 1000);
        runtime.block_on(async {
            let server = spawn(ServerConfig {
                token: Some("bench".into()),
                mode: server_mode_for(profile),
                ..ServerConfig::default()
            })
            .await
            .unwrap();
            let mut client = ClientConfig::new(server.base_url());
            client.credential = scimtest::client::Credential::Bearer("bench".into());
            let mut config = RunConfig::new(client);
            config.profiles = vec![profile.into()];
            config.suite_pattern = Some("properties".into());
            config.properties = Some(PropertyConfig {
                filter_cases: filters,
                patch_cases: patches,
                seed: 1,
                ..PropertyConfig::default()
            });
            let records = check(&config).await.unwrap();
            for r in records {
                // The group property runs half as many cases as the user PATCH one.
                let cases = match r.scenario.as_str() {
                    "filters" => filters,
                    "groups" => patches / 2,
                    _ => patches,
                };
                let ok = matches!(r.outcome, Outcome::Passed);
                println!(
                    "{:<28} {:>6} cases in {:>6.2} s = {:>7.0} cases/s{}",
                    r.name,
                    cases,
                    r.duration.as_secs_f64(),
                    f64::from(cases) / r.duration.as_secs_f64(),
                    if ok { "" } else { "  (FAILED)" }
                );
            }
            server.shutdown().await.unwrap();
        });
    }
}
