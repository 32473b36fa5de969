package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/ecoscan/ecoscan/internal/service/platform"
)

// Writing a scan's thousands of findings and tickets a row at a time would
// cost a statement (on PostgreSQL a round trip) per row, so they go in
// batches: on SQLite as multi-row VALUES lists of plain ? parameters (SQLite
// and its driver look up each named or numbered parameter, $N or ?N, among
// those before it, which is quadratic in a statement of thousands); on
// PostgreSQL as one array per column, unnested, so that a batch of any size
// is the same statement of a dozen parameters, prepared once.

// Rows per batch: on SQLite, 500 rows of a dozen columns stay well under its
// 32,766 parameters; on PostgreSQL only memory bounds a batch.
const (
	sqliteBatchRows   = 500
	postgresBatchRows = 5000
)

// bulkColumn is a column written in batches, with its PostgreSQL type.
type bulkColumn struct{ name, pgType string }

var (
	findingColumns = []bulkColumn{{"org_id", "bigint"}, {"app_id", "bigint"}, {"scan_id", "bigint"},
		{"fingerprint", "text"}, {"rule", "text"}, {"requirement", "text"}, {"severity", "text"}, {"title", "text"},
		{"location", "text"}, {"suppressed", "boolean"}, {"detail", "bytea"}, {"created_at", "timestamptz"}}
	ticketInsertColumns = []bulkColumn{{"org_id", "bigint"}, {"app_id", "bigint"}, {"fingerprint", "text"},
		{"rule", "text"}, {"requirement", "text"}, {"severity", "text"}, {"title", "text"}, {"location", "text"},
		{"state", "text"}, {"first_seen", "timestamptz"}, {"last_seen", "timestamptz"}, {"due", "timestamptz"},
		{"updated_at", "timestamptz"}, {"detail", "bytea"}}
	// ticketUpdateColumns are the ticket's id and app, then what a scan's
	// update of a ticket sets.
	ticketUpdateColumns = []bulkColumn{{"id", "bigint"}, {"app_id", "bigint"}, {"rule", "text"}, {"requirement", "text"},
		{"severity", "text"}, {"title", "text"}, {"location", "text"}, {"state", "text"},
		{"last_seen", "timestamptz"}, {"due", "timestamptz"}, {"updated_at", "timestamptz"}, {"detail", "bytea"}}
	eventColumns = []bulkColumn{{"org_id", "bigint"}, {"ticket_id", "bigint"}, {"at", "timestamptz"},
		{"actor", "text"}, {"from_state", "text"}, {"to_state", "text"}, {"due_from", "timestamptz"},
		{"due_to", "timestamptz"}, {"reason", "text"}, {"scan_id", "bigint"}}
)

