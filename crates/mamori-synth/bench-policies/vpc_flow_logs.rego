# Benchmark policy: Every VPC has a flow log capturing all traffic.
package mamori.bench.vpc_flow_logs

metadata := {
	"id": "bench-vpc-flow-logs",
	"title": "Every VPC has a flow log capturing all traffic",
	"severity": "medium",
	"resource_types": ["AWS::EC2::VPC"],
	"input": "region-inventory",
	"inventory_types": ["AWS::EC2::FlowLog"],
}

logged contains log.configuration.ResourceId if {
	some log in input.items
	log.resourceType == "AWS::EC2::FlowLog"
	log.configuration.TrafficType == "ALL"
}

deny contains {"resourceId": vpc.resourceId, "message": sprintf("VPC %s has no flow log capturing all traffic", [vpc.resourceId])} if {
	some vpc in input.items
	vpc.resourceType == "AWS::EC2::VPC"
	not vpc.resourceId in logged
}
