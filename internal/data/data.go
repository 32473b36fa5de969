// Package data is the offline data ecoscan's checks use, and the logic of
// `ecoscan update` that fetches it.
//
// Two kinds of data live in one directory (Dir):
//
//	<dir>/osv-scalibr/npm/all.zip        the OSV npm advisories, in the offline layout osv-scanner reads
//	<dir>/atlassian-scopes/<name>.json   OAuth scopes per REST operation, one table per product API
//	<dir>/manifest.json                  what was fetched: source, time, size, sha256, a summary
//
// Update downloads each source (streamed to a temporary file beside its
// destination, bounded in size and time), checks it, and renames it into place,
// so that a cut-off or corrupt download never replaces a good copy. The scope
// tables also have an embedded default (the scopes/ folder, with its source and
// date in scopes/SOURCE.md), used when nothing was downloaded: the
// least-privilege check works without network. The advisories have no such
// default: without them the dependency check is skipped.
package data

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Kind says what a source's file is, and so how it is checked and installed.
type Kind string

// The kinds of source.
const (
	// KindOSV is a zip of OSV JSON records, installed as downloaded.
	KindOSV Kind = "osv"
	// KindOpenAPI is an Atlassian OpenAPI spec; what is installed is the scope
	// table derived from it (DeriveScopes), not the spec.
	KindOpenAPI Kind = "openapi"
)

// Source is one dataset `ecoscan update` fetches.
type Source struct {
	Name    string        // the dataset's name, in the manifest and in messages
	Kind    Kind          // what the download is
	URL     string        // where it is published
	File    string        // where it is installed, relative to the data directory (slash-separated)
	MaxSize int64         // the largest download accepted, in bytes
	Timeout time.Duration // the longest the download and its check may take
	// APIBase is, for a scope table, the path prefix that a product call
	// carries before the spec's paths (the Confluence v2 spec's paths are
	// relative to /wiki/api/v2).
	APIBase string
}

// The sizes and times the sources are bounded by.
const (
	maxOSVSize  = 2 << 30
	maxSpecSize = 50 << 20
	osvTimeout  = time.Hour
	specTimeout = 5 * time.Minute
)

// sources are the published locations as far as we know them. Their base URLs
// can be replaced (UpdateOptions.BaseURLs) for mirrors and tests.
var sources = []Source{
	{Name: "osv-npm", Kind: KindOSV, URL: "https://osv-vulnerabilities.storage.googleapis.com/npm/all.zip",
		File: "osv-scalibr/npm/all.zip", MaxSize: maxOSVSize, Timeout: osvTimeout},
	{Name: "jira-platform", Kind: KindOpenAPI, URL: "https://developer.atlassian.com/cloud/jira/platform/swagger-v3.v3.json",
		File: "atlassian-scopes/jira-platform.json", MaxSize: maxSpecSize, Timeout: specTimeout},
	{Name: "jira-software", Kind: KindOpenAPI, URL: "https://developer.atlassian.com/cloud/jira/software/swagger.v3.json",
		File: "atlassian-scopes/jira-software.json", MaxSize: maxSpecSize, Timeout: specTimeout},
	{Name: "jira-service-management", Kind: KindOpenAPI, URL: "https://developer.atlassian.com/cloud/jira/service-desk/swagger.v3.json",
		File: "atlassian-scopes/jira-service-management.json", MaxSize: maxSpecSize, Timeout: specTimeout},
	{Name: "confluence-v2", Kind: KindOpenAPI, URL: "https://developer.atlassian.com/cloud/confluence/openapi-v2.v3.json",
		File: "atlassian-scopes/confluence-v2.json", MaxSize: maxSpecSize, Timeout: specTimeout, APIBase: "/wiki/api/v2"},
}

// Sources returns the datasets `ecoscan update` fetches, in the order they are
// listed everywhere.
func Sources() []Source { return slices.Clone(sources) }

// sourceNamed finds a source of the built-in table by name.
func sourceNamed(name string) (Source, bool) {
	for _, s := range sources {
		if s.Name == name {
			return s, true
		}
	}
	return Source{}, false
}

// Dir is the data directory: $ECOSCAN_DATA_DIR when set, else ecoscan's folder
// in the user's cache directory. It is not created here.
func Dir() (string, error) {
	if d := os.Getenv("ECOSCAN_DATA_DIR"); d != "" {
		return d, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find the data directory (set ECOSCAN_DATA_DIR): %w", err)
	}
	return filepath.Join(cache, "ecoscan"), nil
}

// OSVDBPath is the path of the OSV npm database under dir, and whether it is
// there. dir is a data directory, or any directory in osv-scanner's offline
// layout (DIR/osv-scalibr/npm/all.zip).
func OSVDBPath(dir string) (string, bool) {
	src, _ := sourceNamed("osv-npm")
	path := filepath.Join(dir, filepath.FromSlash(src.File))
	fi, err := os.Stat(path)
	return path, err == nil && fi.Mode().IsRegular()
}
