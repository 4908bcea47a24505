# Benchmark policy: IAM roles trust only principals of the organization.
package mamori.bench.iam_role_trust

metadata := {
	"id": "bench-iam-role-trust-org-only",
	"title": "IAM roles trust only principals of the organization",
	"severity": "high",
	"resource_types": ["AWS::IAM::Role"],
}

org_accounts := {"100000000000", "100000013424", "100000022174", "100000029887", "100000033549", "100000044397"}

document(raw) := json.unmarshal(urlquery.decode(raw)) if is_string(raw)

else := raw

as_list(value) := value if is_array(value)

else := [value]

deny contains msg if {
	some statement in as_list(document(input.configuration.assumeRolePolicyDocument).Statement)
	statement.Effect == "Allow"
	some principal in as_list(object.get(statement, ["Principal", "AWS"], []))
	account := account_of(principal)
	not account in org_accounts
	msg := sprintf("role %s trusts %s outside the organization", [input.resourceName, principal])
}

account_of(principal) := split(principal, ":")[4] if startswith(principal, "arn:")

else := principal
