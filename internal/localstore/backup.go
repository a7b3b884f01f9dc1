package localstore

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/docflow/docflow/internal/workflow"
)

// Backup writes a consistent copy of the data directory to dest while the
// store serves. dest must not exist or be empty; the copy is itself a data
// directory that Open takes.
//
// The database is copied first, with VACUUM INTO, which reads it in one
// transaction and so at one instant. The drafts and published files are
// copied after it: every one the copy refers to was written before the
// commit that refers to it, and is never changed or removed, so it is
// there. Files written meanwhile are copied too, or not; either is
// harmless. It returns the number of files copied.
func (s *Store) Backup(ctx context.Context, dest string) (int, error) {
	const op = "localstore.Backup"
	if err := emptyDir(dest); err != nil {
		return 0, workflow.Errorf(op, workflow.Invalid, "备份目录 %s 须为空或不存在：%v", dest, err)
	}
	if err := os.MkdirAll(dest, 0o750); err != nil {
		return 0, failure(op, err)
	}
	// A connection of its own: the readers are query-only, and on the
	// writer the copy would hold writers up for as long as it takes.
	conn, err := sql.Open("sqlite", dsn(s.path, config{sync: true}, nil))
	if err != nil {
		return 0, failure(op, err)
	}
	defer conn.Close()
	db := filepath.Join(dest, "docflow.db")
	if err := retry(ctx, func() error { _, err := conn.ExecContext(ctx, `VACUUM INTO ?`, db); return err }); err != nil {
		return 0, failure(op, fmt.Errorf("copy the database to %s: %w", db, err))
	}
	n, err := copyFiles(s.blobs.dir, dest)
	if err != nil {
		return n, failure(op, err)
	}
	return n + 1, nil
}

// Restore copies a backup made by Backup into dest, which must not exist
// or be empty. Open dest afterwards to check it and serve it.
func Restore(backup, dest string) (int, error) {
	const op = "localstore.Restore"
	if _, err := os.Stat(filepath.Join(backup, "docflow.db")); err != nil {
		return 0, workflow.Errorf(op, workflow.Invalid, "%s 不是 docflow 的备份（没有 docflow.db）", backup)
	}
	if err := emptyDir(dest); err != nil {
		return 0, workflow.Errorf(op, workflow.Invalid, "恢复目录 %s 须为空或不存在：%v", dest, err)
	}
	if err := os.MkdirAll(dest, 0o750); err != nil {
		return 0, failure(op, err)
	}
	if err := copyFile(filepath.Join(backup, "docflow.db"), filepath.Join(dest, "docflow.db")); err != nil {
		return 0, failure(op, err)
	}
	n, err := copyFiles(backup, dest)
	if err != nil {
		return n, failure(op, err)
	}
	return n + 1, nil
}

// emptyDir fails unless dir is missing or empty.
func emptyDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(ents) > 0 {
		return fmt.Errorf("其中已有 %d 项", len(ents))
	}
	return nil
}

// copyFiles copies the drafts (blobs/) and published files (files/) of the
// data directory src into dest, flushing each to disk.
func copyFiles(src, dest string) (int, error) {
	n := 0
	for _, sub := range []string{"blobs", "files"} {
		root := filepath.Join(src, sub)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) && p == root {
					return fs.SkipDir
				}
				return err
			}
			rel, err := filepath.Rel(src, p)
			if err != nil {
				return err
			}
			if d.IsDir() {
				return os.MkdirAll(filepath.Join(dest, rel), 0o750)
			}
			if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), ".") {
				return nil
			}
			n++
			return copyFile(p, filepath.Join(dest, rel))
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
