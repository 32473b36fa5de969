package domain

import (
	"fmt"
	"strings"
	"time"

	"github.com/ecoscan/ecoscan/internal/finding"
)

// expiryWarning is how soon an expiration is a finding.
const expiryWarning = 30 * 24 * time.Hour

var (
	ruleRegistrationExpired = finding.Rule{
		ID: "domain/registration-expired", Requirement: "6.2", CVSS: 9.0,
		Title:       "Domain registration has expired",
		Remediation: "Renew the domain at its registrar now, and turn on automatic renewal.",
		Doc:         "RDAP (RFC 9083) gives the registrable domain an expiration event in the past, or the status \"redemption period\" or \"pending delete\". An expired domain stops resolving and can be registered by someone else once the registry releases it.",
	}
	ruleRegistrationExpiring = finding.Rule{
		ID: "domain/registration-expiring", Requirement: "6.2", CVSS: 5.3,
		Title:       "Domain registration expires within 30 days",
		Remediation: "Renew the domain at its registrar, and turn on automatic renewal.",
		Doc:         "RDAP (RFC 9083) gives the registrable domain an expiration event within the next 30 days.",
	}
	ruleRegistrationAvailable = finding.Rule{
		ID: "domain/registration-available", Requirement: "6.2", CVSS: 9.0,
		Title:       "Domain the app uses is not registered (anyone can register it)",
		Remediation: "Register the domain now, or stop using every host name under it (and remove the DNS records that point into it).",
		Doc: "The RDAP server of the TLD answered 404 with an RDAP error body for the registrable domain of a name the app uses (or that one of its CNAME chains points at), and the resolver says the domain does not exist. " +
			"Whoever registers it controls those names. A 404 without an RDAP error body, from the bootstrap service itself, or not confirmed by DNS is not enough.",
	}
)

// registrationCheck is the registration part of requirement 6.2 (the
// certificate part is the TLS scan's).
var registrationCheck = check{
	requirement: "6.2",
	rules:       []finding.Rule{ruleRegistrationExpired, ruleRegistrationExpiring, ruleRegistrationAvailable},
	judge: func(r *Result) finding.Check {
		if row := notApplicable(r); row != nil {
			return *row
		}
		_, skipped := r.applicable()
		t := tally{noun: "registrable domain"}
		var why []string
		var earliest *Registration
		for i, reg := range r.Domains {
			f, reason := judgeRegistration(r, reg)
			switch {
			case f != nil:
				t.failed++
				r.add(*f)
			case reason != "":
				t.skipped++
				why = append(why, reg.Domain+": "+reason)
			default:
				t.judged++
				if earliest == nil || reg.Expiration.Before(earliest.Expiration) {
					earliest = &r.Domains[i]
				}
			}
		}
		if len(r.Domains) == 0 {
			return finding.Check{Status: finding.Skipped, Detail: "no registrable domain among the hosts (public suffixes only)"}
		}
		if earliest != nil {
			t.notes = append(t.notes, fmt.Sprintf("the earliest expiration is %s's, %s", earliest.Domain, earliest.Expiration.Format(time.DateOnly)))
		}
		if len(why) > 0 {
			t.notes = append(t.notes, "not checked: "+strings.Join(why, "; "))
		}
		t.notes = append(t.notes, skipped)
		return t.row("expired, expiring or not registered")
	},
}

// judgeRegistration gives the finding for one registration, or why it could
// not be judged, or neither when it is healthy.
func judgeRegistration(r *Result, reg Registration) (*finding.Finding, string) {
	now := r.now
	loc := finding.Host(reg.Domain, defaultPort)
	uses := "used by " + strings.Join(reg.Names, ", ")
	switch {
	case reg.Skipped != "":
		return nil, reg.Skipped
	case reg.NotFound && r.absent[reg.Domain]:
		f := ruleRegistrationAvailable.New(loc,
			fmt.Sprintf("%s is not registered: its TLD's RDAP server answered 404 and the resolver answered NXDOMAIN; it is %s.", reg.Domain, uses),
			"GET "+reg.URL+": 404 with an RDAP error body", reg.Domain+": NXDOMAIN", uses)
		return &f, ""
	case reg.NotFound:
		why := "RDAP answered 404 (" + reg.URL + ") but DNS does not confirm that the domain does not exist"
		r.errs = append(r.errs, finding.Error{Scope: reg.Domain, Message: why})
		return nil, why
	case expiredStatus(reg.Status):
		f := ruleRegistrationExpired.New(loc,
			fmt.Sprintf("%s's registration has lapsed: RDAP status %s; it is %s.", reg.Domain, strings.Join(reg.Status, ", "), uses),
			"GET "+reg.URL, "status: "+strings.Join(reg.Status, ", "), expirationText(reg), uses)
		return &f, ""
	case reg.Expiration.IsZero():
		return nil, "RDAP gives no expiration date (" + reg.URL + ")"
	case !reg.Expiration.After(now):
		f := ruleRegistrationExpired.New(loc,
			fmt.Sprintf("%s's registration expired on %s; it is %s.", reg.Domain, reg.Expiration.Format(time.DateOnly), uses),
			"GET "+reg.URL, expirationText(reg), uses)
		return &f, ""
	case reg.Expiration.Sub(now) <= expiryWarning:
		days := int(reg.Expiration.Sub(now).Hours() / 24)
		f := ruleRegistrationExpiring.New(loc,
			fmt.Sprintf("%s's registration expires on %s, in %s; it is %s.", reg.Domain, reg.Expiration.Format(time.DateOnly), plural(days, "day"), uses),
			"GET "+reg.URL, expirationText(reg), uses)
		return &f, ""
	}
	return nil, ""
}

func expirationText(reg Registration) string {
	if reg.Expiration.IsZero() {
		return "expiration: none given"
	}
	return "expiration: " + reg.Expiration.Format(time.RFC3339)
}
