# Benchmark policy: S3 bucket names follow <team>-<env>-<purpose>.
package mamori.bench.s3_bucket_naming

metadata := {
	"id": "bench-s3-bucket-naming",
	"title": "S3 bucket names follow <team>-<env>-<purpose>",
	"severity": "low",
	"resource_types": ["AWS::S3::Bucket"],
}

deny contains msg if {
	not regex.match(`^[a-z0-9]+-(prod|staging|dev|sandbox)-[a-z0-9-]+$`, input.resourceId)
	msg := sprintf("bucket %s does not follow the <team>-<env>-<purpose> naming convention", [input.resourceId])
}
