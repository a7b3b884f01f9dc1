package workflowtest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/docflow/docflow/internal/workflow"
)

// TestBlobs runs the contract every workflow.Blobs must pass. open returns
// a fresh, empty store for each subtest; it should register its own cleanup
// with t.Cleanup.
func TestBlobs(t *testing.T, open func(t *testing.T) workflow.Blobs) {
	tests := []struct {
		name string
		run  func(t *testing.T, b workflow.Blobs)
	}{
		{"PutGet", testPutGet},
		{"PutIdempotent", testPutIdempotent},
		{"GetMissing", testBlobGetMissing},
		{"PutFileOnce", testPutFileOnce},
		{"PutFileSameContentOK", testPutFileSameContentOK},
		{"PutFileDifferentConflict", testPutFileDifferentConflict},
		{"FileMissing", testFileMissing},
		{"PutFileRaceOneWins", testPutFileRaceOneWins},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, open(t)) })
	}
}

// Realistic contents: a section body in Markdown and a rendered notice.
var (
	sectionBody = []byte("# 完善工作机制\n\n区政府高度重视审议意见的办理工作，坚持问题导向，健全工作机制。\n\n" +
		"## 发挥议事协调机构作用\n\n发挥区妇儿工委议事协调作用，建立部门联动和信息共享机制。\n")
	noticeHTML = []byte("<!doctype html>\n<html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>静府议〔2025〕17号</title>\n" +
		"<h1>上海市静安区人民政府文件</h1><p>静府议〔2025〕17号</p>\n" + strings.Repeat("<p>区政府高度重视审议意见的办理工作。</p>\n", 200))
)

const noticeKey = "published/c0123456789ab/notice.html"

func mustPutFile(t testing.TB, b workflow.Blobs, key string, data []byte) {
	t.Helper()
	if err := b.PutFile(context.Background(), key, data, "text/html; charset=utf-8"); err != nil {
		t.Fatalf("PutFile(%s) = %v", key, err)
	}
}

func checkFile(t testing.TB, b workflow.Blobs, key string, want []byte) {
	t.Helper()
	got, err := b.File(context.Background(), key)
	if err != nil {
		t.Errorf("File(%s) = %v", key, err)
		return
	}
	if !bytes.Equal(got, want) {
		t.Errorf("File(%s) = %d bytes %.40q…; want %d bytes %.40q…", key, len(got), got, len(want), want)
	}
}

func testPutGet(t *testing.T, b workflow.Blobs) {
	for _, data := range [][]byte{sectionBody, noticeHTML, {}} {
		hash, err := b.Put(t.Context(), data)
		if err != nil {
			t.Fatalf("Put(%d bytes) = %v", len(data), err)
		}
		if want := workflow.Hash(data); hash != want {
			t.Errorf("Put(%d bytes) = %s; want workflow.Hash = %s", len(data), hash, want)
		}
		got, err := b.Get(t.Context(), hash)
		if err != nil {
			t.Fatalf("Get(%s) = %v", hash, err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("Get(%s) = %.40q; want %.40q", hash, got, data)
		}
	}
}

func testPutIdempotent(t *testing.T, b workflow.Blobs) {
	first, err := b.Put(t.Context(), sectionBody)
	if err != nil {
		t.Fatalf("Put = %v", err)
	}
	// Again, and from several writers at once: drafts saved twice are common.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if h, err := b.Put(context.Background(), bytes.Clone(sectionBody)); err != nil || h != first {
				t.Errorf("Put of stored content = %s, %v; want %s, nil", h, err, first)
			}
		})
	}
	wg.Wait()
	got, err := b.Get(t.Context(), first)
	if err != nil || !bytes.Equal(got, sectionBody) {
		t.Errorf("Get after repeated Puts = %.40q, %v; want the content", got, err)
	}
}

func testBlobGetMissing(t *testing.T, b workflow.Blobs) {
	hash := workflow.Hash([]byte("从未保存的稿件"))
	got, err := b.Get(t.Context(), hash)
	wantKind(t, "Get of a hash never stored", err, workflow.NotFound)
	if got != nil {
		t.Errorf("Get of a hash never stored returned %d bytes with its error", len(got))
	}
}

