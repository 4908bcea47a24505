# Security groups may be open to the whole internet (0.0.0.0/0 or ::/0) only on the ports the
# organization authorizes. Unlike AWS's managed rule `vpc-sg-open-only-to-authorized-ports`,
# which checks only groups that carry a tag, every group is checked here, and a group is exempt
# only when it carries an explicit exemption tag whose value says why (a ticket, an approver).
package mamori.examples.sg_open_ingress_authorized

metadata := {
	"id": "org-sg-open-ingress-authorized-ports",
	"title": "Security groups are open to 0.0.0.0/0 or ::/0 only on authorized ports, unless explicitly exempted",
	"severity": "high",
	"resource_types": ["AWS::EC2::SecurityGroup"],
	"input": "item",
	"description": "A port open to the internet is reachable by every scanner; only the ports the organization serves publicly may be open, and any other exposure must be a recorded, owned exception.",
	"remediation": "Remove the ingress rule, narrow its source, or, when the exposure is approved, tag the group `security-exemption=<ticket>`.",
	"fsbp": ["EC2.18"],
	"stride": "Information disclosure",
}

authorized_tcp_ports := {80, 443}

authorized_udp_ports := set()

exemption_tag := "security-exemption"

exempt if trim_space(input.tags[exemption_tag]) != ""

# The world-open sources of a permission: legacy `ipRanges` strings, `ipv4Ranges` and
# `ipv6Ranges` objects, as AWS Config writes them.
open_source(permission) := "0.0.0.0/0" if {
	some range in object.get(permission, "ipRanges", [])
	range == "0.0.0.0/0"
} else := "0.0.0.0/0" if {
	some range in object.get(permission, "ipv4Ranges", [])
	range.cidrIp == "0.0.0.0/0"
} else := "::/0" if {
	some range in object.get(permission, "ipv6Ranges", [])
	range.cidrIpv6 == "::/0"
}

protocol(permission) := lower(sprintf("%v", [permission.ipProtocol]))

authorized(permission) if {
	protocol(permission) in {"tcp", "6"}
	permission.fromPort == permission.toPort
	permission.fromPort in authorized_tcp_ports
}

authorized(permission) if {
	protocol(permission) in {"udp", "17"}
	permission.fromPort == permission.toPort
	permission.fromPort in authorized_udp_ports
}

ports(permission) := "all ports" if protocol(permission) == "-1"

else := sprintf("%s %v", [protocol(permission), permission.fromPort]) if permission.fromPort == permission.toPort

else := sprintf("%s %v-%v", [protocol(permission), permission.fromPort, permission.toPort])

deny contains msg if {
	not exempt
	some permission in input.configuration.ipPermissions
	source := open_source(permission)
	not authorized(permission)
	msg := sprintf("security group %s is open to %s on %s, which is not an authorized port", [input.resourceId, source, ports(permission)])
}
