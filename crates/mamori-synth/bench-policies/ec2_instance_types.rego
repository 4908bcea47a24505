# Benchmark policy: EC2 instances use approved instance families.
package mamori.bench.ec2_instance_types

metadata := {
	"id": "bench-ec2-approved-instance-families",
	"title": "EC2 instances use approved instance families",
	"severity": "low",
	"resource_types": ["AWS::EC2::Instance"],
}

approved := {"m5", "m6i", "m7g", "c6i", "c7g", "r6i", "t3"}

deny contains msg if {
	family := split(input.configuration.instanceType, ".")[0]
	not family in approved
	msg := sprintf("instance %s uses unapproved family %s", [input.resourceId, family])
}
