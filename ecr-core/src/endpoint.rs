//! Where a service's requests go.
//!
//! A custom endpoint wins: the builder's, then `AWS_ENDPOINT_URL_<SERVICE>`,
//! `AWS_ENDPOINT_URL`, and the profile's (see [`crate::Config::from_env`]);
//! FIPS and dual-stack do not apply to it (as in botocore, which drops them
//! when an endpoint is given). Otherwise the region's partition gives the DNS
//! suffixes and the service's endpoint rule set the hostname. For ECR that
//! is botocore's `ecr/2015-09-21/endpoint-rule-set-1.json`:
//!
//! | variant | hostname |
//! | --- | --- |
//! | plain | `api.ecr.{region}.{dnsSuffix}` |
//! | FIPS | `api.ecr-fips.{region}.{dnsSuffix}` |
//! | dual-stack | `ecr.{region}.{dualStackDnsSuffix}` |
//! | FIPS and dual-stack | `ecr-fips.{region}.{dualStackDnsSuffix}` |
//!
//! The same in every partition (aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b,
//! aws-iso-e, aws-iso-f, aws-eusc), whose suffixes come from botocore's
//! `partitions.json` ([`PARTITIONS`]); `tests/endpoints.rs` checks both
//! against botocore's own resolver. See
//! <https://docs.aws.amazon.com/general/latest/gr/ecr.html>.
//!
//! A region must be a valid DNS label, as botocore's `validate_region_name`
//! requires: the region is part of the hostname, and a region such as
//! `evil.example/` would otherwise send signed requests elsewhere.

use std::sync::OnceLock;

use regex_lite::Regex;

// A setting of the configuration; named here too, where it is used.
pub use crate::config::EndpointVariant;
use crate::config::{Config, NO_REGION};
use crate::service::ServiceInfo;

/// Why no endpoint could be chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// No region and no custom endpoint.
    #[error("{NO_REGION}")]
    NoRegion,
    /// The region is not a DNS label.
    #[error("invalid region {0:?}: a region is a DNS label such as us-east-1")]
    InvalidRegion(String),
    /// The partition has no such variant.
    #[error("{variant} is enabled but partition {partition} does not support it")]
    UnsupportedVariant {
        /// `FIPS`, `dual-stack`.
        variant: &'static str,
        /// The partition.
        partition: &'static str,
    },
    /// A custom endpoint that is not an `http` or `https` URL.
    #[error("invalid endpoint URL {url:?}: {message}")]
    InvalidUrl {
        /// The URL as configured.
        url: String,
        /// What is wrong.
        message: String,
    },
}

/// A partition: a group of regions with the same DNS suffixes, as botocore's
/// `partitions.json` describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// `aws`, `aws-cn`, `aws-us-gov`, ...
    pub name: &'static str,
    /// The regions it holds beyond its listed ones (`^cn\-\w+\-\d+$`).
    pub region_regex: &'static str,
    /// Its known regions (and pseudo-regions such as `aws-global`).
    pub regions: &'static [&'static str],
    /// `amazonaws.com`.
    pub dns_suffix: &'static str,
    /// `api.aws`.
    pub dual_stack_dns_suffix: &'static str,
    /// Whether it has FIPS endpoints.
    pub supports_fips: bool,
    /// Whether it has dual-stack endpoints.
    pub supports_dual_stack: bool,
    /// The region of its global endpoints.
    pub implicit_global_region: &'static str,
}

