# Benchmark policy: Security groups never expose database ports to the internet.
package mamori.bench.sg_database_ports

metadata := {
	"id": "bench-sg-no-public-database-ports",
	"title": "Security groups never expose database ports to the internet",
	"severity": "critical",
	"resource_types": ["AWS::EC2::SecurityGroup"],
}

database_ports := {1433, 1521, 3306, 5432, 6379, 27017}

world(permission) if "0.0.0.0/0" in object.get(permission, "ipRanges", [])

world(permission) if {
	some range in object.get(permission, "ipv6Ranges", [])
	range.cidrIpv6 == "::/0"
}

deny contains msg if {
	some permission in input.configuration.ipPermissions
	world(permission)
	some port in database_ports
	covers(permission, port)
	msg := sprintf("security group %s exposes database port %d to the internet", [input.resourceId, port])
}

covers(permission, _) if permission.ipProtocol == "-1"

covers(permission, port) if {
	permission.fromPort <= port
	port <= permission.toPort
}
