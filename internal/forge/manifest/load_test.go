package manifest

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const small = "app:\n  id: ari:cloud:ecosystem::app/load\n"

func TestLoad(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(t *testing.T, dir string)
		path     string // Manifest.Path; "" when Load must fail
		problems []string
		err      string
	}{
		{
			name:  "manifest.yml",
			setup: func(t *testing.T, dir string) { write(t, filepath.Join(dir, "manifest.yml"), small) },
			path:  "manifest.yml",
		},
		{
			name:  "manifest.yaml",
			setup: func(t *testing.T, dir string) { write(t, filepath.Join(dir, "manifest.yaml"), small) },
			path:  "manifest.yaml",
		},
		{
			name: "both",
			setup: func(t *testing.T, dir string) {
				write(t, filepath.Join(dir, "manifest.yml"), small)
				write(t, filepath.Join(dir, "manifest.yaml"), "app: [")
			},
			path:     "manifest.yml",
			problems: []string{"manifest.yaml is ignored: manifest.yml is the manifest"},
		},
		{
			name: "symbolic link inside the directory",
			setup: func(t *testing.T, dir string) {
				write(t, filepath.Join(dir, "real.yml"), small)
				link(t, "real.yml", filepath.Join(dir, "manifest.yml"))
			},
			path: "manifest.yml",
		},
		{
			name:  "none",
			setup: func(t *testing.T, dir string) {},
			err:   "manifest.yml: no manifest.yml or manifest.yaml in ",
		},
		{
			name: "symbolic link out of the directory",
			setup: func(t *testing.T, dir string) {
				outside := filepath.Join(t.TempDir(), "manifest.yml")
				write(t, outside, small)
				link(t, outside, filepath.Join(dir, "manifest.yml"))
			},
			err: "manifest.yml: read manifest: ",
		},
		{
			name:  "a directory",
			setup: func(t *testing.T, dir string) { mkdir(t, filepath.Join(dir, "manifest.yml")) },
			err:   "manifest.yml: read manifest: not a regular file (a directory)",
		},
		{
			name: "too large",
			setup: func(t *testing.T, dir string) {
				write(t, filepath.Join(dir, "manifest.yml"), small+strings.Repeat("#", MaxSize))
			},
			err: "manifest.yml: manifest is 1048617 bytes, more than the 1048576 bytes ecoscan reads",
		},
		{
			name:  "invalid YAML",
			setup: func(t *testing.T, dir string) { write(t, filepath.Join(dir, "manifest.yml"), "app:\n  id: [\n") },
			err:   "manifest.yml:2:7: invalid YAML: ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(t, dir)
			m, err := Load(dir)
			if tt.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q...", err, tt.err)
				}
				var e *Error
				if !errors.As(err, &e) {
					t.Errorf("%T is not an *Error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Path != tt.path || m.AppID != "ari:cloud:ecosystem::app/load" {
				t.Errorf("path %q, app.id %q", m.Path, m.AppID)
			}
			var problems []string
			for _, p := range m.Problems {
				if !strings.Contains(p.Msg, "no modules") {
					problems = append(problems, p.Msg)
				}
			}
			if strings.Join(problems, "\n") != strings.Join(tt.problems, "\n") {
				t.Errorf("problems %q, want %q", problems, tt.problems)
			}
		})
	}
}

func TestLoadMissingIsNotExist(t *testing.T) {
	_, err := Load(t.TempDir())
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want fs.ErrNotExist", err)
	}
	_, err = Load(filepath.Join(t.TempDir(), "absent"))
	if err == nil || !strings.Contains(err.Error(), "open app directory") {
		t.Errorf("err = %v, want the directory named", err)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func link(t *testing.T, target, path string) {
	t.Helper()
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

func mkdir(t *testing.T, path string) {
	t.Helper()
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
}
