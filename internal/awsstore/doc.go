// Package awsstore keeps docflow's cases in DynamoDB and its content in S3:
// Store implements workflow.Store, Blobs implements workflow.Blobs.
//
// # Table
//
// One table holds every kind of item, told apart by its keys. All key
// attributes are strings; ids, series and department names follow their
// prefix as given.
//
//	item        PK                      SK           other attributes
//	case        CASE#<id>               CASE         version, stage, created, data, GSI1PK, GSI1SK, GSI2PK, GSI2SK
//	event       CASE#<id>               EVENT#<seq>  seq, data
//	department  CASE#<id>               DEPT#<dept>  dept, GSI2PK, GSI2SK
//	counter     SERIES#<series>#<year>  COUNTER      last
//
// data is the JSON of the workflow.Case or workflow.Event; version is the
// case's version, the attribute every conditional write checks; last is the
// last number allocated in the series and year. <seq> is the event's number
// zero-padded to ten digits and <created> the case's creation time in UTC
// with nanoseconds, fixed width (2006-01-02T15:04:05.000000000Z), so that
// both sort as strings the way they do as numbers and times.
//
// A case, its events and its department items share a partition: one Query
// on PK=CASE#<id> returns the whole case with its history.
//
// Two global secondary indexes answer workflow.Query, newest first
// (ScanIndexForward=false):
//
//	index  item        partition key         sort key               answers
//	GSI1   case        GSI1PK=STAGE#<stage>  GSI1SK=<created>#<id>  Query{Stage}: the cases in a stage
//	GSI2   case        GSI2PK=CASES          GSI2SK=<created>#<id>  Query{}: every case
//	GSI2   department  GSI2PK=DEPT#<dept>    GSI2SK=<created>#<id>  Query{Dept}: the cases where dept leads or co-handles a section
//
// A case has one department item per department named in its sections.
// Both indexes project keys only, and Cases reads the case items themselves
// with a strongly consistent BatchGetItem. A save that leaves the stage
// alone (most saves) then writes nothing to the indexes, where projecting
// the data would copy the whole case item into GSI1 on every save. Index
// membership is eventually consistent on DynamoDB, the data is not: Cases
// filters what it reads against the query, so it never returns a case that
// no longer matches, though it may miss, for a moment, one that just
// started to. CASES is a single partition; it takes about 1,000 writes a
// second, far more cases than a government office opens.
//
// TableInput is the one definition of keys, attributes and indexes; the
// table in template.yaml must declare the same.
//
// # Writes
//
// Every state change is one conditional TransactWriteItems:
//
//   - CreateCase puts the case with attribute_not_exists(PK), its events and
//     its department items.
//   - SaveCase puts the case with version = :prev, the new events with
//     attribute_not_exists(PK), and the department items that the new
//     sections add, and deletes those they drop.
//   - AllocateNumber does what SaveCase does and also moves the counter from
//     the value it read (last = :n, or attribute_not_exists when 0). When
//     only the counter condition fails, another case took the number first:
//     it reads the counter again and retries, with jittered backoff.
//
// A transaction holds at most 100 items: the case (and for AllocateNumber
// the counter) plus the save's new events and the department items it adds
// or deletes. A save over the limit gives an error of kind Invalid before
// anything is written; workflow.Service records one or two events a save,
// and a case names a few dozen departments at most, so only a bulk change
// could reach it.
//
// The SDK sets a ClientRequestToken on each TransactWriteItems and keeps it
// across its own retries, so that DynamoDB treats a retry after a lost
// response as the same transaction, not as a stale write that must fail.
//
// A case item must stay under DynamoDB's 400 KB item limit. Drafts and files
// live in S3 and the case keeps only their hashes and keys, so a case stays
// far below it; SaveCase refuses one that would not fit.
//
// # Objects
//
// Drafts and uploads are content-addressed: <draftsPrefix>sha256/<hex>,
// written with If-None-Match: * so that an object is never rewritten.
// Published files live under <filesPrefix><key>, also written once.
package awsstore
