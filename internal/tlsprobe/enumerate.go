package tlsprobe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"syscall"
	"time"
)

// errClosed says the server closed the connection (or reset it) without
// sending a byte of an answer: a refusal from a server that answers other
// ClientHellos, an error from one that answers none.
var errClosed = errors.New("closed the connection without answering")

// outcome is the verdict of one version probe before closed connections are
// settled.
type outcome struct {
	proto    Protocol
	suite    uint32 // the suite the server chose, the first of its preference order
	answered bool   // the server answered in TLS or SSLv2 (a hello, an alert, an error)
	closed   bool   // the server closed the connection without answering
}

// probeVersion offers version v alone, with every suite the table has for
// it, and judges the answer.
func (p *prober) probeVersion(ctx context.Context, v Version) outcome {
	o := outcome{proto: Protocol{Version: v}}
	offered := offer(v)
	a, err := p.send(ctx, hello{version: v, suites: offered, sni: p.sni}, false)
	switch {
	case errors.Is(err, errClosed):
		o.closed = true
		return o
	case err != nil:
		o.proto.State, o.proto.Detail = Errored, err.Error()
		return o
	}
	o.answered = true
	pr := &o.proto
	switch a.kind {
	case answerAlert:
		pr.State, pr.Detail = NotSupported, "refused with alert "+alertName(a.alert)
	case answerSSL2Error:
		pr.State, pr.Detail = NotSupported, fmt.Sprintf("refused with SSLv2 error %d", a.alert)
	case answerSSL2Hello:
		switch {
		case v != SSL2:
			pr.State, pr.Detail = Errored, "answered a TLS ClientHello with an SSLv2 SERVER-HELLO"
		case a.version != SSL2:
			pr.State, pr.Detail = NotSupported, fmt.Sprintf("SERVER-HELLO names %s", a.version)
		case len(a.specs) == 0:
			pr.State, pr.Detail = NotSupported, "SERVER-HELLO shares no cipher spec"
		default:
			pr.State = Supported
			for _, id := range a.specs {
				pr.Suites = append(pr.Suites, lookupSuite(SSL2, id))
			}
		}
	case answerHello:
		switch {
		case a.version != v:
			pr.State, pr.Detail = NotSupported, fmt.Sprintf("the server chose %s instead", a.version)
		case !slices.Contains(offered, a.suite):
			pr.State, pr.Detail = Errored, fmt.Sprintf("the server chose suite 0x%04X, which was not offered", a.suite)
		default:
			pr.State, o.suite = Supported, a.suite
			if a.retry {
				pr.Detail = "answered with a HelloRetryRequest"
			}
		}
	}
	return o
}

// settle decides the versions whose connection was closed without an answer:
// refused when the server answered some other version, errors otherwise.
func settle(outcomes []outcome) []Protocol {
	answered := false
	for _, o := range outcomes {
		answered = answered || o.answered
	}
	out := make([]Protocol, len(outcomes))
	for i, o := range outcomes {
		out[i] = o.proto
		if o.closed {
			out[i].State, out[i].Detail = Errored, errClosed.Error()+" (no version was answered)"
			if answered {
				out[i].State, out[i].Detail = NotSupported, errClosed.Error()
			}
		}
	}
	return out
}

// enumerate lists the suites the server accepts under version v in its order
// of preference: it offers every suite but those already chosen until the
// server refuses. first is the server's choice from the full list. Each round
// removes one suite from the offer, so there are at most as many rounds as
// suites.
func (p *prober) enumerate(ctx context.Context, v Version, first uint32) ([]uint32, error) {
	accepted := []uint32{first}
	rest := slices.DeleteFunc(offer(v), func(id uint32) bool { return id == first })
	for len(rest) > 0 {
		a, err := p.send(ctx, hello{version: v, suites: rest, sni: p.sni}, false)
		switch {
		case errors.Is(err, errClosed):
			return accepted, nil
		case err != nil:
			return accepted, fmt.Errorf("after %d suites: %w", len(accepted), err)
		case a.kind == answerAlert:
			return accepted, nil
		case a.kind != answerHello || a.version != v:
			return accepted, fmt.Errorf("after %d suites the server answered %s with something else", len(accepted), v)
		case !slices.Contains(rest, a.suite):
			return accepted, fmt.Errorf("the server chose suite 0x%04X, which was not offered", a.suite)
		}
		accepted = append(accepted, a.suite)
		rest = slices.DeleteFunc(rest, func(id uint32) bool { return id == a.suite })
	}
	return accepted, nil
}

// send writes one ClientHello and reads the answer.
func (p *prober) send(ctx context.Context, h hello, wantChain bool) (answer, error) {
	msg, err := h.marshal()
	if err != nil {
		return answer{}, err
	}
	return p.exchange(ctx, msg, wantChain)
}

// exchange opens a connection, writes msg and reads until parseAnswer has an
// answer, all within the timeout of one connection.
func (p *prober) exchange(ctx context.Context, msg []byte, wantChain bool) (answer, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	d := net.Dialer{Control: p.control}
	conn, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return answer{}, fmt.Errorf("connect to %s: %w", p.addr, err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		return answer{}, fmt.Errorf("set deadline on %s: %w", p.addr, err)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()

	if _, err := conn.Write(msg); err != nil {
		if closedErr(err) {
			return answer{}, errClosed
		}
		return answer{}, fmt.Errorf("send ClientHello to %s: %w", p.addr, err)
	}
	buf := make([]byte, 0, 8192)
	for {
		if len(buf) == cap(buf) {
			if len(buf) >= maxAnswer {
				return answer{}, fmt.Errorf("no complete answer from %s in %d bytes", p.addr, len(buf))
			}
			buf = slices.Grow(buf, len(buf))
		}
		n, err := conn.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if n > 0 {
			a, perr := parseAnswer(buf, wantChain)
			if perr == nil {
				return a, nil
			}
			if !errors.Is(perr, errShort) {
				return answer{}, fmt.Errorf("answer from %s: %w", p.addr, perr)
			}
		}
		switch {
		case err == nil:
		case closedErr(err) && len(buf) == 0:
			return answer{}, errClosed
		case closedErr(err):
			return answer{}, fmt.Errorf("%s closed the connection after %d bytes of an incomplete answer", p.addr, len(buf))
		case errors.Is(err, os.ErrDeadlineExceeded) && len(buf) == 0:
			return answer{}, fmt.Errorf("no answer from %s within %s: %w", p.addr, p.timeout, err)
		case errors.Is(err, os.ErrDeadlineExceeded):
			return answer{}, fmt.Errorf("%s stalled after %d bytes of an incomplete answer (timeout %s): %w", p.addr, len(buf), p.timeout, err)
		default:
			return answer{}, fmt.Errorf("read answer from %s: %w", p.addr, err)
		}
	}
}

// closedErr reports whether err is the peer closing or resetting the
// connection.
func closedErr(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED)
}
