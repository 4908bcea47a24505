# Benchmark policy: Lambda functions run on supported runtimes.
package mamori.bench.lambda_runtime

metadata := {
	"id": "bench-lambda-supported-runtime",
	"title": "Lambda functions run on supported runtimes",
	"severity": "medium",
	"resource_types": ["AWS::Lambda::Function"],
}

deprecated := {"python2.7", "python3.6", "python3.7", "python3.8", "nodejs12.x", "nodejs14.x", "nodejs16.x", "ruby2.7", "go1.x", "dotnetcore3.1"}

deny contains msg if {
	input.configuration.runtime in deprecated
	msg := sprintf("function %s runs on deprecated runtime %s", [input.resourceId, input.configuration.runtime])
}
