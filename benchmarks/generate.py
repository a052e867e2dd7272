"""Writes a synthetic data directory with the real schema and layout, at a chosen size.

One fact per place and metric in every snapshot, so the default 2,800 places x 200 metrics
x 20 snapshots is 11.2 M facts. Each snapshot revises a few percent of the previous one's
values (and some qualifiers), as a re-issued dataset would; periods stay fixed per place and
metric, so a diff of two neighbouring snapshots is a realistic few percent of rows.

Everything is built column-wise with numpy and pyarrow compute, one snapshot at a time.

    python benchmarks/generate.py OUT_DIR --places 2800 --metrics 200 --snapshots 20
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redengine.core.domain import CATEGORIES  # noqa: E402
from redengine.data import schema, store  # noqa: E402

REVISED_SHARE = 0.03  # of the facts, revised from one snapshot to the next
SOURCE_TEXTS = 5  # report files written under sources/; the sources share them
PLACES_PER_CITY = 10

SYLLABLES = [
    ("江", "Jiang"),
    ("海", "Hai"),
    ("山", "Shan"),
    ("东", "Dong"),
    ("西", "Xi"),
    ("南", "Nan"),
    ("北", "Bei"),
    ("安", "An"),
    ("平", "Ping"),
    ("阳", "Yang"),
    ("城", "Cheng"),
    ("河", "He"),
    ("湖", "Hu"),
    ("宁", "Ning"),
    ("华", "Hua"),
    ("新", "Xin"),
    ("长", "Chang"),
    ("丰", "Feng"),
    ("兴", "Xing"),
    ("龙", "Long"),
    ("金", "Jin"),
    ("石", "Shi"),
    ("云", "Yun"),
    ("明", "Ming"),
    ("清", "Qing"),
    ("永", "Yong"),
    ("泰", "Tai"),
    ("和", "He"),
    ("嘉", "Jia"),
    ("福", "Fu"),
    ("庆", "Qing"),
    ("康", "Kang"),
    ("德", "De"),
    ("昌", "Chang"),
    ("武", "Wu"),
    ("汉", "Han"),
    ("桂", "Gui"),
    ("林", "Lin"),
    ("沙", "Sha"),
    ("洲", "Zhou"),
]
LEVELS = [("区", "District", "district"), ("县", "County", "district"), ("市", "City", "city")]
PROVINCES = [
    ("北京市", "Beijing"),
    ("天津市", "Tianjin"),
    ("河北省", "Hebei"),
    ("山西省", "Shanxi"),
    ("内蒙古自治区", "Inner Mongolia"),
    ("辽宁省", "Liaoning"),
    ("吉林省", "Jilin"),
    ("黑龙江省", "Heilongjiang"),
    ("上海市", "Shanghai"),
    ("江苏省", "Jiangsu"),
    ("浙江省", "Zhejiang"),
    ("安徽省", "Anhui"),
    ("福建省", "Fujian"),
    ("江西省", "Jiangxi"),
    ("山东省", "Shandong"),
    ("河南省", "Henan"),
    ("湖北省", "Hubei"),
    ("湖南省", "Hunan"),
    ("广东省", "Guangdong"),
    ("广西壮族自治区", "Guangxi"),
    ("海南省", "Hainan"),
    ("重庆市", "Chongqing"),
    ("四川省", "Sichuan"),
    ("贵州省", "Guizhou"),
    ("云南省", "Yunnan"),
    ("西藏自治区", "Tibet"),
    ("陕西省", "Shaanxi"),
    ("甘肃省", "Gansu"),
    ("青海省", "Qinghai"),
    ("宁夏回族自治区", "Ningxia"),
    ("新疆维吾尔自治区", "Xinjiang"),
]
# Per category: (name_zh, name_en, unit, typical size) of a metric family.
FAMILIES = {
    "organizations": [
        ("基层党组织", "Grassroots Party organizations", "count", 300),
        ("党员", "Party members", "people", 20_000),
        ("两新组织党组织", "Party organizations in new economic and social organizations", "count", 120),
        ("楼宇党组织", "Office-building Party organizations", "count", 40),
    ],
    "volunteers": [
        ("注册志愿者", "Registered volunteers", "people", 50_000),
        ("志愿服务", "Volunteer service", "person_times", 200_000),
        ("志愿服务队", "Volunteer teams", "count", 400),
        ("在职党员社区报到", "Employed Party members registered in communities", "people", 8_000),
    ],
    "service_centers": [
        ("党群服务中心", "Party-masses service centres", "count", 60),
        ("党群服务阵地面积", "Area of Party-masses service sites", "m2", 30_000),
        ("红色驿站", "Red stations", "count", 80),
        ("便民服务时长", "Convenience-service waiting time", "days", 5),
    ],
    "investment": [
        ("招商引资到位资金", "Investment attracted (funds in place)", "CNY", 5e9),
        ("签约项目", "Signed projects", "count", 90),
        ("实际利用外资", "Foreign capital actually used", "USD", 2e8),
        ("民生投入", "Spending on people's livelihood", "CNY", 8e8),
    ],
    "economy": [
        ("地区生产总值", "Gross regional product", "CNY", 8e10),
        ("新增市场主体", "New market entities", "count", 6_000),
        ("地区生产总值增速", "GDP growth", "percent", 7),
        ("新增就业", "New jobs", "people", 9_000),
    ],
    "governance": [
        ("网格员", "Grid workers", "people", 1_500),
        ("矛盾纠纷化解", "Disputes resolved", "count", 3_000),
        ("惠及居民", "Households benefiting", "households", 40_000),
        ("老旧小区改造", "Old residential compounds renovated", "count", 70),
    ],
}
VARIANTS = [
    ("", "", "total"),
    ("新增", " added", "added"),
    ("年末", " at year end", "year_end"),
    ("累计", " (cumulative)", "cumulative"),
    ("社区", " in communities", "community"),
    ("街道", " in sub-districts", "subdistrict"),
    ("农村", " in rural areas", "rural"),
    ("重点", " (key)", "key"),
    ("示范", " (model)", "model"),
]
UNIT_WORDS = {
    "count": "个",
    "people": "人",
    "person_times": "人次",
    "households": "户",
    "CNY": "元",
    "USD": "美元",
    "percent": "%",
    "m2": "平方米",
    "km": "公里",
    "days": "天",
    "years": "年",
    "times": "倍",
}
# qualifier, share, prefix, after-number word, verb in the quote
QUALIFIER_FORMS = [
    ("exact", 0.70, "", "", "共有"),
    ("at_least", 0.15, "", "余", "累计"),
    ("approx", 0.08, "约", "", "目前"),
    ("estimate", 0.04, "", "", "预计全年"),
    ("target", 0.03, "", "", "力争达到"),
]
NOTES = [
    "Period not stated; inferred from the report's date.",
    "Cumulative since the campaign began.",
    "Rounded in the report.",
    "Figure covers the whole city; the place is its main district.",
]
NOTE_SHARE = 0.12


def _periods() -> list[tuple[dt.date, dt.date, str]]:
    """A fixed menu of (start, end, label): years, halves, quarters, multi-year spans."""
    periods = []
    for year in range(2016, 2025):
        periods.append((dt.date(year, 1, 1), dt.date(year, 12, 31), f"{year}"))
        periods.append((dt.date(year, 1, 1), dt.date(year, 6, 30), f"{year} H1"))
        periods.append((dt.date(year, 1, 1), dt.date(year, 3, 31), f"{year} Q1"))
        periods.append((dt.date(year, 1, 1), dt.date(year, 7, 31), f"as of {year} Jan–Jul"))
        periods.append((dt.date(year - 2, 1, 1), dt.date(year, 12, 31), f"{year - 2}–{year} (cumulative)"))
    return periods


def _names(rng: np.random.Generator, count: int) -> list[tuple[str, str, str]]:
    """`count` distinct (zh, en, level) place names from two syllables and a level word."""
    combos = [(a, b, lv) for a in SYLLABLES for b in SYLLABLES if a != b for lv in LEVELS]
    if count > len(combos):
        combos += [(a, b + c, lv) for a in SYLLABLES for b in SYLLABLES for c in SYLLABLES for lv in LEVELS]
    picked = rng.choice(len(combos), size=count, replace=False)
    names = []
    for index in picked:
        (a_zh, a_en), (b_zh, b_en), (level_zh, level_en, level) = combos[index]
        names.append((a_zh + b_zh + level_zh, f"{a_en}{b_en.lower()} {level_en}", level))
    return names


def districts_table(rng: np.random.Generator, places: int) -> pa.Table:
    """Places sorted by id, about ten to a city."""
    names = _names(rng, places)
    cities = max(1, -(-places // PLACES_PER_CITY))
    city_names = _names(np.random.default_rng(rng.integers(1 << 32)), cities)
    city_of = np.arange(places) // PLACES_PER_CITY
    rows = []
    for i, (name_zh, name_en, level) in enumerate(names):
        city = city_of[i]
        province_zh, province_en = PROVINCES[city % len(PROVINCES)]
        slug = name_en.split(" ")[0].lower()
        rows.append(
            {
                "district_id": f"p{i:04d}_{slug}",
                "name_zh": name_zh,
                "name_en": name_en,
                "level": level,
                "city_zh": city_names[city][0][:-1] + "市",
                "city_en": city_names[city][1].split(" ")[0],
                "province_zh": province_zh,
                "province_en": province_en,
            }
        )
    return pa.Table.from_pylist(rows, schema=schema.DISTRICTS)


# Variants counted over a period; the others are read on a date.
FLOW_VARIANTS = frozenset({"added", "cumulative"})
SCOPED_SHARE = 0.03  # figures for one sub-district rather than the whole place
INFERRED_SHARE = 0.05  # figures whose period is inferred from context


def _concept_id(category: str, family: int) -> str:
    return f"{category[:4]}_concept_{family}"


def concepts_table() -> pa.Table:
    """One concept per family of metrics: what a researcher would line up across places."""
    rows = [
        {
            "concept_id": _concept_id(category, k),
            "category": category,
            "name_zh": name_zh,
            "name_en": name_en,
            "description_en": f"{name_en}, in any of its definitions. Synthetic benchmark concept.",
        }
        for category, families in FAMILIES.items()
        for k, (name_zh, name_en, _, _) in enumerate(families)
    ]
    return pa.Table.from_pylist(rows, schema=schema.CONCEPTS).sort_by("concept_id")


def metrics_table(metrics: int) -> tuple[pa.Table, list[tuple[str, str, str, float, str]]]:
    """Metrics sorted by id, and per metric (id, name_zh, unit, size, category)."""
    rows, info = [], []
    for i in range(metrics):
        category = CATEGORIES[i % len(CATEGORIES)]
        families = FAMILIES[category]
        k = i // len(CATEGORIES)
        name_zh, name_en, unit, size = families[k % len(families)]
        variant_zh, variant_en, variant_id = VARIANTS[(k // len(families)) % len(VARIANTS)]
        round_ = k // (len(families) * len(VARIANTS))
        suffix = f"_{round_ + 1}" if round_ else ""
        metric_id = f"{category[:4]}_{i:03d}_{variant_id}{suffix}"
        full_zh = f"{variant_zh}{name_zh}{f'（{round_ + 1}）' if round_ else ''}"
        full_en = f"{name_en}{variant_en}{f' ({round_ + 1})' if round_ else ''}"
        rows.append(
            {
                "metric_id": metric_id,
                "category": category,
                "name_zh": full_zh,
                "name_en": full_en,
                "unit": unit,
                "concept_id": _concept_id(category, k % len(families)),
                "measure": "change_rate" if unit == "percent" else "flow" if variant_id in FLOW_VARIANTS else "stock",
                "description_en": f"{full_en}, as printed in the report ({unit}). Synthetic benchmark metric.",
            }
        )
        info.append((metric_id, full_zh, unit, float(size), category))
    order = sorted(range(metrics), key=lambda j: rows[j]["metric_id"])
    return pa.Table.from_pylist([rows[j] for j in order], schema=schema.METRICS), [info[j] for j in order]


def sources_table(districts: pa.Table) -> pa.Table:
    """One report per place, as in the curated data; the report texts are shared among a few files."""
    rows = []
    for i, place in enumerate(districts.to_pylist()):
        year = 2017 + i % 8
        slug = place["district_id"].split("_", 1)[1]
        rows.append(
            {
                "source_id": f"{slug}_{i:04d}_{year}",
                "title_zh": f"{place['city_zh']}{place['name_zh']}：党建引领基层治理{year}年工作综述",
                "title_en": f"{place['name_en']}, {place['city_en']}: "
                f"Party building leads grassroots governance in {year}",
                "publisher": "人民网" if i % 3 else None,
                "published": dt.date(year + 1, 1 + i % 12, 1 + i % 28),
                "file": f"sources/report_{i % SOURCE_TEXTS}.txt",
                "period_start": dt.date(year, 1, 1),
                "period_end": dt.date(year, 12, 31),
                "period_label": f"{year}",
                "period_note": None if i % 4 else "The year is inferred from the publication date.",
            }
        )
    return pa.Table.from_pylist(rows, schema=schema.SOURCES).sort_by("source_id")


def _take(values: list, indices: np.ndarray, type_: pa.DataType | None = None) -> pa.Array:
    return pc.take(pa.array(values, type_ or pa.string()), pa.array(indices))


class FactBuilder:
    """Columns that stay fixed across snapshots, and the values that drift between them."""

    def __init__(self, rng, districts: pa.Table, metric_info, sources: pa.Table):
        self.rng = rng
        places, metrics = len(districts), len(metric_info)
        self.rows = places * metrics
        # Metric-major, place-minor: already in FACT_SORT order, so sorting is cheap.
        self.metric_ix = np.repeat(np.arange(metrics, dtype=np.int32), places)
        self.place_ix = np.tile(np.arange(places, dtype=np.int32), metrics)
        self.district_id = _take(districts["district_id"].to_pylist(), self.place_ix)
        self.metric_id = _take([m[0] for m in metric_info], self.metric_ix)
        # sources_table makes report i for place i; sorting by id reorders them
        report_of_place = sorted(sources["source_id"].to_pylist(), key=lambda sid: int(sid.rsplit("_", 2)[1]))
        self.source_id = _take(report_of_place, self.place_ix)
        periods = _periods()
        period_ix = (self.place_ix.astype(np.int64) * 7 + self.metric_ix * 3) % len(periods)
        self.period_start = _take([p[0] for p in periods], period_ix, pa.date32())
        self.period_end = _take([p[1] for p in periods], period_ix, pa.date32())
        self.period_label = _take([p[2] for p in periods], period_ix)
        inferred = rng.random(self.rows) < INFERRED_SHARE
        self.period_basis = pc.if_else(pa.array(inferred), pa.scalar("inferred"), pa.scalar("stated"))
        scoped = pa.array(rng.random(self.rows) < SCOPED_SHARE)
        self.scope_zh = pc.if_else(scoped, pa.scalar("中心街道"), pa.scalar(None, pa.string()))
        self.scope_en = pc.if_else(scoped, pa.scalar("Central sub-district"), pa.scalar(None, pa.string()))
        note_ix = np.where(rng.random(self.rows) < NOTE_SHARE, rng.integers(0, len(NOTES), self.rows), len(NOTES))
        self.note = _take([*NOTES, None], note_ix)
        self.place_zh = _take(districts["name_zh"].to_pylist(), self.place_ix)
        self.metric_zh = _take([m[1] for m in metric_info], self.metric_ix)

        units = [m[2] for m in metric_info]
        sizes = np.array([m[3] for m in metric_info])
        # Money in 万元/亿元 with a decimal, percentages with a decimal, the rest whole.
        multiplier = np.array(
            [
                1e8 if u in ("CNY", "USD") and s >= 1e9 else 1e4 if u in ("CNY", "USD") else 1.0
                for u, s in zip(units, sizes, strict=True)
            ]
        )
        self.decimals = np.array([1 if u in ("CNY", "USD", "percent") else 0 for u in units])[self.metric_ix]
        self.multiplier = multiplier[self.metric_ix]
        self.unit_word = _take(
            [
                ("亿" if m == 1e8 else "万" if m == 1e4 else "") + UNIT_WORDS[u]
                for u, m in zip(units, multiplier, strict=True)
            ],
            self.metric_ix,
        )
        self.size = sizes[self.metric_ix]
        self.raw = self.size * rng.lognormal(0.0, 0.8, self.rows)
        shares = np.array([q[1] for q in QUALIFIER_FORMS])
        self.qualifier_ix = rng.choice(len(QUALIFIER_FORMS), size=self.rows, p=shares / shares.sum())

    def revise(self) -> None:
        """A few percent of the values (and some qualifiers) change for the next snapshot."""
        revised = np.flatnonzero(self.rng.random(self.rows) < REVISED_SHARE)
        self.raw[revised] *= self.rng.uniform(0.85, 1.3, len(revised))
        requalified = revised[self.rng.random(len(revised)) < 0.2]
        self.qualifier_ix[requalified] = self.rng.integers(0, len(QUALIFIER_FORMS), len(requalified))

    def table(self, snapshot_id: str) -> pa.Table:
        scaled = self.raw / self.multiplier
        number = np.where(self.decimals == 1, np.round(scaled, 1), np.maximum(1.0, np.round(scaled)))
        value = pa.array(number * self.multiplier, pa.float64())
        digits = pc.cast(pa.array(number), pa.string())  # 12.0 -> "12", 12.3 -> "12.3"
        forms = QUALIFIER_FORMS
        qualifier = _take([q[0] for q in forms], self.qualifier_ix)
        prefix = _take([q[2] for q in forms], self.qualifier_ix)
        more = _take([q[3] for q in forms], self.qualifier_ix)
        # "超过762.4亿元" rather than "762.4亿余元": decimals take the prefix form.
        decimal_at_least = pa.array((self.decimals == 1) & (self.qualifier_ix == 1))
        prefix = pc.if_else(decimal_at_least, pa.scalar("超过"), prefix)
        more = pc.if_else(decimal_at_least, pa.scalar(""), more)
        verb = _take([q[4] for q in forms], self.qualifier_ix)
        mult_word = pc.utf8_slice_codeunits(self.unit_word, 0, 1)
        has_mult = pc.is_in(mult_word, pa.array(["万", "亿"]))
        unit_rest = pc.if_else(has_mult, pc.utf8_slice_codeunits(self.unit_word, 1, 20), self.unit_word)
        mult_part = pc.if_else(has_mult, mult_word, pa.scalar(""))
        written = pc.binary_join_element_wise(prefix, digits, mult_part, more, unit_rest, "")
        quote = pc.binary_join_element_wise(
            self.place_zh, pa.scalar("坚持党建引领，"), self.metric_zh, verb, written, pa.scalar("。"), ""
        )
        columns = {
            "district_id": self.district_id,
            "metric_id": self.metric_id,
            "value": value,
            "qualifier": qualifier,
            "period_start": self.period_start,
            "period_end": self.period_end,
            "period_label": self.period_label,
            "period_basis": self.period_basis,
            "scope_zh": self.scope_zh,
            "scope_en": self.scope_en,
            "value_as_written": written,
            "source_id": self.source_id,
            "quote": quote,
            "note": self.note,
            "snapshot_id": pa.repeat(pa.scalar(snapshot_id), self.rows),
        }
        return pa.table(columns, schema=schema.STORED_FACTS)


def _source_texts(facts: pa.Table, sources: pa.Table, metrics_quoted: int = 1) -> dict[str, str]:
    """Report texts holding the quotes of their sources' figures for the first few metrics."""
    file_of = dict(zip(sources["source_id"].to_pylist(), sources["file"].to_pylist(), strict=True))
    first = set(facts["metric_id"].unique().to_pylist()[:metrics_quoted])
    quoted = facts.filter(pc.is_in(facts["metric_id"], pa.array(sorted(first))))
    paragraphs: dict[str, list[str]] = {file: [] for file in sorted(set(file_of.values()))}
    for source_id, quote in zip(quoted["source_id"].to_pylist(), quoted["quote"].to_pylist(), strict=True):
        paragraphs[file_of[source_id]].append(quote)
    return {
        file: f"合成基准报告 {i + 1}\n\n"
        + "\n\n".join("".join(quotes[j : j + 6]) for j in range(0, len(quotes), 6))
        + "\n"
        for i, (file, quotes) in enumerate(paragraphs.items())
    }


