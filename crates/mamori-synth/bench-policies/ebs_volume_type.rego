# Benchmark policy: EBS volumes use gp3 rather than gp2.
package mamori.bench.ebs_volume_type

metadata := {
	"id": "bench-ebs-gp3",
	"title": "EBS volumes use gp3 rather than gp2",
	"severity": "informational",
	"resource_types": ["AWS::EC2::Volume"],
}

deny contains msg if {
	input.configuration.volumeType == "gp2"
	msg := sprintf("volume %s is gp2 (gp3 is cheaper and faster)", [input.resourceId])
}
