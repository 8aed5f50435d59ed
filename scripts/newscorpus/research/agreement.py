"""`newscorpus agreement`: inter-annotator agreement on the articles that two or more annotators annotated.

The data are the `candidate` rows: each annotator's version of an article (one annotator, one article).
Every pair of annotators who both annotated an article is compared on it; a pair's counts are pooled over
the articles the two share (micro average within the pair), and the figures of the pairs are averaged
(macro average over pairs). Gold rows are not compared.

What is compared, and how (docs/research.md says the same for readers of the figures):

* Mentions. A mention is its span (start, end, code points) and its entity's type.
  exact: same start, same end, same type. partial: the spans overlap (share at least one code point) and
  the types are equal; mentions are paired one to one, as many pairs as possible, larger overlaps first.
  span: exact span, type ignored. Per type: the same, restricted to mentions of that type on both sides.
  F1 between annotators A and B is 2·matched / (|A| + |B|); precision takes A as the reference
  (matched / |B|), recall matched / |A|; F1 does not depend on which annotator is the reference.
* Coreference: MUC (Vilain et al. 1995), B-cubed (Bagga and Baldwin 1998) and CEAF-e (Luo 2005, φ4),
  as the reference implementation computes them (Pradhan et al. 2014): mentions are identified by their
  span; a mention only one annotator has counts against the other (it is a singleton on the other side);
  singletons count in B-cubed and CEAF-e, not in MUC. CoNLL F1 is the mean of the three F1.
* Events. trigger: triggers paired by exact span (type ignored); trigger_typed: exact span and type.
  On the triggers paired by span: type_agreement (share with the same type), arguments (role and filler
  both equal; the filler is compared by its mention's span) and argument_fillers (the filler only).
* Claims. exact: same span; overlap: spans overlap, paired one to one as for mentions. On the claims
  paired by overlap: claimer agreement (both by the author, both unnamed, or the same claimer mention
  span), claimer_entity agreement (the claimer mentions' clusters share a span), and for stance and
  quote the observed agreement and Cohen's kappa. With more than two annotators in all, Krippendorff's
  alpha (nominal) over every annotator's values is the headline coefficient; a unit is a set of claims
  linked by pairwise overlap matches.

Figures that cannot be computed (nothing to compare, a kappa whose expected agreement is 1) are None.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..store import storage
from ..store.versions import Version, versions as versions_of
from ..contract import Contract, load_contract

# ---------------------------------------------------------------------------------------------------
# generic measures (pure functions over plain Python values; unit-tested on hand-worked cases)


@dataclass
class Counts:
    """matched pairs, items of annotator A, items of annotator B."""

    matched: int = 0
    a: int = 0
    b: int = 0

    def __iadd__(self, other: "Counts") -> "Counts":
        self.matched += other.matched
        self.a += other.a
        self.b += other.b
        return self

    def figures(self) -> dict:
        return {"f1": _div(2 * self.matched, self.a + self.b), "precision": _div(self.matched, self.b),
                "recall": _div(self.matched, self.a), "matched": self.matched, "a": self.a, "b": self.b}


def _div(num, den):
    return num / den if den else None


def _f1(p, r):
    if p is None or r is None:
        return None
    return 2 * p * r / (p + r) if p + r else 0.0


def overlaps(x: tuple, y: tuple) -> int:
    """Code points shared by spans x and y (start, end, ...)."""
    return max(0, min(x[1], y[1]) - max(x[0], y[0]))


def match_exact(a: list, b: list, key=lambda x: x) -> list[tuple[int, int]]:
    """Index pairs (i, j), one to one, of items with equal keys (a multiset intersection)."""
    pool = defaultdict(list)
    for j, y in enumerate(b):
        pool[key(y)].append(j)
    pairs = []
    for i, x in enumerate(a):
        js = pool.get(key(x))
        if js:
            pairs.append((i, js.pop(0)))
    return pairs


def match_overlap(a: list, b: list, compatible=lambda x, y: True) -> list[tuple[int, int]]:
    """Index pairs (i, j), one to one, of overlapping spans (items are (start, end, ...)): a maximum
    matching (as many pairs as possible; Kuhn's augmenting paths), larger overlaps tried first."""
    order_b = sorted(range(len(b)), key=lambda j: (b[j][0], b[j][1]))
    edges = []
    for i, x in enumerate(a):
        cand = [(overlaps(x, b[j]), j) for j in order_b if overlaps(x, b[j]) and compatible(x, b[j])]
        edges.append([j for _, j in sorted(cand, key=lambda t: (-t[0], t[1]))])
    owner: dict[int, int] = {}

    def augment(i, seen):
        for j in edges[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or augment(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in range(len(a)):
        if edges[i]:
            augment(i, set())
    return sorted((i, j) for j, i in owner.items())


def muc(key: list, response: list) -> tuple[int, int, int, int]:
    """(recall numerator, recall denominator, precision numerator, precision denominator) of MUC.
    Clusters are collections of hashable mentions."""
    rn, rd = _muc_side(key, response)
    pn, pd = _muc_side(response, key)
    return rn, rd, pn, pd


def _muc_side(clusters, other):
    where = {m: i for i, c in enumerate(other) for m in c}
    num = den = 0
    for c in clusters:
        parts = {where.get(m, ("alone", m)) for m in c}
        num += len(c) - len(parts)
        den += len(c) - 1
    return num, den


def b_cubed(key: list, response: list) -> tuple[float, int, float, int]:
    """(recall numerator, recall denominator, precision numerator, precision denominator) of B-cubed."""
    rn, rd = _b3_side(key, response)
    pn, pd = _b3_side(response, key)
    return rn, rd, pn, pd


def _b3_side(clusters, other):
    where = {m: i for i, c in enumerate(other) for m in c}
    num, den = 0.0, 0
    for c in clusters:
        shared = Counter(where[m] for m in c if m in where)
        num += sum(n * n for n in shared.values()) / len(c)
        den += len(c)
    return num, den


def ceaf_e(key: list, response: list) -> tuple[float, int, float, int]:
    """(similarity, key clusters, similarity, response clusters) of entity-based CEAF (φ4 similarity,
    2·|K∩R| / (|K| + |R|), under the best one-to-one alignment of key and response clusters)."""
    key = [frozenset(c) for c in key]
    response = [frozenset(c) for c in response]
    sim = 0.0
    for ks, rs in _components(key, response):
        weights = [[2 * len(key[k] & response[r]) / (len(key[k]) + len(response[r])) for r in rs] for k in ks]
        sim += max_assignment(weights)
    return sim, len(key), sim, len(response)


def _disjoint_sets(n: int):
    """Union-find over 0..n-1: (find, parent); join two sets with parent[find(a)] = find(b)."""
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    return find, parent


def _components(key, response):
    """Groups of key and response clusters linked by shared mentions (the alignment decomposes)."""
    owner = {m: r for r, c in enumerate(response) for m in c}
    find, parent = _disjoint_sets(len(key))

    first_key_of = {}
    for k, c in enumerate(key):
        for r in {owner[m] for m in c if m in owner}:
            if r in first_key_of:
                parent[find(k)] = find(first_key_of[r])
            else:
                first_key_of[r] = k
    groups: dict[int, tuple[list, list]] = {}
    for k in range(len(key)):
        groups.setdefault(find(k), ([], []))[0].append(k)
    for r, k in first_key_of.items():
        groups[find(k)][1].append(r)
    return [(ks, rs) for ks, rs in groups.values() if rs]


def max_assignment(weights: list[list[float]]) -> float:
    """The largest total weight of a one-to-one assignment of rows to columns (Hungarian algorithm)."""
    if not weights or not weights[0]:
        return 0.0
    if len(weights) > len(weights[0]):
        weights = [list(col) for col in zip(*weights)]
    n, m = len(weights), len(weights[0])
    inf = float("inf")
    u, v, p, way = [0.0] * (n + 1), [0.0] * (m + 1), [0] * (m + 1), [0] * (m + 1)
    for i in range(1, n + 1):
        p[0], j0 = i, 0
        minv, used = [inf] * (m + 1), [False] * (m + 1)
        while True:
            used[j0] = True
            i0, delta, j1 = p[j0], inf, 0
            for j in range(1, m + 1):
                if not used[j]:
                    cur = -weights[i0 - 1][j - 1] - u[i0] - v[j]
                    if cur < minv[j]:
                        minv[j], way[j] = cur, j0
                    if minv[j] < delta:
                        delta, j1 = minv[j], j
            for j in range(m + 1):
                if used[j]:
                    u[p[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
    return sum(weights[p[j] - 1][j - 1] for j in range(1, m + 1) if p[j])


def cohen_kappa(pairs: list[tuple]) -> float | None:
    """Cohen's kappa of (label of A, label of B) pairs; None if there are none or chance agreement is 1."""
    n = len(pairs)
    if not n:
        return None
    po = sum(1 for x, y in pairs if x == y) / n
    ca, cb = Counter(x for x, _ in pairs), Counter(y for _, y in pairs)
    pe = sum(ca[k] * cb[k] for k in ca) / (n * n)
    return None if pe == 1 else (po - pe) / (1 - pe)


def krippendorff_alpha(units: list[list]) -> float | None:
    """Krippendorff's alpha for nominal data. `units`: the values given to each unit (any coders, missing
    values left out); units with fewer than two values are not pairable and are ignored."""
    o: Counter = Counter()
    for values in units:
        m = len(values)
        if m < 2:
            continue
        for i, j in itertools.permutations(range(m), 2):
            o[(values[i], values[j])] += 1 / (m - 1)
    n_c: Counter = Counter()
    for (c, _), w in o.items():
        n_c[c] += w
    n = sum(n_c.values())
    if n <= 1:
        return None
    observed = sum(w for (c, k), w in o.items() if c != k)
    expected = sum(n_c[c] * n_c[k] for c in n_c for k in n_c if c != k) / (n - 1)
    return None if expected == 0 else 1 - observed / expected


# ---------------------------------------------------------------------------------------------------
# annotators' versions of an article


# ---------------------------------------------------------------------------------------------------
# comparing two versions


@dataclass
class PairCounts:
    """Everything counted comparing annotator A with annotator B, addable over articles."""

    counts: dict = field(default_factory=lambda: defaultdict(Counts))  # name -> Counts
    coref: dict = field(default_factory=lambda: defaultdict(lambda: [0.0, 0, 0.0, 0]))  # metric -> rn, rd, pn, pd
    agree: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0]))  # name -> agreeing, compared
    labels: dict = field(default_factory=lambda: defaultdict(list))  # name -> [(label A, label B)]
    articles: list = field(default_factory=list)

    def add(self, other: "PairCounts") -> None:
        for k, c in other.counts.items():
            self.counts[k] += c
        for k, q in other.coref.items():
            self.coref[k] = [x + y for x, y in zip(self.coref[k], q)]
        for k, q in other.agree.items():
            self.agree[k] = [x + y for x, y in zip(self.agree[k], q)]
        for k, q in other.labels.items():
            self.labels[k] += q
        self.articles += other.articles


def _mentions(v: Version) -> list[tuple]:
    return [(m["start"], m["end"], e["type"], m["id"]) for e in v.entities for m in e["mentions"]]


def _exact(a, b, key) -> Counts:
    return Counts(len(match_exact(a, b, key)), len(a), len(b))


def compare(a: Version, b: Version) -> PairCounts:
    """The counts of one article annotated by A and B."""
    pc_ = PairCounts(articles=[a.article_id])
    # mentions
    ma, mb = _mentions(a), _mentions(b)
    pc_.counts["mentions.exact"] = _exact(ma, mb, lambda x: x[:3])
    pc_.counts["mentions.span"] = _exact(ma, mb, lambda x: x[:2])
    pc_.counts["mentions.partial"] = Counts(len(match_overlap(ma, mb, lambda x, y: x[2] == y[2])), len(ma), len(mb))
    for t in sorted({x[2] for x in ma} | {x[2] for x in mb}):
        ta, tb = [x for x in ma if x[2] == t], [x for x in mb if x[2] == t]
        pc_.counts[f"mentions.exact.{t}"] = _exact(ta, tb, lambda x: x[:2])
        pc_.counts[f"mentions.partial.{t}"] = Counts(len(match_overlap(ta, tb)), len(ta), len(tb))
    # coreference over mention spans
    ka = [{(m["start"], m["end"]) for m in e["mentions"]} for e in a.entities]
    kb = [{(m["start"], m["end"]) for m in e["mentions"]} for e in b.entities]
    for name, fn in (("muc", muc), ("b_cubed", b_cubed), ("ceaf_e", ceaf_e)):
        pc_.coref[name] = list(fn(ka, kb))
    # events
    ia, ib = a.mention_index(), b.mention_index()
    ta = [(v["trigger"]["start"], v["trigger"]["end"], v["type"], v) for v in a.events]
    tb = [(v["trigger"]["start"], v["trigger"]["end"], v["type"], v) for v in b.events]
    pc_.counts["events.trigger_typed"] = _exact(ta, tb, lambda x: x[:3])
    pairs = _pair_triggers(ta, tb)
    pc_.counts["events.trigger"] = Counts(len(pairs), len(ta), len(tb))
    pc_.agree["events.type"] = [sum(1 for i, j in pairs if ta[i][2] == tb[j][2]), len(pairs)]
    args, fillers = Counts(), Counts()
    for i, j in pairs:
        xa = _arguments(ta[i][3], ia)
        xb = _arguments(tb[j][3], ib)
        args += Counts(sum((Counter(xa) & Counter(xb)).values()), len(xa), len(xb))
        fa, fb = [x[1] for x in xa], [x[1] for x in xb]
        fillers += Counts(sum((Counter(fa) & Counter(fb)).values()), len(fa), len(fb))
    pc_.counts["events.arguments"] = args
    pc_.counts["events.argument_fillers"] = fillers
    # claims
    ca = [(c["span"]["start"], c["span"]["end"], c) for c in a.claims]
    cb = [(c["span"]["start"], c["span"]["end"], c) for c in b.claims]
    pc_.counts["claims.exact"] = _exact(ca, cb, lambda x: x[:2])
    matched = match_overlap(ca, cb)
    pc_.counts["claims.overlap"] = Counts(len(matched), len(ca), len(cb))
    for i, j in matched:
        x, y = ca[i][2], cb[j][2]
        pc_.agree["claims.claimer"][0] += _claimer_key(x, ia) == _claimer_key(y, ib)
        pc_.agree["claims.claimer"][1] += 1
        pc_.agree["claims.claimer_entity"][0] += _same_claimer_entity(x, y, ia, ib)
        pc_.agree["claims.claimer_entity"][1] += 1
        pc_.labels["claims.stance"].append((x["stance"], y["stance"]))
        pc_.labels["claims.quote"].append((x["quote"], y["quote"]))
    return pc_


def _pair_triggers(ta, tb) -> list[tuple[int, int]]:
    """Triggers paired one to one by exact span, pairs of the same type first."""
    typed = match_exact(ta, tb, lambda x: x[:3])
    used_a, used_b = {i for i, _ in typed}, {j for _, j in typed}
    ra = [i for i in range(len(ta)) if i not in used_a]
    rb = [j for j in range(len(tb)) if j not in used_b]
    rest = match_exact([ta[i] for i in ra], [tb[j] for j in rb], lambda x: x[:2])
    return sorted(typed + [(ra[i], rb[j]) for i, j in rest])


def _arguments(event: dict, index: dict) -> list[tuple]:
    out = []
    for arg in event["arguments"]:
        m = index.get(arg["mention_id"])
        out.append((arg["role"], (m[0]["start"], m[0]["end"]) if m else ("missing", arg["mention_id"])))
    return out


def _claimer_key(claim: dict, index: dict):
    if claim["by_author"]:
        return "author"
    if claim["claimer"] is None:
        return "unnamed"
    m = index.get(claim["claimer"]["mention_id"])
    return (m[0]["start"], m[0]["end"]) if m else ("missing", claim["claimer"]["mention_id"])


def _same_claimer_entity(x: dict, y: dict, ia: dict, ib: dict) -> bool:
    kx, ky = _claimer_key(x, ia), _claimer_key(y, ib)
    if not (isinstance(kx, tuple) and isinstance(ky, tuple) and kx[0] != "missing" and ky[0] != "missing"):
        return kx == ky
    ex = {(m["start"], m["end"]) for m in ia[x["claimer"]["mention_id"]][1]["mentions"]}
    ey = {(m["start"], m["end"]) for m in ib[y["claimer"]["mention_id"]][1]["mentions"]}
    return bool(ex & ey)


# ---------------------------------------------------------------------------------------------------
# figures


def pair_figures(p: PairCounts) -> dict:
    """The figures of one pair of annotators from its pooled counts."""
    c = p.counts
    per_type = {}
    for name in sorted(k for k in c if k.startswith("mentions.exact.")):
        t = name.rsplit(".", 1)[1]
        per_type[t] = {"exact": c[name].figures()["f1"], "partial": c[f"mentions.partial.{t}"].figures()["f1"],
                       "a": c[name].a, "b": c[name].b}
    coref = {}
    for name in ("muc", "b_cubed", "ceaf_e"):
        rn, rd, pn, pd = p.coref[name]
        r, pr = _div(rn, rd), _div(pn, pd)
        coref[name] = {"f1": _f1(pr, r), "precision": pr, "recall": r}
    f1s = [coref[n]["f1"] for n in coref]
    coref["conll_f1"] = None if None in f1s else sum(f1s) / 3

    def agreement(name):
        ok, n = p.agree[name]
        return _div(ok, n)

    def categorical(name):
        pairs = p.labels[name]
        return {"agreement": _div(sum(1 for x, y in pairs if x == y), len(pairs)), "kappa": cohen_kappa(pairs), "items": len(pairs)}

    return {
        "articles": len(p.articles),
        "mentions": {"exact": c["mentions.exact"].figures(), "partial": c["mentions.partial"].figures(),
                     "span": c["mentions.span"].figures(), "per_type": per_type},
        "coreference": coref,
        "events": {"trigger": c["events.trigger"].figures(), "trigger_typed": c["events.trigger_typed"].figures(),
                   "type_agreement": agreement("events.type"), "arguments": c["events.arguments"].figures(),
                   "argument_fillers": c["events.argument_fillers"].figures()},
        "claims": {"exact": c["claims.exact"].figures(), "overlap": c["claims.overlap"].figures(),
                   "claimer_agreement": agreement("claims.claimer"), "claimer_entity_agreement": agreement("claims.claimer_entity"),
                   "stance": categorical("claims.stance"), "quote": categorical("claims.quote")},
    }


_SUMMED = {"matched", "a", "b", "items", "articles"}


def _mean(dicts: list[dict]) -> dict:
    """Leaf by leaf: counts summed, figures averaged over the pairs that have them (None if none has).
    A key that only some pairs have (a mention type one pair never used) is averaged over those."""
    out = {}
    for key in dict.fromkeys(k for d in dicts for k in d):
        vals = [d[key] for d in dicts if key in d]
        if any(isinstance(v, dict) for v in vals):
            out[key] = _mean([v for v in vals if isinstance(v, dict)])
        elif key in _SUMMED:
            out[key] = sum(v or 0 for v in vals)
        else:
            nums = [v for v in vals if v is not None]
            out[key] = sum(nums) / len(nums) if nums else None
    return out


def _alpha_units(versions: dict[str, Version], name: str) -> list[list]:
    """Units for Krippendorff's alpha on one article: claims linked by pairwise overlap matches."""
    nodes = [(ann, k) for ann, v in sorted(versions.items()) for k in range(len(v.claims))]
    index = {n: i for i, n in enumerate(nodes)}
    find, parent = _disjoint_sets(len(nodes))

    for x, y in itertools.combinations(sorted(versions), 2):
        ca = [(c["span"]["start"], c["span"]["end"]) for c in versions[x].claims]
        cb = [(c["span"]["start"], c["span"]["end"]) for c in versions[y].claims]
        for i, j in match_overlap(ca, cb):
            parent[find(index[(x, i)])] = find(index[(y, j)])
    units: dict[int, list] = defaultdict(list)
    for (ann, k), i in index.items():
        units[find(i)].append(versions[ann].claims[k][name])
    return list(units.values())


def compute_agreement(tables: dict) -> dict:
    """Agreement figures from in-memory tables (see the module docstring for what each figure means)."""
    by_article = {a: v for a, v in versions_of(tables, "candidate").items() if len(v) >= 2}
    pooled: dict[tuple[str, str], PairCounts] = {}
    units = {"stance": [], "quote": []}
    for aid in sorted(by_article):
        versions = by_article[aid]
        for x, y in itertools.combinations(sorted(versions), 2):
            pooled.setdefault((x, y), PairCounts()).add(compare(versions[x], versions[y]))
        for name in units:
            units[name] += _alpha_units(versions, name)
    annotators = sorted({a for v in by_article.values() for a in v})
    pairs = [{"annotators": list(k), **pair_figures(p)} for k, p in sorted(pooled.items())]
    mean = _mean([{k: v for k, v in p.items() if k != "annotators"} for p in pairs]) if pairs else {}
    if mean:
        for name in units:
            mean["claims"][name]["alpha"] = krippendorff_alpha(units[name])
            mean["claims"][name]["coefficient"] = "kappa" if len(annotators) == 2 else "alpha"
    return {"articles": sorted(by_article), "annotators": annotators, "pairs": pairs, "mean": mean}


def agreement_figures(root: Path | str, contract: Contract | None = None) -> dict:
    """The agreement figures of the corpus under `root`: {"articles": [...], "annotators": [...],
    "pairs": [one dict a pair], "mean": {...}}. "articles" is empty (and "mean" {}) when no article has
    two or more annotators' versions: report the figures only when there are any."""
    root = Path(root)
    contract = contract or load_contract(root)
    return compute_agreement(storage.all_tables(root, contract))


# ---------------------------------------------------------------------------------------------------
# presentation (no printing: the CLI prints what these return)

ROWS = [
    ("mention F1, exact (span + type)", ("mentions", "exact", "f1")),
    ("mention F1, partial (overlap + type)", ("mentions", "partial", "f1")),
    ("mention F1, span only", ("mentions", "span", "f1")),
    ("coreference MUC F1", ("coreference", "muc", "f1")),
    ("coreference B-cubed F1", ("coreference", "b_cubed", "f1")),
    ("coreference CEAF-e F1", ("coreference", "ceaf_e", "f1")),
    ("coreference CoNLL F1", ("coreference", "conll_f1")),
    ("event trigger F1 (span)", ("events", "trigger", "f1")),
    ("event trigger F1 (span + type)", ("events", "trigger_typed", "f1")),
    ("event type agreement, matched triggers", ("events", "type_agreement")),
    ("event argument F1 (role + filler)", ("events", "arguments", "f1")),
    ("event argument F1 (filler only)", ("events", "argument_fillers", "f1")),
    ("claim span F1, exact", ("claims", "exact", "f1")),
    ("claim span F1, overlap", ("claims", "overlap", "f1")),
    ("claimer agreement (mention)", ("claims", "claimer_agreement")),
    ("claimer agreement (entity)", ("claims", "claimer_entity_agreement")),
    ("stance agreement", ("claims", "stance", "agreement")),
    ("stance Cohen's kappa", ("claims", "stance", "kappa")),
    ("stance Krippendorff's alpha", ("claims", "stance", "alpha")),
    ("quote agreement", ("claims", "quote", "agreement")),
    ("quote Cohen's kappa", ("claims", "quote", "kappa")),
    ("quote Krippendorff's alpha", ("claims", "quote", "alpha")),
]


def _get(d: dict, path: tuple):
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


def _fmt(v) -> str:
    return "–" if v is None else f"{v:.3f}"


def render_table(figs: dict):
    """A rich renderable of the figures (built from Text objects only): one row a figure, columns the mean
    and each pair of annotators."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    if not figs["articles"]:
        return Text("no article has two or more annotators' candidate versions: no agreement figures")
    head = Text(f"{len(figs['articles'])} article(s) annotated by {len(figs['annotators'])} annotators "
                f"({', '.join(figs['annotators'])}); {len(figs['pairs'])} pair(s), figures averaged over pairs")
    table = Table(title=Text("agreement"))
    for header in [Text("figure"), Text("mean"), *(Text(" / ".join(p["annotators"])) for p in figs["pairs"])]:
        table.add_column(header)
    for label, path in ROWS:
        if path[-1] == "alpha" and len(figs["annotators"]) == 2:
            continue
        table.add_row(Text(label), Text(_fmt(_get(figs["mean"], path))), *(Text(_fmt(_get(p, path))) for p in figs["pairs"]))
    types = Table(title=Text("mention F1 per type (mean over pairs)"))
    for header in (Text("type"), Text("exact F1"), Text("partial F1")):
        types.add_column(header)
    for t, v in sorted(figs["mean"]["mentions"]["per_type"].items()):
        types.add_row(Text(t), Text(_fmt(v.get("exact"))), Text(_fmt(v.get("partial"))))
    return Group(head, table, types)


def figures_markdown(figs: dict) -> str:
    """The mean figures as a Markdown table (for a datasheet or a release card); "" when there are none."""
    if not figs["articles"]:
        return ""
    lines = [f"Inter-annotator agreement on {len(figs['articles'])} article(s) annotated by {len(figs['annotators'])} "
             "annotators, averaged over pairs of annotators (`newscorpus agreement`).", "", "| figure | value |", "| --- | ---: |"]
    for label, path in ROWS:
        if path[-1] == "alpha" and len(figs["annotators"]) == 2:
            continue
        lines.append(f"| {label} | {_fmt(_get(figs['mean'], path))} |")
    return "\n".join(lines) + "\n"
