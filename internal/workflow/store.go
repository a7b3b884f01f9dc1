package workflow

import "context"

// Store keeps cases, their audit events and the number counters.
// Implementations must be safe for concurrent use and pass
// workflowtest.TestStore. They return copies: callers may change what they
// get without affecting the store. Times round-trip to the nanosecond,
// because event hashes cover them. User-facing errors (NotFound, Conflict,
// Invalid) carry a Msg in Chinese.
type Store interface {
	// CreateCase saves a new case with its first events and sets c.Version
	// to 1. It returns an error of kind Conflict if the ID is taken.
	CreateCase(ctx context.Context, c *Case, evs []Event) error

	// Case returns the case with the given ID, or an error of kind NotFound.
	Case(ctx context.Context, id string) (*Case, error)

	// SaveCase writes c and appends evs if the stored case is still at
	// version prev, and sets c.Version to prev+1. Otherwise — also when the
	// case does not exist — it writes nothing and returns an error of kind
	// Conflict. A case too large for the store gives Invalid.
	SaveCase(ctx context.Context, c *Case, prev int, evs []Event) error

	// Cases lists cases matching q, newest first by Created (ties by ID,
	// descending). On DynamoDB the indexes lag writes briefly, so a case
	// that just entered a stage may be missing for a moment; a listed case
	// always matches q.
	Cases(ctx context.Context, q Query) ([]*Case, error)

	// Events returns the audit events of a case in order, or NotFound for
	// an unknown case.
	Events(ctx context.Context, caseID string) ([]Event, error)

	// AllocateNumber takes the next number of the series and year in
	// c.Publication, calls apply with it (apply sets the number on c and
	// returns the events to record), and saves c at prev, atomically: the
	// counter moves if and only if the case is saved, so numbers have no
	// gaps and no reuse. A case changed since prev gives Conflict; contention
	// on the counter alone is retried inside. apply may be called again with
	// a later number; it must set c.Publication.Seq to seq and must not call
	// the Store. After an error c may have been changed: reload it.
	AllocateNumber(ctx context.Context, c *Case, prev int, apply func(seq int) []Event) error

	// Counter returns the last number allocated in a series and year (0 if none).
	Counter(ctx context.Context, series string, year int) (int, error)

	// SetCounter moves the last allocated number of a series and year from
	// `from` to `to` (to ≥ from), e.g. when an office starts using docflow
	// after issuing numbers on paper. Conflict if the counter is not at
	// from; Invalid (or Conflict) if to < from.
	SetCounter(ctx context.Context, series string, year, from, to int) error
}

// Query selects cases. Zero fields match everything.
type Query struct {
	Stage Stage  // only cases in this stage
	Dept  string // only cases where this department leads or co-handles a section
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
