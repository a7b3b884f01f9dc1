package web

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/docflow/docflow/internal/workflow"
)

// A form is one POST of a page, in the steps every form of docflow takes
// (post runs them):
//
//  1. Who refuses a user who may not post it, before the body is read;
//  2. the body is read, bounded (an oversize body is refused whole, and
//     the error page shows back what could be kept); Parse reads a
//     multipart body (a file with the form) instead;
//  3. Load reads what the form edits (a case, a section);
//  4. Read fills the page from the posted fields and checks them, each
//     error beside its field (fieldErrors, or a *formError it returns);
//  5. a form with errors is shown again, 400, with what was typed;
//  6. Do calls the service;
//  7. a refusal the user can act on (Invalid, Conflict) shows the form
//     again with the service's message and what was typed: Refused may
//     first mark the field the refusal concerns, or take the version just
//     read so that the next post applies over it; Kept is added to a
//     Conflict's message to say that nothing typed was lost;
//  8. otherwise the user goes where Do says, with its message
//     (post/redirect/get).
//
// A form with no Show is a button (compile, revoke a link): a refusal
// returns to Back with its message as the flash.
//
// Two POSTs keep their own steps, because their refusals must say less
// than a form's: signing in (a refusal is 403 and never says which of
// login, password or code was wrong) and a contact's 征求意见 link (a
// link that is not one, or no longer valid, is 404 or 410, counted
// against the address).
//
// Each handler keeps its page's state in its own variables and gives post
// closures over them, so the steps are written once and the pages differ
// only in what they read and call.
type form struct {
	Who     func() error
	Parse   func() (url.Values, error)
	Load    func(ctx context.Context) error
	Read    func(p url.Values) (fieldErrors, error)
	Do      func(ctx context.Context) (to, flash string, err error)
	Show    func(status int) error
	Refused func(k workflow.Kind, err error) error
	Kept    string
	Back    string
}

// errShown, returned by Read, ends the post with the page shown as it was
// read, status 200: a preview, which saves nothing.
var errShown = errors.New("web: form shown without saving")

// formError is a web-side check that belongs beside one field, found
// where the field is read (Read or Do). Its status is 400 unless it says
// otherwise (413 for a file over its limit).
type formError struct {
	field, msg string
	status     int
}

// refuseField is a refusal of what was typed in field, shown beside it.
func refuseField(field, msg string) error { return &formError{field: field, msg: msg} }

func (e *formError) Error() string { return e.field + ": " + e.msg }

func (s *Server) post(w http.ResponseWriter, r *http.Request, b *base, f form) error {
	if f.Who != nil {
		if err := f.Who(); err != nil {
			return err
		}
	}
	var values url.Values
	if f.Parse != nil {
		var err error
		if values, err = f.Parse(); err != nil {
			return err
		}
	} else {
		if err := parseForm(w, r); err != nil {
			return err
		}
		values = r.PostForm
	}
	ctx := r.Context()
	if f.Load != nil {
		if err := f.Load(ctx); err != nil {
			return err
		}
	}
	var errs fieldErrors
	var err error
	if f.Read != nil {
		errs, err = f.Read(values)
	}
	if errors.Is(err, errShown) {
		return f.Show(http.StatusOK)
	}
	if err == nil && (len(errs) > 0 || b.Error != "") {
		if b.Error == "" {
			b.Error = b.T("请更正标出的项目")
		}
		return f.again(w, r, b, http.StatusBadRequest)
	}
	var to, flash string
	if err == nil {
		to, flash, err = f.Do(ctx)
	}
	var fe *formError
	if errors.As(err, &fe) {
		if errs == nil {
			errs = fieldErrors{}
		}
		errs.add(fe.field, fe.msg)
		b.Error = b.T("请更正标出的项目")
		if f.Refused != nil {
			if rerr := f.Refused(workflow.Invalid, err); rerr != nil {
				return rerr
			}
		}
		return f.again(w, r, b, cmp.Or(fe.status, http.StatusBadRequest))
	}
	switch k := workflow.KindOf(err); k {
	case workflow.Invalid, workflow.Conflict:
		b.Error = workflow.Message(err)
		if f.Refused != nil {
			if rerr := f.Refused(k, err); rerr != nil {
				return rerr
			}
		}
		if k == workflow.Conflict && f.Show != nil {
			b.Error += f.Kept
		}
		return f.again(w, r, b, statusOf[k])
	}
	if err != nil {
		return err
	}
	if to == "" {
		b.Flash = flash
		return f.Show(http.StatusOK)
	}
	return s.redirect(w, r, to, flash)
}

// again shows the form after a refusal, or for a button returns to Back
// with the refusal as the next page's message.
func (f *form) again(w http.ResponseWriter, r *http.Request, b *base, status int) error {
	if f.Show == nil {
		return b.srv.redirect(w, r, f.Back, b.Error)
	}
	return f.Show(status)
}
