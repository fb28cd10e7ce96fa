"""A Prometheus text format (0.0.4) parser, written from the format's spec
for the end-to-end tests: every line a comment or `name{labels} value`,
HELP/TYPE once and before their samples, families contiguous, label
escaping, counters ending in _total and never negative, histogram buckets
cumulative. parser_self_test() shows it accepts good text and rejects bad.
Pure functions.
"""

import math
import re

METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class ParseError(Exception):
    pass


def parse_labels(text, pos, lineno):
    """Parses `{a="x",b="y"}` starting at text[pos] == '{'; returns
    (labels dict, position after '}')."""
    labels = {}
    pos += 1
    while True:
        if pos < len(text) and text[pos] == "}":
            return labels, pos + 1
        m = LABEL_NAME.match(text, pos)
        if not m:
            raise ParseError("line %d: bad label name at %r" % (lineno, text[pos:]))
        name = m.group(0)
        pos = m.end()
        if text[pos:pos + 2] != '="':
            raise ParseError("line %d: expected =\" after %s" % (lineno, name))
        pos += 2
        value = []
        while True:
            if pos >= len(text):
                raise ParseError("line %d: unterminated label value" % lineno)
            c = text[pos]
            if c == "\\":
                nxt = text[pos + 1:pos + 2]
                if nxt not in ("\\", '"', "n"):
                    raise ParseError("line %d: bad escape \\%s" % (lineno, nxt))
                value.append("\n" if nxt == "n" else nxt)
                pos += 2
            elif c == '"':
                pos += 1
                break
            elif c == "\n":
                raise ParseError("line %d: raw newline in label value" % lineno)
            else:
                value.append(c)
                pos += 1
        if name in labels:
            raise ParseError("line %d: label %s twice" % (lineno, name))
        labels[name] = "".join(value)
        if pos < len(text) and text[pos] == ",":
            pos += 1
        elif pos < len(text) and text[pos] == "}":
            continue
        else:
            raise ParseError("line %d: expected , or } after label" % lineno)


def parse_value(s, lineno):
    if s in ("+Inf", "Inf"):
        return math.inf
    if s == "-Inf":
        return -math.inf
    if s == "NaN":
        return math.nan
    try:
        return float(s)
    except ValueError:
        raise ParseError("line %d: bad value %r" % (lineno, s))


def family_of(sample_name, families):
    if sample_name in families:
        return sample_name
    for suffix in ("_bucket", "_sum", "_count"):
        if sample_name.endswith(suffix):
            base = sample_name[:-len(suffix)]
            if families.get(base, {}).get("type") in ("histogram", "summary"):
                return base
    return None


def parse_exposition(text):
    """Returns {family: {"type", "help", "samples": [(name, labels, value)]}}.
    Raises ParseError on anything the format does not allow."""
    if text and not text.endswith("\n"):
        raise ParseError("the text does not end with a newline")
    families = {}
    closed = set()      # families whose samples have ended
    current = None
    seen_series = set()
    for lineno, line in enumerate(text.split("\n")[:-1], 1):
        if line == "":
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not METRIC_NAME.fullmatch(name):
                    raise ParseError("line %d: bad metric name %r" % (lineno, name))
                fam = families.setdefault(name, {"type": None, "help": None,
                                                 "samples": []})
                if name in closed or fam["samples"]:
                    raise ParseError("line %d: %s %s after its samples" %
                                     (lineno, parts[1], name))
                rest = parts[3] if len(parts) > 3 else ""
                if parts[1] == "HELP":
                    if fam["help"] is not None:
                        raise ParseError("line %d: second HELP for %s" % (lineno, name))
                    if re.search(r"\\[^\\n]", rest.replace("\\\\", "")):
                        raise ParseError("line %d: bad escape in HELP" % lineno)
                    fam["help"] = rest
                else:
                    if fam["type"] is not None:
                        raise ParseError("line %d: second TYPE for %s" % (lineno, name))
                    if rest not in TYPES:
                        raise ParseError("line %d: unknown type %r" % (lineno, rest))
                    fam["type"] = rest
                if current is not None and current != name:
                    closed.add(current)
                current = name
            continue  # other comments are allowed
        m = METRIC_NAME.match(line)
        if not m:
            raise ParseError("line %d: not a sample: %r" % (lineno, line))
        name = m.group(0)
        pos = m.end()
        labels = {}
        if pos < len(line) and line[pos] == "{":
            labels, pos = parse_labels(line, pos, lineno)
        if pos >= len(line) or line[pos] != " ":
            raise ParseError("line %d: expected a space before the value" % lineno)
        fields = line[pos + 1:].split(" ")
        if len(fields) not in (1, 2) or fields[0] == "":
            raise ParseError("line %d: expected VALUE [TIMESTAMP]" % lineno)
        value = parse_value(fields[0], lineno)
        fam_name = family_of(name, families)
        if fam_name is None:
            raise ParseError("line %d: sample %s has no TYPE before it" % (lineno, name))
        if fam_name in closed:
            raise ParseError("line %d: family %s is not contiguous" % (lineno, fam_name))
        if current is not None and current != fam_name:
            closed.add(current)
        current = fam_name
        key = (name, tuple(sorted(labels.items())))
        if key in seen_series:
            raise ParseError("line %d: duplicate series %s%s" % (lineno, name, labels))
        seen_series.add(key)
        families[fam_name]["samples"].append((name, labels, value))
    for name, fam in families.items():
        if fam["type"] is None:
            raise ParseError("family %s has no TYPE" % name)
        if fam["type"] == "counter":
            if not name.endswith("_total"):
                raise ParseError("counter %s does not end in _total" % name)
            for _, labels, v in fam["samples"]:
                if not v >= 0:
                    raise ParseError("counter %s%s is %r" % (name, labels, v))
        if fam["type"] == "histogram":
            check_histogram(name, fam["samples"])
    return families


