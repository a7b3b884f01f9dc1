package workflow

import "maps"

// Clone returns a copy of s that shares nothing with it that either could
// change: stores keep decoded sections to hand out copies of them.
func (s *Section) Clone() Section {
	c := *s
	c.Co = cloneSlice(s.Co)
	c.Inputs = maps.Clone(s.Inputs)
	c.Alerts = maps.Clone(s.Alerts)
	c.Attachments = cloneSlice(s.Attachments)
	if s.Returned != nil {
		r := *s.Returned
		c.Returned = &r
	}
	if s.Reminded != nil {
		r := *s.Reminded
		c.Reminded = &r
	}
	if s.Result != nil {
		r := *s.Result
		c.Result = &r
	}
	if s.Extension != nil {
		x := *s.Extension
		c.Extension = &x
	}
	if s.Liaison != nil {
		l := *s.Liaison
		c.Liaison = &l
	}
	if s.Decline != nil {
		d := *s.Decline
		c.Decline = &d
	}
	return c
}

// Clone returns a copy of o that shares nothing with it that either could
// change.
func (o *Opinion) Clone() Opinion {
	c := *o
	c.Items = cloneSlice(o.Items)
	c.Cosigners = cloneSlice(o.Cosigners)
	return c
}

// cloneSlice copies s, keeping nil nil (JSON and reflect.DeepEqual tell
// them apart).
func cloneSlice[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append(make([]T, 0, len(s)), s...)
}
