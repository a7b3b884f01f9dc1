package signin

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/docflow/docflow/internal/workflow"
)

// ClaimMap names the token claims that say who a user is to docflow. Each
// field lists claim names tried in order; the first one present (and not
// empty) is used. Only top-level claims are read.
type ClaimMap struct {
	User  []string // the account name docflow knows the user by (the roster's user, e.g. fulian-head)
	Name  []string // the name shown and recorded in signatures
	Dept  []string // the department, as the organisation profile names it (e.g. 区妇联)
	Title []string // the position (职务), shown in signature records
	// Roles holds the user's groups or roles: a JSON array, or a string of
	// names separated by spaces or commas ("[clerk approver]", as API
	// Gateway's JWT authorizer flattens an array, is read too). A group
	// whose name is a docflow role (clerk, staff, head, approver, admin)
	// gives that role.
	Roles []string
	// RolePrefix, if set, keeps only the groups that start with it, less
	// the prefix: with "docflow-", the group docflow-clerk gives the role
	// clerk, and the office-wide group admin gives nothing. Set it when the
	// provider's groups are the whole government's, not docflow's own.
	RolePrefix string
}

// DefaultClaims reads Cognito's claims (cognito:username, custom:dept,
// custom:title, cognito:groups) and the names most other providers use
// (preferred_username, department, title, groups or roles; Keycloak with a
// group membership mapper named groups and user attribute mappers for
// department and title).
var DefaultClaims = ClaimMap{
	User:  []string{"cognito:username", "preferred_username", "sub"},
	Name:  []string{"name"},
	Dept:  []string{"custom:dept", "department"},
	Title: []string{"custom:title", "title"},
	Roles: []string{"cognito:groups", "groups", "roles"},
}

func (m ClaimMap) isZero() bool {
	return m.User == nil && m.Name == nil && m.Dept == nil && m.Title == nil && m.Roles == nil && m.RolePrefix == ""
}

func (m ClaimMap) check() error {
	if len(m.User) == 0 {
		return errors.New("signin: the claim mapping names no claim for the user")
	}
	return nil
}

// ParseClaims reads a claim mapping written as space-separated
// key=claim[,claim…] pairs, keys user, name, dept, title, roles and
// role-prefix; a key not given keeps DefaultClaims' names. For example
//
//	user=employee_no dept=org_name roles=groups role-prefix=docflow-
//
// The empty string is DefaultClaims.
func ParseClaims(s string) (ClaimMap, error) {
	m := DefaultClaims
	for _, f := range strings.Fields(s) {
		k, v, ok := strings.Cut(f, "=")
		var names []string
		for n := range strings.SplitSeq(v, ",") {
			if n != "" {
				names = append(names, n)
			}
		}
		if !ok || len(names) == 0 && k != "role-prefix" {
			return m, fmt.Errorf("signin: claim mapping %q: want key=claim[,claim…]", f)
		}
		switch k {
		case "user":
			m.User = names
		case "name":
			m.Name = names
		case "dept":
			m.Dept = names
		case "title":
			m.Title = names
		case "roles":
			m.Roles = names
		case "role-prefix":
			m.RolePrefix = v
		default:
			return m, fmt.Errorf("signin: claim mapping %q: unknown key %q; keys are user, name, dept, title, roles, role-prefix", f, k)
		}
	}
	return m, nil
}

// String writes m as ParseClaims reads it.
func (m ClaimMap) String() string {
	s := fmt.Sprintf("user=%s name=%s dept=%s title=%s roles=%s", strings.Join(m.User, ","), strings.Join(m.Name, ","),
		strings.Join(m.Dept, ","), strings.Join(m.Title, ","), strings.Join(m.Roles, ","))
	if m.RolePrefix != "" {
		s += " role-prefix=" + m.RolePrefix
	}
	return s
}

// Identity maps claims to a docflow identity. Claims that name no user
// are an error: a token must say who signed in.
func (m ClaimMap) Identity(claims map[string]any) (workflow.Identity, error) {
	id := workflow.Identity{User: first(claims, m.User), Name: first(claims, m.Name), Dept: first(claims, m.Dept), Title: first(claims, m.Title)}
	if id.User == "" {
		return workflow.Identity{}, fmt.Errorf("the token has none of the claims %s that name the user", strings.Join(m.User, ", "))
	}
	for _, k := range m.Roles {
		v, ok := claims[k]
		if !ok {
			continue
		}
		for _, g := range groups(v) {
			if m.RolePrefix != "" {
				var ok bool
				if g, ok = strings.CutPrefix(g, m.RolePrefix); !ok {
					continue
				}
			}
			if g != "" && !slices.Contains(id.Roles, workflow.Role(g)) {
				id.Roles = append(id.Roles, workflow.Role(g))
			}
		}
		break
	}
	return id, nil
}

// first is the first of the named claims that is a non-empty string.
func first(claims map[string]any, names []string) string {
	for _, k := range names {
		if s, ok := claims[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// groups reads a claim holding names: an array, or a string of names.
func groups(v any) []string {
	var out []string
	switch g := v.(type) {
	case []any:
		for _, x := range g {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	case []string:
		out = g
	case string:
		out = strings.FieldsFunc(strings.Trim(g, "[]"), func(r rune) bool { return r == ' ' || r == ',' || r == '"' })
	}
	return out
}
