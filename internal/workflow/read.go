package workflow

import (
	"context"
	"slices"
)

// Case returns a case as id may see it: the office and the case's signers
// see everything; a department sees the case with the texts of its own
// sections only; the public sees published cases' publication only.
func (s *Service) Case(ctx context.Context, id Identity, caseID string) (*Case, error) {
	const op = "workflow.Case"
	c, err := s.Store.Case(ctx, caseID)
	if err != nil {
		return nil, err
	}
	v := visible(id, c)
	if v == nil {
		return nil, Errorf(op, NotFound, "没有案件 %s，或您无权查看", caseID)
	}
	return v, nil
}

// Cases lists the cases id may see, newest first.
func (s *Service) Cases(ctx context.Context, id Identity, q Query) ([]*Case, error) {
	switch {
	case id.Has(Clerk) || id.Has(Admin) || id.Has(Approver):
	case id.Dept != "" && (id.Has(Staff) || id.Has(Head)):
		q.Dept = id.Dept
	default:
		q.Stage = Published
	}
	cs, err := s.Store.Cases(ctx, q)
	if err != nil {
		return nil, err
	}
	out := cs[:0]
	for _, c := range cs {
		if v := visible(id, c); v != nil {
			out = append(out, v)
		}
	}
	return out, nil
}

func visible(id Identity, c *Case) *Case {
	if id.Has(Clerk) || id.Has(Admin) {
		return c
	}
	if id.Has(Approver) && c.signer(id.User) {
		return c
	}
	if id.Dept != "" && (id.Has(Staff) || id.Has(Head)) && c.involves(id.Dept) {
		d := *c
		d.Sections = slices.Clone(c.Sections)
		for i := range d.Sections {
			if !d.Sections[i].Involves(id.Dept) {
				d.Sections[i].Versions, d.Sections[i].Inputs, d.Sections[i].Comments = nil, nil, nil
			}
		}
		if !c.signer(id.User) {
			d.Report, d.Chain, d.Returns = nil, nil, nil
		}
		return &d
	}
	if c.Stage == Published {
		return &Case{ID: c.ID, Stage: c.Stage, Opinion: Opinion{Issuer: c.Opinion.Issuer, Number: c.Opinion.Number, Title: c.Opinion.Title, Date: c.Opinion.Date},
			Report: &Report{Versions: []Version{{Heading: c.Report.Current().Heading}}}, Publication: c.Publication, Created: c.Created, Updated: c.Updated}
	}
	return nil
}

func (c *Case) signer(user string) bool {
	for _, st := range c.Chain {
		if slices.Contains(st.Signers, user) {
			return true
		}
	}
	return false
}

func (c *Case) involves(dept string) bool {
	for i := range c.Sections {
		if c.Sections[i].Involves(dept) {
			return true
		}
	}
	return false
}

// Text returns a stored draft body of a case that id may see.
func (s *Service) Text(ctx context.Context, id Identity, caseID, hash string) (string, error) {
	const op = "workflow.Text"
	c, err := s.Case(ctx, id, caseID)
	if err != nil {
		return "", err
	}
	if !c.refers(hash) {
		return "", Errorf(op, NotFound, "案件 %s 中没有此稿件，或您无权查看", caseID)
	}
	b, err := s.Blobs.Get(ctx, hash)
	return string(b), err
}

func (c *Case) refers(hash string) bool {
	for _, s := range c.Sections {
		for _, v := range s.Versions {
			if v.Hash == hash {
				return true
			}
		}
		for _, in := range s.Inputs {
			if in.Hash == hash {
				return true
			}
		}
	}
	if c.Report != nil {
		for _, v := range c.Report.Versions {
			if v.Hash == hash {
				return true
			}
		}
	}
	return false
}

// Events returns the audit trail of a case, for the office and its signers.
func (s *Service) Events(ctx context.Context, id Identity, caseID string) ([]Event, error) {
	const op = "workflow.Events"
	c, err := s.Store.Case(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if !id.Has(Clerk) && !id.Has(Admin) && !c.signer(id.User) {
		return nil, Errorf(op, Forbidden, "只有区府办和签批人可以查看审计记录")
	}
	return s.Store.Events(ctx, caseID)
}

// File returns a published file of a published case; anyone may read it.
func (s *Service) File(ctx context.Context, caseID, name string) (File, []byte, error) {
	const op = "workflow.File"
	c, err := s.Store.Case(ctx, caseID)
	if err != nil {
		return File{}, nil, err
	}
	if c.Stage == Published {
		for _, f := range c.Publication.Files {
			if f.Name == name {
				b, err := s.Blobs.File(ctx, f.Key)
				return f, b, err
			}
		}
	}
	return File{}, nil, Errorf(op, NotFound, "没有已发布的文件 %s", name)
}
