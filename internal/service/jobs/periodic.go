package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/ecoscan/ecoscan/internal/service/platform"
	"github.com/ecoscan/ecoscan/internal/service/tickets"
)

// The periodic jobs. River inserts them from the elected leader only, and
// each is unique among the jobs waiting or running: a look of the
// scheduler that outlasts its interval is not joined by a second one.
type (
	scheduleArgs   struct{}
	retentionArgs  struct{}
	dueNoticesArgs struct{}
)

func (scheduleArgs) Kind() string   { return "schedule_scans" }
func (retentionArgs) Kind() string  { return "purge_deleted_apps" }
func (dueNoticesArgs) Kind() string { return "due_notices" }

// How often the upkeep runs.
const (
	retentionEvery  = 24 * time.Hour
	dueNoticesEvery = time.Hour
	// dueNoticesLimit bounds the tickets one look at due dates reads.
	dueNoticesLimit = 10000
)

// periodicJobs are the scheduler, the purge of deleted apps and the due
// notices, each run once when the queue starts and then at its interval.
func (q *Queue) periodicJobs() []*river.PeriodicJob {
	job := func(every time.Duration, args river.JobArgs) *river.PeriodicJob {
		return river.NewPeriodicJob(river.PeriodicInterval(every), func() (river.JobArgs, *river.InsertOpts) {
			return args, &river.InsertOpts{Queue: queueOther, UniqueOpts: river.UniqueOpts{ByState: activeStates}}
		}, &river.PeriodicJobOpts{ID: args.Kind(), RunOnStart: true})
	}
	return []*river.PeriodicJob{
		job(q.cfg.ScheduleEvery, scheduleArgs{}),
		job(retentionEvery, retentionArgs{}),
		job(dueNoticesEvery, dueNoticesArgs{}),
	}
}

func (q *Queue) workSchedule(ctx context.Context, _ *river.Job[scheduleArgs]) error {
	_, err := q.schedule(ctx)
	return err
}

// schedule queues a scan of every app whose scan is due, among the
// ScheduleBatch most overdue, and returns how many it queued. Apps with a
// scan queued or running are skipped (see enqueue), so schedulers running
// at once, on one machine or several, never queue an app twice. As the
// apps being scanned stay due until their scans end, at most ScheduleBatch
// scheduled scans wait or run at any time, and each look tops them up.
func (q *Queue) schedule(ctx context.Context) (int, error) {
	apps, err := q.store.DueApps(ctx, q.now(), q.cfg.ScheduleBatch)
	if err != nil {
		return 0, fmt.Errorf("list due apps: %w", err)
	}
	var (
		queued int
		errs   []error
	)
	for _, app := range apps {
		_, ok, err := q.enqueue(ctx, app, TriggerSchedule)
		if err != nil {
			// One app's trouble does not hold up the others.
			errs = append(errs, err)
			continue
		}
		if ok {
			queued++
		}
	}
	if len(apps) > 0 {
		q.log.Info("scheduled scans", "due", len(apps), "queued", queued, "errors", len(errs))
	}
	return queued, errors.Join(errs...)
}

func (q *Queue) workRetention(ctx context.Context, _ *river.Job[retentionArgs]) error {
	_, err := q.purge(ctx)
	return err
}

// purge removes for good the apps deleted longer ago than the retention
// period.
func (q *Queue) purge(ctx context.Context) (int, error) {
	cutoff := q.now().Add(-q.cfg.Retention)
	n, err := q.store.PurgeDeleted(ctx, cutoff)
	if err != nil {
		return 0, fmt.Errorf("purge apps deleted before %s: %w", cutoff.Format(time.RFC3339), err)
	}
	q.log.Info("purged deleted apps", "apps", n, "deleted_before", cutoff)
	return n, nil
}

func (q *Queue) workDueNotices(ctx context.Context, _ *river.Job[dueNoticesArgs]) error {
	_, err := q.dueNotices(ctx)
	return err
}

// dueNotices queues the ticket.due_soon and ticket.overdue notices of open
// tickets to the webhooks that want them, each notice once (Store.Notified
// records it before its deliveries are queued: a crash in between loses
// it rather than sending it twice). A notice that no webhook wants is not
// recorded, so a webhook added later still gets it. It returns how many
// deliveries it queued.
func (q *Queue) dueNotices(ctx context.Context) (int, error) {
	now := q.now()
	open, err := q.store.OpenTicketsDueBefore(ctx, now.Add(tickets.DueSoonWindow), dueNoticesLimit)
	if err != nil {
		return 0, fmt.Errorf("list tickets due soon: %w", err)
	}
	hooksOf := map[int64][]platform.Webhook{}
	queued := 0
	for _, n := range tickets.DueNotices(open, now) {
		org := n.Ticket.Org
		hooks, ok := hooksOf[org]
		if !ok {
			if hooks, err = q.store.Webhooks(ctx, platform.OrgScope(org), org); err != nil {
				return 0, fmt.Errorf("list webhooks of org %d: %w", org, err)
			}
			hooksOf[org] = hooks
		}
		d := deliveries(hooks, []tickets.Notice{n})
		if len(d) == 0 {
			continue
		}
		first, err := q.store.Notified(ctx, n.Ticket.ID, n.Event, n.Key, now)
		if err != nil {
			return 0, fmt.Errorf("record notice %s of ticket %d: %w", n.Event, n.Ticket.ID, err)
		}
		if !first {
			continue
		}
		if _, err := q.client.InsertMany(ctx, d); err != nil {
			return queued, fmt.Errorf("queue notice %s of ticket %d: %w", n.Event, n.Ticket.ID, err)
		}
		queued += len(d)
	}
	if queued > 0 {
		q.log.Info("queued due-date notices", "deliveries", queued)
	}
	return queued, nil
}
