# Benchmark policy: CloudTrail trails are multi-region, validated and encrypted.
package mamori.bench.cloudtrail_trail

metadata := {
	"id": "bench-cloudtrail-hardened",
	"title": "CloudTrail trails are multi-region, validated and encrypted",
	"severity": "high",
	"resource_types": ["AWS::CloudTrail::Trail"],
}

deny contains sprintf("trail %s is single-region", [input.resourceId]) if not input.configuration.isMultiRegionTrail

deny contains sprintf("trail %s does not validate log files", [input.resourceId]) if not input.configuration.logFileValidationEnabled

deny contains sprintf("trail %s is not encrypted with KMS", [input.resourceId]) if not input.configuration.kmsKeyId
