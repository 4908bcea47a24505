# Benchmark policy: Production S3 buckets have versioning enabled.
package mamori.bench.s3_bucket_versioning

metadata := {
	"id": "bench-s3-versioning-prod",
	"title": "Production S3 buckets have versioning enabled",
	"severity": "medium",
	"resource_types": ["AWS::S3::Bucket"],
}

deny contains msg if {
	input.tags.environment == "prod"
	object.get(input.supplementaryConfiguration, ["BucketVersioningConfiguration", "status"], "Off") != "Enabled"
	msg := sprintf("production bucket %s has versioning off", [input.resourceId])
}
