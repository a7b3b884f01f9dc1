// Package awsstore keeps docflow's cases in DynamoDB and its content in S3:
// Store implements workflow.Store, Blobs implements workflow.Blobs.
//
// # Table
//
// One table holds every kind of item, told apart by its keys (PK, SK are
// strings; ids and department names are used as given, after the prefix):
//
//	item        PK                      SK               GSI1PK / GSI1SK               GSI2PK / GSI2SK           other attributes
//	case        CASE#<id>               CASE             STAGE#<stage> / <created>#<id> CASES / <created>#<id>   version, stage, created, data
//	event       CASE#<id>               EVENT#<seq>                                                              seq, data
//	department  CASE#<id>               DEPT#<dept>                                    DEPT#<dept> / <created>#<id>  dept
//	counter     SERIES#<series>#<year>  COUNTER                                                                  last
//
// data is the JSON of the workflow.Case or workflow.Event; version is the
// case's version, the attribute every conditional write checks. <seq> is the
// event's number zero-padded to ten digits and <created> the case's creation
// time in UTC with nanoseconds, fixed width (2006-01-02T15:04:05.000000000Z),
// so that both sort as strings the way they do as numbers and times.
//
// A case, its events and its department items share a partition: one Query
// on PK=CASE#<id> returns the whole case history.
//
// The two global secondary indexes answer workflow.Query, newest first
// (ScanIndexForward=false):
//
//	index  partition        answers
//	GSI1   STAGE#<stage>    Query{Stage}: the cases in a stage
//	GSI2   DEPT#<dept>      Query{Dept}: the cases where a department leads or co-handles a section
//	GSI2   CASES            Query{}: every case
//
// Both indexes project keys only, and Cases reads the items themselves
// with a strongly consistent BatchGetItem. A save that leaves the stage
// alone (most saves) then writes nothing to the indexes, where projecting
// the data would copy the whole case item into GSI1 on every save. Index
// membership is eventually consistent on DynamoDB, the data is not: Cases
// filters what it reads against q, so it never returns a case that no longer
// matches, though it may briefly miss one that just started to. CASES is a
// single partition; it takes about 1,000 writes a second, far beyond the
// cases a government office opens.
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
// A transaction holds at most 100 items, so one save may carry the case, the
// counter and together at most 98 new events and department changes; more
// gives an error of kind Invalid before anything is written. The SDK sets a
// ClientRequestToken on each TransactWriteItems and keeps it across its own
// retries, so a retry after a lost response is not mistaken for a conflict.
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
