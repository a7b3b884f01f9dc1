package localstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/docflow/docflow/internal/workflow"
)

// Blobs keeps drafts and published files as files under a data directory:
//
//	blobs/sha256/ab/<hash>   drafts, content-addressed
//	files/<key>              published files, written once
//	tmp/                     files being written
//
// Every file appears whole or not at all: it is written (and, unless
// WithoutSync, flushed to disk) under tmp/, then renamed (drafts) or
// hard-linked (published files) into place.
// Blobs is safe for concurrent use, also by several processes.
type Blobs struct {
	dir  string
	sync bool // flush files and directories to disk; see WithoutSync
}

var _ workflow.Blobs = (*Blobs)(nil)

// OpenBlobs opens the files kept under dir, creating the directories if
// needed. It removes what a crash left in tmp/ more than a day ago.
func OpenBlobs(dir string, opts ...Option) (*Blobs, error) {
	b := &Blobs{dir: dir, sync: configure(opts).sync}
	for _, d := range []string{b.path("blobs", "sha256"), b.path("files"), b.path("tmp")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, failure("localstore.OpenBlobs", err)
		}
	}
	// Best effort: a stale temporary file wastes space but harms nothing.
	if ents, err := os.ReadDir(b.path("tmp")); err == nil {
		for _, e := range ents {
			if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > 24*time.Hour {
				os.Remove(b.path("tmp", e.Name()))
			}
		}
	}
	return b, nil
}

func (b *Blobs) path(elem ...string) string {
	return filepath.Join(append([]string{b.dir}, elem...)...)
}

func (b *Blobs) blobPath(hash string) string {
	return b.path("blobs", "sha256", hash[:2], hash)
}

// Put implements workflow.Blobs.
func (b *Blobs) Put(ctx context.Context, data []byte) (string, error) {
	const op = "localstore.Put"
	hash := workflow.Hash(data)
	p := b.blobPath(hash)
	if _, err := os.Stat(p); err == nil {
		return hash, nil // the name is the content: it is already there
	}
	tmp, err := b.writeTemp(data)
	if err != nil {
		return "", failure(op, err)
	}
	defer os.Remove(tmp)
	// Rename replaces a file a concurrent Put may have renamed into place
	// meanwhile; both hold the same bytes, so either is right.
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return "", failure(op, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return "", failure(op, err)
	}
	if err := b.syncDir(filepath.Dir(p)); err != nil {
		return "", failure(op, err)
	}
	return hash, nil
}

// Get implements workflow.Blobs. It checks the content against its hash,
// so a file damaged on disk gives an error rather than a wrong draft.
func (b *Blobs) Get(ctx context.Context, hash string) ([]byte, error) {
	const op = "localstore.Get"
	if !validHash(hash) {
		return nil, workflow.Errorf(op, workflow.Invalid, "稿件标识 %q 无效", hash)
	}
	data, err := os.ReadFile(b.blobPath(hash))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, workflow.Errorf(op, workflow.NotFound, "没有稿件 %.12s", hash)
	}
	if err != nil {
		return nil, failure(op, err)
	}
	if workflow.Hash(data) != hash {
		return nil, failure(op, fmt.Errorf("blob %s is damaged: its content hashes to %s", hash, workflow.Hash(data)))
	}
	return data, nil
}

func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for _, c := range []byte(h) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// PutFile implements workflow.Blobs. The content type is not kept: the
// case's workflow.File records carry it. os.Link, unlike rename, fails if
// the target exists, which makes the first complete writer win.
func (b *Blobs) PutFile(ctx context.Context, key string, data []byte, contentType string) error {
	const op = "localstore.PutFile"
	p, err := b.filePath(op, key)
	if err != nil {
		return err
	}
	tmp, err := b.writeTemp(data)
	if err != nil {
		return failure(op, err)
	}
	defer os.Remove(tmp)
	// Unlike in a bucket, a key cannot name a file and be the prefix of
	// another (published/c1 and published/c1/notice.html): the second one
	// written conflicts with the first.
	clash := workflow.Errorf(op, workflow.Conflict, "文件路径 %s 与已发布的文件冲突", key)
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, fs.ErrExist) {
			return clash
		}
		return failure(op, err)
	}
	err = os.Link(tmp, p)
	if errors.Is(err, fs.ErrExist) {
		old, err := os.ReadFile(p)
		if errors.Is(err, syscall.EISDIR) {
			return clash
		}
		if err != nil {
			return failure(op, err)
		}
		if !bytes.Equal(old, data) {
			return workflow.Errorf(op, workflow.Conflict, "文件 %s 已发布，内容不同，不能覆盖", key)
		}
		return nil // a retried publication
	}
	if err != nil {
		return failure(op, err)
	}
	if err := b.syncDir(filepath.Dir(p)); err != nil {
		return failure(op, err)
	}
	return nil
}

// File implements workflow.Blobs.
func (b *Blobs) File(ctx context.Context, key string) ([]byte, error) {
	const op = "localstore.File"
	p, err := b.filePath(op, key)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	// A directory (a prefix of other keys) or a path through a file is no
	// published file either.
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EISDIR) {
		return nil, workflow.Errorf(op, workflow.NotFound, "没有已发布的文件 %s", key)
	}
	if err != nil {
		return nil, failure(op, err)
	}
	return data, nil
}

// filePath maps a key such as published/<case>/notice.html to its file.
// Keys are slash-separated relative paths; one that could leave files/
// (.., an absolute path) or mean something else on Windows (\ and :, a
// drive or a stream) is refused.
func (b *Blobs) filePath(op, key string) (string, error) {
	if !fs.ValidPath(key) || key == "." || strings.ContainsAny(key, `\:`) || strings.ContainsRune(key, 0) {
		return "", workflow.Errorf(op, workflow.Invalid, "文件路径 %q 无效", key)
	}
	return b.path("files", filepath.FromSlash(key)), nil
}

// Path returns the file that holds the published file under key, for
// people to open; "" if the key is invalid. The file may not exist yet.
func (b *Blobs) Path(key string) string {
	p, err := b.filePath("localstore.Path", key)
	if err != nil {
		return ""
	}
	return p
}

// writeTemp writes data to a new file under tmp/, synced to disk, and
// returns its name.
func (b *Blobs) writeTemp(data []byte) (string, error) {
	f, err := os.CreateTemp(b.path("tmp"), "w-*")
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err == nil && b.sync {
		err = f.Sync() // before the file gets its name, or a crash can leave a named but empty file
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("write %s: %w", f.Name(), err)
	}
	return f.Name(), nil
}

// syncDir makes a new name in dir durable, so that a published file the
// database already refers to survives a power cut.
func (b *Blobs) syncDir(dir string) error {
	if !b.sync {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
