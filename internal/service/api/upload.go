package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ecoscan/ecoscan/internal/service/archive"
	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// PutArchive replaces a Forge app's source archive (members and admins) with
// the tar, tar.gz or zip read from body, at most Config.MaxArchive bytes.
// The archive is extracted once into a temporary directory, with
// package archive's limits, before it is stored: an archive with unsafe
// paths, special files, too many or too large entries, or links that point
// outside the tree is refused, and nothing is kept of it. Its SHA-256 is
// recorded with it.
func (o *Ops) PutArchive(ctx context.Context, c Caller, org, id int64, body io.Reader) (platform.App, error) {
	scope, err := o.authorize(ctx, c, org, platform.RoleMember)
	if err != nil {
		return platform.App{}, err
	}
	app, err := o.liveApp(ctx, scope, id)
	if err != nil {
		return platform.App{}, err
	}
	if app.Kind != platform.Forge {
		return platform.App{}, invalid("archive", "only Forge apps have a source archive")
	}
	data, err := io.ReadAll(io.LimitReader(body, o.cfg.MaxArchive+1))
	if err != nil {
		return platform.App{}, readErr(err)
	}
	if int64(len(data)) > o.cfg.MaxArchive {
		return platform.App{}, fmt.Errorf("%w: the archive exceeds %d bytes", ErrTooLarge, o.cfg.MaxArchive)
	}
	if len(data) == 0 {
		return platform.App{}, invalid("archive", "the body is empty; send the tar.gz or zip of the app's source")
	}
	if err := o.trialExtract(ctx, data); err != nil {
		return platform.App{}, err
	}
	sum := sha256.Sum256(data)
	if err := o.cfg.Store.SetArchive(ctx, scope, id, hex.EncodeToString(sum[:]), data); err != nil {
		return platform.App{}, o.storeErr("store archive", err)
	}
	return o.loadApp(ctx, scope, id)
}

// trialExtract extracts the archive into a temporary directory, removed
// afterwards, and says why it is refused if it is.
func (o *Ops) trialExtract(ctx context.Context, data []byte) error {
	if _, err := archive.Detect(data); err != nil {
		return invalid("archive", "not a tar, tar.gz or zip archive")
	}
	tmp, err := os.MkdirTemp("", "ecoscan-upload-")
	if err != nil {
		return fmt.Errorf("check archive: %w", err)
	}
	defer os.RemoveAll(tmp)
	res, err := archive.Extract(ctx, bytes.NewReader(data), int64(len(data)), filepath.Join(tmp, "src"), o.cfg.ArchiveLimits)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return invalid("archive", "refused: %v", err)
	}
	if res.Files == 0 {
		return invalid("archive", "holds no files")
	}
	for _, s := range res.Skipped {
		if err := checkLink(s); err != nil {
			return err
		}
	}
	return nil
}

// checkLink refuses a link (skipped, never created, by the extraction) whose
// target leaves the archive's tree: such links are how archives reach files
// of the machine that unpacks them. Package archive describes a skipped
// link as `symbolic link to "target"` or `hard link to "target"`; a
// description that does not read so is refused too.
func checkLink(s archive.Skipped) error {
	kind, quoted, ok := strings.Cut(s.Reason, " to ")
	target, err := strconv.Unquote(quoted)
	if !ok || err != nil {
		return invalid("archive", "%s: %s", s.Name, s.Reason)
	}
	target = strings.ReplaceAll(target, `\`, "/")
	drive := len(target) >= 2 && target[1] == ':'
	var resolved string
	switch kind {
	case "symbolic link":
		resolved = path.Join(path.Dir(s.Name), target)
	case "hard link":
		resolved = path.Clean(target)
	default:
		return invalid("archive", "%s: %s", s.Name, s.Reason)
	}
	if path.IsAbs(target) || drive || resolved == ".." || strings.HasPrefix(resolved, "../") {
		return invalid("archive", "%s is a link pointing outside the archive (%q)", s.Name, target)
	}
	return nil
}

// readErr turns a failure to read a request body into the error to answer.
func readErr(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return fmt.Errorf("%w: the body exceeds %d bytes", ErrTooLarge, tooBig.Limit)
	}
	return fmt.Errorf("%w: reading the body: %v", ErrBadRequest, err)
}
