//! Deterministic synthetic AWS inventories, for the bundled demo organization and benchmarks.
//!
//! The same [`Spec`] (including its seed) always produces byte-identical files, whatever the
//! machine or crate versions: randomness comes from a local SplitMix64, not from a crate whose
//! algorithm could change. Items follow AWS Config's shapes and mamori's documented additions
//! (docs/INVENTORY.md), so that every rule of the catalog finds its input. Each attribute that
//! a rule judges is compliant with probability `compliant_share`; the rest are the realistic
//! mistakes: SSH open to the world, unencrypted volumes, old access keys, trails not logging.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use mamori_model::GLOBAL_REGION;
use serde_json::{json, Value};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Spec {
    pub accounts: usize,
    pub regions: usize,
    /// Approximate number of configuration items in all.
    pub items: usize,
    pub seed: u64,
    /// Probability that a judged attribute is compliant.
    pub compliant_share: f64,
    pub gzip: bool,
}

impl Spec {
    /// The README's example organization: 6 accounts, 3 regions, about 600 items.
    pub fn demo() -> Spec {
        Spec { accounts: 6, regions: 3, items: 600, seed: 7, compliant_share: 0.8, gzip: false }
    }

    /// The benchmark of issue 2: 1,000,000 items across 500 accounts and 17 regions.
    pub fn benchmark() -> Spec {
        Spec { accounts: 500, regions: 17, items: 1_000_000, seed: 42, compliant_share: 0.8, gzip: true }
    }
}

pub const REGIONS: [&str; 17] = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-south-1",
    "ca-central-1",
    "sa-east-1",
    "ap-northeast-3",
];

const TEAMS: [&str; 8] = ["payments", "identity", "search", "data", "platform", "mobile", "ml", "growth"];
const STAGES: [&str; 3] = ["prod", "staging", "dev"];
const CAPTURE_TIME: &str = "2026-11-01T00:00:00.000Z";

/// SplitMix64: tiny, fast, and fixed forever.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound.max(1)
    }

    pub fn chance(&mut self, probability: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < probability
    }

    pub fn hex(&mut self, len: usize) -> String {
        let mut out = String::with_capacity(len);
        while out.len() < len {
            out.push_str(&format!("{:016x}", self.next_u64()));
        }
        out.truncate(len);
        out
    }
}

/// Statistics of what was written.
#[derive(Debug, Default)]
pub struct Written {
    pub files: usize,
    pub items: usize,
}

/// Generate into `out` (created if needed): one file per account, `<account>.jsonl[.gz]`.
pub fn generate(spec: &Spec, out: &Path) -> io::Result<Written> {
    std::fs::create_dir_all(out)?;
    let regions = &REGIONS[..spec.regions.clamp(1, REGIONS.len())];
    let mut written = Written::default();
    let per_region = (spec.items / (spec.accounts.max(1) * regions.len())).max(12);
    for index in 0..spec.accounts {
        let mut rng = Rng::new(spec.seed ^ (index as u64).wrapping_mul(0xA24B_AED4_963E_E407));
        let account = Account::new(index, &mut rng);
        let name = format!("{}.jsonl{}", account.id, if spec.gzip { ".gz" } else { "" });
        let file = BufWriter::with_capacity(1 << 16, File::create(out.join(name))?);
        let mut sink: Box<dyn Write> = if spec.gzip {
            Box::new(flate2::write::GzEncoder::new(file, flate2::Compression::fast()))
        } else {
            Box::new(file)
        };
        let mut generator = Generator { rng, spec, account: &account, out: &mut sink, items: 0 };
        generator.account_items(regions, per_region)?;
        written.items += generator.items;
        sink.flush()?;
        drop(sink);
        written.files += 1;
    }
    Ok(written)
}

struct Account {
    id: String,
    name: String,
    index: usize,
}

impl Account {
    fn new(index: usize, rng: &mut Rng) -> Account {
        // Account 0 is the organization's management account, whose id the others name.
        let offset = if index == 0 { 0 } else { index as u64 * 7_919 + rng.below(7_000) };
        let id = format!("{:012}", 100_000_000_000u64 + offset);
        let name = format!("{}-{}", TEAMS[index % TEAMS.len()], STAGES[index % STAGES.len()]);
        Account { id, name, index }
    }
}

struct Generator<'a> {
    rng: Rng,
    spec: &'a Spec,
    account: &'a Account,
    out: &'a mut Box<dyn Write>,
    items: usize,
}

