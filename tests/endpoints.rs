//! Endpoints: ecrkit's against botocore's, and the configured sources.
//!
//! `botocore_agrees` puts every case to botocore 1.44.5 twice
//! (`tests/endpoint_rules.py`, run with the venv of `scripts/setup.sh`):
//! through a real client (the URL a request goes to), and through the pinned
//! ECR endpoint rule set evaluated alone. Cases: regions of every partition,
//! each plain, FIPS, dual-stack and both; invalid regions; custom endpoints
//! with FIPS or dual-stack asked for. It prints the table and fails on any
//! difference but the known ones, each listed with its reason:
//!
//! - path + `/`: for a custom endpoint with a path
//!   (`https://proxy.example/ecr`), botocore sends to the path as given and
//!   ecrkit to the path with `/` appended (the client has always done so;
//!   both are signed as sent).
//! - legacy endpoints.json: botocore's client refuses dual-stack where its
//!   legacy endpoints.json lists no dual-stack host (us-isof-south-1,
//!   eu-isoe-west-1), while
//!   the rule set, which the SDKs built on rule sets use alone, gives the URL
//!   ecrkit gives.
//! - region check: the rule set does not validate the region; botocore's
//!   client and ecrkit both reject one that is not a DNS label.
//!
//! `partition_table_matches_botocore` compares
//! `ecrkit::endpoint::PARTITIONS` with the pinned `partitions.json`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use ecrkit::config::Env;
use ecrkit::endpoint::{self, EndpointError, EndpointVariant, PARTITIONS};
use ecrkit::{Config, Ecr, Service};
use serde_json::{Value, json};

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

fn botocore_data() -> PathBuf {
    workspace_root().join("target/oracles/botocore/botocore/data")
}

const REGIONS: &[&str] = &[
    "us-east-1",
    "eu-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "us-gov-west-1",
    "us-gov-east-1",
    "us-iso-east-1",
    "us-isob-east-1",
    "us-isof-south-1",
    "eu-isoe-west-1",
    "ap-southeast-7",
    "mx-central-1",
    "eusc-de-east-1",
    "aws-global",
    "xx-future-1",
];

const VARIANTS: &[(&str, bool, bool)] = &[
    ("plain", false, false),
    ("fips", true, false),
    ("dualstack", false, true),
    ("fips+dualstack", true, true),
];

struct Case {
    region: String,
    variant: &'static str,
    fips: bool,
    dual_stack: bool,
    endpoint_url: Option<&'static str>,
}

/// What botocore did with a case: the URL, or the error's class name.
type Answer = Result<String, String>;

/// botocore's two answers for each case: its client's, and its rule set
/// evaluator's (see `tests/endpoint_rules.py`).
fn botocore(cases: &[Case]) -> Vec<(Answer, Answer)> {
    let python = workspace_root().join(".venv/bin/python");
    assert!(
        python.exists() && botocore_data().exists(),
        "{} or {} not found: run scripts/setup.sh",
        python.display(),
        botocore_data().display()
    );
    let mut child = Command::new(&python)
        .arg(workspace_root().join("tests/endpoint_rules.py"))
        .arg(botocore_data())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start tests/endpoint_rules.py");
    let mut input = String::new();
    for c in cases {
        let line = json!({
            "region": c.region,
            "fips": c.fips,
            "dualstack": c.dual_stack,
            "endpoint_url": c.endpoint_url,
        });
        input.push_str(&line.to_string());
        input.push('\n');
    }
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write cases");
    let out = child.wait_with_output().expect("endpoint_rules.py output");
    assert!(
        out.status.success(),
        "endpoint_rules.py failed: {}",
        out.status
    );
    let answer = |v: &Value| match v.get("url").and_then(Value::as_str) {
        Some(url) => Ok(url.to_owned()),
        None => Err(v["error"].as_str().unwrap_or("?").to_owned()),
    };
    let results: Vec<_> = String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).expect("a JSON line");
            (answer(&v["client"]), answer(&v["rules"]))
        })
        .collect();
    assert_eq!(results.len(), cases.len(), "one answer per case");
    results
}

/// What ecrkit does: the URL the client sends to, or the error.
fn ours(case: &Case) -> Result<String, EndpointError> {
    let mut builder = Config::builder()
        .with_region(case.region.clone())
        .with_endpoint_variant(EndpointVariant {
            fips: case.fips,
            dual_stack: case.dual_stack,
        });
    if let Some(url) = case.endpoint_url {
        builder = builder.with_endpoint_url(url);
    }
    endpoint::resolve(&builder.build(), &Ecr::INFO).map(String::from)
}