def check_histogram(name, samples):
    groups = {}
    for sname, labels, value in samples:
        base = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        g = groups.setdefault(base, {"buckets": [], "sum": None, "count": None})
        if sname == name + "_bucket":
            if "le" not in labels:
                raise ParseError("%s bucket without le" % name)
            g["buckets"].append((parse_value(labels["le"], 0), value))
        elif sname == name + "_sum":
            g["sum"] = value
        elif sname == name + "_count":
            g["count"] = value
        else:
            raise ParseError("%s: unexpected sample %s" % (name, sname))
    for base, g in groups.items():
        b = g["buckets"]
        if not b or b[-1][0] != math.inf:
            raise ParseError("%s%s: no +Inf bucket last" % (name, base))
        if [x for x, _ in b] != sorted(x for x, _ in b):
            raise ParseError("%s%s: buckets not in order" % (name, base))
        if any(b[i][1] > b[i + 1][1] for i in range(len(b) - 1)):
            raise ParseError("%s%s: buckets not cumulative" % (name, base))
        if g["count"] != b[-1][1] or g["sum"] is None:
            raise ParseError("%s%s: _count != +Inf bucket or no _sum" % (name, base))


def parser_self_test(chk):
    """The parser must accept good text (with escapes) and reject bad text,
    or the checks built on it prove nothing."""
    good = ('# HELP a_total A help with \\\\ and \\n.\n# TYPE a_total counter\n'
            'a_total{x="q\\"uo\\\\te\\nnl",y=""} 3\na_total 1.5e3\n'
            '# TYPE h histogram\nh_bucket{le="0.5"} 1\nh_bucket{le="+Inf"} 2\n'
            'h_sum 0.7\nh_count 2\n')
    fams = parse_exposition(good)
    chk.eq(fams["a_total"]["samples"][0][1], {"x": 'q"uo\\te\nnl', "y": ""},
           "parser: escaped label values")
    bad = {
        "no TYPE": "x_total 1\n",
        "bad escape": '# TYPE x_total counter\nx_total{a="\\t"} 1\n',
        "split family": ("# TYPE a_total counter\na_total{k=\"1\"} 1\n"
                         "# TYPE b gauge\nb 1\na_total{k=\"2\"} 1\n"),
        "not cumulative": ('# TYPE h histogram\nh_bucket{le="1"} 3\n'
                           'h_bucket{le="+Inf"} 2\nh_sum 1\nh_count 2\n'),
        "duplicate": "# TYPE g gauge\ng 1\ng 2\n",
        "garbage": "# TYPE g gauge\ng{a=b} 1\n",
    }
    for what, text in bad.items():
        try:
            parse_exposition(text)
            chk.check(False, "parser accepted bad text (%s)" % what)
        except ParseError:
            chk.check(True, "")


def value_of(fams, family, sample=None, **labels):
    fam = fams.get(family)
    if fam is None:
        return None
    for name, ls, v in fam["samples"]:
        if name == (sample or family) and ls == labels:
            return v
    return None
