"""A strict reader of the Prometheus text exposition format 0.0.4, written
from the format's specification (not from lbd's writer), for the tests that
scrape lbd's metrics endpoint.

parse(text) returns a Page: `samples` maps (name, frozenset of (label,
value)) to the value as a float (ints stay ints, so 64-bit counters compare
exactly), `types` and `help` map family names to their TYPE and HELP. Every
violation raises ExpositionError with its line number: a line that is
neither a comment nor `name{labels} value [timestamp]`, a bad name or
escape, a TYPE after the family's samples or given twice, a family split in
several groups, a series given twice, a negative counter.
"""
import math
import re

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}
FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?Inf|NaN")


class ExpositionError(ValueError):
    pass


class Page:
    def __init__(self):
        self.samples = {}
        self.types = {}
        self.help = {}

    def get(self, name, **labels):
        """The value of one series, None when the page does not have it."""
        return self.samples.get((name, frozenset(labels.items())))

    def series(self, name):
        """[(labels dict, value)] of every series of `name`."""
        return [(dict(labels), v) for (n, labels), v in self.samples.items() if n == name]


def _number(text):
    if not FLOAT.fullmatch(text):
        return None
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    return float(text.replace("Inf", "inf").replace("NaN", "nan"))


def _labels(line, pos, lineno):
    """Parses `{a="x",b="y"}` from line[pos] == '{'; returns (dict, next pos)."""
    labels = {}
    pos += 1
    while True:
        if pos < len(line) and line[pos] == "}":
            return labels, pos + 1
        m = re.compile(LABEL).match(line, pos)
        if not m or line[m.end():m.end() + 2] != '="':
            raise ExpositionError(f"line {lineno}: malformed label at column {pos + 1}")
        name, pos = m.group(0), m.end() + 2
        value = []
        while True:
            if pos >= len(line):
                raise ExpositionError(f"line {lineno}: unterminated label value")
            c = line[pos]
            if c == "\\":
                nxt = line[pos + 1:pos + 2]
                if nxt not in ("\\", '"', "n"):
                    raise ExpositionError(f"line {lineno}: invalid escape \\{nxt} in label {name}")
                value.append("\n" if nxt == "n" else nxt)
                pos += 2
            elif c == '"':
                pos += 1
                break
            else:
                value.append(c)
                pos += 1
        if name in labels:
            raise ExpositionError(f"line {lineno}: label {name} given twice")
        labels[name] = "".join(value)
        if line[pos:pos + 1] == ",":
            pos += 1
        elif line[pos:pos + 1] != "}":
            raise ExpositionError(f"line {lineno}: expected , or }} after label {name}")


def parse(text):
    if text and not text.endswith("\n"):
        raise ExpositionError("the page does not end with a line feed")
    page = Page()
    current, done = None, set()
    seen_samples = set()  # families with samples so far

    def enter(family, lineno):
        nonlocal current
        if family == current:
            return
        if family in done:
            raise ExpositionError(f"line {lineno}: {family}: its lines are not one group")
        if current is not None:
            done.add(current)
        current = family

    for lineno, line in enumerate(text.split("\n")[:-1] if text else [], 1):
        if not line:
            continue
        if line.startswith("#"):
            m = re.fullmatch(rf"# (HELP|TYPE) ({NAME})(?: (.*))?", line)
            if not m:
                if line.startswith("# HELP") or line.startswith("# TYPE"):
                    raise ExpositionError(f"line {lineno}: malformed {line[2:6]} line")
                continue
            kind, name, rest = m.group(1), m.group(2), m.group(3) or ""
            enter(name, lineno)
            if kind == "HELP":
                if name in page.help:
                    raise ExpositionError(f"line {lineno}: {name}: HELP given twice")
                page.help[name] = re.sub(r"\\(\\|n)", lambda e: "\n" if e.group(1) == "n" else "\\", rest)
            else:
                if rest not in TYPES:
                    raise ExpositionError(f"line {lineno}: {name}: unknown type {rest!r}")
                if name in page.types:
                    raise ExpositionError(f"line {lineno}: {name}: TYPE given twice")
                if name in seen_samples:
                    raise ExpositionError(f"line {lineno}: {name}: TYPE after its samples")
                page.types[name] = rest
            continue
        m = re.compile(NAME).match(line)
        if not m:
            raise ExpositionError(f"line {lineno}: expected a metric name: {line!r}")
        name, pos = m.group(0), m.end()
        labels = {}
        if line[pos:pos + 1] == "{":
            labels, pos = _labels(line, pos, lineno)
        parts = line[pos:].split(" ")
        if len(parts) not in (2, 3) or parts[0] != "":
            raise ExpositionError(f"line {lineno}: expected ' value [timestamp]' after {name}: {line!r}")
        value = _number(parts[1])
        if value is None:
            raise ExpositionError(f"line {lineno}: {name}: invalid value {parts[1]!r}")
        if len(parts) == 3 and not re.fullmatch(r"-?\d+", parts[2]):
            raise ExpositionError(f"line {lineno}: {name}: invalid timestamp {parts[2]!r}")
        if name not in page.types:
            raise ExpositionError(f"line {lineno}: {name}: sample without a TYPE before it")
        if page.types[name] == "counter" and (isinstance(value, float) and math.isnan(value) or value < 0):
            raise ExpositionError(f"line {lineno}: {name}: negative counter {parts[1]}")
        enter(name, lineno)
        seen_samples.add(name)
        key = (name, frozenset(labels.items()))
        if key in page.samples:
            raise ExpositionError(f"line {lineno}: series {name}{labels} given twice")
        page.samples[key] = value
    return page


def _selftest():
    """The reader refuses what it must (run by the metrics test first, so a
    reader that accepts anything cannot pass it)."""
    good = parse('# HELP a x\\ny\n# TYPE a counter\na{l="q\\"\\\\\\n"} 18446744073709551615 1\na 2.5\n')
    assert good.get("a", l='q"\\\n') == 18446744073709551615, good.samples
    assert good.get("a") == 2.5 and good.help["a"] == "x\ny"
    bad = [
        "# TYPE a gauge\na 1",                      # no final line feed
        "a 1\n",                                    # no TYPE
        "# TYPE a gauge\n# TYPE a gauge\na 1\n",    # TYPE twice
        "# TYPE a gauge\na 1\n# TYPE a gauge\n",    # TYPE after samples
        "# TYPE a gauge\n# TYPE b gauge\na 1\n",    # a split group
        "# TYPE a gauge\na{x=\"1\"} 1\na{x=\"1\"} 2\n",
        "# TYPE a gauge\na{x=\"\\t\"} 1\n",
        "# TYPE a gauge\na{x=1} 1\n",
        "# TYPE a gauge\na one\n",
        "# TYPE a gauge\na  1\n",
        "# TYPE a_total counter\na_total -1\n",
        "# TYPE a meter\na 1\n",
        "# TYPE a gauge\n-a 1\n",
    ]
    for text in bad:
        try:
            parse(text)
        except ExpositionError:
            continue
        raise AssertionError(f"accepted an invalid page: {text!r}")