#[test]
fn botocore_agrees() {
    let mut cases = Vec::new();
    for region in REGIONS {
        for &(variant, fips, dual_stack) in VARIANTS {
            cases.push(Case {
                region: region.to_string(),
                variant,
                fips,
                dual_stack,
                endpoint_url: None,
            });
        }
    }
    for region in ["evil.example/", "-bad", "us_east_1", "123"] {
        cases.push(Case {
            region: region.to_owned(),
            variant: "plain",
            fips: false,
            dual_stack: false,
            endpoint_url: None,
        });
    }
    for &(variant, fips, dual_stack) in &VARIANTS[1..] {
        cases.push(Case {
            region: "us-east-1".into(),
            variant,
            fips,
            dual_stack,
            endpoint_url: Some("http://127.0.0.1:5000"),
        });
    }
    cases.push(Case {
        region: "eu-west-1".into(),
        variant: "plain",
        fips: false,
        dual_stack: false,
        endpoint_url: Some("https://proxy.example/ecr"),
    });

    let answers = botocore(&cases);
    println!(
        "{:<15} {:<15} {:<26} {:<58} {:<24} botocore rule set",
        "region", "variant", "custom endpoint", "ecrkit", "botocore client"
    );
    let (mut same, mut known, mut differ) = (0, Vec::new(), Vec::new());
    for (case, (client, rules)) in cases.iter().zip(&answers) {
        let ours = ours(case);
        let vs_client = judge_client(case, &ours, client);
        let vs_rules = judge_rules(&ours, rules);
        println!(
            "{:<15} {:<15} {:<26} {:<58} {:<24} {}",
            case.region,
            case.variant,
            case.endpoint_url.unwrap_or("-"),
            match &ours {
                Ok(url) => url.clone(),
                Err(e) => format!("error {e:?}").chars().take(56).collect(),
            },
            vs_client.text(),
            vs_rules.text()
        );
        for (judgement, against) in [(vs_client, "client"), (vs_rules, "rule set")] {
            match judgement {
                Judgement::Same => same += 1,
                Judgement::Known(why) => known.push(format!(
                    "{} {} vs botocore {against}: {why}",
                    case.region, case.variant
                )),
                Judgement::Differs(what) => differ.push(format!(
                    "{} {} vs botocore {against}: {what}",
                    case.region, case.variant
                )),
            }
        }
    }
    println!(
        "endpoints: {} cases, {} comparisons: {same} agree, {} known exceptions, {} differ",
        cases.len(),
        cases.len() * 2,
        known.len(),
        differ.len()
    );
    for k in &known {
        println!("  known: {k}");
    }
    assert!(differ.is_empty(), "differences:\n{}", differ.join("\n"));
}