func columnNames(columns []bulkColumn) string {
	names := make([]string, len(columns))
	for i, c := range columns {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

// batches calls fn for each batch of n rows: the statement's row source
// (aliased v, its columns named as given), its arguments, its rows, and
// whether the batch is full (its SQL the same as every full batch's). fill writes
// row i's values, one per column, into row.
func (s *Store) batches(columns []bulkColumn, n int, fill func(i int, row []any),
	fn func(source string, a args, rows int, full bool) error) error {
	size := sqliteBatchRows
	if s.dialect == Postgres {
		size = postgresBatchRows
	}
	width := len(columns)
	for start := 0; start < n; start += size {
		end := min(start+size, n)
		rows := make([]any, (end-start)*width)
		for i := start; i < end; i++ {
			fill(i, rows[(i-start)*width:(i-start+1)*width])
		}
		var (
			source string
			a      args
			err    error
		)
		if s.dialect == Postgres {
			source, a, err = unnestSource(columns, rows)
		} else {
			source, a = valuesSource(columns, rows)
		}
		if err != nil {
			return err
		}
		if err := fn(source, a, end-start, end-start == size); err != nil {
			return err
		}
	}
	return nil
}

// valuesSource is SQLite's row source: a VALUES list whose columns
// (column1, column2...) are renamed.
func valuesSource(columns []bulkColumn, rows []any) (string, args) {
	var q strings.Builder
	q.WriteString("(SELECT ")
	for j, c := range columns {
		if j > 0 {
			q.WriteString(", ")
		}
		fmt.Fprintf(&q, "column%d AS %s", j+1, c.name)
	}
	q.WriteString(" FROM (VALUES ")
	row := "(?" + strings.Repeat(", ?", len(columns)-1) + ")"
	for i := 0; i < len(rows)/len(columns); i++ {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(row)
	}
	q.WriteString(")) AS v")
	return q.String(), args(rows)
}

// unnestSource is PostgreSQL's row source: one typed array per column.
func unnestSource(columns []bulkColumn, rows []any) (string, args, error) {
	width := len(columns)
	n := len(rows) / width
	var (
		q     strings.Builder
		a     args
		names = make([]string, width)
	)
	q.WriteString("unnest(")
	for j, c := range columns {
		col := make([]any, n)
		for i := range n {
			col[i] = rows[i*width+j]
		}
		array, err := pgArray(c.pgType, col)
		if err != nil {
			return "", nil, fmt.Errorf("column %s: %w", c.name, err)
		}
		if j > 0 {
			q.WriteString(", ")
		}
		q.WriteString(a.add(array) + "::" + c.pgType + "[]")
		names[j] = c.name
	}
	q.WriteString(") AS v(" + strings.Join(names, ", ") + ")")
	return q.String(), a, nil
}

// pgArray makes a column's values an array pgx sends as pgType[], nil
// values as NULL.
func pgArray(pgType string, values []any) (any, error) {
	bad := func(v any) error { return fmt.Errorf("a %T where %s was expected", v, pgType) }
	switch pgType {
	case "bigint":
		out := make([]*int64, len(values))
		for i, v := range values {
			switch x := v.(type) {
			case nil:
			case int64:
				out[i] = &x
			default:
				return nil, bad(v)
			}
		}
		return out, nil
	case "text":
		out := make([]string, len(values))
		for i, v := range values {
			x, ok := v.(string)
			if !ok {
				return nil, bad(v)
			}
			out[i] = x
		}
		return out, nil
	case "boolean":
		out := make([]bool, len(values))
		for i, v := range values {
			x, ok := v.(bool)
			if !ok {
				return nil, bad(v)
			}
			out[i] = x
		}
		return out, nil
	case "timestamptz":
		out := make([]*time.Time, len(values))
		for i, v := range values {
			switch x := v.(type) {
			case nil:
			case time.Time:
				out[i] = &x
			default:
				return nil, bad(v)
			}
		}
		return out, nil
	case "bytea":
		out := make([][]byte, len(values))
		for i, v := range values {
			switch x := v.(type) {
			case nil:
			case []byte:
				out[i] = x
			default:
				return nil, bad(v)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("no array of %s", pgType)
}

// insertRows inserts n rows into table in batches; fill writes row i's
// values, one per column. With a returning clause, each returned row goes
// to scan.
func (s *Store) insertRows(ctx context.Context, tx *sql.Tx, table string, columns []bulkColumn, n int, returning string,
	fill func(i int, row []any), scan func(*sql.Rows) error) error {
	names := columnNames(columns)
	var prepared preparedBatch
	defer prepared.close()
	return s.batches(columns, n, fill, func(source string, a args, _ int, full bool) error {
		query := "INSERT INTO " + table + " (" + names + ") SELECT " + names + " FROM " + source
		if returning == "" {
			_, err := prepared.exec(ctx, tx, query, full, a)
			return err
		}
		rows, err := prepared.query(ctx, tx, query+" "+returning, full, a)
		if err != nil {
			return err
		}
		return eachRow(rows, scan)
	})
}

// updateTickets updates n tickets in batches; fill writes ticket i's
// values, in the order of ticketUpdateColumns, into row. A ticket that is
// not of the app given with it is ErrNotFound.
//
// The statement has no parameter but the column arrays (the app goes in a
// column too): PostgreSQL, once it has run a prepared statement five times,
// may plan it without its parameters' values, and a plan made for an
// unknown app can join the batch to the table a thousand times slower.
func (s *Store) updateTickets(ctx context.Context, tx *sql.Tx, n int, fill func(i int, row []any)) error {
	var set []string
	for _, c := range ticketUpdateColumns[2:] {
		set = append(set, c.name+" = v."+c.name)
	}
	query := func(source string) string {
		return "UPDATE tickets SET " + strings.Join(set, ", ") + " FROM " + source +
			" WHERE tickets.id = v.id AND tickets.app_id = v.app_id"
	}
	var prepared preparedBatch
	defer prepared.close()
	return s.batches(ticketUpdateColumns, n, fill, func(source string, a args, rows int, full bool) error {
		res, err := prepared.exec(ctx, tx, query(source), full, a)
		if err != nil {
			return err
		}
		done, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if done != int64(rows) {
			return fmt.Errorf("%d of %d tickets are not the app's: %w", int64(rows)-done, rows, platform.ErrNotFound)
		}
		return nil
	})
}

// preparedBatch keeps the prepared statement of full batches, whose SQL
// does not change from one to the next (SQLite would parse it anew each
// time; pgx caches statements itself).
type preparedBatch struct{ stmt *sql.Stmt }

func (p *preparedBatch) prepare(ctx context.Context, tx *sql.Tx, query string) error {
	if p.stmt != nil {
		return nil
	}
	var err error
	p.stmt, err = tx.PrepareContext(ctx, query)
	return mapErr(err)
}

func (p *preparedBatch) exec(ctx context.Context, tx *sql.Tx, query string, full bool, a args) (sql.Result, error) {
	if !full {
		res, err := tx.ExecContext(ctx, query, a...)
		return res, mapErr(err)
	}
	if err := p.prepare(ctx, tx, query); err != nil {
		return nil, err
	}
	res, err := p.stmt.ExecContext(ctx, a...)
	return res, mapErr(err)
}

func (p *preparedBatch) query(ctx context.Context, tx *sql.Tx, query string, full bool, a args) (*sql.Rows, error) {
	if !full {
		rows, err := tx.QueryContext(ctx, query, a...)
		return rows, mapErr(err)
	}
	if err := p.prepare(ctx, tx, query); err != nil {
		return nil, err
	}
	rows, err := p.stmt.QueryContext(ctx, a...)
	return rows, mapErr(err)
}

func (p *preparedBatch) close() {
	if p.stmt != nil {
		p.stmt.Close()
	}
}
