//! `mamori-ec2-ami-not-public`: none of the account's AMIs can be launched by anyone.
//!
//! AWS has no managed Config rule for it. FAIL when the image's `LaunchPermissions` include
//! the group `all` (or DescribeImages says `public`); ERROR when the permissions are not in the
//! inventory.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use super::ebs_snapshot_public_restorable_check::grants_everyone;
use crate::support::item::supplementary;
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct MamoriEc2AmiNotPublic;

static META: RuleMeta = RuleMeta {
    id: "mamori-ec2-ami-not-public",
    service: "ec2",
    title: "No AMI of the account is public",
    severity: Severity::Critical,
    resource_types: &["AWS::EC2::Image"],
    params: &[],
    rationale: "A public AMI lets anyone launch a copy of the machine image, with whatever it holds: application code, configuration files, SSH keys and credentials baked into the build.",
    remediation: "`aws ec2 modify-image-attribute --image-id AMI --launch-permission 'Remove=[{Group=all}]'`, and turn on EC2's block public access for AMIs (`aws ec2 enable-image-block-public-access --image-block-public-access-state block-new-sharing`).",
    stride: Stride::InformationDisclosure,
    cis: &[],
    fsbp: &[],
    notes: "mamori's own rule (Prowler's ec2_ami_public); sharing with named accounts is not judged.",
};

impl Rule for MamoriEc2AmiNotPublic {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let id = &item.resource_id;
        let flagged = item.config("public").and_then(Value::as_bool) == Some(true);
        match supplementary(item, "LaunchPermissions") {
            Ok(Some(permissions)) if grants_everyone(permissions) => {
                cx.fail(item, format!("AMI {id} can be launched by anyone"))
            }
            Ok(_) if flagged => cx.fail(item, format!("AMI {id} is public")),
            Ok(_) if item.supplementary("LaunchPermissions").is_some() => {
                cx.pass(item, format!("AMI {id} is not public"))
            }
            Ok(_) => cx.error(item, format!("AMI {id} has no LaunchPermissions in the inventory")),
            Err(reason) => cx.error(item, reason),
        }
    }
}
