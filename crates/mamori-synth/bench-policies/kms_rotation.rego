# Benchmark policy: Customer-managed KMS keys rotate.
package mamori.bench.kms_rotation

metadata := {
	"id": "bench-kms-rotation",
	"title": "Customer-managed KMS keys rotate",
	"severity": "medium",
	"resource_types": ["AWS::KMS::Key"],
}

deny contains msg if {
	input.configuration.keyManager == "CUSTOMER"
	input.configuration.keySpec == "SYMMETRIC_DEFAULT"
	input.supplementaryConfiguration.KeyRotationStatus != true
	msg := sprintf("key %s does not rotate", [input.resourceId])
}