impl Generator<'_> {
    fn ok(&mut self) -> bool {
        self.rng.chance(self.spec.compliant_share)
    }

    fn emit(&mut self, item: Value) -> io::Result<()> {
        serde_json::to_writer(&mut *self.out, &item)?;
        self.out.write_all(b"\n")?;
        self.items += 1;
        Ok(())
    }

    fn tags(&mut self) -> Value {
        let team = TEAMS[self.account.index % TEAMS.len()];
        if self.ok() {
            json!({"owner": team, "environment": STAGES[self.account.index % STAGES.len()]})
        } else {
            json!({"Name": format!("{team}-{}", self.rng.hex(4))})
        }
    }

    fn account_items(&mut self, regions: &[&str], per_region: usize) -> io::Result<()> {
        let home = regions[0];
        for region in regions {
            self.account_record(region, *region == home)?;
        }
        // Global resources scale with the account's share of items.
        let global_budget = per_region * regions.len() / 5;
        self.iam(global_budget / 2)?;
        self.buckets(regions, global_budget / 3)?;
        self.trail(home)?;
        if self.account.index.is_multiple_of(4) {
            self.cloudfront()?;
        }
        if self.account.index == 0 {
            self.organization_policies()?;
        }
        for region in regions {
            self.regional(region, per_region)?;
        }
        Ok(())
    }

    fn account_record(&mut self, region: &str, home: bool) -> io::Result<()> {
        let mut configuration = json!({
            "homeRegion": home,
            "ebsEncryptionByDefault": self.ok(),
            "guardDuty": {"detectors": if self.ok() {
                json!([{"detectorId": self.rng.hex(32), "status": "ENABLED", "administratorAccountId": "100000000000"}])
            } else { json!([]) }},
            "securityHub": if self.ok() { json!({"enabled": true, "hubArn": format!("arn:aws:securityhub:{region}:{}:hub/default", self.account.id)}) } else { json!({"enabled": false}) },
            "detective": {"graphs": [], "memberOf": if self.ok() { json!([format!("arn:aws:detective:{region}:100000000000:graph:{}", self.rng.hex(32))]) } else { json!([]) }},
            "accessAnalyzer": {"analyzers": if self.ok() { json!([{"name": "org-analyzer", "type": "ORGANIZATION", "status": "ACTIVE"}]) } else { json!([]) }},
            "configRecorders": if self.ok() {
                json!([{"name": "default", "roleARN": format!("arn:aws:iam::{}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig", self.account.id),
                        "recordingGroup": {"allSupported": true, "includeGlobalResourceTypes": home, "resourceTypes": []},
                        "recording": true, "lastStatus": "SUCCESS"}])
            } else { json!([]) },
        });
        if home {
            let mfa = self.ok();
            let extra = json!({
                "accountSummary": {"AccountMFAEnabled": u8::from(mfa), "AccountAccessKeysPresent": u8::from(!self.ok()), "Users": 12, "Roles": 20, "Policies": 8},
                "virtualMfaDevices": if mfa && !self.ok() {
                    json!([{"serialNumber": format!("arn:aws:iam::{}:mfa/root-account-mfa-device", self.account.id), "userArn": format!("arn:aws:iam::{}:root", self.account.id)}])
                } else { json!([]) },
                "passwordPolicy": if self.ok() {
                    json!({"minimumPasswordLength": 14, "requireSymbols": true, "requireNumbers": true, "requireUppercaseCharacters": true,
                           "requireLowercaseCharacters": true, "allowUsersToChangePassword": true, "expirePasswords": true,
                           "maxPasswordAge": 90, "passwordReusePrevention": 24, "hardExpiry": false})
                } else if self.rng.chance(0.5) { json!(null) } else {
                    json!({"minimumPasswordLength": 8, "requireSymbols": false, "requireNumbers": true, "requireUppercaseCharacters": true,
                           "requireLowercaseCharacters": true, "allowUsersToChangePassword": true, "expirePasswords": false, "passwordReusePrevention": 0})
                },
                "s3PublicAccessBlock": if self.ok() {
                    json!({"blockPublicAcls": true, "ignorePublicAcls": true, "blockPublicPolicy": true, "restrictPublicBuckets": true})
                } else { json!(null) },
                "organization": {"id": "o-synthetic01", "masterAccountId": "100000000000", "featureSet": "ALL"},
            });
            if let (Some(target), Value::Object(extra)) = (configuration.as_object_mut(), extra) {
                target.extend(extra);
            }
        }
        let item = configuration_item(
            self.account,
            "AWS::::Account",
            &self.account.id.clone(),
            Some(&self.account.name.clone()),
            None,
            region,
            configuration,
            json!({}),
            json!({}),
        );
        self.emit(item)
    }

    fn policy_document(&mut self, admin: bool) -> String {
        let document = if admin {
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
        } else {
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*",
                   "Condition": {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}}}]})
        };
        url_encode(&document.to_string())
    }

    fn iam(&mut self, budget: usize) -> io::Result<()> {
        let account = self.account.id.clone();
        let users = (budget / 3).max(2);
        let roles = (budget / 3).max(2);
        let policies = (budget / 6).max(1);
        let group_arn = format!("arn:aws:iam::{account}:group/engineers");
        let group_policy = self.policy_document(false);
        let group = configuration_item(
            self.account,
            "AWS::IAM::Group",
            &format!("AGPA{}", self.rng.hex(17).to_uppercase()),
            Some("engineers"),
            Some(group_arn.clone()),
            GLOBAL_REGION,
            json!({"groupName": "engineers", "path": "/", "arn": group_arn,
                   "groupPolicyList": [{"policyName": "ip-limit", "policyDocument": group_policy}],
                   "attachedManagedPolicies": [{"policyName": "ReadOnlyAccess", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]}),
            json!({}),
            json!({}),
        );
        self.emit(group)?;
        // AWS-managed policies attached in the account are recorded too (docs/INVENTORY.md).
        for (name, document) in [
            (
                "ReadOnlyAccess",
                json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "ec2:Describe*"], "Resource": "*"}]}),
            ),
            (
                "AWSSupportAccess",
                json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["support:*"], "Resource": "*"}]}),
            ),
        ] {
            let arn = format!("arn:aws:iam::aws:policy/{name}");
            let item = configuration_item(
                self.account,
                "AWS::IAM::Policy",
                &format!("ANPA{}", self.rng.hex(17).to_uppercase()),
                Some(name),
                Some(arn.clone()),
                GLOBAL_REGION,
                json!({"policyName": name, "arn": arn, "path": "/", "defaultVersionId": "v1", "attachmentCount": 1,
                       "permissionsBoundaryUsageCount": 0, "isAttachable": true,
                       "policyVersionList": [{"document": url_encode(&document.to_string()), "versionId": "v1", "isDefaultVersion": true, "createDate": "2015-02-06T18:40:00Z"}]}),
                json!({}),
                json!({}),
            );
            self.emit(item)?;
        }
        for index in 0..policies {
            let name = format!("policy-{index}");
            let arn = format!("arn:aws:iam::{account}:policy/{name}");
            let admin = !self.ok();
            let document = self.policy_document(admin);
            let item = configuration_item(
                self.account,
                "AWS::IAM::Policy",
                &format!("ANPA{}", self.rng.hex(17).to_uppercase()),
                Some(&name),
                Some(arn.clone()),
                GLOBAL_REGION,
                json!({"policyName": name, "arn": arn, "path": "/", "defaultVersionId": "v1", "attachmentCount": 1,
                       "permissionsBoundaryUsageCount": 0, "isAttachable": true,
                       "policyVersionList": [{"document": document, "versionId": "v1", "isDefaultVersion": true, "createDate": "2024-01-01T00:00:00Z"}]}),
                json!({}),
                json!({}),
            );
            self.emit(item)?;
        }
        for index in 0..users {
            let name = format!("user-{index}");
            let arn = format!("arn:aws:iam::{account}:user/{name}");
            let console = self.rng.chance(0.6);
            let mfa = console && self.ok();
            let key_age = if self.ok() { 30 } else { 200 };
            let keys = if self.rng.chance(0.5) {
                json!([{"accessKeyId": format!("AKIA{}", self.rng.hex(16).to_uppercase()), "status": "Active",
                        "createDate": days_before(key_age), "lastUsedDate": if self.ok() { json!(days_before(3)) } else { json!(null) }}])
            } else {
                json!([])
            };
            let direct_policy = !self.ok();
            let inline = if !self.ok() {
                json!([{"policyName": "inline", "policyDocument": self.policy_document(false)}])
            } else {
                json!([])
            };
            let item = configuration_item(
                self.account,
                "AWS::IAM::User",
                &format!("AIDA{}", self.rng.hex(17).to_uppercase()),
                Some(&name),
                Some(arn.clone()),
                GLOBAL_REGION,
                json!({"userName": name, "arn": arn, "path": "/", "createDate": "2023-01-01T00:00:00Z",
                       "groupList": ["engineers"], "userPolicyList": inline,
                       "attachedManagedPolicies": if direct_policy { json!([{"policyName": "policy-0", "policyArn": format!("arn:aws:iam::{account}:policy/policy-0")}]) } else { json!([]) },
                       "permissionsBoundary": null, "tags": []}),
                json!({
                    "LoginProfile": if console { json!({"createDate": "2023-01-01T00:00:00Z", "passwordLastUsed": days_before(if self.ok() { 5 } else { 120 })}) } else { json!(null) },
                    "MfaDevices": if mfa { json!([{"serialNumber": format!("arn:aws:iam::{account}:mfa/{name}"), "enableDate": "2023-01-02T00:00:00Z"}]) } else { json!([]) },
                    "AccessKeys": keys,
                }),
                json!({}),
            );
            self.emit(item)?;
        }
        for index in 0..roles {
            let (name, path) = match index {
                0 => ("AWSServiceRoleForSupport".to_owned(), "/aws-service-role/support.amazonaws.com/"),
                1 => ("support".to_owned(), "/"),
                _ => (format!("role-{index}"), "/"),
            };
            let arn = format!("arn:aws:iam::{account}:role{path}{name}");
            let attached = if index == 1 && self.ok() {
                json!([{"policyName": "AWSSupportAccess", "policyArn": "arn:aws:iam::aws:policy/AWSSupportAccess"}])
            } else {
                json!([{"policyName": "ReadOnlyAccess", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}])
            };
            let used = self.rng.chance(0.7);
            let item = configuration_item(
                self.account,
                "AWS::IAM::Role",
                &format!("AROA{}", self.rng.hex(17).to_uppercase()),
                Some(&name),
                Some(arn.clone()),
                GLOBAL_REGION,
                json!({"roleName": name, "arn": arn, "path": path, "createDate": "2023-01-01T00:00:00Z",
                       "assumeRolePolicyDocument": url_encode(&json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{account}:root")}, "Action": "sts:AssumeRole"}]}).to_string()),
                       "rolePolicyList": [], "attachedManagedPolicies": attached, "instanceProfileList": []}),
                json!({"RoleLastUsed": if used { json!({"lastUsedDate": days_before(self.rng.below(200) as i64), "region": "us-east-1"}) } else { json!(null) }}),
                json!({}),
            );
            self.emit(item)?;
        }
        Ok(())
    }

    fn buckets(&mut self, regions: &[&str], count: usize) -> io::Result<()> {
        for index in 0..count.max(2) {
            let region = regions[index % regions.len()];
            // Bucket 0 receives the account's CloudTrail logs.
            let name = if index == 0 {
                format!("{}-trail", self.account.name)
            } else {
                format!("{}-{}-{}", self.account.name, index, self.rng.hex(6))
            };
            let public_read = !self.ok() && self.rng.chance(0.3);
            let grants = if public_read {
                json!([{"grantee": {"id": self.rng.hex(64), "displayName": null}, "permission": "FullControl"}, {"grantee": "AllUsers", "permission": "Read"}])
            } else {
                json!([{"grantee": {"id": self.rng.hex(64), "displayName": null}, "permission": "FullControl"}])
            };
            let ssl_only = self.ok();
            let policy = if ssl_only {
                json!({"policyText": json!({"Version": "2012-10-17", "Statement": [{"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                    "Resource": [format!("arn:aws:s3:::{name}"), format!("arn:aws:s3:::{name}/*")], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}).to_string()})
            } else {
                json!({"policyText": null})
            };
            let mut supplementary = json!({
                "AccessControlList": json!({"grantSet": null, "grantList": grants, "owner": {"displayName": null, "id": "owner"}, "isRequesterCharged": false}).to_string(),
                "BucketAccelerateConfiguration": {"status": null},
                "BucketLoggingConfiguration": if self.ok() { json!({"destinationBucketName": format!("{}-logs", self.account.name), "logFilePrefix": name}) } else { json!({"destinationBucketName": null, "logFilePrefix": null}) },
                "BucketNotificationConfiguration": {"configurations": {}},
                "BucketPolicy": policy,
                "BucketVersioningConfiguration": {"status": if self.ok() { "Enabled" } else { "Off" }, "isMfaDeleteEnabled": null},
                "IsRequesterPaysEnabled": false,
            });
            // mamori's collectors write `null` for "not configured" (docs/INVENTORY.md).
            supplementary["ServerSideEncryptionConfiguration"] = if self.ok() {
                json!({"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyID": null}, "bucketKeyEnabled": true}]})
            } else {
                json!(null)
            };
            supplementary["PublicAccessBlockConfiguration"] = if self.ok() {
                json!({"blockPublicAcls": true, "ignorePublicAcls": true, "blockPublicPolicy": true, "restrictPublicBuckets": true})
            } else {
                json!(null)
            };
            let tags = self.tags();
            let item = configuration_item(
                self.account,
                "AWS::S3::Bucket",
                &name,
                Some(&name),
                Some(format!("arn:aws:s3:::{name}")),
                region,
                json!({"name": name, "owner": {"displayName": null, "id": "owner"}, "creationDate": "2023-06-01T00:00:00.000Z"}),
                supplementary,
                tags,
            );
            self.emit(item)?;
        }
        Ok(())
    }

    fn trail(&mut self, home: &str) -> io::Result<()> {
        let account = self.account.id.clone();
        let name = "management-events";
        let arn = format!("arn:aws:cloudtrail:{home}:{account}:trail/{name}");
        let item = configuration_item(
            self.account,
            "AWS::CloudTrail::Trail",
            &arn,
            Some(name),
            Some(arn.clone()),
            home,
            json!({"name": name, "s3BucketName": format!("{}-trail", self.account.name), "includeGlobalServiceEvents": true,
                   "isMultiRegionTrail": self.ok(), "homeRegion": home, "trailARN": arn, "logFileValidationEnabled": self.ok(),
                   "cloudWatchLogsLogGroupArn": if self.ok() { json!(format!("arn:aws:logs:{home}:{account}:log-group:cloudtrail:*")) } else { json!(null) },
                   "cloudWatchLogsRoleArn": null,
                   "kmsKeyId": if self.ok() { json!(format!("arn:aws:kms:{home}:{account}:key/{}", self.rng.hex(32))) } else { json!(null) },
                   "hasCustomEventSelectors": true, "isOrganizationTrail": false}),
            json!({"TrailStatus": {"isLogging": self.ok()},
                   "EventSelectors": {"eventSelectors": [{"readWriteType": "All", "includeManagementEvents": true,
                       "dataResources": if self.ok() { json!([{"type": "AWS::S3::Object", "values": ["arn:aws:s3"]}]) } else { json!([]) }}],
                       "advancedEventSelectors": []}}),
            json!({}),
        );
        self.emit(item)
    }

    fn cloudfront(&mut self) -> io::Result<()> {
        let id = format!("E{}", self.rng.hex(13).to_uppercase());
        let arn = format!("arn:aws:cloudfront::{}:distribution/{id}", self.account.id);
        let item = configuration_item(
            self.account,
            "AWS::CloudFront::Distribution",
            &id,
            None,
            Some(arn),
            GLOBAL_REGION,
            json!({"domainName": format!("{}.cloudfront.net", id.to_lowercase()), "distributionConfig": {
                "enabled": true,
                "logging": {"enabled": self.ok(), "bucket": "logs.s3.amazonaws.com", "prefix": "cf/", "includeCookies": false},
                "defaultCacheBehavior": {"targetOriginId": "origin", "viewerProtocolPolicy": if self.ok() { "redirect-to-https" } else { "allow-all" }},
                "cacheBehaviors": {"quantity": 0, "items": []},
                "viewerCertificate": if varies(&id, 1) {
                    json!({"acmCertificateArn": format!("arn:aws:acm:us-east-1:{}:certificate/{}", self.account.id, id.to_lowercase()), "sslSupportMethod": "sni-only", "cloudFrontDefaultCertificate": false})
                } else { json!({"cloudFrontDefaultCertificate": true}) }}}),
            json!({}),
            json!({}),
        );
        self.emit(item)
    }

    fn organization_policies(&mut self) -> io::Result<()> {
        let content = json!({"Version": "2012-10-17", "Statement": [{"Sid": "ProtectSecurityServices", "Effect": "Deny", "Action": [
            "cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "guardduty:*", "config:StopConfigurationRecorder",
            "config:DeleteConfigurationRecorder", "config:DeleteDeliveryChannel", "securityhub:DisableSecurityHub",
            "securityhub:DisassociateFromMasterAccount", "securityhub:DisassociateFromAdministratorAccount"], "Resource": "*"}]});
        let id = "p-protect01".to_owned();
        let arn =
            format!("arn:aws:organizations::{}:policy/o-synthetic01/service_control_policy/{id}", self.account.id);
        let item = configuration_item(
            self.account,
            "AWS::Organizations::Policy",
            &id,
            Some("protect-security-services"),
            Some(arn.clone()),
            GLOBAL_REGION,
            json!({"PolicySummary": {"Id": id, "Arn": arn, "Name": "protect-security-services", "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": false},
                   "Content": content.to_string()}),
            json!({"Targets": [{"targetId": "r-root", "type": "ROOT"}]}),
            json!({}),
        );
        self.emit(item)
    }

    fn regional(&mut self, region: &str, budget: usize) -> io::Result<()> {
        let account = self.account.id.clone();
        let vpc = format!("vpc-{}", self.rng.hex(17));
        let vpc_item = configuration_item(
            self.account,
            "AWS::EC2::VPC",
            &vpc,
            None,
            Some(format!("arn:aws:ec2:{region}:{account}:vpc/{vpc}")),
            region,
            json!({"vpcId": vpc, "cidrBlock": "10.0.0.0/16", "isDefault": false, "state": "available", "instanceTenancy": "default"}),
            json!({}),
            json!({}),
        );
        self.emit(vpc_item)?;
        if self.ok() {
            let id = format!("fl-{}", self.rng.hex(17));
            let item = configuration_item(
                self.account,
                "AWS::EC2::FlowLog",
                &id,
                None,
                Some(format!("arn:aws:ec2:{region}:{account}:vpc-flow-log/{id}")),
                region,
                json!({"Id": id, "ResourceId": vpc, "ResourceType": "VPC", "TrafficType": "ALL", "LogDestinationType": "s3"}),
                json!({}),
                json!({}),
            );
            self.emit(item)?;
        }
        // The default security group, closed or not.
        let default_sg = format!("sg-{}", self.rng.hex(17));
        let default_rules = if self.ok() {
            json!([])
        } else {
            json!([{"ipProtocol": "-1", "userIdGroupPairs": [{"groupId": default_sg, "userId": account}], "ipv4Ranges": [], "ipRanges": [], "ipv6Ranges": [], "prefixListIds": []}])
        };
        let default_item = self.security_group(region, &vpc, &default_sg, "default", default_rules);
        self.emit(default_item)?;

        let mut remaining = budget.saturating_sub(4);
        let mut kind = 0usize;
        while remaining > 0 {
            match kind % 12 {
                0 | 6 => self.web_security_group(region, &vpc)?,
                1 | 7 => self.instance(region, &vpc)?,
                2 | 8 => self.volume(region)?,
                3 => self.subnet(region, &vpc)?,
                4 => self.rds(region)?,
                5 => self.kms_key(region)?,
                9 => self.lambda(region)?,
                10 => self.load_balancer(region, &vpc)?,
                _ => self.not_covered(region)?,
            }
            remaining -= 1;
            kind += 1;
        }
        let nacl = format!("acl-{}", self.rng.hex(17));
        let open_admin = !self.ok();
        let nacl_item = configuration_item(
            self.account,
            "AWS::EC2::NetworkAcl",
            &nacl,
            None,
            Some(format!("arn:aws:ec2:{region}:{account}:network-acl/{nacl}")),
            region,
            json!({"networkAclId": nacl, "vpcId": vpc, "isDefault": true,
                   "associations": [{"networkAclAssociationId": format!("aclassoc-{}", &nacl[4..]), "networkAclId": nacl, "subnetId": format!("subnet-{}", &nacl[4..])}],
                   "entries": [
                {"ruleNumber": 100, "protocol": "6", "ruleAction": "allow", "egress": false, "cidrBlock": "0.0.0.0/0",
                 "portRange": if open_admin { json!({"from": 0, "to": 65535}) } else { json!({"from": 443, "to": 443}) }},
                {"ruleNumber": 32767, "protocol": "-1", "ruleAction": "deny", "egress": false, "cidrBlock": "0.0.0.0/0"}]}),
            json!({}),
            json!({}),
        );
        self.emit(nacl_item)
    }

    fn security_group(&mut self, region: &str, vpc: &str, id: &str, name: &str, ingress: Value) -> Value {
        let tags = self.tags();
        configuration_item(
            self.account,
            "AWS::EC2::SecurityGroup",
            id,
            Some(name),
            Some(format!("arn:aws:ec2:{region}:{}:security-group/{id}", self.account.id)),
            region,
            json!({"groupId": id, "groupName": name, "description": format!("{name} security group"), "ownerId": self.account.id, "vpcId": vpc,
                   "ipPermissions": ingress,
                   "ipPermissionsEgress": [{"ipProtocol": "-1", "ipv4Ranges": [{"cidrIp": "0.0.0.0/0"}], "ipRanges": ["0.0.0.0/0"], "ipv6Ranges": [], "prefixListIds": [], "userIdGroupPairs": []}],
                   "tags": []}),
            json!({}),
            tags,
        )
    }

    fn web_security_group(&mut self, region: &str, vpc: &str) -> io::Result<()> {
        let id = format!("sg-{}", self.rng.hex(17));
        let mut ingress = vec![
            json!({"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "ipv4Ranges": [{"cidrIp": "0.0.0.0/0"}], "ipRanges": ["0.0.0.0/0"],
                                      "ipv6Ranges": [{"cidrIpv6": "::/0"}], "prefixListIds": [], "userIdGroupPairs": []}),
        ];
        if self.ok() {
            ingress.push(json!({"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "ipv4Ranges": [{"cidrIp": "10.0.0.0/8"}], "ipRanges": ["10.0.0.0/8"],
                                "ipv6Ranges": [], "prefixListIds": [], "userIdGroupPairs": []}));
        } else {
            let (protocol, from, to) = match self.rng.below(3) {
                0 => ("tcp", 22, 22),
                1 => ("tcp", 0, 65535),
                _ => ("-1", -1, -1),
            };
            ingress.push(json!({"ipProtocol": protocol, "fromPort": from, "toPort": to, "ipv4Ranges": [{"cidrIp": "0.0.0.0/0"}], "ipRanges": ["0.0.0.0/0"],
                                "ipv6Ranges": [], "prefixListIds": [], "userIdGroupPairs": []}));
        }
        let name = format!("web-{}", self.rng.hex(4));
        let item = self.security_group(region, vpc, &id, &name, Value::Array(ingress));
        self.emit(item)
    }

    fn instance(&mut self, region: &str, vpc: &str) -> io::Result<()> {
        let id = format!("i-{}", self.rng.hex(17));
        let public = !self.ok();
        let tags = self.tags();
        let item = configuration_item(
            self.account,
            "AWS::EC2::Instance",
            &id,
            None,
            Some(format!("arn:aws:ec2:{region}:{}:instance/{id}", self.account.id)),
            region,
            json!({"instanceId": id, "imageId": format!("ami-{}", self.rng.hex(17)), "instanceType": "m5.large", "vpcId": vpc,
                   "subnetId": format!("subnet-{}", self.rng.hex(17)), "privateIpAddress": "10.0.1.12",
                   "publicIpAddress": if public { json!("198.51.100.23") } else { json!(null) },
                   "state": {"code": 16, "name": "running"}, "architecture": "x86_64", "ebsOptimized": true,
                   "iamInstanceProfile": if self.ok() { json!({"arn": format!("arn:aws:iam::{}:instance-profile/app", self.account.id), "id": "AIPA0000000000000000"}) } else { json!(null) },
                   "metadataOptions": {"state": "applied", "httpTokens": if self.ok() { "required" } else { "optional" }, "httpPutResponseHopLimit": 1, "httpEndpoint": "enabled"},
                   "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeId": format!("vol-{}", self.rng.hex(17)), "status": "attached", "deleteOnTermination": true}}],
                   "securityGroups": [{"groupName": "web", "groupId": format!("sg-{}", self.rng.hex(17))}],
                   "virtualizationType": "hvm",
                   "networkInterfaces": [{"networkInterfaceId": format!("eni-{}", &id[2..]), "attachment": {"deviceIndex": 0}}],
                   "tags": []}),
            json!({}),
            tags,
        );
        self.emit(item)
    }

    fn volume(&mut self, region: &str) -> io::Result<()> {
        let id = format!("vol-{}", self.rng.hex(17));
        let item = configuration_item(
            self.account,
            "AWS::EC2::Volume",
            &id,
            None,
            Some(format!("arn:aws:ec2:{region}:{}:volume/{id}", self.account.id)),
            region,
            json!({"volumeId": id, "size": 100, "volumeType": "gp3", "state": "in-use", "encrypted": self.ok(),
                   "attachments": [{"instanceId": format!("i-{}", self.rng.hex(17)), "state": "attached", "device": "/dev/xvda"}]}),
            json!({}),
            json!({}),
        );
        self.emit(item)
    }

    fn subnet(&mut self, region: &str, vpc: &str) -> io::Result<()> {
        let id = format!("subnet-{}", self.rng.hex(17));
        let item = configuration_item(
            self.account,
            "AWS::EC2::Subnet",
            &id,
            None,
            Some(format!("arn:aws:ec2:{region}:{}:subnet/{id}", self.account.id)),
            region,
            json!({"subnetId": id, "vpcId": vpc, "cidrBlock": "10.0.1.0/24", "mapPublicIpOnLaunch": !self.ok(), "state": "available"}),
            json!({}),
            json!({}),
        );
        self.emit(item)
    }

    fn rds(&mut self, region: &str) -> io::Result<()> {
        let name = format!("db-{}", self.rng.hex(6));
        let arn = format!("arn:aws:rds:{region}:{}:db:{name}", self.account.id);
        let tags = self.tags();
        let item = configuration_item(
            self.account,
            "AWS::RDS::DBInstance",
            &format!("db-{}", self.rng.hex(26).to_uppercase()),
            Some(&name),
            Some(arn),
            region,
            json!({"dBInstanceIdentifier": name, "dBInstanceClass": "db.m5.large", "engine": "postgres", "dBInstanceStatus": "available",
                   "backupRetentionPeriod": if self.ok() { 7 } else { 0 }, "multiAZ": self.ok(), "publiclyAccessible": !self.ok(),
                   "storageEncrypted": self.ok(), "deletionProtection": self.ok(), "autoMinorVersionUpgrade": true,
                   "masterUsername": if varies(&name, 3) { "postgres" } else { "orders_owner" },
                   "endpoint": {"address": format!("{name}.example.{region}.rds.amazonaws.com"), "port": if varies(&name, 4) { 5432 } else { 5433 }},
                   "iAMDatabaseAuthenticationEnabled": varies(&name, 5), "monitoringInterval": if varies(&name, 6) { 60 } else { 0 }}),
            json!({}),
            tags,
        );
        self.emit(item)?;
        let snapshot = format!("{name}-snap");
        let item = configuration_item(
            self.account,
            "AWS::RDS::DBSnapshot",
            &snapshot,
            Some(&snapshot),
            Some(format!("arn:aws:rds:{region}:{}:snapshot:{snapshot}", self.account.id)),
            region,
            json!({"dBSnapshotIdentifier": snapshot, "dBInstanceIdentifier": name, "snapshotType": "manual", "encrypted": true}),
            json!({"DBSnapshotAttributes": [{"attributeName": "restore", "attributeValues": if self.ok() { json!([]) } else { json!(["all"]) }}]}),
            json!({}),
        );
        self.emit(item)
    }

    fn kms_key(&mut self, region: &str) -> io::Result<()> {
        let id = format!(
            "{}-{}-{}-{}-{}",
            self.rng.hex(8),
            self.rng.hex(4),
            self.rng.hex(4),
            self.rng.hex(4),
            self.rng.hex(12)
        );
        let item = configuration_item(
            self.account,
            "AWS::KMS::Key",
            &id,
            None,
            Some(format!("arn:aws:kms:{region}:{}:key/{id}", self.account.id)),
            region,
            json!({"keyId": id, "keyManager": "CUSTOMER", "keySpec": "SYMMETRIC_DEFAULT", "keyState": "Enabled", "keyUsage": "ENCRYPT_DECRYPT", "enabled": true}),
            json!({"KeyRotationStatus": self.ok()}),
            json!({}),
        );
        self.emit(item)
    }

    fn lambda(&mut self, region: &str) -> io::Result<()> {
        let name = format!("fn-{}", self.rng.hex(6));
        let arn = format!("arn:aws:lambda:{region}:{}:function:{name}", self.account.id);
        let policy = if self.ok() {
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "lambda:InvokeFunction", "Resource": arn,
                   "Condition": {"StringEquals": {"AWS:SourceAccount": self.account.id}}}]})
        } else {
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction", "Resource": arn}]})
        };
        let item = configuration_item(
            self.account,
            "AWS::Lambda::Function",
            &name,
            Some(&name),
            Some(arn.clone()),
            region,
            json!({"functionName": name, "functionArn": arn, "runtime": "python3.12", "handler": "app.handler", "memorySize": 256, "timeout": 30,
                   "vpcConfig": if varies(&name, 3) { json!({"subnetIds": ["subnet-0a", "subnet-0b"], "securityGroupIds": ["sg-0fn"], "vpcId": "vpc-0a"}) } else { json!(null) }}),
            json!({"Policy": policy.to_string(), "EnvironmentSecrets": []}),
            json!({}),
        );
        self.emit(item)
    }

    fn load_balancer(&mut self, region: &str, vpc: &str) -> io::Result<()> {
        let name = format!("alb-{}", self.rng.hex(6));
        let arn = format!(
            "arn:aws:elasticloadbalancing:{region}:{}:loadbalancer/app/{name}/{}",
            self.account.id,
            self.rng.hex(16)
        );
        let redirect = self.ok();
        let item = configuration_item(
            self.account,
            "AWS::ElasticLoadBalancingV2::LoadBalancer",
            &arn,
            Some(&name),
            Some(arn.clone()),
            region,
            json!({"loadBalancerArn": arn, "loadBalancerName": name, "type": "application", "scheme": "internet-facing", "vpcId": vpc,
                   "availabilityZones": [{"zoneName": format!("{region}a")}, {"zoneName": format!("{region}b")}]}),
            json!({"LoadBalancerAttributes": [{"key": "access_logs.s3.enabled", "value": if self.ok() { "true" } else { "false" }},
                                              {"key": "deletion_protection.enabled", "value": "false"}],
                   "Listeners": [{"protocol": "HTTP", "port": 80, "defaultActions": if redirect {
                        json!([{"type": "redirect", "redirectConfig": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}])
                    } else { json!([{"type": "forward", "targetGroupArn": "arn:tg"}]) }},
                    {"protocol": "HTTPS", "port": 443, "defaultActions": [{"type": "forward", "targetGroupArn": "arn:tg"}]}]}),
            json!({}),
        );
        self.emit(item)
    }

    /// Types no rule reads, as AWS Config records hundreds of them.
    fn not_covered(&mut self, region: &str) -> io::Result<()> {
        let name = format!("topic-{}", self.rng.hex(6));
        let item = configuration_item(
            self.account,
            "AWS::SNS::Topic",
            &format!("arn:aws:sns:{region}:{}:{name}", self.account.id),
            Some(&name),
            Some(format!("arn:aws:sns:{region}:{}:{name}", self.account.id)),
            region,
            json!({"TopicName": name}),
            json!({}),
            json!({}),
        );
        self.emit(item)
    }
}

/// One configuration item in AWS Config's snapshot shape (API spellings: `ARN`, `version`).
#[allow(clippy::too_many_arguments, reason = "the fields of one configuration item, named at each call site")]
fn configuration_item(
    account: &Account,
    resource_type: &str,
    id: &str,
    name: Option<&str>,
    arn: Option<String>,
    region: &str,
    configuration: Value,
    supplementary: Value,
    tags: Value,
) -> Value {
    json!({
        "version": "1.3",
        "accountId": account.id,
        "configurationItemCaptureTime": CAPTURE_TIME,
        "configurationItemStatus": "OK",
        "configurationStateId": "1700000000000",
        "resourceType": resource_type,
        "resourceId": id,
        "resourceName": name,
        "ARN": arn,
        "awsRegion": region,
        "availabilityZone": if region == GLOBAL_REGION { "Not Applicable".to_owned() } else { format!("{region}a") },
        "tags": tags,
        "relationships": [],
        "configuration": configuration,
        "supplementaryConfiguration": supplementary,
    })
}

/// An ISO date `days` before the fixed capture time.
/// A compliant or not value derived from a generated name's hex digit at `at`, so that fields
/// added later vary across resources without drawing from the generator (which would change
/// every resource generated after them).
fn varies(name: &str, at: usize) -> bool {
    name.as_bytes().get(at).is_some_and(|digit| digit % 2 == 0)
}

fn days_before(days: i64) -> String {
    // 2026-11-01 is day 20,758 since the epoch.
    let day = 20_758 - days;
    let (year, month, date) = mamori_model::time::civil_from_days(day);
    format!("{year:04}-{month:02}-{date:02}T00:00:00Z")
}

/// Percent-encode as AWS Config does for IAM policy documents.
fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes() {
        let spec = Spec { accounts: 2, regions: 2, items: 100, seed: 1, compliant_share: 0.8, gzip: false };
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let written = generate(&spec, a.path()).unwrap();
        generate(&spec, b.path()).unwrap();
        assert_eq!(written.files, 2);
        assert!(written.items >= 100, "{} items", written.items);
        for entry in std::fs::read_dir(a.path()).unwrap() {
            let name = entry.unwrap().file_name();
            assert_eq!(std::fs::read(a.path().join(&name)).unwrap(), std::fs::read(b.path().join(&name)).unwrap());
        }
    }

    #[test]
    fn dates_count_back_from_capture_time() {
        assert_eq!(days_before(0), "2026-11-01T00:00:00Z");
        assert_eq!(days_before(31), "2026-10-01T00:00:00Z");
    }
}
