package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// writeLoad has workers create apps and scans and move tickets on s until
// stop is closed; it returns how many writes succeeded and the errors.
func writeLoad(ctx context.Context, s *Store, tn tenant, workers int, stop <-chan struct{}) func() (int, []error) {
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		n      int
		errs   []error
		sc     = platform.OrgScope(tn.org.ID)
		record = func(err error) {
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			} else {
				n++
			}
		}
	)
	for w := range workers {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				app, _, err := s.CreateApp(ctx, sc, platform.App{Kind: platform.Forge, Name: fmt.Sprintf("w%d-%d", w, i)})
				record(err)
				if err != nil {
					continue
				}
				scan, err := s.CreateScan(ctx, sc, platform.Scan{App: app.ID, Trigger: "manual"})
				record(err)
				if err == nil {
					record(s.InTx(ctx, sc, func(tx *sql.Tx) error {
						return s.FinishScanTx(ctx, tx, scanResult(scan.ID, t0, 20))
					}))
				}
				_, err = s.ListTickets(ctx, sc, platform.TicketFilter{}, platform.Page{Limit: 10})
				record(err)
			}
		})
	}
	return func() (int, []error) {
		wg.Wait()
		return n, errs
	}
}

func TestSQLiteConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "e.db")
	// Two stores on one file stand for two processes; each has writers
	// of its own.
	first := must[*Store](t)(Open(ctx, "sqlite:"+path, Options{}))
	defer first.Close()
	second := must[*Store](t)(Open(ctx, path, Options{}))
	defer second.Close()
	tn := newTenant(t, first, "acme")
	stop := make(chan struct{})
	waits := []func() (int, []error){writeLoad(ctx, first, tn, 4, stop), writeLoad(ctx, second, tn, 4, stop)}
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	total := 0
	for _, wait := range waits {
		n, errs := wait()
		total += n
		for _, err := range errs {
			t.Errorf("concurrent write: %v", err)
		}
	}
	if total < 20 {
		t.Errorf("only %d writes in 1.5s", total)
	}
}

func TestBackup(t *testing.T) {
	ctx := context.Background()
	s := newSQLite(t)
	tn := newTenant(t, s, "acme")
	stop := make(chan struct{})
	wait := writeLoad(ctx, s, tn, 2, stop)
	time.Sleep(200 * time.Millisecond)
	dest := filepath.Join(t.TempDir(), "copy.db")
	err := Backup(ctx, s, dest)
	close(stop)
	_, errs := wait()
	check(t, err)
	for _, err := range errs {
		t.Errorf("write during the backup: %v", err)
	}

	if st, err := os.Stat(dest); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("backup file: %v, %v; want mode 0600", st.Mode(), err)
	}
	copied := must[*Store](t)(Open(ctx, "sqlite:"+dest, Options{}))
	defer copied.Close()
	var integrity string
	check(t, copied.DB().QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&integrity))
	if integrity != "ok" {
		t.Errorf("copy's integrity check: %s", integrity)
	}
	apps := must[[]platform.App](t)(copied.ListApps(ctx, platform.OrgScope(tn.org.ID), platform.AppFilter{}, platform.Page{Limit: platform.MaxPage}))
	if len(apps) < 2 {
		t.Errorf("copy holds %d apps", len(apps))
	}
	// Every scan in the copy is whole: a done scan has all its findings.
	for _, a := range apps {
		if a.Last == nil || a.Last.ID == tn.scan.ID {
			continue
		}
		fs := must[[]platform.StoredFinding](t)(copied.ListFindings(ctx, platform.OrgScope(tn.org.ID), platform.FindingFilter{Scan: a.Last.ID}, platform.Page{}))
		if len(fs) != 20 {
			t.Errorf("scan %d in the copy has %d findings, want 20", a.Last.ID, len(fs))
		}
	}

	err = Backup(ctx, s, dest)
	if !errors.Is(err, fs.ErrExist) {
		t.Errorf("backup over an existing file = %v", err)
	}
	if err := Backup(ctx, s, ""); err == nil {
		t.Error("backup to no file succeeded")
	}
	// A failed backup leaves no file behind.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	failed := filepath.Join(t.TempDir(), "failed.db")
	if err := Backup(cancelled, s, failed); err == nil {
		t.Error("backup with a canceled context succeeded")
	}
	if _, err := os.Stat(failed); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("failed backup left %s: %v", failed, err)
	}
	if _, err := os.Stat(dest); err != nil {
		t.Error(err)
	}
}

func TestBackupPostgres(t *testing.T) {
	s := newPostgres(t)
	err := Backup(context.Background(), s, filepath.Join(t.TempDir(), "x"))
	if err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("Backup on PostgreSQL = %v, want a pointer to pg_dump", err)
	}
}
