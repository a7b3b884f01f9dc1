package web

import (
	"fmt"
	"strings"

	"github.com/docflow/docflow/internal/workflow"
)

// Access says who may use a route. The handlers enforce it through the
// Service (workflow.Allowed, workflow.Service.Case) or, for what is not a
// case's, themselves; the authorization matrix test sends every route as
// every kind of user at every stage and checks the answer against it, and
// fails on a route without one.
type Access struct {
	Kind   AccessKind
	Action workflow.Action // Act: the action the route takes
	Roles  []workflow.Role // Roles: any of these
}

// AccessKind is how a route decides who may use it.
type AccessKind int

const (
	NoRule     AccessKind = iota // a route nobody decided on: the matrix test fails
	Public                       // anyone, signed in or not
	SignedIn                     // anyone signed in, seeing what is theirs
	AdminOnly                    // administrators
	Roles                        // holders of one of Access.Roles
	ReadCase                     // whoever may see the case: workflow.Service.Case
	ReadReport                   // whoever may see the case's report: the office and its signers
	ReadAudit                    // whoever may read the case's whole audit trail: the office and its signers
	Act                          // whoever workflow.Allowed lets take Access.Action now
	SetupLink                    // whoever holds the one-time setup link
	OfficeWide                   // the office and its leaders: workflow.CanSeeStatistics
)

var (
	public     = Access{Kind: Public}
	signedIn   = Access{Kind: SignedIn}
	adminOnly  = Access{Kind: AdminOnly}
	readCase   = Access{Kind: ReadCase}
	readReport = Access{Kind: ReadReport}
	readAudit  = Access{Kind: ReadAudit}
	setupLink  = Access{Kind: SetupLink}
)

func act(a workflow.Action) Access { return Access{Kind: Act, Action: a} }

func roles(rs ...workflow.Role) Access { return Access{Kind: Roles, Roles: rs} }

// check refuses, before the handler runs, whom the route's Access refuses
// whatever the case: the public where one must sign in, and those without
// the role a route needs. What depends on the case is the Service's to
// decide (workflow.Allowed).
func (a Access) check(id workflow.Identity) error {
	switch a.Kind {
	case Public, SetupLink, ReadCase, ReadReport:
		return nil // the public may read what is published; the link is its own proof
	case NoRule:
		return workflow.Errorf("web.access", workflow.Forbidden, "此功能尚未开放")
	}
	if id.User == "" {
		return fmt.Errorf("%s: %w", "web.access", errUnauthenticated)
	}
	switch a.Kind {
	case AdminOnly:
		if !id.Has(workflow.Admin) {
			return workflow.Errorf("web.access", workflow.Forbidden, "只有管理员可以使用此功能")
		}
	case OfficeWide:
		if !workflow.CanSeeStatistics(id) {
			return workflow.Errorf("web.access", workflow.Forbidden, "只有区府办经办人、管理员和区领导（不属于承办部门的审核签发人）可以使用此功能")
		}
	case Roles:
		var who []string
		for _, r := range a.Roles {
			if id.Has(r) {
				return nil
			}
			who = append(who, r.Label())
		}
		return workflow.Errorf("web.access", workflow.Forbidden, "只有%s可以使用此功能", strings.Join(who, "或"))
	}
	return nil
}