/// The partitions of botocore 1.44.5's `partitions.json`, in its order (the
/// first is the default for a region no partition claims).
pub const PARTITIONS: &[Partition] = &[
    Partition {
        name: "aws",
        region_regex: r"^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$",
        regions: &[
            "af-south-1",
            "ap-east-1",
            "ap-east-2",
            "ap-northeast-1",
            "ap-northeast-2",
            "ap-northeast-3",
            "ap-south-1",
            "ap-south-2",
            "ap-southeast-1",
            "ap-southeast-2",
            "ap-southeast-3",
            "ap-southeast-4",
            "ap-southeast-5",
            "ap-southeast-6",
            "ap-southeast-7",
            "aws-global",
            "ca-central-1",
            "ca-west-1",
            "eu-central-1",
            "eu-central-2",
            "eu-north-1",
            "eu-south-1",
            "eu-south-2",
            "eu-west-1",
            "eu-west-2",
            "eu-west-3",
            "il-central-1",
            "me-central-1",
            "me-south-1",
            "me-west-1",
            "mx-central-1",
            "sa-east-1",
            "sa-west-1",
            "us-east-1",
            "us-east-2",
            "us-west-1",
            "us-west-2",
        ],
        dns_suffix: "amazonaws.com",
        dual_stack_dns_suffix: "api.aws",
        supports_fips: true,
        supports_dual_stack: true,
        implicit_global_region: "us-east-1",
    },
    Partition {
        name: "aws-cn",
        region_regex: r"^cn\-\w+\-\d+$",
        regions: &["aws-cn-global", "cn-north-1", "cn-northwest-1"],
        dns_suffix: "amazonaws.com.cn",
        dual_stack_dns_suffix: "api.amazonwebservices.com.cn",
        supports_fips: true,
        supports_dual_stack: true,
        implicit_global_region: "cn-northwest-1",
    },
    Partition {
        name: "aws-eusc",
        region_regex: r"^eusc\-(de)\-\w+\-\d+$",
        regions: &["eusc-de-east-1"],
        dns_suffix: "amazonaws.eu",
        dual_stack_dns_suffix: "api.amazonwebservices.eu",
        supports_fips: true,
        supports_dual_stack: true,
        implicit_global_region: "eusc-de-east-1",
    },
    Partition {
        name: "aws-iso",
        region_regex: r"^us\-iso\-\w+\-\d+$",
        regions: &["aws-iso-global", "us-iso-east-1", "us-iso-west-1"],
        dns_suffix: "c2s.ic.gov",
        dual_stack_dns_suffix: "api.aws.ic.gov",
        supports_fips: true,
        supports_dual_stack: true,
        implicit_global_region: "us-iso-east-1",
    },
    Partition {
        name: "aws-iso-b",
        region_regex: r"^us\-isob\-\w+\-\d+$",
        regions: &["aws-iso-b-global", "us-isob-east-1", "us-isob-west-1"],
        dns_suffix: "sc2s.sgov.gov",
        dual_stack_dns_suffix: "api.aws.scloud",
        supports_fips: true,
        supports_dual_stack: true,
        implicit_global_region: "us-isob-east-1",
    },
    Partition {
        name: "aws-iso-e",
        region_regex: r"^eu\-isoe\-\w+\-\d+$",
        regions: &["aws-iso-e-global", "eu-isoe-west-1"],
        dns_suffix: "cloud.adc-e.uk",
        dual_stack_dns_suffix: "api.cloud-aws.adc-e.uk",
        supports_fips: true,
        supports_dual_stack: true,
        implicit_global_region: "eu-isoe-west-1",
    },
    Partition {
        name: "aws-iso-f",
        region_regex: r"^us\-isof\-\w+\-\d+$",
        regions: &["aws-iso-f-global", "us-isof-east-1", "us-isof-south-1"],
        dns_suffix: "csp.hci.ic.gov",
        dual_stack_dns_suffix: "api.aws.hci.ic.gov",
        supports_fips: true,
        supports_dual_stack: true,
        implicit_global_region: "us-isof-south-1",
    },
    Partition {
        name: "aws-us-gov",
        region_regex: r"^us\-gov\-\w+\-\d+$",
        regions: &["aws-us-gov-global", "us-gov-east-1", "us-gov-west-1"],
        dns_suffix: "amazonaws.com",
        dual_stack_dns_suffix: "api.aws",
        supports_fips: true,
        supports_dual_stack: true,
        implicit_global_region: "us-gov-west-1",
    },
];

fn region_regexes() -> &'static [Regex] {
    static REGEXES: OnceLock<Vec<Regex>> = OnceLock::new();
    REGEXES.get_or_init(|| {
        PARTITIONS
            .iter()
            .map(|p| Regex::new(p.region_regex).expect("partition regexes compile"))
            .collect()
    })
}

/// The partition a region belongs to: the first that lists it or whose
/// regex matches it, else `aws` (the rules' `aws.partition` function).
pub fn partition(region: &str) -> Partition {
    PARTITIONS
        .iter()
        .zip(region_regexes())
        .find(|(p, re)| p.regions.contains(&region) || re.is_match(region))
        .map_or(PARTITIONS[0], |(p, _)| *p)
}

/// Whether `region` can be part of a hostname: 1 to 63 letters, digits and
/// hyphens, not starting or ending with a hyphen, not all digits (botocore's
/// `validate_region_name`).
pub fn is_valid_region(region: &str) -> bool {
    (1..=63).contains(&region.len())
        && region
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-')
        && !region.bytes().all(|b| b.is_ascii_digit())
}

/// The default endpoint of `service` in `region` (not checked: see
/// [`resolve_default`]).
pub fn default_endpoint(service: &ServiceInfo, region: &str, variant: EndpointVariant) -> String {
    let p = partition(region);
    let suffix = if variant.dual_stack {
        p.dual_stack_dns_suffix
    } else {
        p.dns_suffix
    };
    format!(
        "https://{}.{region}.{suffix}",
        host_prefix(service, variant)
    )
}

/// The first labels of the hostname. ECR's rule set drops `api.` from its
/// dual-stack hosts; other services follow the common rule set shape
/// (`{prefix}`, `{prefix}-fips`, on either suffix).
fn host_prefix(service: &ServiceInfo, variant: EndpointVariant) -> String {
    let prefix = service.endpoint_prefix;
    let base = if service.endpoint_prefix == "api.ecr" && variant.dual_stack {
        "ecr"
    } else {
        prefix
    };
    if variant.fips {
        format!("{base}-fips")
    } else {
        base.to_owned()
    }
}

