package eosfake

import (
	"fmt"
	"strings"
)

// unifiedDiff returns a unified diff of two texts with three lines of
// context, as show session-config diffs prints it; "" when they agree.
func unifiedDiff(a, b, nameA, nameB string) string {
	x := strings.Split(strings.TrimSuffix(a, "\n"), "\n")
	y := strings.Split(strings.TrimSuffix(b, "\n"), "\n")
	ops := editScript(x, y)
	if len(ops) == 0 {
		return ""
	}
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", nameA, nameB)
	const ctx = 3
	// ops holds every line of both texts in order: ' ', '-' or '+'.
	for i := 0; i < len(ops); {
		// find the next change
		j := i
		for j < len(ops) && ops[j].op == ' ' {
			j++
		}
		if j == len(ops) {
			break
		}
		start := max(j-ctx, i)
		end := j
		for {
			for end < len(ops) && ops[end].op != ' ' {
				end++
			}
			k := end
			for k < len(ops) && ops[k].op == ' ' && k-end < 2*ctx {
				k++
			}
			if k < len(ops) && ops[k].op != ' ' {
				end = k
				continue
			}
			end = min(end+ctx, len(ops))
			break
		}
		la, lb, na, nb := ops[start].a+1, ops[start].b+1, 0, 0
		var body strings.Builder
		for _, o := range ops[start:end] {
			switch o.op {
			case ' ':
				na++
				nb++
			case '-':
				na++
			case '+':
				nb++
			}
			body.WriteString(string(o.op) + o.text + "\n")
		}
		fmt.Fprintf(&out, "@@ -%d,%d +%d,%d @@\n%s", la, na, lb, nb, body.String())
		i = end
	}
	return out.String()
}

type diffOp struct {
	op   byte
	text string
	a, b int // line index in each text (before this op)
}

// editScript is a longest-common-subsequence edit script; the common
// prefix and suffix are taken off first, so the table stays small for
// the local changes sessions make.
func editScript(x, y []string) []diffOp {
	p := 0
	for p < len(x) && p < len(y) && x[p] == y[p] {
		p++
	}
	s := 0
	for s < len(x)-p && s < len(y)-p && x[len(x)-1-s] == y[len(y)-1-s] {
		s++
	}
	mx, my := x[p:len(x)-s], y[p:len(y)-s]
	if len(mx) == 0 && len(my) == 0 {
		return nil
	}
	n, m := len(mx), len(my)
	l := make([][]int32, n+1)
	for i := range l {
		l[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if mx[i] == my[j] {
				l[i][j] = l[i+1][j+1] + 1
			} else {
				l[i][j] = max(l[i+1][j], l[i][j+1])
			}
		}
	}
	var ops []diffOp
	for i := 0; i < p; i++ {
		ops = append(ops, diffOp{' ', x[i], i, i})
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && mx[i] == my[j]:
			ops = append(ops, diffOp{' ', mx[i], p + i, p + j})
			i++
			j++
		case j < m && (i == n || l[i][j+1] >= l[i+1][j]):
			ops = append(ops, diffOp{'+', my[j], p + i, p + j})
			j++
		default:
			ops = append(ops, diffOp{'-', mx[i], p + i, p + j})
			i++
		}
	}
	for k := 0; k < s; k++ {
		ops = append(ops, diffOp{' ', x[len(x)-s+k], len(x) - s + k, len(y) - s + k})
	}
	return ops
}
