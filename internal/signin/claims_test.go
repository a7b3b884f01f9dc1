package signin

import (
	"slices"
	"strings"
	"testing"

	"github.com/docflow/docflow/internal/workflow"
)

// TestClaimMap maps the claims of the providers docflow is deployed with,
// as their ID tokens (or API Gateway's flattened claims) carry them.
func TestClaimMap(t *testing.T) {
	keycloakStyle, err := ParseClaims("")
	if err != nil {
		t.Fatal(err)
	}
	platform, err := ParseClaims("user=employee_no,sub name=realname dept=org_name title=position roles=authorities role-prefix=docflow-")
	if err != nil {
		t.Fatal(err)
	}
	id := func(user, name, dept, title string, roles ...workflow.Role) workflow.Identity {
		return workflow.Identity{User: user, Name: name, Dept: dept, Title: title, Roles: roles}
	}
	for _, tc := range []struct {
		name   string
		m      ClaimMap
		claims map[string]any
		want   workflow.Identity
	}{
		{"CognitoIDToken", DefaultClaims, map[string]any{"sub": "0b7c", "cognito:username": "fulian-head", "name": "赵华",
			"custom:dept": "区妇联", "custom:title": "主任", "cognito:groups": []any{"head", "approver"}},
			id("fulian-head", "赵华", "区妇联", "主任", workflow.Head, workflow.Approver)},
		{"CognitoThroughAPIGateway", DefaultClaims, map[string]any{"sub": "0b7c", "cognito:username": "clerk", "cognito:groups": "[clerk admin]"},
			id("clerk", "", "", "", workflow.Clerk, workflow.Admin)},
		{"Keycloak", keycloakStyle, map[string]any{"sub": "f:1", "preferred_username": "mayor", "name": "李强", "department": "区政府",
			"title": "区长", "groups": []any{"approver", "approver"}},
			id("mayor", "李强", "区政府", "区长", workflow.Approver)},
		{"SpaceSeparatedRoles", DefaultClaims, map[string]any{"sub": "u1", "roles": "staff, head"}, id("u1", "", "", "", workflow.Staff, workflow.Head)},
		{"OnlySub", DefaultClaims, map[string]any{"sub": "u1"}, id("u1", "", "", "")},
		{"GovernmentPlatform", platform, map[string]any{"sub": "x", "employee_no": "310106-0042", "realname": "王敏", "org_name": "区府办",
			"position": "秘书", "authorities": []any{"admin", "docflow-clerk", "docflow-", "finance"}},
			id("310106-0042", "王敏", "区府办", "秘书", workflow.Clerk)},
		{"FallbackToSecondName", platform, map[string]any{"sub": "x9", "employee_no": ""}, id("x9", "", "", "")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.m.Identity(tc.claims)
			if err != nil {
				t.Fatal(err)
			}
			if got.User != tc.want.User || got.Name != tc.want.Name || got.Dept != tc.want.Dept || got.Title != tc.want.Title || !slices.Equal(got.Roles, tc.want.Roles) {
				t.Errorf("Identity = %+v; want %+v", got, tc.want)
			}
		})
	}
	if _, err := DefaultClaims.Identity(map[string]any{"name": "无名"}); err == nil || !strings.Contains(err.Error(), "preferred_username") {
		t.Errorf("claims without a user: %v; want an error naming the claims looked for", err)
	}
}

// TestParseClaims reads mappings back from their String form and refuses
// what it cannot read, saying how to write it.
func TestParseClaims(t *testing.T) {
	m, err := ParseClaims(DefaultClaims.String())
	if err != nil || m.String() != DefaultClaims.String() {
		t.Errorf("ParseClaims(DefaultClaims.String()) = %v, %v; want DefaultClaims", m, err)
	}
	m, err = ParseClaims("  roles=groups   role-prefix=docflow- ")
	if err != nil || !slices.Equal(m.Roles, []string{"groups"}) || m.RolePrefix != "docflow-" || !slices.Equal(m.User, DefaultClaims.User) {
		t.Errorf("ParseClaims(roles, role-prefix) = %v, %v; want those two changed, the rest default", m, err)
	}
	for _, bad := range []string{"user", "user=", "group=x", "user=a roles"} {
		if _, err := ParseClaims(bad); err == nil || !strings.Contains(err.Error(), "key") {
			t.Errorf("ParseClaims(%q) = %v; want an error that explains the keys", bad, err)
		}
	}
}
