# Benchmark policy: Only DMZ instances have public IP addresses.
package mamori.bench.ec2_public_ip_prod

metadata := {
	"id": "bench-ec2-no-public-ip-outside-dmz",
	"title": "Only DMZ instances have public IP addresses",
	"severity": "high",
	"resource_types": ["AWS::EC2::Instance"],
}

deny contains msg if {
	input.configuration.publicIpAddress
	input.tags.zone != "dmz"
	msg := sprintf("instance %s has public address %s outside the DMZ", [input.resourceId, input.configuration.publicIpAddress])
}
