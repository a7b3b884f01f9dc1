package main

import (
	"io/fs"

	"github.com/docflow/docflow"
)

func subFS(dir string) (fs.FS, error) { return fs.Sub(docflow.Fixtures, dir) }
