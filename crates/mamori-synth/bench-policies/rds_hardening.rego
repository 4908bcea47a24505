# Benchmark policy: RDS instances are encrypted, private, backed up and protected.
package mamori.bench.rds_hardening

metadata := {
	"id": "bench-rds-hardening",
	"title": "RDS instances are encrypted, private, backed up and protected",
	"severity": "high",
	"resource_types": ["AWS::RDS::DBInstance"],
}

deny contains sprintf("database %s is not encrypted", [input.resourceId]) if not input.configuration.storageEncrypted

deny contains sprintf("database %s is publicly accessible", [input.resourceId]) if input.configuration.publiclyAccessible

deny contains sprintf("database %s keeps backups %v days (< 7)", [input.resourceId, input.configuration.backupRetentionPeriod]) if {
	input.configuration.backupRetentionPeriod < 7
}

deny contains sprintf("production database %s has no deletion protection", [input.resourceId]) if {
	input.tags.environment == "prod"
	not input.configuration.deletionProtection
}
