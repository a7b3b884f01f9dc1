package workflow

import (
	"context"
	"time"
)

// Store keeps cases as records, their events and the number counters.
// Implementations must be safe for concurrent use and pass
// workflowtest.TestStore. They return copies: callers may change what they
// get without affecting the store. Times round-trip to the nanosecond,
// because event hashes cover them. User-facing errors (NotFound, Conflict,
// Invalid) carry a Msg in Chinese.
type Store interface {
	// Case returns the case with the given ID — its record, its opinion and
	// every section, but none of its events — or an error of kind NotFound.
	Case(ctx context.Context, id string) (*Case, error)

	// Commit writes one change atomically: all of it or nothing. Each
	// record it writes must still be at the version it was read at (a new
	// one must not exist yet); otherwise Commit writes nothing and returns
	// an error of kind Conflict. On success it sets the new versions on
	// ch.Case (Version, and V of the sections written).
	Commit(ctx context.Context, ch *Change) error

	// Cases lists the summaries of the cases matching q, newest first by
	// Created (ties by ID, descending) — or, with q.Overdue, oldest
	// deadline first (see Query.Overdue) — at most q.Limit (DefaultPage if
	// 0, MaxPage at most). Page.Next continues the list; "" when it ended.
	// On DynamoDB a list may lag writes briefly: a case that just entered a
	// stage may be missing for a moment, but a listed case matched q when
	// its summary was written.
	Cases(ctx context.Context, q Query) (Page, error)

	// Sections returns the sections of the given cases, by case ID, for
	// the lists that show a department its parts.
	Sections(ctx context.Context, caseIDs []string) (map[string][]Section, error)

	// Events returns events of one stream of a case ("" is the case's own),
	// newest first, with Seq below before (0: from the newest), at most
	// limit of them. An unknown case gives NotFound.
	Events(ctx context.Context, caseID, stream string, before, limit int) ([]Event, error)

	// Event returns one event, or NotFound.
	Event(ctx context.Context, caseID, stream string, seq int) (Event, error)

	// AllocateNumber takes the next number of a series and year and commits
	// build's change with it, atomically: the counter moves if and only if
	// the change is written, so numbers have no gaps and no reuse. build
	// may be called again with a later number when another case took the
	// first; it must not call the Store. A conflict on the change's own
	// records gives Conflict.
	AllocateNumber(ctx context.Context, series string, year int, build func(seq int) (*Change, error)) error

	// Counter returns the last number allocated in a series and year (0 if none).
	Counter(ctx context.Context, series string, year int) (int, error)

	// SetCounter moves the last allocated number of a series and year from
	// `from` to `to` (to ≥ from), e.g. when an office starts using docflow
	// after issuing numbers on paper. Conflict if the counter is not at
	// from; Invalid (or Conflict) if to < from.
	SetCounter(ctx context.Context, series string, year, from, to int) error

	// Registered returns the ID of the case that holds a 来文字号 (its
	// NumberKey; see Claim), or an error of kind NotFound.
	Registered(ctx context.Context, key string) (string, error)

	// Report returns the data last stored under key by PutReport, or
	// NotFound. Reports are derived from the cases (a year's statistics)
	// and rebuilt at will: the last write wins, with no versions.
	Report(ctx context.Context, key string) ([]byte, error)

	// PutReport stores data under key, replacing what was there.
	PutReport(ctx context.Context, key string, data []byte) error
}