/// The default endpoint of `service` in `region`, checked: the region must
/// be valid and its partition must support the variant.
pub fn resolve_default(
    service: &ServiceInfo,
    region: &str,
    variant: EndpointVariant,
) -> Result<String, EndpointError> {
    if !is_valid_region(region) {
        return Err(EndpointError::InvalidRegion(region.to_owned()));
    }
    let p = partition(region);
    if variant.fips && !p.supports_fips {
        return Err(EndpointError::UnsupportedVariant {
            variant: "FIPS",
            partition: p.name,
        });
    }
    if variant.dual_stack && !p.supports_dual_stack {
        return Err(EndpointError::UnsupportedVariant {
            variant: "dual-stack",
            partition: p.name,
        });
    }
    Ok(default_endpoint(service, region, variant))
}

/// The custom endpoint configured for `service`, if any, in the order of
/// <https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html>:
/// the builder's, `AWS_ENDPOINT_URL_<SERVICE>` (`AWS_ENDPOINT_URL_ECR`),
/// `AWS_ENDPOINT_URL`, the service's entry in the profile's `services`
/// section, the profile's `endpoint_url`.
pub fn custom_endpoint<'a>(config: &'a Config, service: &ServiceInfo) -> Option<&'a str> {
    config
        .endpoint_url
        .as_deref()
        .or_else(|| {
            config
                .env_endpoints
                .get(service.env_name)
                .map(String::as_str)
        })
        .or_else(|| config.env_endpoints.get("").map(String::as_str))
        .or_else(|| config.profile_endpoints.service(service.env_name))
        .or_else(|| config.profile_endpoints.global())
}

/// The URL requests for `service` go to, with a path ending in `/`.
pub fn resolve(config: &Config, service: &ServiceInfo) -> Result<reqwest::Url, EndpointError> {
    let url = match custom_endpoint(config, service) {
        Some(custom) => custom.to_owned(),
        None => {
            let region = config.region.as_deref().ok_or(EndpointError::NoRegion)?;
            resolve_default(service, region, config.endpoint_variant)?
        }
    };
    parse_url(&url)
}

/// Parses an endpoint URL: `http` or `https`, with a host; the path gets a
/// trailing `/`.
pub fn parse_url(url: &str) -> Result<reqwest::Url, EndpointError> {
    let invalid = |message: String| EndpointError::InvalidUrl {
        url: url.to_owned(),
        message,
    };
    let mut parsed = reqwest::Url::parse(url).map_err(|e| invalid(e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid(format!(
            "the scheme is {:?}; use http or https",
            parsed.scheme()
        )));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host".to_owned()));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid("an endpoint has no query or fragment".to_owned()));
    }
    if !parsed.path().ends_with('/') {
        let path = format!("{}/", parsed.path());
        parsed.set_path(&path);
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::{Ecr, Service};

    #[test]
    fn partitions_and_hosts() {
        assert_eq!(partition("cn-north-1").name, "aws-cn");
        assert_eq!(partition("aws-global").name, "aws");
        assert_eq!(partition("us-isob-east-1").name, "aws-iso-b");
        assert_eq!(partition("xx-nowhere-9").name, "aws");
        let v = |fips, dual_stack| EndpointVariant { fips, dual_stack };
        let ecr = &Ecr::INFO;
        assert_eq!(
            default_endpoint(ecr, "us-east-1", v(false, false)),
            "https://api.ecr.us-east-1.amazonaws.com"
        );
        assert_eq!(
            default_endpoint(ecr, "us-east-1", v(true, false)),
            "https://api.ecr-fips.us-east-1.amazonaws.com"
        );
        assert_eq!(
            default_endpoint(ecr, "cn-north-1", v(false, true)),
            "https://ecr.cn-north-1.api.amazonwebservices.com.cn"
        );
        assert_eq!(
            default_endpoint(ecr, "us-gov-west-1", v(true, true)),
            "https://ecr-fips.us-gov-west-1.api.aws"
        );
    }

    #[test]
    fn regions_are_dns_labels() {
        for ok in ["us-east-1", "a", "x1"] {
            assert!(is_valid_region(ok), "{ok}");
        }
        for bad in [
            "",
            "-us",
            "us-",
            "123",
            "us_east_1",
            "evil.example",
            "a/b",
            &"a".repeat(64),
        ] {
            assert!(!is_valid_region(bad), "{bad}");
        }
        assert_eq!(
            resolve_default(&Ecr::INFO, "evil.example/", EndpointVariant::default())
                .unwrap_err()
                .to_string(),
            "invalid region \"evil.example/\": a region is a DNS label such as us-east-1"
        );
    }

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("http://127.0.0.1:5000").unwrap().as_str(),
            "http://127.0.0.1:5000/"
        );
        assert_eq!(
            parse_url("https://proxy.example/ecr").unwrap().as_str(),
            "https://proxy.example/ecr/"
        );
        assert!(parse_url("ftp://x").is_err());
        assert!(parse_url("localhost:5000").is_err());
        assert!(parse_url("https://x/?a=b").is_err());
    }
}
