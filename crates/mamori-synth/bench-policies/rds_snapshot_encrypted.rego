# Benchmark policy: RDS snapshots are encrypted.
package mamori.bench.rds_snapshot_encrypted

metadata := {
	"id": "bench-rds-snapshot-encrypted",
	"title": "RDS snapshots are encrypted",
	"severity": "medium",
	"resource_types": ["AWS::RDS::DBSnapshot"],
}

deny contains msg if {
	not input.configuration.encrypted
	msg := sprintf("snapshot %s is not encrypted", [input.resourceId])
}
