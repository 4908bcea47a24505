//! The corrected emulator front: moto behind a proxy that answers as AWS does.
//!
//! The live audit tests and the demo judge mamori by what it reports, and a newcomer's first
//! view is the demo's audit. moto 5.2.5 gets a few answers wrong and lacks some services
//! outright; through it alone those checks would report ERROR in every account and region,
//! findings about the emulator rather than about the organization. The front fixes exactly
//! that, and nothing else:
//!
//! - [`CORRECTIONS`]: answers moto gives in a shape AWS never uses, rewritten into AWS's
//!   shape (each documented with moto's answer and AWS's);
//! - [`crate::standin::standard`]: the operations moto lacks that the collectors and the demo
//!   seeder call (IAM Access Analyzer, Detective), answered in their real wire protocol with
//!   state per account and region.
//!
//! Everything else is relayed to moto unchanged. [`FaultProxy::front_of`] gives the builder
//! (faults can be added on top, as the robustness tests do); [`Front`] runs moto and the front
//! together, for `mamori-demo emulator` and `scripts/demo`.
//!
//! The stand-ins keep their state (analyzers, graphs) in themselves, not in the proxy: a test
//! that puts several proxies in front of one emulator (a clean one, then one injecting faults)
//! passes the same stand-ins to each with [`FaultProxyBuilder::corrected`], so what was
//! created through one is listed through the others, as moto's own state is.

use std::path::Path;
use std::sync::Arc;

use crate::proxy::{FaultProxy, FaultProxyBuilder, ProxyError, RequestInfo};
use crate::standin::StandIn;
use crate::{MotoError, MotoServer};

/// One correction of an emulator answer.
#[derive(Clone, Copy, Debug)]
pub struct Correction {
    /// The operation, as `service:Operation`.
    pub operation: &'static str,
    /// What moto 5.2.5 answers.
    pub moto: &'static str,
    /// What AWS answers (and the AWS SDK for Rust expects).
    pub aws: &'static str,
    /// Which requests the correction applies to.
    pub applies: fn(&RequestInfo) -> bool,
    /// The text of moto's answer that is replaced...
    pub from: &'static str,
    /// ... by this.
    pub to: &'static str,
}

/// Every correction the front makes.
pub const CORRECTIONS: &[Correction] = &[
    Correction {
        operation: "s3:GetBucketVersioning",
        moto: "the configuration under a `GetBucketVersioningResponse` root element",
        aws: "the configuration under a `VersioningConfiguration` root element (the SDK rejects any other root, \
          so every bucket's versioning would be unreadable)",
        applies: is_get_bucket_versioning,
        from: "GetBucketVersioningResponse",
        to: "VersioningConfiguration",
    },
    Correction {
        operation: "ec2:DescribeInstances",
        moto: "no `virtualizationType` for an instance launched from a registered image (RegisterImage drops \
           the VirtualizationType it is given, and DescribeInstances then leaves the field out)",
        aws: "`virtualizationType` on every instance; `hvm` for the instance types the demo and the tests \
          launch, which are HVM-only (paravirtual exists only on previous-generation types)",
        applies: is_describe_instances,
        from: "<hypervisor>xen</hypervisor>",
        to: "<hypervisor>xen</hypervisor><virtualizationType>hvm</virtualizationType>",
    },
];

/// EC2 DescribeInstances (query protocol, `Action=DescribeInstances`).
fn is_describe_instances(req: &RequestInfo) -> bool {
    req.service() == Some("ec2") && req.operation() == Some("DescribeInstances")
}

/// S3 GetBucketVersioning: `GET /<bucket>?versioning` (path style, as the tests and the demo
/// address buckets) or `GET /?versioning` on a virtual-hosted bucket.
fn is_get_bucket_versioning(req: &RequestInfo) -> bool {
    let query = req.target().split_once('?').map_or("", |(_, query)| query);
    req.service() == Some("s3")
        && req.method().eq_ignore_ascii_case("GET")
        && !req.path().starts_with("/v20180820/")
        && query.split('&').any(|pair| pair == "versioning" || pair == "versioning=")
}

impl FaultProxyBuilder {
    /// Adds the corrections of the front and `stand_ins` (usually
    /// [`crate::standin::standard`], shared by every proxy in front of one emulator).
    pub fn corrected(self, stand_ins: &[Arc<dyn StandIn>]) -> FaultProxyBuilder {
        let with_corrections = CORRECTIONS.iter().fold(self, |builder, correction| {
            builder.rewrite_response(correction.applies, correction.from, correction.to)
        });
        stand_ins.iter().fold(with_corrections, |builder, s| builder.stand_in(Arc::clone(s)))
    }
}

impl FaultProxy {
    /// A builder for the corrected front of `moto`: [`FaultProxy::in_front_of`] with the
    /// corrections and new standard stand-ins (state of their own; see the module
    /// documentation for several proxies in front of one emulator).
    pub fn front_of(moto: &MotoServer) -> FaultProxyBuilder {
        FaultProxy::in_front_of(moto).corrected(&crate::standin::standard())
    }
}

/// Why a [`Front`] could not be started.
#[derive(Debug, thiserror::Error)]
pub enum FrontError {
    /// The emulator did not start.
    #[error(transparent)]
    Moto(#[from] MotoError),
    /// The proxy did not start.
    #[error(transparent)]
    Proxy(#[from] ProxyError),
}

/// moto and its corrected front, running until dropped (then both stop).
pub struct Front {
    // Declared first so it is dropped first: the proxy stops before its upstream.
    proxy: FaultProxy,
    moto: MotoServer,
}

impl Front {
    /// Starts the `moto_server` at `moto_server` and the corrected front before it.
    pub fn start(moto_server: &Path) -> Result<Front, FrontError> {
        let moto = MotoServer::launch(moto_server)?;
        let proxy = FaultProxy::front_of(&moto).start()?;
        Ok(Front { proxy, moto })
    }

    /// The endpoint to give the SDK and mamori: the front's `http://127.0.0.1:<port>`.
    pub fn endpoint_url(&self) -> String {
        self.proxy.endpoint_url()
    }

    /// The emulator behind the front (its own endpoint bypasses the corrections).
    pub fn moto(&self) -> &MotoServer {
        &self.moto
    }

    /// The front's counters.
    pub fn stats(&self) -> crate::proxy::ProxyStats {
        self.proxy.stats()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(raw: &str) -> RequestInfo {
        crate::proxy::parse_request(raw)
    }

    #[test]
    fn versioning_correction_applies_to_get_bucket_versioning_only() {
        let signed = "Authorization: AWS4-HMAC-SHA256 Credential=A/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=x";
        let get = |target: &str| request(&format!("GET {target} HTTP/1.1\r\n{signed}\r\n\r\n"));
        assert!(is_get_bucket_versioning(&get("/bucket?versioning")));
        assert!(is_get_bucket_versioning(&get("/bucket?versioning=")));
        assert!(is_get_bucket_versioning(&get("/?versioning")));
        assert!(!is_get_bucket_versioning(&get("/versioning-bucket?acl")));
        assert!(!is_get_bucket_versioning(&get("/bucket?list-type=2&prefix=versioning")));
        let put = request(&format!("PUT /bucket?versioning HTTP/1.1\r\n{signed}\r\nContent-Length: 0\r\n\r\n"));
        assert!(!is_get_bucket_versioning(&put));
    }
}
