package workflow

import "slices"

// Role is what a user may do in general; what they may do to a given case is
// decided by the methods of Service, which also look at departments and turns.
type Role string

const (
	Clerk    Role = "clerk"    // 区府办: intake, assignment, compiling, publication
	Staff    Role = "staff"    // department staff: drafts the department's sections
	Head     Role = "head"     // department head: confirms and submits sections
	Approver Role = "approver" // may be named in a sign-off step
	Admin    Role = "admin"    // sets up number series
)

// Identity is the acting user, as established by the edge (dev header
// locally, JWT claims on AWS). Service trusts it and nothing else.
type Identity struct {
	User  string `json:"user"`
	Name  string `json:"name"`
	Dept  string `json:"dept,omitempty"`
	Title string `json:"title,omitempty"` // 职务, shown in signature records
	Roles []Role `json:"roles"`
}

// Has reports whether the identity carries role r.
// AllRoles lists every role in the order the pages, the command line and
// rosters show them.
var AllRoles = []Role{Clerk, Staff, Head, Approver, Admin}

// Label is the role's name as users know it.
func (r Role) Label() string {
	if l, ok := roleLabel[r]; ok {
		return l
	}
	return string(r)
}

func (id Identity) Has(r Role) bool { return slices.Contains(id.Roles, r) }

// Anonymous is the public reader.
var Anonymous = Identity{User: "", Name: "公众"}

func (id Identity) label() string {
	if id.Name != "" {
		return id.Name
	}
	return id.User
}
