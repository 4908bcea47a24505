# Benchmark policy: EC2 instances require IMDSv2.
package mamori.bench.ec2_imdsv2

metadata := {
	"id": "bench-ec2-imdsv2",
	"title": "EC2 instances require IMDSv2",
	"severity": "high",
	"resource_types": ["AWS::EC2::Instance"],
}

deny contains msg if {
	object.get(input.configuration, ["metadataOptions", "httpTokens"], "optional") != "required"
	msg := sprintf("instance %s allows IMDSv1", [input.resourceId])
}
