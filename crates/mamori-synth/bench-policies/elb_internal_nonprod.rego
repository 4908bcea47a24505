# Benchmark policy: Load balancers outside production are internal.
package mamori.bench.elb_internal_nonprod

metadata := {
	"id": "bench-elb-internal-outside-prod",
	"title": "Load balancers outside production are internal",
	"severity": "medium",
	"resource_types": ["AWS::ElasticLoadBalancingV2::LoadBalancer"],
}

deny contains msg if {
	input.configuration.scheme == "internet-facing"
	input.tags.environment != "prod"
	msg := sprintf("load balancer %s faces the internet in %s", [input.resourceId, object.get(input.tags, "environment", "an untagged environment")])
}