def _check(districts: pa.Table, concepts: pa.Table, metrics: pa.Table, sources: pa.Table, sample: pa.Table) -> None:
    """The contract's own checks on the dimensions and a slice of the facts."""
    concept_ids = set(concepts["concept_id"].to_pylist())
    problems = [
        str(p)
        for kind, table in (
            ("districts", districts),
            ("concepts", concepts),
            ("metrics", metrics),
            ("sources", sources),
        )
        for p in schema.check_dimension(kind, table, concept_ids)
    ]
    problems += [str(p) for p in schema.concept_problems(concepts, metrics)]
    known = schema.KnownIds(
        set(districts["district_id"].to_pylist()),
        set(metrics["metric_id"].to_pylist()),
        set(sources["source_id"].to_pylist()),
    )
    problems += [str(p) for p in schema.check_facts(sample.drop_columns(["snapshot_id"]), known)]
    if problems:
        raise ValueError("generated data breaks the contract:\n" + "\n".join(problems))


def generate(
    out_dir: Path | str, places: int = 2800, metrics: int = 200, snapshots: int = 20, seed: int = 0
) -> dict[str, object]:
    """Writes the data directory; returns its sizes and the snapshot ids (oldest first)."""
    out_dir = Path(out_dir)
    rng = np.random.default_rng(seed)
    districts = districts_table(rng, places)
    concepts = concepts_table()
    metrics_tab, metric_info = metrics_table(metrics)
    sources = sources_table(districts)
    builder = FactBuilder(rng, districts, metric_info, sources)
    tables = {"districts": districts, "concepts": concepts, "metrics": metrics_tab, "sources": sources}
    for kind, table in tables.items():
        store.write_parquet(out_dir / store.DIMENSION_FILES[kind], table)

    entries = []
    first = dt.date(2025, 1, 6)
    for k in range(snapshots):
        if k:
            builder.revise()
        day = first + dt.timedelta(days=28 * k)
        snapshot_id = f"{day.isoformat()}-synthetic-{k + 1:02d}"
        facts = builder.table(snapshot_id)
        if k == 0:
            sample = facts.slice(0, 2000)
            _check(districts, concepts, metrics_tab, sources, sample)
            for file, text in _source_texts(facts, sources).items():
                store.atomic_write_bytes(out_dir / file, text.encode("utf-8"))
        written = store.write_snapshot_files(out_dir / "snapshots", f"{snapshot_id}.parquet", facts)
        added = dt.datetime.combine(day, dt.time(9), dt.UTC).isoformat(timespec="seconds")
        entries.append(store.SnapshotEntry(id=snapshot_id, added=added, **written))
        del facts
    store.write_manifest(out_dir, entries)
    return {
        "places": places,
        "metrics": metrics,
        "sources": len(sources),
        "snapshots": [e.id for e in entries],
        "rows": sum(e.rows for e in entries),
    }


def main(argv: list[str] | None = None) -> int:
    """Writes a synthetic data directory for the benchmark."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--places", type=int, default=2800)
    parser.add_argument("--metrics", type=int, default=200)
    parser.add_argument("--snapshots", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    summary = generate(args.out_dir, args.places, args.metrics, args.snapshots, args.seed)
    print(
        f"wrote {summary['rows']:,} facts ({summary['places']} places x {summary['metrics']} metrics x "
        f"{len(summary['snapshots'])} snapshots, {summary['sources']} sources) to {args.out_dir} "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
