# IAM users with active access keys must be confined to the organization's networks: some
# policy that applies to the user (its own inline or attached policies, or those of its
# groups) denies every request coming from outside the allowed source IP ranges, or else every
# Allow statement of those policies carries an `IpAddress` condition on `aws:SourceIp`.
# Managed policies and groups are separate configuration items, so this policy reads the
# whole IAM inventory of the account (IAM is global: region `global`).
package mamori.examples.iam_access_key_source_ip

metadata := {
	"id": "org-iam-access-key-source-ip",
	"title": "IAM users with active access keys are denied requests from outside allowed source IP ranges",
	"severity": "high",
	"resource_types": ["AWS::IAM::User"],
	"inventory_types": ["AWS::IAM::Group", "AWS::IAM::Policy"],
	"input": "region-inventory",
	"description": "A leaked access key works from anywhere; a Deny on requests from outside the company's networks makes a stolen key useless to an outsider.",
	"remediation": "Attach to the user or its group a policy with `{\"Effect\": \"Deny\", \"Action\": \"*\", \"Resource\": \"*\", \"Condition\": {\"NotIpAddress\": {\"aws:SourceIp\": [\"203.0.113.0/24\"]}}}`, or replace the key with a role.",
	"stride": "Spoofing",
}

users := [item | some item in input.items; item.resourceType == "AWS::IAM::User"]

groups := {item.configuration.groupName: item |
	some item in input.items
	item.resourceType == "AWS::IAM::Group"
}

managed := {item.arn: item |
	some item in input.items
	item.resourceType == "AWS::IAM::Policy"
}

# AWS Config writes policy documents URL-encoded; snapshots converted by other tools may hold
# them as JSON text or as objects.
document(raw) := json.unmarshal(urlquery.decode(raw)) if is_string(raw)

else := raw

as_list(value) := value if is_array(value)

else := [value]

managed_document(arn) := document(version.document) if {
	some version in managed[arn].configuration.policyVersionList
	version.isDefaultVersion == true
}

# Every policy document that applies to a user.
documents(user) := ((inline | attached) | group_inline) | group_attached if {
	inline := {document(policy.policyDocument) | some policy in user.configuration.userPolicyList}
	attached := {managed_document(policy.policyArn) | some policy in user.configuration.attachedManagedPolicies}
	group_inline := {document(policy.policyDocument) |
		some name in user.configuration.groupList
		some policy in groups[name].configuration.groupPolicyList
	}
	group_attached := {managed_document(policy.policyArn) |
		some name in user.configuration.groupList
		some policy in groups[name].configuration.attachedManagedPolicies
	}
}

# A blanket Deny conditioned on the source address lying outside narrower-than-/0 ranges.
source_ip_guard(doc) if {
	some statement in as_list(doc.Statement)
	statement.Effect == "Deny"
	"*" in as_list(statement.Action)
	"*" in as_list(statement.Resource)
	some operator, condition in statement.Condition
	lower(operator) in {"notipaddress", "notipaddressifexists"}
	some key, ranges in condition
	lower(key) == "aws:sourceip"
	every range in as_list(ranges) {
		not endswith(range, "/0")
	}
}

active_keys(user) := [key.accessKeyId |
	some key in user.supplementaryConfiguration.AccessKeys
	key.status == "Active"
]

deny contains {"resourceId": user.resourceId, "message": msg} if {
	some user in users
	keys := active_keys(user)
	count(keys) > 0
	not restricted(user)
	msg := sprintf("user %s has active access key %s usable from any address: no policy of the user or its groups denies requests from outside allowed source IP ranges, and not every Allow statement requires an aws:SourceIp%s", [user.configuration.userName, concat(", ", keys), unverified(user)])
}

unverified(user) := "" if count(missing(user)) == 0

else := sprintf(" (not in the inventory: %s)", [concat(", ", sort(missing(user)))])

restricted(user) if {
	some doc in documents(user)
	source_ip_guard(doc)
}

restricted(user) if {
	count(missing(user)) == 0
	every doc in documents(user) {
		every statement in as_list(doc.Statement) {
			confined(statement)
		}
	}
}

confined(statement) if statement.Effect != "Allow"

confined(statement) if {
	some operator, condition in statement.Condition
	lower(operator) in {"ipaddress", "ipaddressifexists"}
	some key, ranges in condition
	lower(key) == "aws:sourceip"
	every range in as_list(ranges) {
		not endswith(range, "/0")
	}
}

# What applies to the user but is not in the inventory: then only a guard found elsewhere
# can prove the restriction.
missing(user) := {sprintf("group %s", [name]) |
	some name in user.configuration.groupList
	not groups[name]
} | {sprintf("managed policy %s", [arn]) |
	some arn in attached_arns(user)
	not managed_document(arn)
}

attached_arns(user) := {policy.policyArn | some policy in user.configuration.attachedManagedPolicies} | {policy.policyArn |
	some name in user.configuration.groupList
	some policy in groups[name].configuration.attachedManagedPolicies
}