enum Judgement {
    Same,
    Known(&'static str),
    Differs(String),
}

impl Judgement {
    fn text(&self) -> String {
        match self {
            Judgement::Same => "same".into(),
            Judgement::Known(why) => format!("known: {}", why.split(':').next().unwrap_or(why)),
            Judgement::Differs(what) => format!("DIFFERS: {what}"),
        }
    }
}

/// ecrkit against botocore's client: the URL requests go to.
fn judge_client(case: &Case, ours: &Result<String, EndpointError>, client: &Answer) -> Judgement {
    match (ours, client) {
        (Ok(a), Ok(b)) if a == b => Judgement::Same,
        (Ok(a), Ok(b)) if case.endpoint_url.is_some() && *a == format!("{b}/") => Judgement::Known(
            "path + `/`: botocore sends to a custom endpoint's path as given, ecrkit appends `/` \
             (as its client always has; both are signed as sent)",
        ),
        (Err(EndpointError::InvalidRegion(_)), Err(class)) if class == "InvalidRegionError" => {
            Judgement::Same
        }
        (Ok(_), Err(class)) if class == "EndpointVariantError" => Judgement::Known(
            "legacy endpoints.json: botocore's client first checks the variant against its legacy \
             endpoints.json, which lists no dual-stack ECR host in this region; the rule set (and \
             the SDKs that use only it) give the URL ecrkit gives",
        ),
        (a, b) => Judgement::Differs(format!("botocore {b:?}, ecrkit {a:?}")),
    }
}

/// ecrkit against the rule set evaluated alone (URLs without the `/` path).
fn judge_rules(ours: &Result<String, EndpointError>, rules: &Answer) -> Judgement {
    match (ours, rules) {
        (Ok(a), Ok(b)) if *a == *b || *a == format!("{b}/") => Judgement::Same,
        (Err(EndpointError::InvalidRegion(_)), Ok(_)) => Judgement::Known(
            "region check: the rule set does not check the region; botocore's client and \
             ecrkit reject a region that is not a DNS label",
        ),
        (a, b) => Judgement::Differs(format!("rule set {b:?}, ecrkit {a:?}")),
    }
}

#[test]
fn default_endpoint_is_the_resolved_host() {
    for region in REGIONS {
        for &(_, fips, dual_stack) in VARIANTS {
            let variant = EndpointVariant { fips, dual_stack };
            let config = Config::builder()
                .with_region(*region)
                .with_endpoint_variant(variant)
                .build();
            let resolved = endpoint::resolve(&config, &Ecr::INFO).unwrap();
            assert_eq!(
                format!(
                    "{}/",
                    endpoint::default_endpoint(&Ecr::INFO, region, variant)
                ),
                resolved.as_str()
            );
        }
    }
}

#[test]
fn partition_table_matches_botocore() {
    let path = botocore_data().join("partitions.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run scripts/setup.sh", path.display()));
    let json: Value = serde_json::from_str(&text).unwrap();
    let theirs = json["partitions"].as_array().unwrap();
    assert_eq!(theirs.len(), PARTITIONS.len());
    for (p, t) in PARTITIONS.iter().zip(theirs) {
        let o = &t["outputs"];
        assert_eq!(p.name, t["id"], "{}", p.name);
        assert_eq!(p.region_regex, t["regionRegex"], "{}", p.name);
        let regions: Vec<&str> = t["regions"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(p.regions, regions.as_slice(), "{}", p.name);
        assert_eq!(p.dns_suffix, o["dnsSuffix"], "{}", p.name);
        assert_eq!(
            p.dual_stack_dns_suffix, o["dualStackDnsSuffix"],
            "{}",
            p.name
        );
        assert_eq!(p.supports_fips, o["supportsFIPS"], "{}", p.name);
        assert_eq!(p.supports_dual_stack, o["supportsDualStack"], "{}", p.name);
        assert_eq!(
            p.implicit_global_region, o["implicitGlobalRegion"],
            "{}",
            p.name
        );
    }
}

#[test]
fn no_region_is_a_clear_error() {
    let config = Config::builder().build();
    let e = endpoint::resolve(&config, &Ecr::INFO).unwrap_err();
    assert_eq!(
        e.to_string(),
        "no AWS region configured: set AWS_REGION (or AWS_DEFAULT_REGION), add `region = <region>` \
         to the profile in the AWS config file, or call with_region on the config builder"
    );
    let dir = TempDir::new("no-region");
    let env = Env::from_vars([("HOME", dir.path())]);
    let e = Config::from_env_with(&env).try_build().unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "client configuration: no AWS region configured: set AWS_REGION (or AWS_DEFAULT_REGION), \
             add `region = <region>` to the profile in the AWS config file, or call with_region on \
             the config builder (looked in AWS_REGION, AWS_DEFAULT_REGION and profile `default` in \
             {}/.aws/config)",
            dir.path()
        )
    );
    // A custom endpoint needs no region to be found (signing still uses one).
    let config = Config::builder()
        .with_endpoint_url("http://127.0.0.1:1")
        .build();
    assert_eq!(
        endpoint::resolve(&config, &Ecr::INFO).unwrap().as_str(),
        "http://127.0.0.1:1/"
    );
}

#[test]
fn region_sources_in_order() {
    let dir = TempDir::new("region");
    let config_file = dir.write(
        "config",
        "[default]\nregion = eu-north-1\n[profile dev]\nregion = ap-south-2\n",
    );
    let base = [
        ("AWS_CONFIG_FILE", config_file.as_str()),
        ("HOME", dir.path()),
    ];
    let region = |extra: &[(&str, &str)]| {
        let env = Env::from_vars(base.iter().chain(extra).copied());
        Config::from_env_with(&env).build().region
    };
    assert_eq!(region(&[]).as_deref(), Some("eu-north-1"));
    assert_eq!(
        region(&[("AWS_PROFILE", "dev")]).as_deref(),
        Some("ap-south-2")
    );
    assert_eq!(
        region(&[("AWS_DEFAULT_REGION", "us-west-1")]).as_deref(),
        Some("us-west-1")
    );
    assert_eq!(
        region(&[
            ("AWS_DEFAULT_REGION", "us-west-1"),
            ("AWS_REGION", "us-west-2")
        ])
        .as_deref(),
        Some("us-west-2")
    );
    assert_eq!(
        region(&[("AWS_REGION", " ")]).as_deref(),
        Some("eu-north-1")
    );
}

