package deps

import (
	"fmt"
	"math"
	"strings"
)

// cvssWeights are the values of the base metrics in the CVSS v3.1
// specification, section 7.4 (https://www.first.org/cvss/v3.1/specification-document).
// The privileges-required weights under a changed scope are in cvssPRChanged.
var cvssWeights = map[string]map[string]float64{
	"AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
	"AC": {"L": 0.77, "H": 0.44},
	"PR": {"N": 0.85, "L": 0.62, "H": 0.27},
	"UI": {"N": 0.85, "R": 0.62},
	"S":  {"U": 0, "C": 0},
	"C":  {"H": 0.56, "L": 0.22, "N": 0},
	"I":  {"H": 0.56, "L": 0.22, "N": 0},
	"A":  {"H": 0.56, "L": 0.22, "N": 0},
}

var cvssPRChanged = map[string]float64{"N": 0.85, "L": 0.68, "H": 0.5}

// cvssOther are the temporal and environmental metrics a vector may carry;
// they do not change the base score.
var cvssOther = map[string]bool{
	"E": true, "RL": true, "RC": true, "CR": true, "IR": true, "AR": true,
	"MAV": true, "MAC": true, "MPR": true, "MUI": true, "MS": true, "MC": true, "MI": true, "MA": true,
}

// cvss3Score computes the base score of a CVSS v3.0 or v3.1 vector such as
// "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" with the formula of the
// specification (section 7.1), rounding up as each version says.
func cvss3Score(vector string) (float64, error) {
	version, rest, ok := strings.Cut(vector, "/")
	if !ok || (version != "CVSS:3.0" && version != "CVSS:3.1") {
		return 0, fmt.Errorf("CVSS vector %q: not CVSS:3.0 or CVSS:3.1", vector)
	}
	m := map[string]string{}
	for _, part := range strings.Split(rest, "/") {
		key, value, ok := strings.Cut(part, ":")
		if !ok {
			return 0, fmt.Errorf("CVSS vector %q: bad metric %q", vector, part)
		}
		if _, dup := m[key]; dup {
			return 0, fmt.Errorf("CVSS vector %q: metric %s twice", vector, key)
		}
		if weights, base := cvssWeights[key]; base {
			if _, ok := weights[value]; !ok {
				return 0, fmt.Errorf("CVSS vector %q: bad value %s:%s", vector, key, value)
			}
		} else if !cvssOther[key] {
			return 0, fmt.Errorf("CVSS vector %q: unknown metric %s", vector, key)
		}
		m[key] = value
	}
	for key := range cvssWeights {
		if _, ok := m[key]; !ok {
			return 0, fmt.Errorf("CVSS vector %q: base metric %s missing", vector, key)
		}
	}
	changed := m["S"] == "C"
	pr := cvssWeights["PR"][m["PR"]]
	if changed {
		pr = cvssPRChanged[m["PR"]]
	}
	iss := 1 - (1-cvssWeights["C"][m["C"]])*(1-cvssWeights["I"][m["I"]])*(1-cvssWeights["A"][m["A"]])
	impact := 6.42 * iss
	if changed {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	}
	if impact <= 0 {
		return 0, nil
	}
	exploitability := 8.22 * cvssWeights["AV"][m["AV"]] * cvssWeights["AC"][m["AC"]] * pr * cvssWeights["UI"][m["UI"]]
	sum := impact + exploitability
	if changed {
		sum *= 1.08
	}
	roundUp := roundUp31
	if version == "CVSS:3.0" {
		roundUp = roundUp30
	}
	return roundUp(math.Min(sum, 10)), nil
}

// roundUp31 is the Roundup of CVSS v3.1 (Appendix A): the smallest number of
// one decimal place at least x, computed in integers so that floating-point
// noise such as 4.000000000000001 does not round up to 4.1.
func roundUp31(x float64) float64 {
	i := int64(math.Round(x * 100000))
	if i%10000 == 0 {
		return float64(i) / 100000
	}
	return float64(i/10000+1) / 10
}

// roundUp30 is the Roundup of CVSS v3.0: the ceiling to one decimal place.
func roundUp30(x float64) float64 { return math.Ceil(x*10) / 10 }
