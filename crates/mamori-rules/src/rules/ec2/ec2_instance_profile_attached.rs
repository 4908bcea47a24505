//! `ec2-instance-profile-attached`: every EC2 instance has an IAM instance profile.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when no instance profile is attached, or, when
//! `IamInstanceProfileArnList` is set, when the attached profile's ARN is not in the list.
//! `iamInstanceProfile: null` means none attached; absent is ERROR.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use crate::support::item::required;
use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct Ec2InstanceProfileAttached;

static META: RuleMeta = RuleMeta {
    id: "ec2-instance-profile-attached",
    service: "ec2",
    title: "EC2 instances have an IAM instance profile attached",
    severity: Severity::Medium,
    resource_types: &["AWS::EC2::Instance"],
    params: &[ParamSpec {
        name: "IamInstanceProfileArnList",
        kind: ParamKind::List,
        default: "",
        description: "Comma-separated ARNs of the instance profiles instances may use; empty accepts any profile.",
    }],
    rationale: "An instance without a role gets AWS access only through long-lived access keys stored on it, which leak with backups, images and compromised hosts; an instance profile gives it short-lived, rotated credentials instead.",
    remediation: "Attach a least-privilege role: `aws ec2 associate-iam-instance-profile --instance-id i-… --iam-instance-profile Name=PROFILE` (EC2 console > Instance > Actions > Security > Modify IAM role), then remove access keys stored on the instance.",
    stride: Stride::Spoofing,
    cis: &["1.18"],
    fsbp: &[],
    notes: "",
};

impl Rule for Ec2InstanceProfileAttached {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let id = &item.resource_id;
        let profile = match required(item, "iamInstanceProfile") {
            Ok(Value::Null) => return cx.fail(item, format!("instance {id} has no IAM instance profile")),
            Ok(profile) => profile,
            Err(reason) => return cx.error(item, reason),
        };
        let Some(arn) = profile.get("arn").and_then(Value::as_str) else {
            return cx.error(item, format!("instance {id} has an instance profile without a readable arn"));
        };
        let allowed = cx.params().list("IamInstanceProfileArnList");
        if !allowed.is_empty() && !allowed.iter().any(|entry| entry == arn) {
            return cx.fail(
                item,
                format!("instance {id} uses instance profile {arn}, which is not in IamInstanceProfileArnList"),
            );
        }
        cx.pass(item, ["instance ", id, " uses instance profile ", arn].concat())
    }
}