func testPutFileOnce(t *testing.T, b workflow.Blobs) {
	mustPutFile(t, b, noticeKey, noticeHTML)
	checkFile(t, b, noticeKey, noticeHTML)
	// Keys are independent of each other and of draft contents.
	pdf := []byte("%PDF-1.7\n静府议〔2025〕17号\n%%EOF\n")
	mustPutFile(t, b, "published/c0123456789ab/notice.pdf", pdf)
	checkFile(t, b, "published/c0123456789ab/notice.pdf", pdf)
	checkFile(t, b, noticeKey, noticeHTML)
}

func testPutFileSameContentOK(t *testing.T, b workflow.Blobs) {
	mustPutFile(t, b, noticeKey, noticeHTML)
	// A publication retried after a failure writes the same bytes again.
	mustPutFile(t, b, noticeKey, bytes.Clone(noticeHTML))
	checkFile(t, b, noticeKey, noticeHTML)
}

func testPutFileDifferentConflict(t *testing.T, b workflow.Blobs) {
	mustPutFile(t, b, noticeKey, noticeHTML)
	changed := bytes.Replace(noticeHTML, []byte("17号"), []byte("18号"), 1)
	err := b.PutFile(t.Context(), noticeKey, changed, "text/html; charset=utf-8")
	wantKind(t, "PutFile of different content under a published key", err, workflow.Conflict)
	checkFile(t, b, noticeKey, noticeHTML)
}

func testFileMissing(t *testing.T, b workflow.Blobs) {
	got, err := b.File(t.Context(), noticeKey)
	wantKind(t, "File of a key never written", err, workflow.NotFound)
	if got != nil {
		t.Errorf("File of a key never written returned %d bytes with its error", len(got))
	}
	// A prefix of a stored key is no file either.
	mustPutFile(t, b, noticeKey, noticeHTML)
	_, err = b.File(t.Context(), "published/c0123456789ab")
	wantKind(t, "File of a key's prefix", err, workflow.NotFound)
}

// testPutFileRaceOneWins has writers race to publish different contents
// under one key while readers watch it: exactly one writer wins, and no
// reader ever sees anything but nothing or the winner's content, whole.
func testPutFileRaceOneWins(t *testing.T, b workflow.Blobs) {
	const writers, readers = 8, 4
	contents := make([][]byte, writers)
	for i := range contents {
		contents[i] = bytes.Replace(noticeHTML, []byte("17号"), fmt.Appendf(nil, "%d号", 100+i), -1)
	}
	var (
		errs  = make([]error, writers)
		seen  = make([][][]byte, readers)
		start = make(chan struct{})
		done  atomic.Bool
		wg    sync.WaitGroup
		rg    sync.WaitGroup
	)
	for r := range readers {
		rg.Go(func() {
			<-start
			for !done.Load() {
				got, err := b.File(context.Background(), noticeKey)
				if workflow.KindOf(err) == workflow.NotFound {
					continue
				}
				if err != nil {
					t.Errorf("File during the race = %v", err)
					return
				}
				seen[r] = append(seen[r], got)
			}
		})
	}
	for i := range writers {
		wg.Go(func() {
			<-start
			errs[i] = b.PutFile(context.Background(), noticeKey, contents[i], "text/html; charset=utf-8")
		})
	}
	close(start)
	wg.Wait()
	done.Store(true)
	rg.Wait()

	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("writers %d and %d both wrote %s", winner, i, noticeKey)
		case err == nil:
			winner = i
		default:
			wantKind(t, fmt.Sprintf("losing PutFile %d", i), err, workflow.Conflict)
		}
	}
	if winner < 0 {
		t.Fatalf("no writer won: %v", errs)
	}
	checkFile(t, b, noticeKey, contents[winner])
	for r := range seen {
		for _, got := range seen[r] {
			if !bytes.Equal(got, contents[winner]) {
				t.Errorf("a reader saw %d bytes %.60q… during the race; want only the winner's content", len(got), got)
				break
			}
		}
	}
}
