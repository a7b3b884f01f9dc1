// Package awsstore keeps docflow's cases in DynamoDB and its content in S3:
// Store implements workflow.Store, Blobs implements workflow.Blobs.
//
// # Table
//
// One table holds every kind of item, told apart by its keys. All key
// attributes are strings; ids, series and department names follow their
// prefix as given.
//
//	item          PK                      SK                 other attributes
//	case record   CASE#<id>               CASE               form, version, stage, z, GSI1PK, GSI1SK, GSI2PK, GSI2SK
//	deadline      CASE#<id>               DUE                GSI3PK, GSI3SK, dk (while the case has a deadline open)
//	opinion       CASE#<id>               CASE#OPINION       z
//	frame         CASE#<id>               CASE#FRAME         z (the clerk's opening and closing)
//	plan          CASE#<id>               CASE#PLAN          z (the sections that have no item of their own)
//	section       CASE#<id>               CASE#SEC#<sec>     v, z
//	event         CASE#<id>               EVENT#<seq>        z (or data: docflow 1)
//	              CASE#<id>               EVENT#<sec>#<seq>  z, or v and zs (a change of one stream: see ownRow)
//	department    CASE#<id>               DEPT#<dept>        GSI2PK, GSI2SK
//	counter       SERIES#<series>#<year>  COUNTER            last
//	来文字号      NUMBER#<key>            NUMBER             case (workflow.Claim: one case per number)
//
// z is the JSON of the workflow.Opinion, Frame, Section or Event the item
// keeps, of the plan's []workflow.Section, or of the record and its
// workflow.Summary together (recordBody), deflated (see encode). version
// and v are the versions conditional writes check; form 3 marks a record
// in this layout (form 2 kept the summary in an attribute of its own, and
// is read as it is; Upgrade brings docflow 1's, which held a whole case in
// one item, to it). <seq> is an event's number in its
// stream zero-padded to ten digits — the case's own stream keeps the keys
// docflow 1 gave its events — and <created> the case's creation time in
// workflow.Zone with nanoseconds, fixed width, so that both sort as
// strings the way they do as numbers and times.
//
// A case shares a partition with its events and index entries. One Query
// on PK=CASE#<id> with SK beginning CASE reads its record, opinion, frame
// and sections; events are read a page at a time by key range.
//
// The plan item holds the outline while the case is being assigned and as
// dispatch opens it: one item instead of one per section, written with the
// record and guarded by its version (see planned). A section gets its own
// item at its first change after dispatch, on condition that it has none
// (version 0), and from then on that item is the section: reading merges
// the two, the section's own item first. Cases assigned before the plan
// item keep their section items, which are read and written as before;
// nothing needs upgrading.
//
// Two global secondary indexes list cases newest first
// (ScanIndexForward=false), and a third lists the open deadlines oldest
// first. They project keys only (GSI3 dk too), so a write that leaves the
// stage alone writes no index, and one that leaves the next deadline and
// the departments alone writes no deadline item:
//
//	index  item        partition key         sort key                          lists
//	GSI1   case        GSI1PK=STAGE#<stage>  GSI1SK=<created>#<id>             the cases in a stage
//	GSI2   case        GSI2PK=CASES          GSI2SK=<created>#<id>             every case
//	GSI2   department  GSI2PK=DEPT#<dept>    GSI2SK=<created>#<id>             the cases where dept leads or co-handles a part
//	GSI3   deadline    GSI3PK=DUE            GSI3SK=<due>#<created>#<id>       the open deadlines: the overdue list
//
// <due> is the case's next deadline (workflow.Summary.NextDue), laid out
// as <created> is, and dk the string set of the case's departments (those
// leading or co-handling a part) as deptKey writes them: four characters
// each. The deadline item exists while the case has a deadline open; it
// is written when the deadline or the departments differ from those of
// the summary as read (Change.Was), and deleted after the change that
// publishes the case — an item of its own rather than keys on the record,
// which most changes write and which is billed by the kilobyte. It is
// written outside the change where that is safe, at half the price: it
// must never hold a later deadline, or fewer departments, than the record
// it points at (that would keep the case off an overdue list), while one
// earlier or wider is read past until it is right. So a new case's entry,
// and one moved earlier or wider, is written before the change; one moved
// later or narrower after it, on condition that it is still where the
// change found it and was not written for a later version of the record
// (rv; see moved); a move that is both goes into the transaction. The overdue list queries GSI3SK below the start
// of the day, so it reads overdue cases only, in its own order
// (workflow.Query.Overdue). A department's overdue list — what its staff
// see — filters on dk in the query (contains), reading up to dueScan
// entries a query, so that it reads the summaries of the department's
// cases only; the other filters beside overdue (a stage, a year, a
// search) are checked on the summaries read, like a stage within a
// department.
//
// Cases reads a page of an index and then the summaries of the records it
// points at, strongly consistent, and checks each against the query: index
// membership lags writes, and department entries are written outside the
// transaction (see Commit), so a listed case always matches the query,
// though a case that just started to may be missing for a moment. CASES
// is a single partition; it takes about 1,000 writes a second, far more
// cases than a government office opens.
//
// TableInput is the one definition of keys, attributes and indexes; the
// table in template.yaml must declare the same.
//
// # Writes
//
// A change of one stream — one event, and the item holding the stream's
// head: a section for a draft saved, an input or a part accepted, the
// record for an approval — is two plain conditional writes, the event
// (with the item after the change) and then the item, billed half what a
// transaction bills; part.go says how a change stopped between the two is
// completed or undone. A change's batch of messages is written ahead of it,
// outside its transaction (see ahead). Every other state change
// is one conditional TransactWriteItems: the records the
// change names (workflow.Change), each on condition that it is at the
// version read (attribute_not_exists for a new one), and the new events,
// each on attribute_not_exists: the audit trail is append-only.
// AllocateNumber adds the series counter, moved from the value it read;
// when only the counter's condition fails, another case took the number
// first, and it reads the counter again and retries with jittered backoff.
//
// A transaction holds at most 100 items. The service's limits (60 parts a
// case) keep every change under it; one over it is refused as Invalid
// before anything is written.
//
// The SDK sets a ClientRequestToken on each TransactWriteItems and keeps it
// across its own retries, so that DynamoDB treats a retry after a lost
// response as the same transaction, not as a stale write that must fail.
//
// Every item stays far below DynamoDB's 400 KB limit: drafts and files
// live in S3 and records keep their hashes, and a record over
// workflow.MaxRecord is refused.
//
// # Objects
//
// Drafts and uploads are content-addressed: <draftsPrefix>sha256/<hex>,
// written with If-None-Match: * so that an object is never rewritten.
// Published files live under <filesPrefix><key>, also written once.
package awsstore
