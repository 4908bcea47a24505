# Tag policy: every EC2 instance, S3 bucket and RDS instance names its owner and environment,
# so that cost, incidents and findings can be routed to the team that runs it.
package mamori.examples.tag_policy

metadata := {
	"id": "org-required-tags",
	"title": "EC2 instances, S3 buckets and RDS instances carry the owner and environment tags",
	"severity": "medium",
	"resource_types": ["AWS::EC2::Instance", "AWS::S3::Bucket", "AWS::RDS::DBInstance"],
	"input": "item",
	"description": "Untagged resources have no owner to notify and no environment to weigh a finding by; the organization's tag policy requires both tags with a non-empty value.",
	"remediation": "Add the tags, e.g. `aws ec2 create-tags --resources i-0abc --tags Key=owner,Value=payments Key=environment,Value=prod`.",
	"stride": "Repudiation",
}

required_tags := ["owner", "environment"]

deny contains msg if {
	some tag in required_tags
	not has_value(tag)
	msg := sprintf("%s %s has no `%s` tag", [input.resourceType, input.resourceId, tag])
}

has_value(tag) if trim_space(input.tags[tag]) != ""
