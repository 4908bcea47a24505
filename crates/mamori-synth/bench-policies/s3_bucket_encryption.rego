# Benchmark policy: S3 buckets encrypt with KMS by default.
package mamori.bench.s3_bucket_encryption

metadata := {
	"id": "bench-s3-sse-kms",
	"title": "S3 buckets encrypt with KMS by default",
	"severity": "medium",
	"resource_types": ["AWS::S3::Bucket"],
}

algorithms contains rule.applyServerSideEncryptionByDefault.sseAlgorithm if {
	some rule in input.supplementaryConfiguration.ServerSideEncryptionConfiguration.rules
}

deny contains msg if {
	not "aws:kms" in algorithms
	msg := sprintf("bucket %s does not encrypt with KMS by default", [input.resourceId])
}
