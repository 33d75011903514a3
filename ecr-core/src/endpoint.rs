//! Where a service's requests go.
//!
//! A custom endpoint (builder, `AWS_ENDPOINT_URL_<SERVICE>`,
//! `AWS_ENDPOINT_URL`) wins; otherwise the partition's rule builds the
//! hostname from the region, as the service's endpoint rule set does
//! (<https://docs.aws.amazon.com/general/latest/gr/ecr.html>).

use crate::operation::ServiceInfo;

/// Endpoint variants a caller can ask for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndpointVariant {
    /// Use the FIPS endpoint.
    pub fips: bool,
    /// Use the dual-stack (IPv4 and IPv6) endpoint.
    pub dual_stack: bool,
}

/// The DNS suffixes of a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// `aws`, `aws-cn`, `aws-us-gov`, ...
    pub name: &'static str,
    /// `amazonaws.com`.
    pub dns_suffix: &'static str,
    /// `api.aws`.
    pub dual_stack_dns_suffix: &'static str,
}

/// The partition a region belongs to.
pub fn partition(region: &str) -> Partition {
    if region.starts_with("cn-") {
        Partition {
            name: "aws-cn",
            dns_suffix: "amazonaws.com.cn",
            dual_stack_dns_suffix: "api.amazonwebservices.com.cn",
        }
    } else if region.starts_with("us-gov-") {
        Partition {
            name: "aws-us-gov",
            dns_suffix: "amazonaws.com",
            dual_stack_dns_suffix: "api.aws",
        }
    } else if region.starts_with("us-iso-") {
        Partition {
            name: "aws-iso",
            dns_suffix: "c2s.ic.gov",
            dual_stack_dns_suffix: "c2s.ic.gov",
        }
    } else if region.starts_with("us-isob-") {
        Partition {
            name: "aws-iso-b",
            dns_suffix: "sc2s.sgov.gov",
            dual_stack_dns_suffix: "sc2s.sgov.gov",
        }
    } else if region.starts_with("eusc-") {
        Partition {
            name: "aws-eusc",
            dns_suffix: "amazonaws.eu",
            dual_stack_dns_suffix: "amazonaws.eu",
        }
    } else {
        Partition {
            name: "aws",
            dns_suffix: "amazonaws.com",
            dual_stack_dns_suffix: "api.aws",
        }
    }
}

/// The default endpoint of `service` in `region`.
pub fn default_endpoint(service: &ServiceInfo, region: &str, variant: EndpointVariant) -> String {
    let p = partition(region);
    let prefix = service.endpoint_prefix;
    match (variant.fips, variant.dual_stack) {
        (false, false) => format!("https://{prefix}.{region}.{}", p.dns_suffix),
        (true, false) => format!(
            "https://{}-fips.{region}.{}",
            fips_prefix(prefix),
            p.dns_suffix
        ),
        (false, true) => format!(
            "https://{}.{region}.{}",
            dual_prefix(prefix),
            p.dual_stack_dns_suffix
        ),
        (true, true) => format!(
            "https://{}-fips.{region}.{}",
            dual_prefix(prefix),
            p.dual_stack_dns_suffix
        ),
    }
}

// ECR's rule set names its FIPS and dual-stack hosts `ecr-fips.` and `ecr.`
// (without `api.`); other services keep their prefix.
fn fips_prefix(prefix: &str) -> &str {
    prefix.strip_prefix("api.").unwrap_or(prefix)
}
fn dual_prefix(prefix: &str) -> &str {
    prefix.strip_prefix("api.").unwrap_or(prefix)
}
