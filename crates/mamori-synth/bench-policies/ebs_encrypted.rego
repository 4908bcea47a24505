# Benchmark policy: EBS volumes are encrypted.
package mamori.bench.ebs_encrypted

metadata := {
	"id": "bench-ebs-encrypted",
	"title": "EBS volumes are encrypted",
	"severity": "high",
	"resource_types": ["AWS::EC2::Volume"],
}

deny contains msg if {
	not input.configuration.encrypted
	msg := sprintf("volume %s is not encrypted", [input.resourceId])
}