#[test]
fn custom_endpoint_sources_in_order() {
    let dir = TempDir::new("endpoints");
    let config_file = dir.write(
        "config",
        "[profile dev]\nregion = us-east-1\nendpoint_url = http://profile-global:1\nservices = local\n\
         [profile plain]\nregion = us-east-1\nendpoint_url = http://profile-global:1\n\
         [services local]\necr =\n  endpoint_url = http://profile-ecr:1\nsts =\n  endpoint_url = http://profile-sts:1\n",
    );
    let url = |vars: &[(&str, &str)], builder: Option<&str>| {
        let env = Env::from_vars(
            [
                ("AWS_CONFIG_FILE", config_file.as_str()),
                ("HOME", dir.path()),
            ]
            .into_iter()
            .chain(vars.iter().copied()),
        );
        let mut b = Config::from_env_with(&env);
        if let Some(u) = builder {
            b = b.with_endpoint_url(u);
        }
        endpoint::resolve(&b.build(), &Ecr::INFO)
            .unwrap()
            .to_string()
    };
    let dev = ("AWS_PROFILE", "dev");
    assert_eq!(url(&[dev], None), "http://profile-ecr:1/");
    assert_eq!(
        url(&[("AWS_PROFILE", "plain")], None),
        "http://profile-global:1/"
    );
    assert_eq!(
        url(&[dev, ("AWS_ENDPOINT_URL", "http://env-global:1")], None),
        "http://env-global:1/"
    );
    assert_eq!(
        url(
            &[
                dev,
                ("AWS_ENDPOINT_URL", "http://env-global:1"),
                ("AWS_ENDPOINT_URL_ECR", "http://env-ecr:1")
            ],
            None
        ),
        "http://env-ecr:1/"
    );
    assert_eq!(
        url(
            &[dev, ("AWS_ENDPOINT_URL_ECR", "http://env-ecr:1")],
            Some("http://builder:1")
        ),
        "http://builder:1/"
    );
    assert_eq!(
        url(
            &[
                dev,
                ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
                ("AWS_ENDPOINT_URL_ECR", "http://env-ecr:1")
            ],
            None
        ),
        "https://api.ecr.us-east-1.amazonaws.com/"
    );
    // FIPS and dual-stack from the environment or the profile, but not with
    // a custom endpoint (as in botocore).
    assert_eq!(
        url(
            &[
                ("AWS_PROFILE", "x"),
                ("AWS_REGION", "us-east-1"),
                ("AWS_USE_FIPS_ENDPOINT", "true")
            ],
            None
        ),
        "https://api.ecr-fips.us-east-1.amazonaws.com/"
    );
    assert_eq!(
        url(&[dev, ("AWS_USE_FIPS_ENDPOINT", "true")], None),
        "http://profile-ecr:1/"
    );
    let bad = Config::builder()
        .with_endpoint_url("localhost:5000")
        .build();
    assert_eq!(
        endpoint::resolve(&bad, &Ecr::INFO).unwrap_err().to_string(),
        "invalid endpoint URL \"localhost:5000\": the scheme is \"localhost\"; use http or https"
    );
}

#[test]
fn variant_and_attempts_from_the_profile() {
    let dir = TempDir::new("variant");
    let config_file = dir.write(
        "config",
        "[default]\nregion = us-gov-west-1\nuse_fips_endpoint = true\nuse_dualstack_endpoint = TRUE\nmax_attempts = 7\n",
    );
    let env = Env::from_vars([
        ("AWS_CONFIG_FILE", config_file.as_str()),
        ("HOME", dir.path()),
    ]);
    let config = Config::from_env_with(&env).build();
    assert_eq!(
        config.endpoint_variant,
        EndpointVariant {
            fips: true,
            dual_stack: true
        }
    );
    assert_eq!(config.retry.max_attempts, 7);
    assert_eq!(
        endpoint::resolve(&config, &Ecr::INFO).unwrap().as_str(),
        "https://ecr-fips.us-gov-west-1.api.aws/"
    );
    // A variable wins over the profile, even to say false.
    let env = env
        .with_var("AWS_USE_FIPS_ENDPOINT", "false")
        .with_var("AWS_MAX_ATTEMPTS", "2");
    let config = Config::from_env_with(&env).build();
    assert_eq!(
        config.endpoint_variant,
        EndpointVariant {
            fips: false,
            dual_stack: true
        }
    );
    assert_eq!(config.retry.max_attempts, 2);
}

/// A directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "ecr-endpoints-{tag}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("UTF-8 temp dir")
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