// Change is what one action writes. The Store writes the records named
// here from Case, each conditioned on the version it was read at, and
// appends Events. Nothing else of the case is written.
type Change struct {
	Case *Case

	// Record asks for the case's record to be written, conditioned on
	// Case.Version (0: the case is new). The list summary (Case.Summary)
	// is written with it.
	Record bool
	// Opinion asks for the opinion to be written with the record.
	Opinion bool
	// Frame asks for the case's Frame to be written with the record.
	Frame bool
	// Sections names the sections to write, each conditioned on its V
	// (0: new). A store may keep the outline of a case being assigned
	// with its record, guarded by the record's version, and leave those
	// sections at V 0 until their first change after dispatch gives them
	// a record of their own (awsstore does); the service numbers an
	// outline's sections and carries the V of those it keeps, so that a
	// section at V 0 is one that has no record of its own.
	Sections []string
	// Drop names sections to delete, with the V each was read at.
	Drop []Dropped

	// Was is the case's summary as read (zero for a new case): a store
	// that indexes cases by department compares its Depts with the new
	// summary's to add and remove index entries.
	Was Summary

	// Events are appended to their streams. Each is new: an event with the
	// same case, stream and Seq already stored is a Conflict.
	Events []Event

	// Claims register, pass on or release 来文字号 with the change (see
	// Claim): a claim whose condition fails is a Conflict wrapping
	// ErrNumberTaken, and nothing is written.
	Claims []Claim

	// Also is another case's change written in the same transaction, all
	// or nothing: a revised opinion's new case and the mark on the case it
	// revises. Its own Also must be nil.
	Also *Change

	// Outbox is the messages the events cause (nil: none), written in
	// the same transaction; a batch with the same ID already stored is a
	// Conflict, as its events would be.
	Outbox *Batch
}

// Dropped is a section removed from the outline.
type Dropped struct {
	ID string
	V  int
}

// Query selects cases for a list. Zero fields match everything.
type Query struct {
	Stage Stage  // only cases in this stage
	Dept  string // only cases where this department leads or co-handles a section
	Year  int    // only cases of this year (Summary.Year)
	// Overdue keeps the unpublished cases with a deadline — the case's or
	// an unfinished part's (Summary.NextDue) — before the start of Today's
	// day, and lists them in the order of a list of things to chase: the
	// oldest deadline first, ties by Created and then ID, both ascending.
	// Each store reads them from an index of open deadlines, so the list
	// costs a page whatever else the office holds. A deadline moves when a
	// part is submitted or extended: a case whose deadline moved while the
	// list was being paged may show on two pages, or on none.
	Overdue bool
	Today   time.Time
	// Text finds cases whose 来文字号, title, issuer, report title or
	// document number contain each of its words (separated by spaces);
	// the embedded store also searches the opinion's text
	// (Case.SearchText).
	Text string
	// Public keeps only what the public may see: published cases whose
	// 公开属性 is 主动公开 (Summary.Public). The service sets it for
	// everyone outside the office.
	Public bool
	// Kind keeps the cases of one kind (Summary.Kind; KindOpinion: the
	// 审议意见), Category those of one category of a kind's list.
	Kind     string
	Category string
	Limit    int
	Cursor   string // Page.Next of the page before
}

// MaxRecord bounds the encoded size of any one record or event a store
// keeps, below DynamoDB's 400 KB item limit with room for keys and index
// attributes. The service's limits keep every record far below it; a store
// refuses a larger one with Invalid rather than fail on it.
const MaxRecord = 350 << 10

// Page sizes of lists.
const (
	DefaultPage = 50
	MaxPage     = 200
)

// Page is one page of a list of cases.
type Page struct {
	Cases []Summary `json:"cases"`
	Next  string    `json:"next,omitempty"`
}

// Blobs keeps immutable content: Markdown drafts (content-addressed) and
// published files (written once). Implementations must be safe for
// concurrent use.
type Blobs interface {
	// Put stores b under its Hash and returns the hash. Storing the same
	// content twice is harmless.
	Put(ctx context.Context, b []byte) (string, error)
	// Get returns the content with the given hash, or NotFound.
	Get(ctx context.Context, hash string) ([]byte, error)
	// PutFile writes a published file under key, once. Writing identical
	// content again succeeds (a retried publication); different content
	// under an existing key gives Conflict and leaves the original.
	PutFile(ctx context.Context, key string, b []byte, contentType string) error
	// File returns a published file, or NotFound.
	File(ctx context.Context, key string) ([]byte, error)
}

// Renderer lays out the final notice. notice.Renderer is the real one.
type Renderer interface {
	Render(ctx context.Context, n *Notice) ([]Rendered, error)
}

// Rendered is one output of a Renderer.
type Rendered struct {
	Name        string // notice.html, notice.pdf
	ContentType string
	Data        []byte
}
