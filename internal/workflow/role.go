package workflow

import "strings"

// ParseRole reads a role written as its label (审核签发人) or its code
// (approver, in any case): rosters kept in Excel use the labels, scripts
// the codes.
func ParseRole(s string) (Role, bool) {
	s = strings.TrimSpace(s)
	for _, r := range AllRoles {
		if s == roleLabel[r] || strings.EqualFold(s, string(r)) {
			return r, true
		}
	}
	return "", false
}

// RoleNames lists every role as "label（code）", for messages that say
// what may be written.
func RoleNames() string {
	var out []string
	for _, r := range AllRoles {
		out = append(out, roleLabel[r]+"（"+string(r)+"）")
	}
	return strings.Join(out, "、")
}
